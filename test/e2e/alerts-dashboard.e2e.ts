/**
 * Issue 18's dashboard, "alerts people can trust", in a real Chromium on a phone-sized screen (390×844) against one
 * real server (two-person rule on, text-to-speech through a vendor HTTP engine served by this test) with a real
 * `loa-agent` speaker writing what it plays to a file. Operator A writes an alert with text read aloud for a commune;
 * operator B sees it pending with the speech's player, the board text, the area and the device count, and confirms
 * it on the alert's page, whose "played on N of M" turns to 1/1 live; a commune officer's pages carry the red banner
 * (also at 320 px) with the same count; A stops the alert after a confirmation and the officer's banner goes away
 * without a reload. Screenshots land in test-artifacts/alerts-dashboard/.
 */
import { jest } from '@jest/globals';
import { cpSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { AlertDeliveryPage, AlertSummary, AlertView } from '@loa/shared/rest';
import { REPO_ROOT, artifactsDir, loa, makeTone, spawnAgent, spawnServer, stopAll, tempDir, waitFor, type TestAgent, type TestServer } from './support/index.js';

jest.setTimeout(240_000);

const SUITE = 'alerts-dashboard';
const CHROMIUM = process.env.LOA_E2E_CHROMIUM ?? '/usr/bin/chromium';
const COMMUNE = '09955';
const COMMUNE_NAME = 'Xã Tây Đằng';
const OPERATOR_A = { username: 'bientap.a', password: 'bien-tap-a-2026' };
const OPERATOR_B = { username: 'bientap.b', password: 'bien-tap-b-2026' };
const OFFICER = { username: 'canbo.taydang', password: 'canbo-taydang-2026' };
const TITLE = 'Cảnh báo lũ quét sông Tích';
const TEXT = 'Nước sông Tích đang lên nhanh. Bà con thôn Yên Thịnh di chuyển người và tài sản lên chỗ cao ngay.';
const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, locale: 'vi-VN' };

describe('alerts on the dashboard: two-person confirmation, proof of play and the red banner (issue 18)', () => {
  let server: TestServer;
  let browser: Browser;
  let agent: TestAgent;
  let vendor: Server;
  let vendorCalls = 0;
  const work = tempDir('alerts-dashboard');
  const shots = artifactsDir(SUITE);
  const shot = (page: Page, name: string) => page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
  let alertId = '';
  let officer: Page;
  let operatorA: Page;

  beforeAll(async () => {
    // The vendor's text-to-speech service: answers every request with the same spoken-length WAV (3 s of tone).
    const speech = readFileSync(await makeTone(path.join(work, 'speech.wav'), 3, 660));
    vendor = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        vendorCalls++;
        res.writeHead(200, { 'content-type': 'audio/wav' }).end(speech);
      });
    });
    await new Promise<void>((r) => vendor.listen(0, '127.0.0.1', r));
    // A private copy of the built dashboard: a rebuild meanwhile (another run) cannot pull the page from under the browser.
    const dashboardDir = path.join(tempDir('alerts-dashboard-ui'), 'dist');
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
    await loa.createArea(api, { code: COMMUNE, name: COMMUNE_NAME, level: 'commune', parentCode: '271' });
    for (const u of [OPERATOR_A, OPERATOR_B]) await api.post('/api/v1/users', { ...u, role: 'operator', areaCode: '271' });
    await api.post('/api/v1/users', { ...OFFICER, role: 'commune_officer', areaCode: COMMUNE });
    const speaker = await loa.createDevice(api, { id: 'loa-taydang-01', name: 'Cụm loa thôn Yên Thịnh', kind: 'speaker', areaCode: COMMUNE });
    agent = await spawnAgent({
      suite: SUITE,
      serverUrl: server.baseUrl,
      mqttUrl: server.mqttUrl,
      deviceId: speaker.device.id,
      secret: speaker.secret,
      kind: 'speaker',
      audioOutput: `file:${work}/out-{seq}.wav`,
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required'],
    });
  });

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await stopAll();
    await new Promise<void>((r) => (vendor ? vendor.close(() => r()) : r()));
  });

  const login = async (page: Page, who: { username: string; password: string }) => {
    await page.goto(server.baseUrl, { waitUntil: 'domcontentloaded' });
    await page.fill('input[name=username]', who.username);
    await page.fill('input[name=password]', who.password);
    await page.click('button[type=submit]');
    await page.waitForSelector('[data-testid=logout]');
    await page.waitForSelector('[data-testid=live-status][data-live=up]');
  };

  /** Everything the page showed in `selector`'s attribute, in order: proves a value arrived without a reload. */
  const watch = (page: Page, selector: string, attr: string) =>
    page.evaluate(`(() => {
      const seen = (window.__seen = []);
      window.__sameDocument = true;
      const note = () => {
        const v = document.querySelector(${JSON.stringify(selector)})?.getAttribute(${JSON.stringify(attr)}) ?? 'absent';
        if (seen[seen.length - 1] !== v) seen.push(v);
      };
      note();
      new MutationObserver(note).observe(document.body, { subtree: true, childList: true, attributes: true });
    })()`);
  const seen = (page: Page) => page.evaluate<string[]>('window.__seen');
  const sameDocument = (page: Page) => page.evaluate<boolean>('window.__sameDocument === true');

  it('operator A marks a draft audio for emergencies; with the rule on, the alert form offers only such audio', async () => {
    const { api } = server;
    const siren = await loa.uploadAudio(api, await makeTone(path.join(work, 'coi-bao-lu.wav'), 2, 880), 'audio/wav');
    const bulletin = await loa.uploadAudio(api, await makeTone(path.join(work, 'ban-tin-sang.wav'), 2, 440), 'audio/wav');
    const draft = await api.post<{ id: string }>('/api/v1/contents', { type: 'audio', title: 'Còi báo lũ', mediaSha256: siren.sha256 });
    const ordinary = await loa.createAudioContent(api, 'Bản tin sáng', bulletin.sha256);

    operatorA = await browser.newPage(PHONE);
    await login(operatorA, OPERATOR_A);
    await operatorA.goto(`${server.baseUrl}/#/contents`);
    const row = await operatorA.waitForSelector(`[data-testid=content-row][data-content-id="${draft.id}"]`);
    await (await row.$('[data-testid=mark-emergency][data-emergency=false]'))!.click();
    await operatorA.waitForSelector(`[data-testid=content-row][data-content-id="${draft.id}"] [data-testid=content-emergency]`);
    expect(await api.get<{ emergency?: boolean }>(`/api/v1/contents/${draft.id}`)).toMatchObject({ emergency: true });
    await shot(operatorA, '00-a-content-marked');
    await api.post(`/api/v1/contents/${draft.id}/submit`, {}, 200);
    await api.post(`/api/v1/contents/${draft.id}/approve`, {}, 200);
    const rules = await api.get<{ emergency: Record<string, boolean> }>('/api/v1/settings/approval');
    await api.expect('PUT', '/api/v1/settings/approval', 200, { ...rules, emergency: { ...rules.emergency, audioFromEmergencyContentOnly: true } });

    await operatorA.goto(`${server.baseUrl}/#/alerts`);
    // Shown once both the library and the marked list are in: the marked audio alone is offered.
    await operatorA.waitForSelector('[data-testid=alert-emergency-only][data-count="1"]');
    const offered = await operatorA.$$eval('[data-testid=alert-content] optgroup:first-of-type option', (os) => os.map((o) => o.getAttribute('value')));
    expect(offered).toEqual([draft.id]);
    expect(offered).not.toContain(ordinary.id);
  });

  it('operator A writes a text alert read aloud; B hears it, confirms it, and the alert page counts 1/1 played live', async () => {
    await operatorA.goto(`${server.baseUrl}/#/alerts`);
    await operatorA.selectOption('[data-testid=alert-area]', COMMUNE);
    await operatorA.waitForSelector('[data-testid=alert-reach][data-count="1"]');
    await operatorA.fill('[data-testid=alert-title]', TITLE);
    // Reading aloud without text is refused in the page's own words, before anything is sent.
    await operatorA.check('[data-testid=alert-speak]');
    await operatorA.click('[data-testid=alert-send]');
    expect(await operatorA.textContent('[data-testid=alert-form-error]')).toBe('Muốn đọc bằng giọng nói, hãy nhập nội dung chữ.');
    await operatorA.fill('[data-testid=alert-text]', TEXT);
    await operatorA.click('[data-testid=alert-send]');
    const dialog = await operatorA.waitForSelector('[data-testid=alert-confirm-dialog]');
    expect(await dialog.textContent()).toContain('Giọng đọc tự động (TTS) của phần chữ');
    await shot(operatorA, '01-a-confirm-send');
    await operatorA.click('[data-testid=alert-send-confirm]');
    const pending = await operatorA.waitForSelector('[data-testid=alert-row][data-status=pending]', { timeout: 30_000 });
    alertId = (await pending.getAttribute('data-alert-id'))!;
    const requested = await server.api.get<AlertView>(`/api/v1/alerts/${alertId}`);
    expect(requested).toMatchObject({ status: 'pending', text: TEXT, areaCode: COMMUNE });
    // The speech was made in the same step: the pending alert already carries its audio.
    expect(requested.mediaSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(vendorCalls).toBeGreaterThanOrEqual(1);
    await shot(operatorA, '02-a-pending');

    const b = await browser.newPage(PHONE);
    // What the live stream brought B's page: the alert's progress must come this way, not only by page loads.
    const progress: Array<{ alertId?: string; byState?: Record<string, number> }> = [];
    b.on('websocket', (ws) =>
      ws.on('framereceived', ({ payload }) => {
        const e = JSON.parse(String(payload)) as { type?: string; alertId?: string; byState?: Record<string, number> };
        if (e.type === 'alert.progress') progress.push(e);
      }),
    );
    await login(b, OPERATOR_B);
    await b.goto(`${server.baseUrl}/#/alerts`);
    const review = await b.waitForSelector(`[data-testid=alert-row][data-alert-id="${alertId}"] [data-testid=alert-review]`);
    // What B checks before confirming: a player of the very file (an authenticated blob), the text, area, devices.
    const player = await review.waitForSelector('audio[data-testid=audio-preview]');
    expect(await player.getAttribute('src')).toMatch(/^blob:/);
    // The file decodes in the browser and is the 3 s of speech, not an empty or broken answer.
    await b.waitForFunction((el) => {
      const audio = el as unknown as { readyState: number; duration: number };
      return audio.readyState >= 1 && audio.duration > 2.5;
    }, player);
    expect(await (await review.$('[data-testid=alert-review-text]'))!.textContent()).toBe(TEXT);
    expect(await (await review.$('[data-testid=alert-review-area]'))!.textContent()).toBe(COMMUNE_NAME);
    await review.waitForSelector('[data-testid=alert-review-devices][data-count="1"]');
    await shot(b, '03-b-pending-review');

    // The officer's phone is open before anything goes out: the banner must arrive by itself.
    const officerContext = await browser.newContext(PHONE);
    officer = await officerContext.newPage();
    await login(officer, OFFICER);
    expect(await officer.$('[data-testid=alert-banner]')).toBeNull();
    await watch(officer, '[data-testid=alert-banner-item]', 'data-played');

    // B opens the alert's page (the same review above the button) and confirms there.
    await b.click(`[data-testid=alert-row][data-alert-id="${alertId}"] [data-testid=alert-open]`);
    await b.waitForSelector(`[data-testid=alert-detail][data-alert-id="${alertId}"][data-phase=pending]`);
    await b.waitForSelector('[data-testid=alert-detail] [data-testid=alert-review] audio[data-testid=audio-preview]');
    await watch(b, '[data-testid=alert-played]', 'data-played');
    await b.click('[data-testid=alert-detail] [data-testid=alert-confirm]');
    await b.waitForSelector('[data-testid=alert-detail][data-phase=active]', { timeout: 20_000 });
    await b.waitForSelector('[data-testid=alert-played][data-played="1"][data-total="1"]', { timeout: 60_000 });
    expect(await b.textContent('[data-testid=alert-played-text]')).toBe('Đã phát trên 1 / 1 loa');
    expect(await sameDocument(b)).toBe(true);
    // The count changed in place (same document, no reload) as the agent's reports arrived on the live stream.
    expect((await seen(b)).at(-1)).toBe('1');
    await waitFor(() => progress.some((e) => e.alertId === alertId && (e.byState?.started ?? 0) + (e.byState?.finished ?? 0) === 1), 30_000, {
      what: 'alert.progress with the speaker played, on B’s live stream',
    });
    await b.waitForSelector(`[data-testid=alert-area-row][data-area-code="${COMMUNE}"][data-played="1"][data-total="1"]`);
    // The device list below follows: the speaker's row leaves "expected" for started or finished.
    await b.waitForSelector('[data-testid=alert-device-row][data-device-id=loa-taydang-01]:is([data-state=started], [data-state=finished])');
    await shot(b, '04-b-detail-played');

    const confirmed = await server.api.get<AlertView>(`/api/v1/alerts/${alertId}`);
    expect(confirmed.status).toBe('active');
    expect(confirmed.confirmedBy).not.toBe(confirmed.createdBy);
    const summary = await server.api.get<AlertSummary>(`/api/v1/alerts/${alertId}/summary`);
    expect(summary.total).toBe(1);
    expect((summary.byState.started ?? 0) + (summary.byState.finished ?? 0)).toBe(1);
    const devices = await server.api.get<AlertDeliveryPage>(`/api/v1/alerts/${alertId}/deliveries`);
    expect(devices.items.map((d) => d.deviceId)).toEqual(['loa-taydang-01']);
    // The speaker really played it through: its audio output file holds the 3 s of speech.
    await waitFor(async () => ((await server.api.get<AlertSummary>(`/api/v1/alerts/${alertId}/summary`)).byState.finished ?? 0) === 1, 30_000, { what: 'the alert finished on the speaker' });
    const outputs = readdirSync(work).filter((f) => f.startsWith('out-'));
    expect(outputs.length).toBeGreaterThanOrEqual(1);
    expect(Math.max(...outputs.map((f) => statSync(path.join(work, f)).size))).toBeGreaterThan(10_000);
    await b.close();
  });

  it('a commune officer’s pages carry the red banner with the live count, on 390 and 320 px phones', async () => {
    const banner = await officer.waitForSelector(`[data-testid=alert-banner-item][data-alert-id="${alertId}"][data-played="1"][data-total="1"]`, { timeout: 30_000 });
    expect(await sameDocument(officer)).toBe(true);
    const text = (await banner.textContent()) ?? '';
    expect(text).toContain(TITLE);
    expect(text).toContain(COMMUNE_NAME);
    expect(await officer.textContent('[data-testid=alert-banner-count]')).toBe('đã phát 1/1');
    await shot(officer, '05-officer-banner-390');
    for (const route of ['/devices', '/schedules', '/feedback', '/reports']) {
      await officer.goto(`${server.baseUrl}/#${route}`);
      await officer.waitForSelector(`[data-testid=alert-banner-item][data-alert-id="${alertId}"]`);
    }
    await officer.setViewportSize({ width: 320, height: 640 });
    await officer.goto(`${server.baseUrl}/#/`);
    await officer.waitForSelector(`[data-testid=alert-banner-item][data-alert-id="${alertId}"]`);
    expect(await officer.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(320);
    await shot(officer, '06-officer-banner-320');
    // The banner leads to the alert's page; a commune officer may not read the alert itself (the server's READERS),
    // so the page shows what the banner knows, with the same count, and no stop button.
    await officer.click(`[data-testid=alert-banner-item][data-alert-id="${alertId}"]`);
    await officer.waitForSelector(`[data-testid=alert-detail][data-alert-id="${alertId}"] [data-testid=alert-played][data-played="1"][data-total="1"]`);
    expect(await officer.textContent('[data-testid=alert-played-text]')).toBe('Đã phát trên 1 / 1 loa');
    expect(await officer.$('[data-testid=alert-stop]')).toBeNull();
    await shot(officer, '07-officer-alert-page-320');
    await officer.goto(`${server.baseUrl}/#/devices`);
    await officer.waitForSelector(`[data-testid=alert-banner-item][data-alert-id="${alertId}"]`);
  });

  it('operator A stops the alert after a confirmation, and the officer’s banner goes away without a reload', async () => {
    await watch(officer, '[data-testid=alert-banner-item]', 'data-alert-id');
    await operatorA.goto(`${server.baseUrl}/#/alert/${alertId}`);
    await operatorA.waitForSelector(`[data-testid=alert-detail][data-alert-id="${alertId}"][data-phase=active]`);
    await operatorA.click('[data-testid=alert-stop]');
    expect(await operatorA.textContent('[data-testid=alert-stop-question]')).toContain(TITLE);
    await shot(operatorA, '08-a-stop-question');
    await operatorA.click('[data-testid=alert-stop-confirm]');
    await operatorA.waitForSelector(`[data-testid=alert-detail][data-alert-id="${alertId}"][data-status=cancelled]`, { timeout: 20_000 });
    expect((await server.api.get<AlertView>(`/api/v1/alerts/${alertId}`)).status).toBe('cancelled');

    await officer.waitForSelector('[data-testid=alert-banner]', { state: 'detached', timeout: 30_000 });
    expect(await sameDocument(officer)).toBe(true);
    expect(await seen(officer)).toEqual([alertId, 'absent']);
    expect(await server.api.get<unknown[]>('/api/v1/alerts/banner')).toEqual([]);
    await shot(officer, '09-officer-banner-gone');
  });
});
