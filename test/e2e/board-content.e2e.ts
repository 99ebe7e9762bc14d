/**
 * Board content end to end: a real server, a real board agent process and a real Chromium. One approved Vietnamese
 * notice with a style, scheduled onto a board that has a profile; the board's kiosk page and the server's preview
 * of the same content are screenshotted at the profile's resolution and must be (nearly) the same picture.
 */
import { jest } from '@jest/globals';
import ffmpegInstaller from '@ffmpeg-installer/ffmpeg';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { artifactsDir, loa, spawnAgent, spawnServer, stopAll, waitFor, type DeliveryView, type TestAgent, type TestServer } from './support/index.js';

jest.setTimeout(180_000);

const SUITE = 'board-content';
const CHROMIUM = process.env.LOA_E2E_CHROMIUM ?? '/usr/bin/chromium';
const NOTICE = 'Thông báo: Ủy ban nhân dân xã Tây Đằng tổ chức tiêm chủng';
const PROFILE = { name: 'LCD 1280×720', width: 1280, height: 720 };

/** Width and height from a PNG's IHDR chunk. */
const pngSize = (file: string): { width: number; height: number } => {
  const b = readFileSync(file);
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
};
/** Decoded RGB pixels (ffmpeg), to compare screenshots pixel by pixel. */
const rgb = (file: string): Buffer => execFileSync(ffmpegInstaller.path, ['-v', 'error', '-i', file, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], { maxBuffer: 64 * 1024 * 1024 });

describe('board content: kiosk page and server preview', () => {
  let server: TestServer;
  let board: TestAgent;
  let browser: Browser | undefined;

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await stopAll();
  });

  it('shows the same styled Vietnamese notice on the board and in the preview, at the profile resolution', async () => {
    server = await spawnServer({ suite: SUITE });
    const { api } = server;
    await loa.createArea(api, { code: '01', name: 'Thành phố Hà Nội', level: 'province' });
    await loa.createArea(api, { code: '09955', name: 'Xã Tây Đằng', level: 'commune', parentCode: '01' });
    const brd = await loa.createDevice(api, { id: 'board-taydang-02', name: 'Bảng tin UBND xã Tây Đằng', kind: 'board', areaCode: '09955' });
    const profile = await api.post<{ id: string; width: number; height: number }>('/api/v1/board-profiles', PROFILE);
    await api.expect('PATCH', `/api/v1/devices/${brd.device.id}`, 200, { profileId: profile.id });
    board = await spawnAgent({ suite: SUITE, serverUrl: server.baseUrl, mqttUrl: server.mqttUrl, deviceId: brd.device.id, secret: brd.secret, kind: 'board' });

    const content = await api.post<{ id: string; state: string }>('/api/v1/contents', {
      type: 'text',
      title: 'Thông báo tiêm chủng',
      text: NOTICE,
      displaySeconds: 40,
      style: { fontSize: 'large', color: '#ffffff', background: '#003366', mode: 'static' },
      approve: true,
    });
    expect(content.state).toBe('approved');
    const schedule = await loa.createSchedule(api, { contentId: content.id, startAt: new Date(Date.now() + 5000).toISOString(), targets: { devices: [brd.device.id] } });
    expect(schedule.deviceCount).toBe(1);

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const viewport = { width: profile.width, height: profile.height };
    const kiosk = await browser.newPage({ viewport });
    await kiosk.goto(board.boardUrl!, { waitUntil: 'domcontentloaded' });
    await waitFor(async () => ((await kiosk.textContent('#message', { timeout: 5000 })) ?? '').includes('Tây Đằng'), 40_000, { what: 'the notice on the board page' });
    expect((await kiosk.textContent('#message'))?.trim()).toBe(NOTICE);
    await kiosk.evaluate('document.fonts.ready.then(() => true)');
    const dir = artifactsDir(SUITE);
    const boardShot = path.join(dir, 'board-kiosk.png');
    await kiosk.screenshot({ path: boardShot });

    const preview = await api.request('GET', `/api/v1/contents/${content.id}/preview?profileId=${profile.id}`);
    expect(preview.status).toBe(200);
    const page = await browser.newPage({ viewport });
    await page.setContent(preview.text, { waitUntil: 'load' });
    await page.evaluate('document.fonts.ready.then(() => true)');
    expect((await page.textContent('#message'))?.trim()).toBe(NOTICE);
    const previewShot = path.join(dir, 'board-preview.png');
    await page.screenshot({ path: previewShot });

    expect(pngSize(boardShot)).toEqual({ width: PROFILE.width, height: PROFILE.height });
    expect(pngSize(previewShot)).toEqual({ width: PROFILE.width, height: PROFILE.height });
    const a = rgb(boardShot);
    const b = rgb(previewShot);
    expect(a.length).toBe(PROFILE.width * PROFILE.height * 3);
    expect(b.length).toBe(a.length);
    let differing = 0;
    let text = 0;
    for (let i = 0; i < a.length; i += 3) {
      if (Math.abs(a[i]! - b[i]!) > 24 || Math.abs(a[i + 1]! - b[i + 1]!) > 24 || Math.abs(a[i + 2]! - b[i + 2]!) > 24) differing++;
      if (a[i]! > 200 && a[i + 1]! > 200 && a[i + 2]! > 200) text++; // white glyph pixels on the #003366 background
    }
    const pixels = PROFILE.width * PROFILE.height;
    expect(differing / pixels).toBeLessThan(0.005);
    // The text really is drawn (not an empty styled box): a visible share of white pixels.
    expect(text / pixels).toBeGreaterThan(0.01);

    const finished = await waitFor(
      async () => {
        const ds = await loa.deliveries(api, schedule.id);
        return ds.length === 1 && ds[0]!.state !== 'queued' && ds[0]!.state !== 'delivered' ? ds : undefined;
      },
      20_000,
      { what: 'the board delivery to start', intervalMs: 500 },
    );
    expect((finished as DeliveryView[])[0]!.state).toMatch(/started|finished/);
  }, 180_000);
});
