/**
 * The operators' dashboard end to end, in a real Chromium against a real server, with a real agent process coming
 * online: log in, upload audio and watch its progress, approve it, schedule it onto a commune, see the device come
 * online live and its delivery turn to played, then a commune officer (on a phone-sized screen) who sees only its
 * own commune. Screenshots of every step land in test-artifacts/dashboard/.
 */
import { jest } from '@jest/globals';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ADMIN_PASSWORD, ADMIN_USERNAME, artifactsDir, loa, makeTone, spawnAgent, spawnServer, stopAll, tempDir, waitFor, type TestServer } from './support/index.js';

jest.setTimeout(240_000);

const SUITE = 'dashboard';
const CHROMIUM = process.env.LOA_E2E_CHROMIUM ?? '/usr/bin/chromium';
const TITLE = 'Bản tin sáng xã Tây Đằng';
const OFFICER = { username: 'canbo.vanthang', password: 'van-thang-2026' };

/** Wall-clock "YYYY-MM-DDTHH:MM" in Vietnam (UTC+7) for a datetime-local input (operators pick minutes). */
const vnLocal = (ms: number): string => new Date(ms + 7 * 3_600_000).toISOString().slice(0, 16);
/** The first whole minute at least `leadMs` ahead. */
const nextMinute = (leadMs: number): number => Math.ceil((Date.now() + leadMs) / 60_000) * 60_000;

describe('dashboard in a real browser', () => {
  let server: TestServer;
  let browser: Browser;
  /** The bulletin approved in the first test, reused by the alert test. */
  let bulletinId = '';
  const shots = artifactsDir(SUITE);
  const shot = (page: Page, name: string) => page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });

  beforeAll(async () => {
    // The rules a new install runs: content needs an approver, emergencies a second person.
    server = await spawnServer({ suite: SUITE, env: { LOA_HEARTBEAT_TIMEOUT_S: '60', LOA_APPROVAL_RULES_DEFAULT: 'standard' } });
    const { api } = server;
    await loa.createArea(api, { code: '01', name: 'Thành phố Hà Nội', level: 'province' });
    await loa.createArea(api, { code: '271', name: 'Huyện Ba Vì', level: 'district', parentCode: '01' });
    await loa.createArea(api, { code: '09955', name: 'Xã Tây Đằng', level: 'commune', parentCode: '271' });
    await loa.createArea(api, { code: '09958', name: 'Xã Vạn Thắng', level: 'commune', parentCode: '271' });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await stopAll();
  });

  const login = async (page: Page, username: string, password: string) => {
    await page.goto(server.baseUrl, { waitUntil: 'domcontentloaded' });
    await page.fill('input[name=username]', username);
    await page.fill('input[name=password]', password);
    await page.click('button[type=submit]');
    await page.waitForSelector('[data-testid=logout]');
  };

  it('an operator uploads, approves and schedules a bulletin; the device comes online and plays it, live', async () => {
    const { api } = server;
    const taydang = await loa.createDevice(api, { id: 'loa-taydang-01', name: 'Cụm loa thôn Yên Thịnh', kind: 'speaker', areaCode: '09955' });
    await loa.createDevice(api, { id: 'loa-vanthang-01', name: 'Cụm loa thôn Bằng Y', kind: 'speaker', areaCode: '09958' });

    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await login(page, ADMIN_USERNAME, ADMIN_PASSWORD);
    await page.waitForSelector('[data-testid=live-status][data-live=up]');
    await shot(page, '01-overview');

    // Upload: the byte progress bar shows, then the processing job, then the content exists.
    const wav = await makeTone(path.join(tempDir('dash-media'), 'ban-tin-sang.wav'), 20, 523);
    await page.goto(`${server.baseUrl}/#/contents`);
    await page.fill('[data-testid=upload-title]', TITLE);
    await page.setInputFiles('[data-testid=upload-input]', wav);
    // Record every progress value and job state the page shows (over loopback they pass in milliseconds).
    await page.evaluate(`(() => {
      const seen = (window.__seen = []);
      const note = () => {
        for (const p of document.querySelectorAll('[role=progressbar]')) seen.push('pct:' + p.getAttribute('aria-valuenow'));
        const u = document.querySelector('[data-testid=upload-progress]');
        if (u) seen.push('state:' + u.getAttribute('data-state'));
      };
      new MutationObserver(note).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
    })()`);
    await page.click('[data-testid=upload-submit]');
    await page.waitForSelector('[data-testid=upload-progress]');
    await shot(page, '02-upload-progress');
    const done = await page.waitForSelector('[data-testid=upload-done]', { timeout: 60_000 });
    const contentId = await done.getAttribute('data-content-id');
    expect(contentId).toBeTruthy();
    bulletinId = contentId!;
    const seen = new Set(await page.evaluate<string[]>('window.__seen'));
    expect(seen).toContain('pct:100');
    expect([...seen].filter((v) => v.startsWith('state:'))).toEqual(expect.arrayContaining(['state:done']));
    await shot(page, '03-uploaded');

    // Approve from the queue.
    await page.goto(`${server.baseUrl}/#/approvals`);
    const row = await page.waitForSelector(`[data-testid=approval-content][data-content-id="${contentId}"]`);
    await (await row.$('[data-testid=approve]'))!.click();
    await waitFor(async () => (await api.get<{ state: string }>(`/api/v1/contents/${contentId}`)).state === 'approved', 15_000, { what: 'content approved' });
    await shot(page, '04-approved');

    // The device comes online while the operator watches the device table.
    await page.goto(`${server.baseUrl}/#/devices`);
    await page.waitForSelector('[data-testid=device-row][data-device-id=loa-taydang-01][data-online=false]');
    const agent = await spawnAgent({ suite: SUITE, serverUrl: server.baseUrl, mqttUrl: server.mqttUrl, deviceId: taydang.device.id, secret: taydang.secret, kind: 'speaker', audioOutput: 'null' });
    await page.waitForSelector('[data-testid=device-row][data-device-id=loa-taydang-01][data-online=true]', { timeout: 30_000 });
    await shot(page, '05-device-online');

    // Schedule onto the commune at the next whole minute that leaves time to check and save.
    await page.goto(`${server.baseUrl}/#/schedules`);
    await page.click('[data-testid=schedule-new]');
    await page.selectOption('select[name=contentId]', contentId!);
    await page.selectOption('select[name=area]', '09955');
    const startAt = nextMinute(25_000);
    await page.fill('input[name=startAt]', vnLocal(startAt));
    await page.waitForSelector('[data-testid=schedule-analysis]');
    await page.click('[data-testid=schedule-save]');
    const saved = await page.waitForSelector('[data-testid=schedule-saved]', { timeout: 20_000 });
    const scheduleId = await saved.getAttribute('data-schedule-id');
    expect(await saved.getAttribute('data-approval')).not.toBe('pending');
    // Saved at once; the dialog follows its fan-out until the commune's device has been sent its timeline.
    const progress = await page.waitForSelector('[data-testid=fanout-progress][data-state=done]', { timeout: 20_000 });
    expect(await progress.getAttribute('data-total')).toBe('1');
    const schedule = await api.get<{ startAt: string; deviceCount: number; targets: { areas: string[] } }>(`/api/v1/schedules/${scheduleId}`);
    expect(Date.parse(schedule.startAt)).toBe(startAt);
    expect(schedule.targets.areas).toEqual(['09955']);
    expect(schedule.deviceCount).toBe(1);
    await shot(page, '06-scheduled');

    // The delivery matrix turns to played without a reload.
    await page.goto(`${server.baseUrl}/#/deliveries/${scheduleId}`);
    await page.waitForSelector('[data-testid=delivery-row][data-device-id=loa-taydang-01]');
    await page.waitForSelector('[data-testid=delivery-row][data-device-id=loa-taydang-01][data-state=finished]', { timeout: 120_000 });
    await shot(page, '07-delivery-played');
    // The device's own page lists the same broadcast among its recent deliveries.
    await page.goto(`${server.baseUrl}/#/device/loa-taydang-01`);
    await page.waitForSelector('[data-testid=device-delivery-row][data-state=finished]', { timeout: 15_000 });
    expect(await page.textContent('body')).toContain(TITLE);
    await shot(page, '08-device-page');
    await agent.stop();
    await page.close();
  });

  it('a commune officer, on a phone, sees only its own commune', async () => {
    const { api } = server;
    await api.post('/api/v1/users', { username: OFFICER.username, password: OFFICER.password, role: 'commune_officer', areaCode: '09958' });
    const page = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    await login(page, OFFICER.username, OFFICER.password);
    // Only its commune in the menu-less overview too: one device, and the other commune's bulletin is not listed.
    const overview = await api.request<{ devices: { total: number } }>('GET', '/api/v1/overview');
    expect(overview.body.devices.total).toBe(2); // the admin sees both
    await page.waitForSelector('[data-testid=logout]');
    expect(await page.textContent('body')).not.toContain(TITLE);
    await shot(page, '09-officer-overview-phone');
    await page.goto(`${server.baseUrl}/#/devices`);
    await page.waitForSelector('[data-testid=device-row]');
    const ids = await page.$$eval('[data-testid=device-row]', (rows) => rows.map((r) => r.getAttribute('data-device-id')));
    expect(ids).toEqual(['loa-vanthang-01']);
    await shot(page, '10-officer-devices-phone');
    // Another commune's device page does not open for it.
    await page.goto(`${server.baseUrl}/#/device/loa-taydang-01`);
    await page.waitForSelector('[role=alert]');
    expect(await page.textContent('body')).not.toContain('Cụm loa thôn Yên Thịnh');
    await shot(page, '11-officer-other-commune-refused');
    await page.close();
  });

  it('an emergency alert sent by an operator goes out only once a second person confirms it', async () => {
    const { api } = server;
    const operator = { username: 'bientap.bavi', password: 'ba-vi-operator-1' };
    await api.post('/api/v1/users', { username: operator.username, password: operator.password, role: 'operator', areaCode: '271' });
    const op = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await login(op, operator.username, operator.password);
    await op.goto(`${server.baseUrl}/#/alerts`);
    await op.selectOption('[data-testid=alert-area]', '09955');
    await op.selectOption('[data-testid=alert-content]', bulletinId);
    await op.click('[data-testid=alert-send]');
    await op.waitForSelector('[data-testid=alert-confirm-dialog]');
    await shot(op, '12-alert-confirm-dialog');
    await op.click('[data-testid=alert-send-confirm]');
    const pending = await op.waitForSelector('[data-testid=alert-row][data-status=pending]');
    const alertId = await pending.getAttribute('data-alert-id');
    // The requester cannot confirm its own alert, and nothing has been published yet.
    expect(await (await pending.$('[data-testid=alert-confirm]'))?.isDisabled()).toBe(true);
    expect((await api.get<{ status: string }>(`/api/v1/alerts/${alertId}`)).status).toBe('pending');
    await shot(op, '13-alert-pending');

    const admin = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await login(admin, ADMIN_USERNAME, ADMIN_PASSWORD);
    await admin.goto(`${server.baseUrl}/#/alerts`);
    await (await admin.waitForSelector(`[data-testid=alert-row][data-alert-id="${alertId}"] [data-testid=alert-confirm]`)).click();
    await admin.waitForSelector(`[data-testid=alert-row][data-alert-id="${alertId}"][data-status=active]`, { timeout: 20_000 });
    const confirmed = await api.get<{ status: string; confirmedBy: string | null }>(`/api/v1/alerts/${alertId}`);
    expect(confirmed.status).toBe('active');
    expect(confirmed.confirmedBy).toBeTruthy();
    await shot(admin, '14-alert-confirmed');
    // The requester's page follows (it polls while open).
    await op.waitForSelector(`[data-testid=alert-row][data-alert-id="${alertId}"][data-status=active]`, { timeout: 20_000 });
    await op.close();
    await admin.close();
  });
});
