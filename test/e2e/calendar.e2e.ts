/**
 * Issue 19, the calendar and the device list in a real Chromium against a real server process with real agents.
 * Desktop: one schedule with two times of day (06:00 and 17:00 tomorrow) made in the editor, both occurrences on the
 * calendar, the area filter, and one occurrence dragged to 09:00 (the server's state checked through the API). Phone
 * (390×844): devices as cards, never-connected and offline first with the never-connected hint, two devices
 * selected and sent setVolume together, each device's answer arriving. Screenshots in test-artifacts/screenshots/.
 */
import { jest } from '@jest/globals';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ADMIN_PASSWORD, ADMIN_USERNAME, artifactsDir, loa, spawnAgent, stopAll, spawnServer, waitFor, type TestAgent, type TestServer } from './support/index.js';

jest.setTimeout(240_000);

const SUITE = 'calendar';
const CHROMIUM = process.env.LOA_E2E_CHROMIUM ?? '/usr/bin/chromium';
const HOUR_PX = 36; // dashboard/src/pages/schedules.tsx: one hour of the grid
/** Tomorrow's date in Vietnam (UTC+7, no DST), "YYYY-MM-DD". */
const tomorrowVn = (): string => new Date(Date.now() + 7 * 3_600_000 + 86_400_000).toISOString().slice(0, 10);
const vn = (date: string, time: string): number => Date.parse(`${date}T${time}:00+07:00`);

interface ScheduleBody {
  id: string;
  times: string[];
  exdates: string[];
  rdates: string[];
  occurrences: Array<{ id: string; startAt: string; durationMs: number }>;
}

describe('calendar and device list in a real browser', () => {
  let server: TestServer;
  let browser: Browser;
  const agents: TestAgent[] = [];
  const shots = artifactsDir('screenshots');
  const shot = (page: Page, name: string) => page.screenshot({ path: path.join(shots, `calendar-${name}.png`), fullPage: true });
  const day = tomorrowVn();
  let contentId = '';
  let otherId = '';

  beforeAll(async () => {
    server = await spawnServer({ suite: SUITE, env: { LOA_HEARTBEAT_TIMEOUT_S: '60' } });
    const { api } = server;
    await loa.createArea(api, { code: '01', name: 'Thành phố Hà Nội', level: 'province' });
    await loa.createArea(api, { code: '271', name: 'Huyện Ba Vì', level: 'district', parentCode: '01' });
    await loa.createArea(api, { code: '09955', name: 'Xã Tây Đằng', level: 'commune', parentCode: '271' });
    await loa.createArea(api, { code: '09958', name: 'Xã Vạn Thắng', level: 'commune', parentCode: '271' });
    // Names sort as the cards must not: the list's own order (name A→Z) puts the online ones first.
    const a1 = await loa.createDevice(api, { id: 'spk-a1', name: 'A1 Cụm loa thôn Yên Thịnh', kind: 'speaker', areaCode: '09955' });
    const a2 = await loa.createDevice(api, { id: 'spk-a2', name: 'A2 Cụm loa thôn Đông', kind: 'speaker', areaCode: '09955' });
    const gone = await loa.createDevice(api, { id: 'spk-gone', name: 'B1 Cụm loa thôn Bằng Y', kind: 'speaker', areaCode: '09958' });
    await loa.createDevice(api, { id: 'spk-never', name: 'B2 Cụm loa chợ Vạn Thắng', kind: 'speaker', areaCode: '09958' });
    for (const d of [a1, a2, gone]) agents.push(await spawnAgent({ suite: SUITE, serverUrl: server.baseUrl, mqttUrl: server.mqttUrl, deviceId: d.device.id, secret: d.secret, kind: 'speaker', audioOutput: 'null' }));
    // spk-gone was connected once and is offline now; spk-never never connected.
    await agents.pop()!.stop();
    await waitFor(async () => (await loa.getDevice(api, 'spk-gone')).online === false || undefined, 30_000, { what: 'spk-gone offline' });
    const content = await api.post<{ id: string }>('/api/v1/contents', { type: 'relay', title: 'Đài tỉnh phát lại', url: 'http://radio.example.vn/live', durationSeconds: 1200, approve: true });
    contentId = content.id;
    // Another commune's bulletin at noon, to tell the area filter's answers apart.
    otherId = (await loa.createSchedule(api, { contentId, startAt: `${day}T12:00:00+07:00`, targets: { areas: ['09958'] } })).id;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await stopAll();
  });

  const login = async (page: Page) => {
    await page.goto(server.baseUrl, { waitUntil: 'domcontentloaded' });
    await page.fill('input[name=username]', ADMIN_USERNAME);
    await page.fill('input[name=password]', ADMIN_PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForSelector('[data-testid=logout]');
  };
  const occurrenceStarts = (page: Page, scheduleId: string) =>
    page.$$eval(`[data-testid=occurrence][data-schedule-id="${scheduleId}"]`, (els) => els.map((e) => Date.parse(e.getAttribute('data-start') ?? '')).sort((a, b) => a - b));

  it('desktop: two times of day in one schedule, the area filter, and dragging one occurrence to another time', async () => {
    const { api } = server;
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await login(page);
    await page.goto(`${server.baseUrl}/#/schedules?view=week&date=${day}`);
    await page.waitForSelector('[data-testid=calendar]');

    // The editor: tomorrow 06:00, one more time of day 17:00, onto commune Tây Đằng.
    await page.click('[data-testid=schedule-new]');
    await page.selectOption('select[name=contentId]', contentId);
    await page.fill('input[name=startAt]', `${day}T06:00`);
    await page.click('[data-testid=add-time]');
    await page.fill('input[name=time-0]', '17:00');
    await page.selectOption('select[name=area]', '09955');
    await page.waitForSelector('[data-testid=schedule-analysis] >> text=/2 lượt phát/');
    await page.waitForSelector('[data-testid=times-of-day] >> text=/06:00, 17:00/');
    await shot(page, '01-editor-two-times');
    await page.click('[data-testid=schedule-save]');
    const saved = await page.waitForSelector('[data-testid=schedule-saved]');
    const id = (await saved.getAttribute('data-schedule-id'))!;
    const stored = await api.get<ScheduleBody>(`/api/v1/schedules/${id}`);
    expect(stored.times).toEqual(['06:00', '17:00']);
    await page.click('[data-testid=schedule-saved] button.primary');

    // Both occurrences on the calendar, each as long as the content (20 minutes).
    await waitFor(async () => ((await occurrenceStarts(page, id)).length === 2 ? true : undefined), 30_000, { what: 'both occurrences drawn' });
    expect(await occurrenceStarts(page, id)).toEqual([vn(day, '06:00'), vn(day, '17:00')]);
    expect(await page.getAttribute(`[data-testid=occurrence][data-schedule-id="${id}"][data-start="${new Date(vn(day, '17:00')).toISOString()}"]`, 'title')).toContain('17:00–17:20');
    await shot(page, '02-week-two-times');

    // The area filter: the other commune shows only its own bulletin, this one only ours.
    await page.selectOption('[data-testid=cal-area] select', '09958');
    await page.waitForSelector(`[data-testid=occurrence][data-schedule-id="${otherId}"]`);
    await waitFor(async () => ((await occurrenceStarts(page, id)).length === 0 ? true : undefined), 15_000, { what: 'our schedule filtered out' });
    expect(page.url()).toContain('area=09958');
    await page.selectOption('[data-testid=cal-area] select', '09955');
    await waitFor(async () => ((await occurrenceStarts(page, id)).length === 2 ? true : undefined), 15_000, { what: 'our schedule back' });
    expect(await page.$(`[data-testid=occurrence][data-schedule-id="${otherId}"]`)).toBeNull();
    await shot(page, '03-filtered-by-area');

    // Drag the 17:00 occurrence up to 09:00 the same day, confirm, and the server has moved it.
    const block = (await page.$(`[data-testid=occurrence][data-schedule-id="${id}"][data-start="${new Date(vn(day, '17:00')).toISOString()}"]`))!;
    expect(await block.getAttribute('data-movable')).toBe('true');
    await block.scrollIntoViewIfNeeded();
    const box = (await block.boundingBox())!;
    const column = (await (await page.$(`[data-testid=cal-column][data-date="${day}"]`))!.boundingBox())!;
    const grabX = box.x + box.width / 2;
    const grabY = box.y + 4;
    await page.mouse.move(grabX, grabY);
    await page.mouse.down();
    const targetY = column.y + 9 * HOUR_PX + 4;
    for (let i = 1; i <= 10; i++) await page.mouse.move(grabX, grabY + ((targetY - grabY) * i) / 10);
    await shot(page, '04-dragging');
    await page.mouse.up();
    await page.waitForSelector('[data-testid=move-dialog]');
    expect(await page.inputValue('[data-testid=move-dialog] input[name=moveTo]')).toContain('09:00');
    await shot(page, '05-move-confirm');
    await page.click('[data-testid=move-save]');
    await page.waitForSelector('[data-testid=moved-note]');
    const moved = await api.get<ScheduleBody>(`/api/v1/schedules/${id}`);
    expect(moved.occurrences.map((o) => Date.parse(o.startAt))).toEqual([vn(day, '06:00'), vn(day, '09:00')]);
    expect(moved.rdates).toEqual([new Date(vn(day, '09:00')).toISOString()]);
    const deliveries = await loa.deliveries(api, id);
    expect(deliveries.filter((d) => d.occurrenceId === `${id}:${vn(day, '09:00')}`).map((d) => d.deviceId).sort()).toEqual(['spk-a1', 'spk-a2']);
    expect(deliveries.filter((d) => d.occurrenceId === `${id}:${vn(day, '17:00')}`)).toEqual([]);
    await waitFor(async () => ((await occurrenceStarts(page, id)).join() === [vn(day, '06:00'), vn(day, '09:00')].join() ? true : undefined), 15_000, { what: 'the moved occurrence drawn' });
    await shot(page, '06-moved');
    await page.close();
  });

  it('phone: device cards with never-connected and offline first, and setVolume sent to two selected devices', async () => {
    const { api } = server;
    const page = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    await login(page);
    await page.goto(`${server.baseUrl}/#/devices`);
    await page.waitForSelector('[data-testid=device-row][data-view=card][data-device-id=spk-a2][data-online=true]', { timeout: 30_000 });
    expect(await page.$('[data-testid=device-table]')).toBeNull();
    const order = await page.$$eval('[data-testid=device-row][data-view=card]', (els) => els.map((e) => e.getAttribute('data-device-id')));
    expect(order).toEqual(['spk-never', 'spk-gone', 'spk-a1', 'spk-a2']);
    const hint = await page.textContent('[data-testid=device-row][data-device-id=spk-never] [data-testid=never-hint]');
    expect(hint).toContain('Chưa từng kết nối');
    expect(await page.$('[data-testid=device-row][data-device-id=spk-gone] [data-testid=never-hint]')).toBeNull();
    await shot(page, '07-phone-device-cards');

    await page.check('[data-testid=device-select][data-device-id=spk-a1]');
    await page.check('[data-testid=device-select][data-device-id=spk-a2]');
    await page.waitForSelector('[data-testid=bulk-count][data-count="2"]');
    await page.selectOption('[data-testid=bulk-command]', 'setVolume');
    await page.fill('[data-testid=bulk-volume]', '35');
    await page.click('[data-testid=bulk-send]');
    await page.waitForSelector('[data-testid=bulk-result][data-device-id=spk-a1][data-state=ok]', { timeout: 30_000 });
    await page.waitForSelector('[data-testid=bulk-result][data-device-id=spk-a2][data-state=ok]', { timeout: 30_000 });
    await page.waitForSelector('[data-testid=bulk-done][data-done="2"]');
    await shot(page, '08-phone-bulk-set-volume');
    for (const id of ['spk-a1', 'spk-a2']) {
      const mine = await api.get<{ items: Array<{ state: string; command: { type: string; volume?: number } }> }>(`/api/v1/devices/${id}/commands`);
      expect(mine.items[0]).toMatchObject({ state: 'ok', command: { type: 'setVolume', volume: 35 } });
    }
    // Nothing was sent to the devices not selected.
    expect((await api.get<{ items: unknown[] }>('/api/v1/devices/spk-never/commands')).items).toEqual([]);
    await page.close();
  });
});
