/**
 * Output level proof and remote volume with the real ffmpeg: levels are measured by ebur128 on what goes to the
 * output. A 1 kHz sine with −20 dBFS peaks measures about −23 LUFS.
 */
import { execFile } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import ffmpeg from '@ffmpeg-installer/ffmpeg';
import type { PlaybackEvent, Slot } from '@loa/shared';
import { SystemClock } from '../src/clock.js';
import { deviceCommandHandlers } from '../src/features/commands/command-handlers.js';
import { Executor } from '../src/features/playback/executor.js';
import { LogRing } from '../src/logger.js';
import { OutputControl } from '../src/features/playback/output.js';
import { FfmpegPlayer, ffmpegArgs } from '../src/features/playback/player.js';
import type { RunHandle, SlotRunner } from '../src/features/playback/runners.js';
import { ToneTest } from '../src/features/commands/self-test.js';
import { Telemetry } from '../src/features/telemetry/telemetry.js';
import { OccurrenceLedger } from '../src/features/playback/occurrence-ledger.js';
import { probeDuration } from './audio.js';
import { silentLogger, tempDir, waitFor } from './helpers.js';

const run = promisify(execFile);
/** The level of the −20 dBFS test tone, with room for resampling and the K-weighting of other frequencies. */
const TONE_LUFS = { min: -26, max: -20 };

async function toneFile(path: string, seconds: number): Promise<string> {
  await run(ffmpeg.path, ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', `aevalsrc=0.1*sin(2*PI*1000*t):s=48000:d=${seconds}`, path]);
  return path;
}

describe('output level and volume (real ffmpeg)', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let tone: string;
  let longTone: string;
  let silence: string;

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
    tone = await toneFile(join(dir, 'tone.wav'), 2);
    longTone = await toneFile(join(dir, 'long-tone.wav'), 30);
    silence = join(dir, 'silence.wav');
    await run(ffmpeg.path, ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'anullsrc=r=48000:cl=mono', '-t', '1.5', silence]);
  });
  afterAll(() => cleanup());

  const meteringPlayer = (out = join(dir, 'out-{occurrenceId}.wav')) => new FfmpegPlayer({ output: { kind: 'file', path: out }, meter: true, liveVolume: true });

  describe(FfmpegPlayer.name, () => {
    it('measures the loudest momentary level of what it played, and leaves the output file as it was', async () => {
      const r = await (await meteringPlayer().play({ file: tone, occurrenceId: 'lvl' })).done;
      expect(r.ok).toBe(true);
      expect(r.maxLevelLufs).toBeGreaterThanOrEqual(TONE_LUFS.min);
      expect(r.maxLevelLufs).toBeLessThanOrEqual(TONE_LUFS.max);
      expect(await probeDuration(join(dir, 'out-lvl.wav'))).toBeCloseTo(2, 1);
    });

    it('shows a silent file as a very low level', async () => {
      const r = await (await meteringPlayer().play({ file: silence, occurrenceId: 'sil' })).done;
      expect(r.ok).toBe(true);
      expect(r.maxLevelLufs).toBeLessThanOrEqual(-70);
    });

    it('changes the volume of a running playback', async () => {
      // A long tone, so the level falls while it still plays however slow the machine; stopped once it has.
      const pb = await meteringPlayer().play({ file: longTone, occurrenceId: 'live', volume: 100 });
      await waitFor(() => (pb.levelLufs?.() ?? -200) > -30, 15_000, 'a level while playing');
      expect(pb.setVolume?.(0)).toBe(true);
      // The 400 ms momentary window empties: the output is measured silent while the playback goes on.
      await waitFor(() => (pb.levelLufs?.() ?? 0) <= -70, 15_000, 'the level to fall to silence');
      // Over a 10 s window (what telemetry reports) the loud part a moment ago still counts: a pause is not silence.
      expect(pb.levelLufs?.(10_000)).toBeGreaterThan(-30);
      pb.stop();
      const r = await pb.done;
      expect(r).toMatchObject({ ok: false, stopped: true });
      expect(pb.setVolume?.(50)).toBe(false); // over
    });

    it('keeps its old arguments without metering or live volume', () => {
      const { args } = ffmpegArgs({ file: 'in.wav', occurrenceId: 'o', volume: 80 }, { kind: 'null' });
      expect(args).toEqual(expect.arrayContaining(['-nostdin', '-af', 'volume=0.80']));
      expect(args.join(' ')).not.toMatch(/ebur128/);
      const metered = ffmpegArgs({ file: 'in.wav', occurrenceId: 'o' }, { kind: 'null' }, { meter: true, liveVolume: true }).args;
      expect(metered).not.toContain('-nostdin');
      expect(metered.join(' ')).toMatch(/volume=1\.00,asplit=2.*ebur128=framelog=info/);
    });
  });

  describe(OutputControl.name, () => {
    it('plays at slot volume × device volume, and nothing audible when muted', async () => {
      const output = new OutputControl({ player: meteringPlayer(), dataDir: dir, logger: silentLogger() });
      await output.load();
      await output.set({ volume: 50 });
      // 0.5 × 0.5 = −12 dB under the tone.
      const quieter = await (await output.play({ file: tone, occurrenceId: 'q', volume: 50 })).done;
      expect(quieter.maxLevelLufs).toBeGreaterThanOrEqual(TONE_LUFS.min - 12);
      expect(quieter.maxLevelLufs).toBeLessThanOrEqual(TONE_LUFS.max - 12);
      await output.set({ muted: true });
      const muted = await (await output.play({ file: tone, occurrenceId: 'm', volume: 100 })).done;
      expect(muted.ok).toBe(true);
      expect(muted.maxLevelLufs).toBeLessThanOrEqual(-70);
    });
  });

  describe('executor reports and telemetry', () => {
    it('carries the measured level in the final playback event and in telemetry while playing', async () => {
      const clock = new SystemClock();
      const output = new OutputControl({ player: meteringPlayer(), dataDir: join(dir, 'exec'), logger: silentLogger() });
      await output.load();
      const ledger = new OccurrenceLedger(join(dir, 'exec'));
      await ledger.load();
      const files: Record<string, string> = { loud: tone, quiet: silence, muted: tone };
      const runner: SlotRunner = { run: (s, o) => output.play({ file: files[s.occurrenceId]!, occurrenceId: s.occurrenceId, ...(o?.maxMs !== undefined ? { maxMs: o.maxMs } : {}) }) as Promise<RunHandle> };
      const events: PlaybackEvent[] = [];
      const executor = new Executor({ clock, ledger, runner, logger: silentLogger(), emit: async (e) => void events.push(e) });
      const telemetry = new Telemetry({
        clock,
        logger: silentLogger(),
        dataDir: dir,
        publish: async () => true,
        sample: () => ({ timelineVersion: 1, playing: executor.playing, outboxSize: 0, ...output.state, outputLevelLufs: output.levelLufs() }),
      });
      const slot = (id: string): Slot => ({ type: 'audio', occurrenceId: id, scheduleId: 's', contentId: 'c', title: id, priority: 'normal', startAt: clock.now(), durationMs: 10_000, media: { sha256: 'b'.repeat(64), bytes: 1, durationMs: 2000, mime: 'audio/wav' } });
      const finalOf = (id: string) => waitFor(() => events.find((e) => e.occurrenceId === id && e.type === 'finished'), 8000, `${id} finished`);
      executor.start([]);
      try {
        executor.runNow(slot('loud'));
        await waitFor(() => executor.playing === 'loud', 15_000, 'playing');
        const sample = await waitFor(async () => {
          const s = await telemetry.sample();
          return (s.outputLevelLufs ?? -200) > -30 ? s : null;
        }, 15_000, 'a level in telemetry');
        expect(sample).toMatchObject({ playing: 'loud', volume: 100, muted: false });
        expect(sample.outputLevelLufs).toBeLessThanOrEqual(TONE_LUFS.max);
        const loud = await finalOf('loud');
        expect(loud.outputLevelLufs).toBeGreaterThanOrEqual(TONE_LUFS.min);
        expect(loud.outputLevelLufs).toBeLessThanOrEqual(TONE_LUFS.max);
        expect((await telemetry.sample()).outputLevelLufs).toBeUndefined(); // nothing plays

        executor.runNow(slot('quiet'));
        expect((await finalOf('quiet')).outputLevelLufs).toBeLessThanOrEqual(-70);

        await output.set({ muted: true });
        executor.runNow(slot('muted'));
        expect((await finalOf('muted')).outputLevelLufs).toBeLessThanOrEqual(-70);
        expect((await telemetry.sample()).muted).toBe(true);
      } finally {
        await executor.stop();
      }
    });
  });

  describe('selfTest', () => {
    it('plays a generated tone through the configured output and answers its measured level', async () => {
      const player = meteringPlayer(join(dir, 'selftest-{occurrenceId}.wav'));
      const handlers = deviceCommandHandlers({
        kind: 'speaker',
        clock: new SystemClock(),
        executor: { playing: null, runNow: () => undefined, stopPlaying: async () => null },
        runner: {},
        output: null,
        prepare: async () => undefined,
        resync: async () => null,
        restart: () => undefined,
        logs: new LogRing(),
        toneTest: new ToneTest(player),
      });
      const t0 = Date.now();
      const out = await handlers.selfTest({ type: 'selfTest', durationMs: 1500, frequencyHz: 1000 });
      expect(Date.now() - t0).toBeGreaterThanOrEqual(1400); // real time, through the output
      expect(out.data).toMatchObject({ frequencyHz: 1000, toneDbfs: -20 });
      expect(out.data?.levelLufs).toBeGreaterThanOrEqual(TONE_LUFS.min);
      expect(out.data?.levelLufs).toBeLessThanOrEqual(TONE_LUFS.max);
      expect(out.data?.durationMs).toBeGreaterThanOrEqual(1400);
      // What went to the output is the tone asked for, measured on the file (the run time grows with the load).
      const written = (await readdir(dir)).filter((f) => f.startsWith('selftest-selftest-'));
      expect(written).toHaveLength(1);
      expect(await probeDuration(join(dir, written[0]!))).toBeCloseTo(1.5, 1);
    });
  });
});
