/**
 * Issue 19, the commune's own mode in a real Chromium on a phone (390×844) against a real server (standard approval
 * rules: every audio content waits for an approver; text-to-speech through a vendor HTTP engine served by this test)
 * with a real `loa-agent` speaker writing what it plays to files. The commune officer lands on its commune's page,
 * finds no "+ Tạo lịch phát" in the calendar (scheduling is off for officers), types an announcement that the server
 * reads aloud; an approver approves it through the API; the page shows it scheduled and then played on the speaker,
 * as the agent reported. On the speakers tab the officer runs "Tự kiểm tra" and reads the measured level, "Phát thử"
 * plays the announcement on that one speaker, and the volume is set and reported back. Vietnamese first, English on
 * the switch. Screenshots land in test-artifacts/screenshots/ (commune-officer-*.png).
 */
import { jest } from '@jest/globals';
import { cpSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { AnnouncementView, LoginResult } from '@loa/shared/rest';
import { Api, REPO_ROOT, artifactsDir, loa, makeTone, spawnAgent, spawnServer, stopAll, tempDir, waitFor, type TestAgent, type TestServer } from './support/index.js';

jest.setTimeout(300_000);

const SUITE = 'commune-officer';
const CHROMIUM = process.env.LOA_E2E_CHROMIUM ?? '/usr/bin/chromium';
const COMMUNE = '09955';
const OFFICER = { username: 'canbo.taydang', password: 'canbo-taydang-2026' };
const APPROVER = { username: 'duyet.bavi', password: 'duyet-bavi-2026' };
const SPEAKER = 'loa-taydang-01';
const TITLE = 'Họp dân thôn Yên Thịnh';
const TEXT = 'Mời bà con thôn Yên Thịnh đến nhà văn hóa lúc 19 giờ tối nay để họp về làm đường.';

describe('the commune officer’s own mode on a phone (issue 19)', () => {
  let server: TestServer;
  let browser: Browser;
  let agent: TestAgent;
  let vendor: Server;
  let page: Page;
  const work = tempDir('commune-officer');
  const shots = artifactsDir('screenshots');
  const shot = (name: string) => page.screenshot({ path: path.join(shots, `commune-officer-${name}.png`), fullPage: true });
  const fitsPhone = async () => expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);

  beforeAll(async () => {
    // The vendor's text-to-speech: every request is answered with the same 3 s of tone.
    const speech = readFileSync(await makeTone(path.join(work, 'speech.wav'), 3, 660));
    vendor = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(200, { 'content-type': 'audio/wav' }).end(speech));
    });
    await new Promise<void>((r) => vendor.listen(0, '127.0.0.1', r));
    // A private copy of the built dashboard: a rebuild meanwhile cannot pull the page from under the browser.
    const dashboardDir = path.join(tempDir('commune-officer-ui'), 'dist');
    cpSync(path.join(REPO_ROOT, 'dashboard/dist'), dashboardDir, { recursive: true });
    server = await spawnServer({
      suite: SUITE,
      env: {
        LOA_DASHBOARD_DIR: dashboardDir,
        LOA_APPROVAL_RULES_DEFAULT: 'standard',
        LOA_HEARTBEAT_TIMEOUT_S: '60',
        LOA_TTS_ENGINE: 'http',
        LOA_TTS_HTTP_URL: `http://127.0.0.1:${(vendor.address() as AddressInfo).port}/tts`,
      },
    });
    const { api } = server;
    await loa.createArea(api, { code: '01', name: 'Thành phố Hà Nội', level: 'province' });
    await loa.createArea(api, { code: '271', name: 'Huyện Ba Vì', level: 'district', parentCode: '01' });
    await loa.createArea(api, { code: COMMUNE, name: 'Xã Tây Đằng', level: 'commune', parentCode: '271' });
    await api.post('/api/v1/users', { ...OFFICER, role: 'commune_officer', areaCode: COMMUNE });
    await api.post('/api/v1/users', { ...APPROVER, role: 'approver', areaCode: '271' });
    const speaker = await loa.createDevice(api, { id: SPEAKER, name: 'Cụm loa thôn Yên Thịnh', kind: 'speaker', areaCode: COMMUNE });
    agent = await spawnAgent({ suite: SUITE, serverUrl: server.baseUrl, mqttUrl: server.mqttUrl, deviceId: speaker.device.id, secret: speaker.secret, kind: 'speaker', audioOutput: `file:${work}/out-{seq}.wav` });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'],
    });
    // Chromium's fake microphone (a beeping tone) stands in for the officer's voice.
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, isMobile: true, hasTouch: true, locale: 'vi-VN', permissions: ['microphone'] });
    page = await context.newPage();
  });

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await stopAll();
    await new Promise<void>((r) => (vendor ? vendor.close(() => r()) : r()));
  });

  it('lands on its commune’s page, and the calendar offers no "+ Tạo lịch phát"', async () => {
    // The server says what the officer may do: announce and test, not schedule.
    const login = await server.api.anonymous().post<LoginResult>('/api/v1/auth/login', OFFICER, 200);
    expect(login.user.can).toMatchObject({ announce: true, testDevices: true, schedule: false, createContent: false });
    await page.goto(server.baseUrl, { waitUntil: 'domcontentloaded' });
    await page.fill('input[name=username]', OFFICER.username);
    await page.fill('input[name=password]', OFFICER.password);
    await page.click('button[type=submit]');
    await page.waitForSelector('[data-testid=commune-page]');
    expect(new URL(page.url()).hash).toBe('#/commune');
    // The commune's name once the area tree has loaded.
    await page.waitForSelector('h1:has-text("Xã Tây Đằng")');
    expect(await page.textContent('h1')).toBe('Xã của tôi · Xã Tây Đằng');
    await shot('00-landing');
    await page.click('.menu-toggle');
    await page.waitForSelector('.sidenav.open [data-nav="/commune"]');
    expect(await page.$$eval('.sidenav a', (as) => as.map((a) => a.getAttribute('data-nav')))).not.toContain('/contents');
    await shot('01-menu');
    await page.click('.sidenav [data-nav="/schedules"]');
    await page.waitForSelector('[data-testid=schedules-page] .page-head h1');
    expect(await page.locator('[data-testid=schedule-new]').count()).toBe(0);
    await shot('02-calendar-without-create');
  });

  it('announces by TTS; after the approver approves, the speaker plays it and the page says so', async () => {
    await page.goto(`${server.baseUrl}/#/commune/announce`);
    await page.waitForSelector('[data-testid=announce-form]');
    await fitsPhone();
    await page.fill('[data-testid=announce-title]', TITLE);
    await page.fill('[data-testid=announce-text]', TEXT);
    await shot('03-announce-form');
    await page.click('[data-testid=announce-send]');
    const sent = await page.waitForSelector('[data-testid=announce-sent]');
    // Standard rules: audio content waits for an approver.
    expect(await sent.getAttribute('data-state')).toBe('awaiting-content');
    expect(await sent.textContent()).toBe('Đã gửi: Chờ duyệt nội dung');
    await page.waitForSelector('[data-testid=announcement-row][data-state=awaiting-content]');
    await shot('04-awaiting-approval');

    const officerApi = await Api.login(server.baseUrl, OFFICER.username, OFFICER.password);
    const [a] = await officerApi.get<AnnouncementView[]>('/api/v1/announcements');
    expect(a).toMatchObject({ title: TITLE, text: TEXT, areas: [COMMUNE], state: 'awaiting-content' });
    const approver = await Api.login(server.baseUrl, APPROVER.username, APPROVER.password);
    // The approver's queue holds it like any other content.
    const queue = await approver.get<{ contents: Array<{ id: string; title: string }> }>('/api/v1/approvals');
    expect(queue.contents.map((c) => c.id)).toContain(a!.contentId);
    await approver.post(`/api/v1/contents/${a!.contentId}/approve`, {}, 200);

    // The page follows by itself: scheduled, then played on the one speaker (the agent's report).
    await page.waitForSelector(`[data-testid=announcement-row][data-id="${a!.id}"][data-state=scheduled]`, { timeout: 30_000 });
    await page.waitForSelector(`[data-testid=announcement-row][data-id="${a!.id}"][data-played="1"]`, { timeout: 90_000 });
    expect(await page.textContent(`[data-testid=announcement-row][data-id="${a!.id}"]`)).toContain('Đã phát 1/1 thiết bị');
    const done = await officerApi.get<AnnouncementView>(`/api/v1/announcements/${a!.id}`);
    const deliveries = await loa.deliveries(officerApi, done.scheduleId!);
    expect(deliveries.map((d) => [d.deviceId, d.state])).toEqual([[SPEAKER, 'finished']]);
    expect(readdirSync(work).filter((f) => /^out-.*\.wav$/.test(f)).length).toBeGreaterThanOrEqual(1);
    await fitsPhone();
    await shot('05-played');
  });

  it('self-tests a speaker and shows its measured level, test-plays it and sets its volume', async () => {
    await page.click('[data-testid=commune-tab-speakers]');
    const card = `[data-testid=speaker-card][data-device="${SPEAKER}"]`;
    await page.waitForSelector(`${card}[data-online="1"]`);
    await fitsPhone();
    await page.click(`${card} [data-testid=speaker-self-test]`);
    await page.waitForSelector(`${card} [data-testid=speaker-result][data-type=selfTest][data-state=ok]`, { timeout: 30_000 });
    const level = Number(await page.getAttribute(`${card} [data-testid=speaker-level]`, 'data-value'));
    // A −20 dBFS 1 kHz tone measures about −23 LUFS at the output.
    expect(level).toBeGreaterThan(-26);
    expect(level).toBeLessThan(-20);
    expect(await page.textContent(`${card} [data-testid=speaker-result]`)).toMatch(/^Tự kiểm tra xong: mức đo -2\d,\d LUFS \(âm thử -20,0 dBFS\)\.$/);
    await shot('06-self-test-level');

    const before = readdirSync(work).filter((f) => /^out-.*\.wav$/.test(f)).length;
    expect(await page.$eval(`${card} [data-testid=speaker-content]`, (s) => (s as unknown as { selectedOptions: ArrayLike<{ textContent: string | null }> }).selectedOptions[0]?.textContent)).toBe(TITLE);
    await page.click(`${card} [data-testid=speaker-test-play]`);
    await page.waitForSelector(`${card} [data-testid=speaker-result][data-type=playNow][data-state=ok]`, { timeout: 30_000 });
    expect(await page.textContent(`${card} [data-testid=speaker-result]`)).toBe('Loa đang phát thử.');
    // The agent wrote one more playback.
    await waitFor(async () => (readdirSync(work).filter((f) => /^out-.*\.wav$/.test(f)).length > before ? true : undefined), 30_000, { what: 'the test play written by the agent' });
    await shot('07-test-play');

    await page.fill(`${card} [data-testid=speaker-volume-input]`, '40');
    await page.click(`${card} [data-testid=speaker-volume-set]`);
    await page.waitForSelector(`${card} [data-testid=speaker-result][data-type=setVolume][data-state=ok]`, { timeout: 30_000 });
    await page.waitForSelector(`${card} [data-testid=speaker-volume][data-value="40"]`);
    expect(await page.textContent(`${card} [data-testid=speaker-volume]`)).toContain('Âm lượng hiện tại: 40');
    await shot('08-volume');
    // After a reload the page still shows what the speaker last answered.
    await page.reload();
    await page.waitForSelector(`${card} [data-testid=speaker-level][data-value="${level}"]`);
    await page.waitForSelector(`${card} [data-testid=speaker-volume][data-value="40"]`);

    // English on the switch, same page.
    await page.click('[data-testid=lang-switch]');
    await page.waitForSelector(`${card} [data-testid=speaker-self-test]:has-text("Self-test")`);
    expect(await page.textContent('h1')).toBe('My commune · Xã Tây Đằng');
    expect(await page.textContent(`${card} [data-testid=speaker-volume]`)).toContain('Current volume: 40');
    await shot('09-english');
    await page.click('[data-testid=lang-switch]');

    // The device's own page carries the same tests for the officer, and no general command panel.
    await page.goto(`${server.baseUrl}/#/device/${SPEAKER}`);
    await page.waitForSelector('[data-testid=officer-speaker-tests] [data-testid=speaker-self-test]');
    expect(await page.locator('[data-testid=command-panel]').count()).toBe(0);
    await shot('10-device-page');
  });

  it('records an announcement in the browser and sends it through the media pipeline', async () => {
    await page.goto(`${server.baseUrl}/#/commune/announce`);
    await page.waitForSelector('[data-testid=announce-form]');
    await page.fill('[data-testid=announce-title]', 'Thông báo thu gom rác');
    await page.click('[data-testid=announce-mode-recording]');
    await page.click('[data-testid=announce-record-start]');
    await page.waitForSelector('[data-testid=announce-recorder][data-state=recording]');
    // About two seconds of the fake microphone, read off the recorder's own clock on the page.
    await page.waitForSelector('[data-testid=announce-recorder] .small:has-text("Đang ghi… 2 giây")');
    await page.click('[data-testid=announce-record-stop]');
    await page.waitForSelector('[data-testid=announce-recorder][data-state=done]');
    await page.click('[data-testid=announce-send]');
    const sent = await page.waitForSelector('[data-testid=announce-sent]', { timeout: 60_000 });
    expect(await sent.getAttribute('data-state')).toBe('awaiting-content');
    await shot('11-recorded');
    const officerApi = await Api.login(server.baseUrl, OFFICER.username, OFFICER.password);
    const recorded = (await officerApi.get<AnnouncementView[]>('/api/v1/announcements')).find((x) => x.title === 'Thông báo thu gom rác');
    expect(recorded).toMatchObject({ state: 'awaiting-content', text: null });
    const content = await server.api.get<{ type: string; durationMs: number; mediaSha256: string }>(`/api/v1/contents/${recorded!.contentId}`);
    expect(content.type).toBe('audio');
    expect(content.durationMs).toBeGreaterThan(1500);
    await agent.stop();
  });
});
