/**
 * Walking skeleton: a real server process (embedded broker, SQLite), a real speaker agent and a real board agent.
 * One audio bulletin onto a commune, one text notice onto the board; the speaker's rendered output is measured
 * with ffprobe, the board page is read in a real Chromium, and the server's proof of play says finished.
 */
import { jest } from '@jest/globals';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import {
  artifactsDir,
  loa,
  makeTone,
  probeDuration,
  spawnAgent,
  spawnServer,
  stopAll,
  tempDir,
  waitFor,
  type DeliveryView,
  type TestAgent,
  type TestServer,
} from './support/index.js';

// jest.config.js's per-project testTimeout is not applied by Jest (only the root 30 s is), so set it here.
jest.setTimeout(180_000);

const SUITE = 'skeleton';
const CHROMIUM = process.env.LOA_E2E_CHROMIUM ?? '/usr/bin/chromium';
const NOTICE = 'Thông báo: Ủy ban nhân dân xã Tây Đằng tổ chức tiêm chủng mở rộng cho trẻ em dưới 5 tuổi vào sáng thứ Bảy tại trạm y tế xã.';

describe('walking skeleton: server + speaker + board', () => {
  let server: TestServer;
  let speaker: TestAgent;
  let board: TestAgent;
  let browser: Browser | undefined;
  const work = tempDir(SUITE);

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await stopAll();
  });

  it('plays an audio bulletin on the commune speaker and shows a notice on the board, with proof of play', async () => {
    server = await spawnServer({ suite: SUITE });
    const { api } = server;

    await loa.createArea(api, { code: '01', name: 'Thành phố Hà Nội', level: 'province' });
    await loa.createArea(api, { code: '09955', name: 'Xã Tây Đằng', level: 'commune', parentCode: '01' });
    const spk = await loa.createDevice(api, { id: 'spk-taydang-01', name: 'Cụm loa thôn Đông Phú', kind: 'speaker', areaCode: '09955' });
    const brd = await loa.createDevice(api, { id: 'board-taydang-01', name: 'Bảng tin UBND xã Tây Đằng', kind: 'board', areaCode: '09955' });
    expect(typeof spk.secret).toBe('string');
    expect(spk.secret.length).toBeGreaterThanOrEqual(16);

    speaker = await spawnAgent({
      suite: SUITE,
      serverUrl: server.baseUrl,
      mqttUrl: server.mqttUrl,
      deviceId: spk.device.id,
      secret: spk.secret,
      kind: 'speaker',
      audioOutput: `file:${work}/out-{occurrenceId}.wav`,
    });
    board = await spawnAgent({ suite: SUITE, serverUrl: server.baseUrl, mqttUrl: server.mqttUrl, deviceId: brd.device.id, secret: brd.secret, kind: 'board' });

    const tone = await makeTone(path.join(work, 'ban-tin-sang.mp3'), 3);
    const media = await loa.uploadAudio(api, tone, 'audio/mpeg');
    expect(media.sha256).toMatch(/^[a-f0-9]{64}$/);
    expect(media.durationMs).toBeGreaterThan(2700);
    expect(media.durationMs).toBeLessThan(3300);

    const audio = await loa.createAudioContent(api, 'Bản tin sáng xã Tây Đằng', media.sha256);
    const text = await loa.createTextContent(api, 'Thông báo tiêm chủng', NOTICE, 20);

    const startAt = Date.now() + 6000;
    const audioSchedule = await loa.createSchedule(api, { contentId: audio.id, startAt: new Date(startAt).toISOString(), targets: { areas: ['09955'] }, volume: 80 });
    const textSchedule = await loa.createSchedule(api, { contentId: text.id, startAt: new Date(startAt).toISOString(), targets: { devices: [brd.device.id] } });
    expect(audioSchedule.occurrences).toHaveLength(1);
    expect(textSchedule.occurrences).toHaveLength(1);
    expect(textSchedule.deviceCount).toBe(1);
    const audioOcc = audioSchedule.occurrences[0]!.id;

    // The board, seen the way a passer-by sees it: a real browser on the kiosk page (it updates itself over SSE).
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    await page.goto(board.boardUrl!, { waitUntil: 'domcontentloaded' });
    await waitFor(async () => ((await page.textContent('#message', { timeout: 5000 })) ?? '').includes('Tây Đằng tổ chức tiêm chủng'), 40_000, {
      what: 'the notice in #message on the board page',
    });
    expect((await page.textContent('#message'))?.trim()).toBe(NOTICE);
    await page.screenshot({ path: path.join(artifactsDir(SUITE), 'board.png') });
    const state = await board.boardState();
    expect(state.current?.text).toBe(NOTICE);
    expect(state.current?.occurrenceId).toBe(textSchedule.occurrences[0]!.id);

    // Proof of play: every delivery of both schedules reaches finished (the board shows its text for 20 s).
    const finished = (ds: DeliveryView[]) => ds.length > 0 && ds.every((d) => d.state === 'finished');
    const audioDeliveries = await waitFor(
      async () => {
        const ds = await loa.deliveries(api, audioSchedule.id);
        const mine = ds.filter((d) => d.deviceId === spk.device.id);
        return mine.length > 0 && mine.every((d) => d.state === 'finished') ? ds : undefined;
      },
      60_000,
      { what: 'speaker delivery of the audio schedule to be finished', intervalMs: 500 },
    );
    const textDeliveries = await waitFor(async () => {
      const ds = await loa.deliveries(api, textSchedule.id);
      return finished(ds) ? ds : undefined;
    }, 60_000, { what: 'board delivery of the text schedule to be finished', intervalMs: 500 });

    expect(audioDeliveries.filter((d) => d.deviceId === spk.device.id)).toEqual([
      expect.objectContaining({ occurrenceId: audioOcc, deviceId: spk.device.id, state: 'finished' }),
    ]);
    // An audio bulletin means nothing to an e-board: if the server compiles it for the board at all, the board must
    // have closed it out (skipped/failed with a reason), never left it open.
    for (const d of audioDeliveries.filter((x) => x.deviceId !== spk.device.id)) {
      expect(['finished', 'skipped', 'failed']).toContain(d.state);
    }
    expect(textDeliveries).toEqual([expect.objectContaining({ deviceId: brd.device.id, state: 'finished' })]);

    // What actually came out of the speaker: the 3 s bulletin, whole.
    const out = path.join(work, `out-${audioOcc}.wav`);
    expect(existsSync(out)).toBe(true);
    expect(statSync(out).size).toBeGreaterThan(0);
    const seconds = await probeDuration(out);
    expect(seconds).toBeGreaterThan(2.7);
    expect(seconds).toBeLessThan(3.3);
    const played = audioDeliveries.find((d) => d.deviceId === spk.device.id)!.playedMs;
    if (played !== null && played !== undefined) expect(Math.abs(played - 3000)).toBeLessThan(600);
  }, 180_000);
});
