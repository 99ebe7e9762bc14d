import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { PlaybackEvent, Slot } from '@loa/shared';
import type { BoardServer } from '../src/features/board/board.js';
import { SystemClock } from '../src/clock.js';
import { Executor } from '../src/features/playback/executor.js';
import { MediaCache } from '../src/features/media/media-cache.js';
import { createLogger } from '../src/logger.js';
import { FfmpegPlayer } from '../src/features/playback/player.js';
import { BoardRunner, RelayRunner, SpeakerRunner, type SlotRunner } from '../src/features/playback/runners.js';
import { OccurrenceLedger } from '../src/features/playback/occurrence-ledger.js';
import { makeTone, probeDuration } from './audio.js';
import { silentLogger, tempDir, waitFor } from './helpers.js';
import { sha256, startMediaServer, type MediaServer } from './media-server.js';

const base = { scheduleId: 's', contentId: 'c', title: 't' };

describe('speaker with real ffmpeg', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let media: MediaServer;
  let toneSha: string;
  let toneBytes: number;
  let mp3: Buffer;
  const executors: Executor[] = [];

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
    await makeTone(join(dir, 'tone3.wav'), 3);
    const data = await readFile(join(dir, 'tone3.wav'));
    toneSha = sha256(data);
    toneBytes = data.length;
    await makeTone(join(dir, 'stream.mp3'), 10, 660);
    mp3 = await readFile(join(dir, 'stream.mp3'));
    media = await startMediaServer({ user: 'spk', pass: 'pw' });
  });
  afterEach(async () => {
    for (const e of executors.splice(0)) await e.stop();
  });
  afterAll(async () => {
    await media.close();
    await cleanup();
  });

  async function setup(name: string, runnerFor: (clock: SystemClock, cache: MediaCache, player: FfmpegPlayer) => SlotRunner, logger = silentLogger()) {
    const d = join(dir, name);
    await mkdir(join(d, 'media'), { recursive: true });
    const clock = new SystemClock();
    const cache = new MediaCache({ dir: join(d, 'media'), serverUrl: media.url, deviceId: 'spk', secret: 'pw', clock, logger: silentLogger() });
    const player = new FfmpegPlayer({ output: { kind: 'file', path: join(d, 'out', '{occurrenceId}.wav') } });
    const ledger = new OccurrenceLedger(d);
    await ledger.load();
    const events: PlaybackEvent[] = [];
    const ex = new Executor({ clock, ledger, runner: runnerFor(clock, cache, player), logger, emit: async (e) => void events.push(e) });
    executors.push(ex);
    const final = (id: string) => waitFor(() => events.find((e) => e.occurrenceId === id && !['delivered', 'started'].includes(e.type)), 15_000, `outcome of ${id}`);
    return { d, ex, events, final, cache };
  }

  const audio = (id: string, startAt: number, durationMs: number, priority: Slot['priority'], sha: string, bytes: number, mediaMs: number): Slot => ({
    ...base,
    type: 'audio',
    occurrenceId: id,
    priority,
    startAt,
    durationMs,
    media: { sha256: sha, bytes, durationMs: mediaMs, mime: 'audio/wav' },
  });

  it('resumes a preempted file with -ss: the rest is played, the total adds up', async () => {
    await makeTone(join(dir, 'alert.wav'), 0.6, 880);
    const alertData = await readFile(join(dir, 'alert.wav'));
    // The executor's log says where the resumed run starts in the file: how much the first run output.
    const logLines: string[] = [];
    const logger = createLogger('info', { write: (line: string) => void logLines.push(line) }, null);
    const { d, ex, final } = await setup('resume', (clock, cache, player) => new SpeakerRunner(cache, player, clock), logger);
    await copyFile(join(dir, 'tone3.wav'), join(d, 'media', toneSha));
    await writeFile(join(d, 'media', sha256(alertData)), alertData);
    const t = Date.now();
    ex.start([
      audio('normal', t + 300, 10_000, 'normal', toneSha, toneBytes, 3000),
      audio('alert', t + 1300, 3000, 'emergency', sha256(alertData), alertData.length, 600),
    ]);
    const alertEnd = await final('alert');
    const normalEnd = await final('normal');
    expect(alertEnd).toMatchObject({ type: 'finished' });
    expect(normalEnd).toMatchObject({ type: 'finished', reason: 'resumed after preemption by alert' });
    // Both runs together output the 3 s file once, however much of it came before the alert.
    expect(normalEnd.playedMs).toBeGreaterThan(2800);
    expect(normalEnd.playedMs).toBeLessThan(3200);
    const continued = logLines.map((l) => JSON.parse(l) as { msg: string; offsetMs?: number }).find((l) => l.msg === 'playback continued');
    const firstRunMs = continued?.offsetMs ?? 0;
    expect(firstRunMs).toBeGreaterThan(0);
    // The resumed run wrote only the rest of the file (measured on its output, not taken from the agent's count):
    // what the first run left, not the whole file again.
    const rest = await probeDuration(join(d, 'out', 'normal.wav'));
    expect(Math.abs(rest - (3000 - firstRunMs) / 1000)).toBeLessThan(0.15);
  });

  it('reports failed with a clear reason when the media is missing at slot time', async () => {
    const { ex, final } = await setup('missing', (clock, cache, player) => new SpeakerRunner(cache, player, clock, 300));
    ex.start([audio('m', Date.now() + 200, 2000, 'normal', 'b'.repeat(64), 10, 1000)]);
    const end = await final('m');
    expect(end).toMatchObject({ type: 'failed' });
    expect(end.reason).toMatch(/media b{64} missing/);
  });

  it('reports failed when the cached file no longer matches its hash', async () => {
    const { d, ex, final } = await setup('corrupt', (clock, cache, player) => new SpeakerRunner(cache, player, clock, 300));
    await writeFile(join(d, 'media', toneSha), Buffer.from('bit rot'));
    ex.start([audio('c', Date.now() + 200, 4000, 'normal', toneSha, toneBytes, 3000)]);
    const end = await final('c');
    expect(end).toMatchObject({ type: 'failed' });
    expect(end.reason).toMatch(/hash mismatch on disk/);
  });

  describe('relay slots', () => {
    let upstream: Server;
    let url: string;
    const hits: Record<string, number> = {};
    beforeAll(async () => {
      upstream = createServer((req, res) => {
        const path = req.url ?? '';
        hits[path] = (hits[path] ?? 0) + 1;
        if (path === '/live.mp3' || (path === '/drop.mp3' && hits[path]! > 1)) {
          res.writeHead(200, { 'content-type': 'audio/mpeg' });
          res.end(mp3);
          return;
        }
        if (path === '/drop.mp3') {
          // about 1 s of audio, then the connection dies
          res.writeHead(200, { 'content-type': 'audio/mpeg' });
          res.write(mp3.subarray(0, Math.floor(mp3.length / 10)), () => setTimeout(() => res.socket?.destroy(), 20));
          return;
        }
        res.writeHead(404).end('no such stream');
      });
      await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
      url = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      upstream.closeAllConnections();
      await new Promise<void>((r) => upstream.close(() => r()));
    });

    const relay = (id: string, path: string, startAt: number, durationMs: number): Slot => ({ ...base, type: 'relay', occurrenceId: id, priority: 'normal', startAt, durationMs, url: `${url}${path}` });
    const relayRunner = (clock: SystemClock, _c: MediaCache, player: FfmpegPlayer) => new RelayRunner({ player, clock, retryBaseMs: 200, retryCapMs: 400 });

    it('plays the stream for the slot duration', async () => {
      const { d, ex, events, final } = await setup('relay-ok', relayRunner);
      const slot = relay('r1', '/live.mp3', Date.now() + 200, 2500);
      ex.start([slot]);
      const end = await final('r1');
      expect(end).toMatchObject({ type: 'finished' });
      expect(end.reason).toBeUndefined();
      // Never past the window; and, from whenever it started (later on a busy machine), on air to the window's end.
      const started = events.find((e) => e.occurrenceId === 'r1' && e.type === 'started')!;
      expect(end.playedMs).toBeLessThanOrEqual(2600);
      expect(end.playedMs).toBeGreaterThanOrEqual(slot.startAt + slot.durationMs - started.at - 100);
      // The report matches what reached the output.
      expect(Math.abs((await probeDuration(join(d, 'out', 'r1.wav'))) - end.playedMs! / 1000)).toBeLessThan(0.1);
    });

    it('gets back on air when the stream drops mid-way, and says so', async () => {
      const { ex, final } = await setup('relay-drop', relayRunner);
      ex.start([relay('r2', '/drop.mp3', Date.now() + 200, 4000)]);
      const end = await final('r2');
      expect(end).toMatchObject({ type: 'finished' });
      expect(hits['/drop.mp3']).toBeGreaterThanOrEqual(2); // reconnected (by ffmpeg itself or by the retry)
      expect(end.playedMs).toBeGreaterThan(2500);
    });

    it('fails with the reason when the stream never plays', async () => {
      const { ex, final } = await setup('relay-404', relayRunner);
      ex.start([relay('r3', '/missing.mp3', Date.now() + 200, 2000)]);
      const end = await final('r3');
      expect(end).toMatchObject({ type: 'failed' });
      expect(end.reason).toMatch(/relay never played \(\d+ attempts\).*404/s);
      expect(hits['/missing.mp3']).toBeGreaterThanOrEqual(2); // retried within the slot
    });
  });

  it('a board skips relay slots', () => {
    const runner = new BoardRunner({} as BoardServer, new SystemClock());
    expect(runner.unsupported({ ...base, type: 'relay', occurrenceId: 'x', priority: 'normal', startAt: 0, durationMs: 1, url: 'http://a/b' })).toBe('board cannot relay audio');
  });
});
