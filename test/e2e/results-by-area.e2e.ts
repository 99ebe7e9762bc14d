/**
 * Issue 19, items 3 and 4 in a real Chromium against one real server: a district-wide bulletin's results grouped
 * by commune with % played and the failures first, at desktop size and on a 390×844 phone, filtered to one
 * commune; and a device page that keeps what is still to come ("Sắp phát") apart from what has played ("Đã phát")
 * and shows nothing of the previous device when the next one is refused.
 *
 * The eight loudspeakers are simulated devices: each acknowledges its timeline and reports its proof of play over
 * MQTT with its own credentials, as the agent does (started → finished, or failed), so the failures are real
 * reports, not database edits. Screenshots land in test-artifacts/screenshots/.
 */
import { jest } from '@jest/globals';
import { cpSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import mqtt from 'mqtt';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { deviceTopic, encodeMessage, type PlaybackEvent } from '@loa/shared';
import type { ScheduleResults, ScheduleView } from '@loa/shared/rest';
import { REPO_ROOT, loa, makeTone, spawnServer, stopAll, tempDir, waitFor, type TestServer } from './support/index.js';

jest.setTimeout(300_000);

const SUITE = 'results-by-area';
const CHROMIUM = process.env.LOA_E2E_CHROMIUM ?? '/usr/bin/chromium';
const DISTRICT = '271';
const TAY_DANG = '09955';
const CHU_MINH = '09958';
const DONG_QUANG = '09961';
const OPERATOR = { username: 'vanhanh.bavi', password: 'van-hanh-bavi-2026' };
const OFFICER = { username: 'canbo.taydang', password: 'canbo-taydang-2026' };
const DESKTOP = { viewport: { width: 1280, height: 900 }, locale: 'vi-VN' };
const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, locale: 'vi-VN' };
/** Far enough ahead that the results part runs before the first slot; the device part then waits for it to pass. */
const LEAD_MS = 75_000;

type Report = 'played' | 'failed' | 'delivered';
/** Which loudspeaker says what about the bulletin's first slot: Chu Minh fails on two of three. */
const FLEET: Array<{ id: string; name: string; area: string; report: Report }> = [
  { id: 'loa-taydang-01', name: 'Cụm loa thôn Yên Thịnh', area: TAY_DANG, report: 'played' },
  { id: 'loa-taydang-02', name: 'Cụm loa thôn Đông Phong', area: TAY_DANG, report: 'played' },
  { id: 'loa-taydang-03', name: 'Cụm loa chợ Tây Đằng', area: TAY_DANG, report: 'played' },
  { id: 'loa-chuminh-01', name: 'Cụm loa thôn Mai Trai', area: CHU_MINH, report: 'failed' },
  { id: 'loa-chuminh-02', name: 'Cụm loa thôn Chu Chàng', area: CHU_MINH, report: 'failed' },
  { id: 'loa-chuminh-03', name: 'Cụm loa UBND xã Chu Minh', area: CHU_MINH, report: 'played' },
  { id: 'loa-dongquang-01', name: 'Cụm loa thôn Quang Ngọc', area: DONG_QUANG, report: 'played' },
  { id: 'loa-dongquang-02', name: 'Cụm loa thôn Phú Xuyên', area: DONG_QUANG, report: 'delivered' },
];

describe('results by area and the device page (issue 19)', () => {
  let server: TestServer;
  let browser: Browser;
  const shots = path.join(REPO_ROOT, 'test-artifacts/screenshots');
  const shot = (page: Page, name: string) => page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
  const secrets = new Map<string, string>();
  let scheduleId = '';
  let firstOcc = '';
  let secondOcc = '';
  let t0 = 0;

  beforeAll(async () => {
    mkdirSync(shots, { recursive: true });
    const work = tempDir(SUITE);
    // A private copy of the built dashboard: a rebuild meanwhile cannot pull the page from under the browser.
    const dashboardDir = path.join(tempDir(`${SUITE}-ui`), 'dist');
    cpSync(path.join(REPO_ROOT, 'dashboard/dist'), dashboardDir, { recursive: true });
    server = await spawnServer({ suite: SUITE, env: { LOA_DASHBOARD_DIR: dashboardDir, LOA_HEARTBEAT_TIMEOUT_S: '60' } });
    const { api } = server;
    await loa.createArea(api, { code: '01', name: 'Thành phố Hà Nội', level: 'province' });
    await loa.createArea(api, { code: DISTRICT, name: 'Huyện Ba Vì', level: 'district', parentCode: '01' });
    await loa.createArea(api, { code: TAY_DANG, name: 'Xã Tây Đằng', level: 'commune', parentCode: DISTRICT });
    await loa.createArea(api, { code: CHU_MINH, name: 'Xã Chu Minh', level: 'commune', parentCode: DISTRICT });
    await loa.createArea(api, { code: DONG_QUANG, name: 'Xã Đông Quang', level: 'commune', parentCode: DISTRICT });
    for (const d of FLEET) secrets.set(d.id, (await loa.createDevice(api, { id: d.id, name: d.name, kind: 'speaker', areaCode: d.area })).secret);
    await api.post('/api/v1/users', { ...OPERATOR, role: 'operator', areaCode: DISTRICT });
    await api.post('/api/v1/users', { ...OFFICER, role: 'commune_officer', areaCode: TAY_DANG });

    // The district's morning bulletin, daily: the first slot soon, the second tomorrow.
    const media = await loa.uploadAudio(api, await makeTone(path.join(work, 'ban-tin-sang.wav'), 2, 440), 'audio/wav');
    const content = await loa.createAudioContent(api, 'Bản tin sáng huyện Ba Vì', media.sha256);
    t0 = Math.ceil((Date.now() + LEAD_MS) / 1000) * 1000;
    const saved = await api.post<ScheduleView & { fanout: { id: string } | null }>('/api/v1/schedules', {
      contentId: content.id,
      startAt: new Date(t0).toISOString(),
      rrule: 'FREQ=DAILY;COUNT=2',
      targets: { areas: [DISTRICT] },
    });
    if (saved.fanout) await loa.fanoutDone(api, saved.fanout.id);
    scheduleId = saved.id;
    const view = await api.get<ScheduleView>(`/api/v1/schedules/${scheduleId}`);
    [firstOcc, secondOcc] = [...view.occurrences].sort((a, b) => a.startAt.localeCompare(b.startAt)).map((o) => o.id) as [string, string];

    // Each loudspeaker reports the first slot over MQTT, as the agent would; the server acknowledges each batch.
    for (const d of FLEET) await report(d.id, d.report);
    // The reports are stored when the district's results say so.
    await waitFor(
      async () => {
        const r = await api.get<ScheduleResults>(`/api/v1/schedules/${scheduleId}/results?occurrenceId=${encodeURIComponent(firstOcc)}`);
        return r.played === 5 && r.failed === 2 && r.delivered === 8 ? r : undefined;
      },
      30_000,
      { what: 'the eight reports stored', intervalMs: 200 },
    );

    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  });

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await stopAll();
  });

  /**
   * One device's part, with its own credentials: it acknowledges the timeline that carries the bulletin (which is
   * what marks a delivery received), then reports its proof of play of the first slot on its events channel.
   */
  async function report(deviceId: string, what: Report): Promise<void> {
    const { timelineVersion } = await loa.getDevice(server.api, deviceId);
    const client = await mqtt.connectAsync(server.mqttUrl, { clientId: deviceId, username: deviceId, password: secrets.get(deviceId), protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 10_000 });
    try {
      await client.publishAsync(deviceTopic(deviceId, 'timeline/ack'), Buffer.from(encodeMessage({ v: 1, version: timelineVersion })), { qos: 1 });
      const at = Date.now();
      const ev = (n: number, type: PlaybackEvent['type'], extra: Partial<PlaybackEvent> = {}): PlaybackEvent => ({ id: `${deviceId}-${n}`, occurrenceId: firstOcc, type, at: at + n, ...extra });
      const events: PlaybackEvent[] =
        what === 'played'
          ? [ev(1, 'delivered'), ev(2, 'started'), ev(3, 'finished', { playedMs: 2000, heardMs: 2000, itemMs: 2000 })]
          : what === 'failed'
            ? [ev(1, 'delivered'), ev(2, 'failed', { reason: 'audio output error' })]
            : [ev(1, 'delivered')];
      // QoS 1: resolved on the broker's PUBACK, which the server gives once the batch is durably stored.
      await client.publishAsync(deviceTopic(deviceId, 'events'), Buffer.from(encodeMessage({ v: 1, events })), { qos: 1 });
    } finally {
      await client.endAsync();
    }
  }

  async function open(options: Parameters<Browser['newContext']>[0], who: { username: string; password: string }): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext(options);
    const page = await context.newPage();
    await page.goto(server.baseUrl, { waitUntil: 'domcontentloaded' });
    await page.fill('input[name=username]', who.username);
    await page.fill('input[name=password]', who.password);
    await page.click('button[type=submit]');
    await page.waitForSelector('[data-testid=logout]', { state: 'attached' });
    return { context, page };
  }

  /** In the page: the device list holds exactly `n` rows, all of area `code` (run as text: the tests have no DOM types). */
  const onlyRowsOf = (code: string, n: number) =>
    `(() => { const rows = [...document.querySelectorAll('[data-testid=delivery-row]')]; return rows.length === ${n} && rows.every((r) => r.getAttribute('data-area-code') === ${JSON.stringify(code)}); })()`;

  const areaOrder = (page: Page) => page.$$eval('[data-testid=results-area-row]', (rows) => rows.map((r) => `${r.getAttribute('data-area-code')}:${r.getAttribute('data-played')}/${r.getAttribute('data-total')}:${r.getAttribute('data-failed')}`));

  it("shows a district operator the bulletin by commune at desktop size, failures first, and filters to one commune", async () => {
    const { context, page } = await open(DESKTOP, OPERATOR);
    try {
      await page.goto(`${server.baseUrl}/#/deliveries/${scheduleId}?occurrence=${encodeURIComponent(firstOcc)}`);
      await page.waitForSelector(`[data-testid=results-summary][data-area-code="${DISTRICT}"][data-played="5"][data-total="8"][data-failed="2"]`);
      await page.waitForSelector('[data-testid=results-area-row]');
      // Chu Minh (2 failures) on top, then Đông Quang (1 of 2 played), then Tây Đằng (all played).
      expect(await areaOrder(page)).toEqual([`${CHU_MINH}:1/3:2`, `${DONG_QUANG}:1/2:0`, `${TAY_DANG}:3/3:0`]);
      expect(await page.textContent('[data-testid=results-played]')).toContain('Đã phát 5 / 8');
      expect(await page.getAttribute(`[data-testid=results-area-row][data-area-code="${CHU_MINH}"]`, 'data-pct')).toBe('33');
      // The devices below: every district device, the failures first.
      await page.waitForSelector('[data-testid=delivery-row]');
      expect(await page.$$eval('[data-testid=delivery-row]', (rows) => rows.slice(0, 2).map((r) => r.getAttribute('data-state')))).toEqual(['failed', 'failed']);
      expect(await page.locator('[data-testid=delivery-row]').count()).toBe(8);
      await shot(page, 'results-by-area-desktop');

      // Filter to Chu Minh: the summary, the rows and the device list are that commune's alone.
      await page.selectOption('[data-testid=area-filter]', CHU_MINH);
      await page.waitForSelector(`[data-testid=results-summary][data-area-code="${CHU_MINH}"][data-played="1"][data-total="3"][data-failed="2"]`);
      await page.waitForFunction(onlyRowsOf(CHU_MINH, 3));
      expect(await page.$$eval('[data-testid=delivery-row]', (rows) => rows.map((r) => `${r.getAttribute('data-device-id')}:${r.getAttribute('data-state')}`))).toEqual([
        // Failures first, then by name: thôn Chu Chàng before thôn Mai Trai.
        'loa-chuminh-02:failed',
        'loa-chuminh-01:failed',
        'loa-chuminh-03:finished',
      ]);
      // The way back up: the district in the breadcrumb.
      expect(await page.textContent('[data-testid=results-crumbs]')).toContain('Huyện Ba Vì');
      await shot(page, 'results-by-area-desktop-chu-minh');
      await page.click(`[data-testid=crumb][data-area-code="${DISTRICT}"]`);
      await page.waitForSelector(`[data-testid=results-summary][data-area-code="${DISTRICT}"][data-total="8"]`);
    } finally {
      await context.close();
    }
  });

  it('shows the same on a 390×844 phone: commune cards that fit, failures first, a tap filters to the commune', async () => {
    const { context, page } = await open(PHONE, OPERATOR);
    try {
      await page.goto(`${server.baseUrl}/#/deliveries/${scheduleId}?occurrence=${encodeURIComponent(firstOcc)}`);
      await page.waitForSelector(`[data-testid=results-summary][data-area-code="${DISTRICT}"][data-played="5"][data-total="8"]`);
      await page.waitForSelector('[data-testid=results-area-row]');
      expect(await areaOrder(page)).toEqual([`${CHU_MINH}:1/3:2`, `${DONG_QUANG}:1/2:0`, `${TAY_DANG}:3/3:0`]);
      // Cards, not a table squeezed sideways: rows are blocks, the header row is hidden, nothing is wider than the screen.
      const layout = await page.evaluate<{ row: string; head: string; rowWidth: number; page: number }>(`(() => {
        const row = document.querySelector('[data-testid=results-area-row]');
        const head = document.querySelector('[data-testid=results-area-table] thead');
        return { row: getComputedStyle(row).display, head: getComputedStyle(head).display, rowWidth: row.getBoundingClientRect().width, page: document.documentElement.scrollWidth };
      })()`);
      expect(layout).toMatchObject({ row: 'block', head: 'none' });
      expect(layout.rowWidth).toBeLessThanOrEqual(390);
      expect(layout.page).toBeLessThanOrEqual(390);
      await shot(page, 'results-by-area-phone');

      // A tap on Chu Minh's card filters everything below to it.
      await page.tap(`[data-testid=results-area-row][data-area-code="${CHU_MINH}"]`);
      await page.waitForSelector(`[data-testid=results-summary][data-area-code="${CHU_MINH}"][data-failed="2"]`);
      await page.waitForFunction(onlyRowsOf(CHU_MINH, 3));
      expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
      await shot(page, 'results-by-area-phone-chu-minh');
    } finally {
      await context.close();
    }
  });

  it("splits a device's played slot from its upcoming one, and a refused device shows nothing of the previous one", async () => {
    // The device page splits at the server's clock: wait until the first slot has started there.
    await waitFor(
      async () => {
        const past = await server.api.get<Array<{ occurrenceId: string }>>('/api/v1/devices/loa-taydang-01/deliveries?when=past');
        return past.some((x) => x.occurrenceId === firstOcc) ? past : undefined;
      },
      LEAD_MS + 60_000,
      { what: 'the first slot to have started', intervalMs: 500 },
    );
    const { context, page } = await open(PHONE, OFFICER);
    try {
      await page.goto(`${server.baseUrl}/#/device/loa-taydang-01`);
      await page.waitForSelector('[data-testid=device-header]');
      const played = page.locator('[data-testid=device-played] [data-testid=device-delivery-row]');
      const upcoming = page.locator('[data-testid=device-upcoming] [data-testid=device-delivery-row]');
      await played.first().waitFor();
      await upcoming.first().waitFor();
      expect(await played.count()).toBe(1);
      expect(await upcoming.count()).toBe(1);
      expect(await played.first().getAttribute('data-occurrence-id')).toBe(firstOcc);
      expect(await played.first().getAttribute('data-state')).toBe('finished');
      expect(await upcoming.first().getAttribute('data-occurrence-id')).toBe(secondOcc);
      // Received with the same timeline the device acknowledged, not played yet.
      expect(await upcoming.first().getAttribute('data-state')).toBe('delivered');
      // "Sắp phát" above "Đã phát".
      const [upY, playedY] = await Promise.all([page.locator('[data-testid=device-upcoming]').boundingBox(), page.locator('[data-testid=device-played]').boundingBox()]);
      expect(upY!.y).toBeLessThan(playedY!.y);
      expect(await page.textContent('[data-testid=device-deliveries]')).toContain('Sắp phát');
      expect(await page.textContent('body')).toContain('Cụm loa thôn Yên Thịnh');
      await shot(page, 'device-upcoming-played-phone');

      // Another commune's loudspeaker: refused; the page shows the error and nothing of Yên Thịnh's.
      await page.evaluate(`window.location.hash = '#/device/loa-chuminh-01'`);
      await page.waitForSelector('[data-testid=device-error]');
      expect(await page.locator('[data-testid=device-header]').count()).toBe(0);
      expect(await page.locator('[data-testid=device-deliveries]').count()).toBe(0);
      const body = (await page.textContent('body')) ?? '';
      expect(body).not.toContain('Cụm loa thôn Yên Thịnh');
      expect(body).not.toContain('loa-taydang-01');
      expect(await page.textContent('[data-testid=device-error]')).toContain('loa-chuminh-01');
      await shot(page, 'device-refused-phone');
    } finally {
      await context.close();
    }
  });
});
