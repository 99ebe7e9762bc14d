/**
 * Issue 18, "one message, every channel", end to end with real server, broker and agent processes: speech made by
 * TTS becomes audio content that carries its typed text; one ordinary schedule of it on a commune reaches the
 * commune's speaker (which plays the speech) and its board (which shows the text for the speech's length), each
 * closing its own delivery.
 */
import { jest } from '@jest/globals';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { loa, probeDuration, spawnAgent, spawnServer, stopAll, tempDir, waitFor, type ContentView, type DeliveryView } from './support/index.js';

jest.setTimeout(180_000);

const SUITE = 'one-message';
const TYPED = 'Bão số 9 vào đất liền lúc 14h30: người dân không ra khơi.';

describe('one message, every channel', () => {
  const work = tempDir(SUITE);

  afterAll(() => stopAll());

  it('plays TTS audio on the speaker and shows its typed text on the board of the same area', async () => {
    const server = await spawnServer({ suite: SUITE });
    const { api } = server;
    await loa.createArea(api, { code: '01', name: 'Tỉnh Một', level: 'province' });
    await loa.createArea(api, { code: '09955', name: 'Xã Tây Đằng', level: 'commune', parentCode: '01' });
    const spk = await loa.createDevice(api, { id: 'spk-taydang-01', name: 'Loa chợ', kind: 'speaker', areaCode: '09955' });
    const brd = await loa.createDevice(api, { id: 'board-taydang-01', name: 'Bảng tin UBND', kind: 'board', areaCode: '09955' });
    const agents = { serverUrl: server.baseUrl, mqttUrl: server.mqttUrl, suite: SUITE };
    await spawnAgent({ ...agents, deviceId: spk.device.id, secret: spk.secret, kind: 'speaker', audioOutput: `file:${work}/out-{occurrenceId}.wav` });
    const board = await spawnAgent({ ...agents, deviceId: brd.device.id, secret: brd.secret, kind: 'board' });

    const tts = await api.post<{ media: { sha256: string; durationMs: number } }>('/api/v1/tts', { text: TYPED });
    const content = await api.post<ContentView & { text: string | null }>('/api/v1/contents', { type: 'audio', title: 'Tin bão', mediaSha256: tts.media.sha256, approve: true });
    expect(content.text).toBe(TYPED);

    const schedule = await loa.createSchedule(api, { contentId: content.id, startAt: new Date(Date.now() + 6000).toISOString(), targets: { areas: ['09955'] } });
    expect(schedule.deviceCount).toBe(2);
    const occurrenceId = schedule.occurrences[0]!.id;

    const shown = await waitFor(async () => ((await board.boardState()).current?.occurrenceId === occurrenceId ? (await board.boardState()).current : undefined), 40_000, {
      what: 'the board to show the bulletin text',
      intervalMs: 250,
    });
    expect(shown?.text).toBe(TYPED);

    const deliveries = await waitFor(
      async () => {
        const ds = await loa.deliveries(api, schedule.id);
        return ds.length === 2 && ds.every((d) => d.state === 'finished') ? ds : undefined;
      },
      60_000,
      { what: 'both deliveries finished', intervalMs: 500 },
    );
    expect(deliveries.map((d: DeliveryView) => d.deviceId).sort()).toEqual([brd.device.id, spk.device.id]);

    // The speaker played the speech, whole; the board's item lasted as long (its slot is the audio's window).
    const out = path.join(work, `out-${occurrenceId}.wav`);
    expect(existsSync(out)).toBe(true);
    expect(Math.abs((await probeDuration(out)) * 1000 - tts.media.durationMs)).toBeLessThan(600);
    const onBoard = deliveries.find((d) => d.deviceId === brd.device.id)!;
    const shownMs = Number(new Date(onBoard.endedAt!)) - Number(new Date(onBoard.startedAt!));
    expect(Math.abs(shownMs - tts.media.durationMs)).toBeLessThan(1500);
  });
});
