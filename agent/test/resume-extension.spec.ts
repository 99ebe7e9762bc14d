import type { PlaybackEvent, Slot } from '@loa/shared';
import { ManualClock } from '../src/clock.js';
import { Executor } from '../src/features/playback/executor.js';
import type { PlayResult } from '../src/features/playback/player.js';
import type { RunHandle, RunOptions, SlotRunner } from '../src/features/playback/runners.js';
import { OccurrenceLedger } from '../src/features/playback/occurrence-ledger.js';
import { silentLogger, tempDir } from './helpers.js';

/**
 * Issue 12: what `resume`/`restart` promise audio when the window is too short. The lost time is won back from
 * free time only (up to the next slot's start); what still does not fit ends `preempted` with heardMs < itemMs.
 * A stand-in runner "outputs" the media on a ManualClock and reports it as ffmpeg would (mediaMs).
 */
const T0 = 1_750_000_000_000;
const audio = (id: string, startS: number, mediaS: number, windowS: number, priority: Slot['priority'] = 'normal', extra: Partial<Slot> = {}): Slot =>
  ({ type: 'audio', occurrenceId: id, scheduleId: 's', contentId: 'c', title: id, priority, startAt: T0 + startS * 1000, durationMs: windowS * 1000, media: { sha256: 'a'.repeat(64), bytes: 1, durationMs: mediaS * 1000, mime: 'audio/wav' }, ...extra }) as Slot;

class OutputRunner implements SlotRunner {
  readonly runs: Array<[string, number, number, number]> = [];
  constructor(private readonly clock: ManualClock) {}
  async run(slot: Slot, opts: RunOptions = {}): Promise<RunHandle> {
    const offsetMs = opts.offsetMs ?? 0;
    const t0 = this.clock.now();
    const full = slot.type === 'audio' ? slot.media.durationMs - offsetMs : slot.durationMs;
    const len = Math.min(full, opts.maxMs ?? full);
    this.runs.push([slot.occurrenceId, (t0 - T0) / 1000, offsetMs / 1000, len / 1000]);
    let settle!: (r: PlayResult) => void;
    const done = new Promise<PlayResult>((r) => (settle = r));
    const timer = this.clock.setTimer(() => settle({ ok: true, playedMs: len, mediaMs: len }), len);
    return {
      done,
      stop: () => {
        this.clock.clearTimer(timer);
        const out = this.clock.now() - t0;
        settle({ ok: false, stopped: true, playedMs: out, mediaMs: out });
      },
    };
  }
}

describe('Executor: resume wins lost time back from free time only', () => {
  let clock: ManualClock;
  let runner: OutputRunner;
  let events: PlaybackEvent[];
  let ex: Executor;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    let dir: string;
    ({ dir, cleanup } = await tempDir());
    clock = new ManualClock(T0);
    runner = new OutputRunner(clock);
    events = [];
    const ledger = new OccurrenceLedger(dir);
    await ledger.load();
    ex = new Executor({ clock, ledger, runner, logger: silentLogger(), emit: async (e) => void events.push(e), overrunMs: 0 });
  });
  afterEach(async () => {
    await ex.stop();
    await cleanup();
  });
  async function until(s: number) {
    while (clock.now() < T0 + s * 1000) {
      clock.advance(Math.min(500, T0 + s * 1000 - clock.now()));
      for (let i = 0; i < 4; i++) {
        await new Promise((r) => setImmediate(r));
        await ex.flush();
      }
    }
  }
  const final = (id: string) => events.filter((e) => e.occurrenceId === id).at(-1)!;

  it('extends up to the next slot, then reports preempted with what was heard', async () => {
    // 30 s bulletin in a 30 s window, an 8 s alert at 8 s, the next bulletin at 34 s: 4 of the 8 lost seconds are free.
    ex.start([audio('B', 0, 30, 30), audio('E', 8, 8, 8, 'emergency'), audio('N', 34, 5, 10)]);
    await until(50);
    expect(runner.runs).toEqual([
      ['B', 0, 0, 30],
      ['E', 8, 0, 8],
      ['B', 16, 8, 18],
      ['N', 34, 0, 5],
    ]);
    expect(final('B')).toMatchObject({ type: 'preempted', playedMs: 26_000, heardMs: 26_000, itemMs: 30_000, at: T0 + 34_000 });
    expect(final('N')).toMatchObject({ type: 'finished', heardMs: 5000, itemMs: 5000 });
  });

  it('does not extend while another item waits for the output', async () => {
    ex.start([audio('B', 0, 10, 10), audio('P', 2, 2, 30, 'priority', { onPreempt: 'skip' }), audio('E', 2, 2, 2, 'emergency'), audio('W', 3, 1, 30)]);
    await until(40);
    // E then P take 2..6; B resumes in its window only because W waits; W plays after.
    expect(runner.runs.map((r) => r[0])).toEqual(['B', 'E', 'P', 'B', 'W']);
    expect(runner.runs[3]).toEqual(['B', 6, 2, 4]);
    expect(final('B')).toMatchObject({ type: 'preempted', heardMs: 6000, itemMs: 10_000 });
  });

  it('restart: a part heard twice counts once in heardMs, every output in playedMs', async () => {
    ex.start([audio('R', 0, 10, 20, 'normal', { onPreempt: 'restart' }), audio('E', 4, 2, 2, 'emergency')]);
    await until(30);
    expect(final('R')).toMatchObject({ type: 'finished', playedMs: 14_000, heardMs: 10_000, itemMs: 10_000, reason: 'restarted after preemption by E' });
  });
});
