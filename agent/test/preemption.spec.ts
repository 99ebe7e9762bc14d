import type { PlaybackEvent, Slot } from '@loa/shared';
import { ManualClock, SystemClock, type Clock } from '../src/clock.js';
import { Executor, preemptPolicyOf } from '../src/features/playback/executor.js';
import type { PlayResult } from '../src/features/playback/player.js';
import { BoardRunner, type RunHandle, type RunOptions, type SlotRunner } from '../src/features/playback/runners.js';
import { OccurrenceLedger } from '../src/features/playback/occurrence-ledger.js';
import { BoardServer } from '../src/features/board/board.js';
import { silentLogger, tempDir, waitFor } from './helpers.js';

const T0 = 1_750_000_000_000;
const SHA = 'a'.repeat(64);

const audio = (id: string, startS: number, mediaS: number, windowS: number, priority: Slot['priority'] = 'normal', extra: Partial<Slot> = {}): Slot =>
  ({
    type: 'audio',
    occurrenceId: id,
    scheduleId: 'sch',
    contentId: 'c',
    title: id,
    priority,
    startAt: T0 + startS * 1000,
    durationMs: windowS * 1000,
    media: { sha256: SHA, bytes: 1000, durationMs: mediaS * 1000, mime: 'audio/mpeg' },
    ...extra,
  }) as Slot;

/**
 * Stands in for the speaker's ffmpeg in ordering tests: "plays" the rest of the media (from the offset, capped by
 * maxMs) on the injected clock, and records every start.
 */
class TimedRunner implements SlotRunner {
  readonly runs: Array<{ id: string; at: number; offsetMs: number; maxMs: number | undefined }> = [];
  constructor(private readonly clock: Clock) {}

  unsupported(slot: Slot): string | null {
    return slot.type === 'relay' ? 'cannot relay here' : null;
  }

  async run(slot: Slot, opts: RunOptions = {}): Promise<RunHandle> {
    const offsetMs = opts.offsetMs ?? 0;
    const t0 = this.clock.now();
    this.runs.push({ id: slot.occurrenceId, at: t0, offsetMs, maxMs: opts.maxMs });
    const full = slot.type === 'audio' ? slot.media.durationMs - offsetMs : slot.durationMs;
    const len = Math.min(full, opts.maxMs ?? full);
    let settle!: (r: PlayResult) => void;
    const done = new Promise<PlayResult>((r) => (settle = r));
    const timer = this.clock.setTimer(() => settle({ ok: true, playedMs: len }), len);
    return {
      done,
      stop: () => {
        this.clock.clearTimer(timer);
        settle({ ok: false, stopped: true, playedMs: this.clock.now() - t0 });
      },
    };
  }
}

describe('Executor: preemption policies, repeats and chains (ManualClock, timed runner)', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let clock: ManualClock;
  let runner: TimedRunner;
  let events: PlaybackEvent[];
  let ex: Executor;

  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir());
    clock = new ManualClock(T0);
    runner = new TimedRunner(clock);
    events = [];
    const ledger = new OccurrenceLedger(dir);
    await ledger.load();
    ex = new Executor({ clock, ledger, runner, logger: silentLogger(), emit: async (e) => void events.push(e) });
  });
  afterEach(async () => {
    await ex.stop();
    await cleanup();
  });

  async function settle() {
    for (let i = 0; i < 4; i++) {
      await new Promise((r) => setImmediate(r));
      await ex.flush();
    }
  }
  /** Advances to T0 + s seconds in half-second steps, letting async work settle at every step. */
  async function until(s: number) {
    while (clock.now() < T0 + s * 1000) {
      clock.advance(Math.min(500, T0 + s * 1000 - clock.now()));
      await settle();
    }
  }
  const of = (id: string) => events.filter((e) => e.occurrenceId === id);
  const types = (id: string) => of(id).map((e) => e.type);
  const final = (id: string) => of(id).at(-1)!;
  const runs = () => runner.runs.map((r) => [r.id, (r.at - T0) / 1000, r.offsetMs / 1000]);

  it('defaults: resume for normal and priority, skip for emergency; the slot policy wins', () => {
    expect(preemptPolicyOf(audio('a', 0, 1, 1))).toBe('resume');
    expect(preemptPolicyOf(audio('a', 0, 1, 1, 'priority'))).toBe('resume');
    expect(preemptPolicyOf(audio('a', 0, 1, 1, 'emergency'))).toBe('skip');
    expect(preemptPolicyOf(audio('a', 0, 1, 1, 'normal', { onPreempt: 'restart' }))).toBe('restart');
  });

  it('emergency over priority over normal: after the emergency the priority item resumes, then the normal one', async () => {
    ex.start([audio('N', 1, 20, 60), audio('P', 5, 10, 30, 'priority'), audio('E', 8, 4, 10, 'emergency')]);
    await until(40);
    expect(runs()).toEqual([
      ['N', 1, 0],
      ['P', 5, 0], // N preempted after 4 s
      ['E', 8, 0], // P preempted after 3 s
      ['P', 12, 3], // E done: the higher of the two interrupted items first, from where it stopped
      ['N', 19, 4],
    ]);
    expect(types('N')).toEqual(['delivered', 'started', 'finished']);
    expect(final('N')).toMatchObject({ playedMs: 20_000, at: T0 + 35_000, reason: 'resumed after preemption by P' });
    expect(types('P')).toEqual(['delivered', 'started', 'finished']);
    expect(final('P')).toMatchObject({ playedMs: 10_000, at: T0 + 19_000, reason: 'resumed after preemption by E' });
    expect(final('E')).toMatchObject({ type: 'finished', playedMs: 4000 });
    expect(final('E').reason).toBeUndefined();
    // exactly one terminal report per occurrence
    for (const id of ['N', 'P', 'E']) expect(of(id).filter((e) => !['delivered', 'started'].includes(e.type))).toHaveLength(1);
  });

  it('restart plays from the beginning and totals what was played', async () => {
    ex.start([audio('N', 0, 10, 60, 'normal', { onPreempt: 'restart' }), audio('E', 4, 2, 10, 'emergency')]);
    await until(30);
    expect(runs()).toEqual([
      ['N', 0, 0],
      ['E', 4, 0],
      ['N', 6, 0],
    ]);
    expect(final('N')).toMatchObject({ type: 'finished', playedMs: 14_000, reason: 'restarted after preemption by E' });
  });

  it('skip reports preempted at once and never plays the rest', async () => {
    ex.start([audio('N', 0, 10, 60, 'normal', { onPreempt: 'skip' }), audio('E', 4, 2, 10, 'emergency')]);
    await until(4);
    expect(types('N')).toEqual(['delivered', 'started', 'preempted']);
    expect(final('N')).toMatchObject({ playedMs: 4000, reason: 'preempted by E' });
    await until(30);
    expect(runs().map((r) => r[0])).toEqual(['N', 'E']);
    expect(types('N')).toEqual(['delivered', 'started', 'preempted']);
  });

  it('an item whose window closes while interrupted ends preempted, with what it played', async () => {
    ex.start([audio('N', 0, 10, 12), audio('E', 3, 20, 30, 'emergency')]);
    await until(10);
    expect(types('N')).toEqual(['delivered', 'started']);
    expect(ex.interrupted).toEqual(['N']);
    await until(12);
    expect(types('N')).toEqual(['delivered', 'started', 'preempted']);
    expect(final('N')).toMatchObject({ playedMs: 3000, at: T0 + 12_000, reason: 'preempted by E; window closed before it could resume' });
    expect(ex.interrupted).toEqual([]);
  });

  it('plays `repeat` times with `gapMs` between, totals playedMs, and stops at the window end', async () => {
    ex.start([
      audio('R', 0, 3, 13, 'normal', { repeat: 3, gapMs: 2000 }),
      audio('W', 20, 3, 7, 'normal', { repeat: 3, gapMs: 2000 }), // window fits two plays only
    ]);
    await until(40);
    expect(runs()).toEqual([
      ['R', 0, 0],
      ['R', 5, 0],
      ['R', 10, 0],
      ['W', 20, 0],
      ['W', 25, 0],
    ]);
    expect(final('R')).toMatchObject({ type: 'finished', playedMs: 9000 });
    expect(final('R').reason).toBeUndefined();
    expect(final('W')).toMatchObject({ type: 'finished', playedMs: 6000, reason: 'window ended after 2 of 3 plays' });
  });

  it('a play running into the window end is cut (with a small overrun allowance) and says so', async () => {
    clock.set(T0 + 8000); // starts 8 s late into a 10 s window of a 6 s file
    ex.start([audio('L', 0, 6, 10)]);
    await until(20);
    expect(runner.runs[0]).toMatchObject({ maxMs: 4000 }); // 2 s left + 2 s overrun
    expect(final('L')).toMatchObject({ type: 'finished', playedMs: 4000, reason: 'cut at the end of its window during play 1 of 1' });
  });

  it('an interruption during the gap continues with the next play', async () => {
    ex.start([audio('R', 0, 3, 30, 'normal', { repeat: 2, gapMs: 4000 }), audio('E', 4, 2, 10, 'emergency')]);
    await until(30);
    expect(runs()).toEqual([
      ['R', 0, 0],
      ['E', 4, 0],
      ['R', 6, 0],
    ]);
    expect(final('R')).toMatchObject({ type: 'finished', playedMs: 6000, reason: 'resumed after preemption by E' });
  });

  it('skips at slot time what the device cannot render', async () => {
    ex.start([{ type: 'relay', occurrenceId: 'X', scheduleId: 's', contentId: 'c', title: 'relay', priority: 'normal', startAt: T0 + 2000, durationMs: 5000, url: 'http://x/y' }]);
    await until(1);
    expect(types('X')).toEqual(['delivered']);
    await until(2);
    expect(types('X')).toEqual(['delivered', 'skipped']);
    expect(final('X').reason).toBe('cannot relay here');
    expect(runner.runs).toEqual([]);
  });

  it('reports an interrupted item failed when the agent stops, and nothing twice', async () => {
    ex.start([audio('N', 0, 10, 60), audio('E', 2, 20, 30, 'emergency')]);
    await until(3);
    await ex.stop();
    expect(types('N')).toEqual(['delivered', 'started', 'failed']);
    expect(final('N')).toMatchObject({ playedMs: 2000, reason: 'agent stopped while the item was preempted' });
    expect(types('E')).toEqual(['delivered', 'started', 'failed']);
  });
});

describe('Executor with a board: a preempted text resumes for the rest of its window', () => {
  it('shows the routine text again after the alert', async () => {
    const { dir, cleanup } = await tempDir();
    const clock = new ManualClock(T0);
    const board = new BoardServer({ host: '127.0.0.1', port: 0, logger: silentLogger(), now: () => clock.now() });
    await board.start();
    const events: PlaybackEvent[] = [];
    const ledger = new OccurrenceLedger(dir);
    await ledger.load();
    const ex = new Executor({ clock, ledger, runner: new BoardRunner(board, clock), logger: silentLogger(), emit: async (e) => void events.push(e) });
    const text = (id: string, s: number, d: number, priority: Slot['priority']): Slot => ({ type: 'text', occurrenceId: id, scheduleId: 's', contentId: 'c', title: id, priority, startAt: T0 + s * 1000, durationMs: d * 1000, text: id });
    try {
      ex.start([text('routine', 0, 20, 'normal'), text('alert', 5, 5, 'emergency')]);
      for (let t = 0; t < 25; t++) {
        clock.advance(1000);
        for (let i = 0; i < 4; i++) {
          await new Promise((r) => setImmediate(r));
          await ex.flush();
        }
        if (t === 6) expect(board.state.current?.occurrenceId).toBe('alert');
        if (t === 12) expect(board.state.current?.occurrenceId).toBe('routine');
      }
      const routine = events.filter((e) => e.occurrenceId === 'routine');
      expect(routine.map((e) => e.type)).toEqual(['delivered', 'started', 'finished']);
      expect(routine.at(-1)).toMatchObject({ at: T0 + 20_000, playedMs: 15_000, reason: 'resumed after preemption by alert' });
    } finally {
      await ex.stop();
      await board.stop();
      await cleanup();
    }
  });
});

describe('Executor: precise start on the system clock', () => {
  it('starts within a few ms of the target, as a plain timer of the same process does', async () => {
    const { dir, cleanup } = await tempDir();
    const clock = new SystemClock();
    const starts: number[] = [];
    const ledger = new OccurrenceLedger(dir);
    await ledger.load();
    const ex = new Executor({
      clock,
      ledger,
      logger: silentLogger(),
      emit: async () => undefined,
      runner: {
        run: async () => {
          starts.push(Date.now());
          return { done: new Promise<PlayResult>((r) => setTimeout(() => r({ ok: true, playedMs: 50 }), 50)), stop: () => undefined };
        },
      },
    });
    try {
      const base = Date.now();
      const slots = [0, 1, 2, 3, 4].map((i) => audio(`p${i}`, 0, 0.05, 0.2, 'normal', { startAt: base + 400 + i * 300 }));
      ex.start(slots);
      // The baseline: a plain timer per target in this same event loop. A busy machine delays it as much as the
      // executor; a start that waited for a coarse tick or a poll would not keep up with it.
      const baseline: number[] = [];
      for (const s of slots) setTimeout(() => baseline.push(Date.now() - s.startAt), s.startAt - Date.now());
      await waitFor(() => starts.length === 5 && baseline.length === 5, 10_000, 'five starts and five baseline timers');
      const late = starts.map((s, i) => s - slots[i]!.startAt);
      for (const l of late) expect(l).toBeGreaterThanOrEqual(0); // never early
      // Typically 0–1 ms each on an idle machine; medians keep one starved moment from deciding.
      const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[2]!;
      expect(median(late)).toBeLessThanOrEqual(Math.max(0, median(baseline)) + 10);
    } finally {
      await ex.stop();
      await cleanup();
    }
  });
});
