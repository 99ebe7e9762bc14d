import type { PlaybackEvent, Slot } from '@loa/shared';
import { BoardServer } from '../src/features/board/board.js';
import { ManualClock } from '../src/clock.js';
import { Executor } from '../src/features/playback/executor.js';
import { BoardRunner, type SlotRunner } from '../src/features/playback/runners.js';
import { OccurrenceLedger } from '../src/features/playback/occurrence-ledger.js';
import { silentLogger, tempDir } from './helpers.js';

const T0 = 1_750_000_000_000;

const text = (id: string, startOffsetMs: number, durationMs: number, priority: Slot['priority'] = 'normal'): Slot => ({
  type: 'text',
  occurrenceId: id,
  scheduleId: 'sch',
  contentId: 'c',
  title: `title ${id}`,
  text: `Thông báo ${id}`,
  priority,
  startAt: T0 + startOffsetMs,
  durationMs,
});

describe('Executor (injected clock, real board, real ledger)', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let board: BoardServer;
  let clock: ManualClock;
  let events: PlaybackEvent[];
  let running: Executor[];

  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir());
    clock = new ManualClock(T0);
    board = new BoardServer({ host: '127.0.0.1', port: 0, logger: silentLogger(), now: () => clock.now() });
    await board.start();
    events = [];
    running = [];
  });
  afterEach(async () => {
    for (const e of running) await e.stop();
    await board.stop();
    await cleanup();
  });

  async function makeExecutor(runner: SlotRunner = new BoardRunner(board, clock), c: ManualClock = clock) {
    const ledger = new OccurrenceLedger(dir);
    await ledger.load();
    const ex = new Executor({ clock: c, ledger, runner, logger: silentLogger(), emit: async (e) => void events.push(e) });
    running.push(ex);
    return ex;
  }

  /** Lets async starts and reports complete (they involve real file writes). */
  async function settle(ex: Executor) {
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setImmediate(r));
      await ex.flush();
    }
  }

  async function advance(ex: Executor, ms: number, c: ManualClock = clock) {
    c.advance(ms);
    await settle(ex);
  }

  const of = (id: string) => events.filter((e) => e.occurrenceId === id).map((e) => e.type);

  it('starts on time, shows the text for its duration and reports finished', async () => {
    const ex = await makeExecutor();
    ex.start([text('a', 10_000, 3000)]);
    await settle(ex);
    expect(of('a')).toEqual(['delivered']);

    await advance(ex, 9_999);
    expect(of('a')).toEqual(['delivered']);
    expect(board.state.current).toBeNull();

    await advance(ex, 1);
    expect(of('a')).toEqual(['delivered', 'started']);
    expect(events.find((e) => e.type === 'started')?.at).toBe(T0 + 10_000);
    expect(board.state.current).toMatchObject({ occurrenceId: 'a', text: 'Thông báo a', title: 'title a' });
    expect(ex.playing).toBe('a');

    await advance(ex, 3000);
    expect(of('a')).toEqual(['delivered', 'started', 'finished']);
    expect(events.find((e) => e.type === 'finished')).toMatchObject({ playedMs: 3000, at: T0 + 13_000 });
    expect(board.state.current).toBeNull();
    expect(ex.playing).toBeNull();
  });

  it('lets a higher priority preempt, makes equal priority wait, and skips what no longer fits', async () => {
    const ex = await makeExecutor();
    ex.start([
      { ...text('normal', 10_000, 10_000), onPreempt: 'skip' },
      text('waits', 12_000, 10_000), // equal priority: waits, still inside its window at 17 s
      text('too-short', 14_000, 2_000), // equal priority: its window closes while blocked
      text('alert', 13_000, 2_000, 'emergency'),
    ]);
    await advance(ex, 10_000);
    expect(ex.playing).toBe('normal');

    await advance(ex, 3_000); // t = 13 s
    expect(of('normal')).toEqual(['delivered', 'started', 'preempted']);
    expect(events.find((e) => e.type === 'preempted')).toMatchObject({ playedMs: 3000, reason: expect.stringContaining('alert') });
    expect(ex.playing).toBe('alert');
    expect(board.state.current?.occurrenceId).toBe('alert');

    await advance(ex, 2_000); // t = 15 s: alert done; 'waits' (started 12 s) goes before 'too-short' (14 s)
    expect(of('alert')).toEqual(['delivered', 'started', 'finished']);
    expect(ex.playing).toBe('waits');

    await advance(ex, 1_000); // t = 16 s: 'too-short' window closed while 'waits' played
    expect(of('too-short')).toEqual(['delivered', 'skipped']);
    expect(of('waits')).toEqual(['delivered', 'started']);

    await advance(ex, 10_000);
    expect(of('waits')).toEqual(['delivered', 'started', 'finished']);
    expect(of('normal')).toEqual(['delivered', 'started', 'preempted']); // not replayed
  });

  it('reports passed slots as expired on start-up and starts a current one late', async () => {
    const ex = await makeExecutor();
    clock.set(T0 + 60_000);
    ex.start([text('past', 0, 5_000), text('now', 55_000, 10_000), text('future', 70_000, 1_000)]);
    await settle(ex);
    expect(of('past')).toEqual(['delivered', 'expired']);
    expect(events.find((e) => e.type === 'expired')?.reason).toMatch(/not running/);
    expect(of('now')).toEqual(['delivered', 'started']);
    expect(of('future')).toEqual(['delivered']);
    await advance(ex, 10_000);
    expect(of('now')).toEqual(['delivered', 'started', 'finished']);
    expect(of('future')).toEqual(['delivered', 'started']);
  });

  it('does not replay or re-report after a restart', async () => {
    const slots = [text('done', 1_000, 1_000), text('cut', 5_000, 10_000)];
    // the first run has its own clock, frozen at the "kill -9" so none of its timers fire again
    const firstClock = new ManualClock(T0);
    const first = await makeExecutor(new BoardRunner(board, firstClock), firstClock);
    running = running.filter((e) => e !== first);
    first.start(slots);
    await advance(first, 2_000, firstClock);
    expect(of('done')).toEqual(['delivered', 'started', 'finished']);
    await advance(first, 4_000, firstClock); // 'cut' is playing at t = 6 s
    expect(of('cut')).toEqual(['delivered', 'started']);
    board.clear();
    clock.set(T0 + 6_000);

    events = [];
    const second = await makeExecutor();
    second.start(slots);
    await advance(second, 1_000);
    expect(of('done')).toEqual([]);
    expect(of('cut')).toEqual(['failed']);
    expect(events[0]?.reason).toMatch(/restarted during playback/);
    expect(second.playing).toBeNull();
    await advance(second, 20_000);
    expect(events.map((e) => e.type)).toEqual(['failed']);
  });

  it('drops removed slots and stops a removed one that is playing', async () => {
    const ex = await makeExecutor();
    ex.start([text('x', 1_000, 5_000), text('y', 10_000, 1_000)]);
    await advance(ex, 2_000);
    expect(ex.playing).toBe('x');
    ex.setSlots([text('z', 3_000, 1_000)]);
    await settle(ex);
    expect(of('x')).toEqual(['delivered', 'started', 'skipped']);
    await advance(ex, 1_000);
    expect(of('z')).toEqual(['delivered', 'started']);
    await advance(ex, 10_000);
    expect(of('z')).toEqual(['delivered', 'started', 'finished']);
    expect(of('y')).toEqual(['delivered']); // removed before its time: never played
  });

  it('reports failed when the runner cannot start the slot', async () => {
    const ex = await makeExecutor({
      run: async () => {
        throw new Error('media abc missing');
      },
    });
    ex.start([text('m', 1_000, 1_000)]);
    await advance(ex, 1_000);
    expect(of('m')).toEqual(['delivered', 'failed']);
    expect(events.at(-1)?.reason).toBe('media abc missing');
  });
});
