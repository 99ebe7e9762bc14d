/**
 * Periodic jobs at a leader failover on PostgreSQL: two schedulers, each with its own advisory-lock pool (as two
 * instances have), never run one job at once; a lock left by an instance whose connection died is freed with it.
 */
import { SchedulerRegistry } from '@nestjs/schedule';
import pg from 'pg';
import { PostgresNamedLocks } from '../src/cluster/postgres-named-locks.js';
import { Metrics } from '../src/common/metrics.js';
import { JobScheduler } from '../src/jobs/job-scheduler.js';
import { LeaderGate } from '../src/jobs/leader-gate.js';
import { openPostgres, type TestDatabase } from './support/databases.js';
import { silentLogger } from './support/fixtures.js';

class SwitchGate extends LeaderGate {
  private readonly listeners = new Set<(leader: boolean) => void>();
  constructor(public leader: boolean) {
    super();
  }
  isLeader(): boolean {
    return this.leader;
  }
  override onChange(listener: (leader: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }
  change(leader: boolean): void {
    this.leader = leader;
    for (const l of this.listeners) l(leader);
  }
}

function held(): { promise: Promise<void>; release: () => void } {
  let release!: () => void;
  const promise = new Promise<void>((resolve) => (release = resolve));
  return { promise, release };
}

describe('periodic jobs under cluster locks on PostgreSQL', () => {
  let db: TestDatabase;
  let url: string;
  let admin: pg.Client;
  const closers: Array<() => Promise<unknown>> = [];

  /** Resolves once some session of this database waits for an advisory lock. */
  const someoneWaits = async (): Promise<void> => {
    for (;;) {
      const { rows } = await admin.query("SELECT 1 FROM pg_locks l JOIN pg_database d ON d.oid = l.database WHERE l.locktype = 'advisory' AND NOT l.granted AND d.datname = current_database()");
      if (rows.length > 0) return;
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  const instance = (id: string, gate: SwitchGate): { scheduler: JobScheduler; locks: PostgresNamedLocks } => {
    const locks = new PostgresNamedLocks({ url, instanceId: id }, new Metrics(), silentLogger);
    const scheduler = new JobScheduler(new SchedulerRegistry(), gate, locks, silentLogger);
    closers.push(async () => {
      await scheduler.onModuleDestroy();
      await locks.close(500);
    });
    return { scheduler, locks };
  };

  beforeAll(async () => {
    db = await openPostgres();
    url = (db.dataSource.options as { url: string }).url;
    admin = new pg.Client({ connectionString: url });
    await admin.connect();
  });

  afterEach(async () => {
    while (closers.length > 0) await closers.pop()!();
  });

  afterAll(async () => {
    await admin.end();
    await db.close();
  });

  it("starts the new leader's run only after the old leader's run has ended", async () => {
    const gateA = new SwitchGate(true);
    const gateB = new SwitchGate(false);
    const a = instance('jobs-a', gateA);
    const b = instance('jobs-b', gateB);
    const log: string[] = [];
    const oldRun = held();
    const started = held();
    a.scheduler.schedule({ name: 'retention', intervalMs: 3_600_000, runAtStart: false, run: async () => {
      log.push('a start');
      started.release();
      await oldRun.promise;
      log.push('a end');
    } });
    const bRan = held();
    b.scheduler.schedule({ name: 'retention', intervalMs: 3_600_000, runAtStart: true, run: async () => {
      log.push('b ran');
      bRan.release();
    } });

    const first = a.scheduler.runNow('retention');
    await started.promise;
    gateA.change(false);
    gateB.change(true); // b catches up at once: its run waits for a's lock in PostgreSQL
    await someoneWaits();
    expect(log).toEqual(['a start']);
    oldRun.release();
    expect(await first).toBe('done');
    await bRan.promise;
    expect(log).toEqual(['a start', 'a end', 'b ran']);
  });

  it('frees the lock of an instance whose database connection died mid-run', async () => {
    const gateA = new SwitchGate(true);
    const gateB = new SwitchGate(true);
    const a = instance('jobs-dead', gateA);
    const b = instance('jobs-live', gateB);
    const stuck = held();
    const started = held();
    // The dead instance's run never ends (its process is gone); only its connection's end can free the lock.
    a.scheduler.schedule({ name: 'sweep', intervalMs: 3_600_000, runAtStart: false, run: async () => {
      started.release();
      await stuck.promise;
    } });
    let ran = 0;
    b.scheduler.schedule({ name: 'sweep', intervalMs: 3_600_000, runAtStart: false, run: async () => void ran++ });
    const deadRun = a.scheduler.runNow('sweep');
    await started.promise;
    const waiting = b.scheduler.runNow('sweep');
    await someoneWaits();
    expect(ran).toBe(0);
    await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'loa-locks:jobs-dead'");
    expect(await waiting).toBe('done');
    expect(ran).toBe(1);
    stuck.release();
    await deadRun;
  });
});
