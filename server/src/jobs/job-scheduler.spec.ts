import { jest } from '@jest/globals';
import { SchedulerRegistry } from '@nestjs/schedule';
import { silentLogger } from '../../test/support/fixtures.js';
import { InProcessNamedLocks } from '../common/named-locks.js';
import { JobLocks } from './job-locks.js';
import { JobScheduler, type PeriodicJob } from './job-scheduler.js';
import { LeaderGate, SingleInstanceLeaderGate } from './leader-gate.js';

/** A gate whose answer the test sets, counting how often a tick asked it; `change` also tells the listeners. */
class FakeGate extends LeaderGate {
  leader = true;
  asked = 0;
  private readonly listeners = new Set<(leader: boolean) => void>();
  isLeader(): boolean {
    this.asked++;
    return this.leader;
  }
  override onChange(listener: (leader: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }
  get listenerCount(): number {
    return this.listeners.size;
  }
  change(leader: boolean): void {
    this.leader = leader;
    for (const l of this.listeners) l(leader);
  }
}

/** A run the test ends when it chooses. */
function held(): { promise: Promise<void>; release: () => void } {
  let release!: () => void;
  const promise = new Promise<void>((resolve) => (release = resolve));
  return { promise, release };
}

const MIN = 60_000;

const job = (name: string, run: () => Promise<unknown>, extra: Partial<PeriodicJob> = {}): PeriodicJob => ({ name, intervalMs: MIN, runAtStart: false, run, ...extra });

describe(JobScheduler.name, () => {
  let gate: FakeGate;
  let registry: SchedulerRegistry;
  let errors: Array<Record<string, unknown>>;
  let sut: JobScheduler;

  beforeEach(() => {
    jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] });
    gate = new FakeGate();
    registry = new SchedulerRegistry();
    errors = [];
    const logger = { ...silentLogger, error: (o: Record<string, unknown>) => void errors.push(o) } as unknown as typeof silentLogger;
    sut = new JobScheduler(registry, gate, new InProcessNamedLocks(), logger);
  });

  afterEach(async () => {
    await sut.onModuleDestroy();
    jest.useRealTimers();
  });

  it('never calls a job on an instance that is not the leader, and calls it from the tick it becomes leader', async () => {
    const calls: number[] = [];
    gate.leader = false;
    sut.schedule(job('sweep', async () => void calls.push(Date.now()), { runAtStart: true }));
    expect(await sut.runNow('sweep')).toBe('not-leader');
    await jest.advanceTimersByTimeAsync(3 * MIN);
    // At start, by runNow and at three ticks the gate was asked, and every time the answer kept the job from running.
    expect(gate.asked).toBe(5);
    expect(calls).toEqual([]);

    gate.leader = true;
    const leaderFrom = Date.now();
    await jest.advanceTimersByTimeAsync(MIN);
    expect(calls).toEqual([leaderFrom + MIN]);
    expect(await sut.runNow('sweep')).toBe('done');
    expect(calls).toHaveLength(2);
  });

  it('runs the start-up jobs the moment it becomes leader, not the others', async () => {
    gate.leader = false;
    const atStart = jest.fn(async () => undefined);
    const later = jest.fn(async () => undefined);
    sut.schedule(job('at-start', atStart, { runAtStart: true }));
    sut.schedule(job('later', later));
    expect(atStart).not.toHaveBeenCalled();
    gate.change(true);
    await jest.advanceTimersByTimeAsync(0); // the job lock is taken (a microtask away), that run starts and ends
    expect(atStart).toHaveBeenCalledTimes(1); // started from the change, before the next tick
    expect(later).not.toHaveBeenCalled();
    gate.change(false);
    gate.change(true);
    await jest.advanceTimersByTimeAsync(0);
    expect(atStart).toHaveBeenCalledTimes(2);
  });

  it('lets a run in progress finish when leadership is lost mid-run, and runs nothing more until it is back', async () => {
    const runs: Array<ReturnType<typeof held>> = [];
    sut.schedule(
      job('slow', () => {
        runs.push(held());
        return runs.at(-1)!.promise;
      }),
    );
    const first = sut.runNow('slow');
    await jest.advanceTimersByTimeAsync(0); // the run has started
    gate.change(false);
    runs[0]!.release();
    expect(await first).toBe('done');
    await jest.advanceTimersByTimeAsync(3 * MIN);
    expect(runs).toHaveLength(1);
    expect(await sut.runNow('slow')).toBe('not-leader');
    gate.change(true);
    await jest.advanceTimersByTimeAsync(MIN);
    expect(runs).toHaveLength(2);
    runs[1]!.release();
  });

  it('stops listening to the gate when destroyed', async () => {
    expect(gate.listenerCount).toBe(1);
    await sut.onModuleDestroy();
    expect(gate.listenerCount).toBe(0);
  });

  it('runs at start when asked to, then at every interval', async () => {
    const atStart = jest.fn(async () => undefined);
    const later = jest.fn(async () => undefined);
    sut.schedule(job('at-start', atStart, { runAtStart: true }));
    sut.schedule(job('later', later));
    await jest.advanceTimersByTimeAsync(0);
    expect(atStart).toHaveBeenCalledTimes(1); // started at once, not after the first interval
    expect(later).not.toHaveBeenCalled();
    await jest.advanceTimersByTimeAsync(2 * MIN);
    expect(atStart).toHaveBeenCalledTimes(3);
    expect(later).toHaveBeenCalledTimes(2);
    expect(registry.getIntervals()).toEqual(['at-start', 'later']);
    expect(sut.names()).toEqual(['at-start', 'later']);
  });

  it('skips a tick while the previous run is still going, and runs again once it has ended', async () => {
    const runs: Array<ReturnType<typeof held>> = [];
    sut.schedule(
      job('slow', () => {
        runs.push(held());
        return runs.at(-1)!.promise;
      }),
    );
    const first = sut.runNow('slow');
    await jest.advanceTimersByTimeAsync(3 * MIN);
    expect(await sut.runNow('slow')).toBe('busy');
    expect(runs).toHaveLength(1);

    runs[0]!.release();
    expect(await first).toBe('done');
    await jest.advanceTimersByTimeAsync(MIN);
    expect(runs).toHaveLength(2);
    runs[1]!.release();
  });

  it('refuses to run a job nobody scheduled', async () => {
    await expect(sut.runNow('nothing')).rejects.toThrow(/no job named nothing/);
  });

  it('logs a failing run and keeps the job on its schedule', async () => {
    let attempt = 0;
    sut.schedule(
      job('flaky', async () => {
        attempt++;
        if (attempt === 1) throw new Error('database gone');
        if (attempt === 2) return Promise.reject(new Error('still gone'));
        return undefined;
      }),
    );
    expect(await sut.runNow('flaky')).toBe('failed');
    await jest.advanceTimersByTimeAsync(MIN);
    expect(attempt).toBe(2);
    expect(await sut.runNow('flaky')).toBe('done');
    expect(errors).toEqual([
      expect.objectContaining({ ctx: 'jobs', job: 'flaky', err: 'database gone' }),
      expect.objectContaining({ ctx: 'jobs', job: 'flaky', err: 'still gone' }),
    ]);
  });

  it('contains a job that throws before returning a promise', async () => {
    sut.schedule(
      job('broken', () => {
        throw new Error('not even a promise');
      }),
    );
    expect(await sut.runNow('broken')).toBe('failed');
    await jest.advanceTimersByTimeAsync(MIN);
    expect(errors.map((e) => e['err'])).toEqual(['not even a promise', 'not even a promise']);
  });

  it('refuses a second job under the same name', () => {
    sut.schedule(job('once', async () => undefined));
    expect(() => sut.schedule(job('once', async () => undefined))).toThrow(/already scheduled/);
  });

  it('on destroy stops every timer and waits for the run in progress', async () => {
    const order: string[] = [];
    const run = held();
    const quick = jest.fn(async () => undefined);
    sut.schedule(job('slow', () => run.promise.then(() => void order.push('run ended')), { runAtStart: true }));
    sut.schedule(job('quick', quick));
    const destroyed = sut.onModuleDestroy().then(() => void order.push('destroyed'));
    expect(registry.getIntervals()).toEqual([]);
    run.release();
    await destroyed;
    expect(order).toEqual(['run ended', 'destroyed']);
    await jest.advanceTimersByTimeAsync(5 * MIN);
    expect(quick).not.toHaveBeenCalled();
    await expect(sut.runNow('quick')).rejects.toThrow(/no job named quick/);
  });
});

/** Locks shared by two schedulers, as PostgreSQL advisory locks are by two instances; records what was taken. */
class RecordingLocks extends JobLocks {
  readonly taken: string[] = [];
  private readonly inner = new InProcessNamedLocks();
  run<T>(name: string, fn: () => Promise<T>): Promise<T> {
    this.taken.push(name);
    return this.inner.run(name, fn);
  }
}

describe('JobScheduler at a leader failover', () => {
  let locks: RecordingLocks;
  let oldGate: FakeGate;
  let newGate: FakeGate;
  let oldLeader: JobScheduler;
  let newLeader: JobScheduler;

  beforeEach(() => {
    jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] });
    locks = new RecordingLocks();
    oldGate = new FakeGate();
    newGate = new FakeGate();
    newGate.leader = false;
    oldLeader = new JobScheduler(new SchedulerRegistry(), oldGate, locks, silentLogger);
    newLeader = new JobScheduler(new SchedulerRegistry(), newGate, locks, silentLogger);
  });

  afterEach(async () => {
    await oldLeader.onModuleDestroy();
    await newLeader.onModuleDestroy();
    jest.useRealTimers();
  });

  it("holds job:<name> for each run, so the new leader's run starts only once the old leader's has ended", async () => {
    const log: string[] = [];
    let inside = 0;
    let overlaps = 0;
    const oldRun = held();
    const work = (who: string, until?: Promise<void>) => async (): Promise<void> => {
      inside++;
      if (inside > 1) overlaps++;
      log.push(`${who} start`);
      await until;
      log.push(`${who} end`);
      inside--;
    };
    oldLeader.schedule(job('retention', work('old', oldRun.promise)));
    newLeader.schedule(job('retention', work('new'), { runAtStart: true }));
    const first = oldLeader.runNow('retention');
    await jest.advanceTimersByTimeAsync(0);
    expect(log).toEqual(['old start']);

    // Failover while the old leader's run goes on: the new leader catches up at once, and waits on the lock.
    oldGate.change(false);
    newGate.change(true);
    await jest.advanceTimersByTimeAsync(0);
    expect(await newLeader.runNow('retention')).toBe('busy');
    expect(log).toEqual(['old start']);

    oldRun.release();
    expect(await first).toBe('done');
    await jest.advanceTimersByTimeAsync(0);
    expect(log).toEqual(['old start', 'old end', 'new start', 'new end']);
    expect(overlaps).toBe(0);
    expect(new Set(locks.taken)).toEqual(new Set(['job:retention']));
  });

  it('does not run a job whose lock it got after leadership had moved on', async () => {
    const oldRun = held();
    const newRun = jest.fn(async () => undefined);
    oldLeader.schedule(job('sweep', () => oldRun.promise));
    newLeader.schedule(job('sweep', newRun));
    const first = oldLeader.runNow('sweep');
    newGate.leader = true;
    const waiting = newLeader.runNow('sweep');
    // Leadership moves again while the new leader waits for the lock.
    newGate.leader = false;
    oldRun.release();
    expect(await first).toBe('done');
    expect(await waiting).toBe('not-leader');
    expect(newRun).not.toHaveBeenCalled();
  });
});

describe(SingleInstanceLeaderGate.name, () => {
  it('is always the leader: one instance does all the periodic work', () => {
    expect(new SingleInstanceLeaderGate().isLeader()).toBe(true);
  });
});
