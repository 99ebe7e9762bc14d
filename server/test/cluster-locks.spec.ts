/**
 * NamedLocks across instances (PostgresNamedLocks): two instances, each with its own pool on one PostgreSQL
 * database, contend for the same names.
 */
import pg from 'pg';
import { PostgresNamedLocks } from '../src/cluster/postgres-named-locks.js';
import { Metrics } from '../src/common/metrics.js';
import { openPostgres, type TestDatabase } from './support/databases.js';
import { silentLogger } from './support/fixtures.js';

/** A promise the test settles when it chooses. */
function held<T = void>(): { promise: Promise<T>; release: (v: T) => void } {
  let release!: (v: T) => void;
  const promise = new Promise<T>((resolve) => (release = resolve));
  return { promise, release };
}

describe('named locks across instances on PostgreSQL', () => {
  let db: TestDatabase;
  let url: string;
  let admin: pg.Client;
  let a: PostgresNamedLocks;
  let b: PostgresNamedLocks;
  let metricsA: Metrics;

  /** Advisory locks held in this database right now. */
  const advisoryLocksHeld = async (): Promise<number> =>
    Number((await admin.query<{ n: string }>("SELECT count(*) AS n FROM pg_locks l JOIN pg_database d ON d.oid = l.database WHERE l.locktype = 'advisory' AND l.granted AND d.datname = current_database()")).rows[0]!.n);

  /** Resolves once some session of this database waits for an advisory lock. */
  const someoneWaits = async (): Promise<void> => {
    for (;;) {
      const { rows } = await admin.query("SELECT 1 FROM pg_locks l JOIN pg_database d ON d.oid = l.database WHERE l.locktype = 'advisory' AND NOT l.granted AND d.datname = current_database()");
      if (rows.length > 0) return;
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  beforeAll(async () => {
    db = await openPostgres();
    url = (db.dataSource.options as { url: string }).url;
    admin = new pg.Client({ connectionString: url });
    await admin.connect();
  });

  beforeEach(() => {
    metricsA = new Metrics();
    a = new PostgresNamedLocks({ url, instanceId: 'a' }, metricsA, silentLogger);
    b = new PostgresNamedLocks({ url, instanceId: 'b' }, new Metrics(), silentLogger);
  });

  afterEach(async () => {
    await a.close();
    await b.close();
  });

  afterAll(async () => {
    await admin.end();
    await db.close();
  });

  it('never lets two instances hold one name at once, and keeps call order within each instance', async () => {
    let inside = 0;
    let overlaps = 0;
    const entered: string[] = [];
    const work = (who: string) => async () => {
      inside++;
      if (inside > 1) overlaps++;
      entered.push(who);
      // A round trip on the other pool while holding: time for the other instance to barge in, were it able to.
      await db.dataSource.query('SELECT pg_sleep(0.005)');
      inside--;
      return who;
    };
    const calls: Array<Promise<string>> = [];
    for (let i = 0; i < 12; i++) {
      calls.push(a.run('timelines.recompile', work(`a${i}`)));
      calls.push(b.run('timelines.recompile', work(`b${i}`)));
    }
    expect((await Promise.all(calls)).sort()).toEqual(entered.slice().sort());
    expect(overlaps).toBe(0);
    const order = (prefix: string) => entered.filter((e) => e.startsWith(prefix)).map((e) => Number(e.slice(1)));
    expect(order('a')).toEqual([...Array(12).keys()]);
    expect(order('b')).toEqual([...Array(12).keys()]);
    // Each process waited in PostgreSQL with one connection for the name, however many of its callers queued.
    expect(a.connections).toBeLessThanOrEqual(1);
    expect(await advisoryLocksHeld()).toBe(0);
  });

  it('makes the other instance wait until the holder is done, and different names never wait for each other', async () => {
    const gate = held();
    const aEntered = held();
    const aHolds = a.run('planning.materialize', () => {
      aEntered.release();
      return gate.promise;
    });
    await aEntered.promise;
    let bEntered = false;
    const bWaits = b.run('planning.materialize', async () => {
      bEntered = true;
    });
    await someoneWaits();
    expect(bEntered).toBe(false);
    // Another name is free meanwhile, on either instance.
    expect(await b.run('schedules.save', async () => 'free')).toBe('free');
    gate.release();
    await aHolds;
    await bWaits;
    expect(bEntered).toBe(true);
  });

  it('releases the lock when the holder throws; the error reaches that caller only', async () => {
    await expect(a.run('commands.send', async () => Promise.reject(new Error('holder failed')))).rejects.toThrow('holder failed');
    expect(await b.run('commands.send', async () => 'next')).toBe('next');
    expect(await a.run('commands.send', async () => 'again')).toBe('again');
    expect(await advisoryLocksHeld()).toBe(0);
  });

  it('takes a lock inside another across instances (save, then planning)', async () => {
    const order: string[] = [];
    await Promise.all([
      a.run('schedules.save', () => a.run('planning.materialize', async () => void order.push('a'))),
      b.run('schedules.save', () => b.run('planning.materialize', async () => void order.push('b'))),
    ]);
    expect(order.sort()).toEqual(['a', 'b']);
    expect(await advisoryLocksHeld()).toBe(0);
  });

  it('survives the holding connection being cut: the holder finishes, the loss is counted, the name is free again', async () => {
    const gate = held();
    const aEntered = held();
    const aHolds = a.run('alerts.channel:01', async () => {
      aEntered.release();
      await gate.promise;
      return 'finished';
    });
    // Once a holds it, cut that session.
    await aEntered.promise;
    await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'loa-locks:a'");
    // The session is gone, and its lock with it: b gets in while a's holder still runs.
    expect(await b.run('alerts.channel:01', async () => 'b got it')).toBe('b got it');
    gate.release();
    expect(await aHolds).toBe('finished');
    expect(metricsA.get('cluster_lock_lost')).toBe(1);
    // The pool replaced the dead connection: a takes the name again.
    expect(await a.run('alerts.channel:01', async () => 'a again')).toBe('a again');
    expect(await advisoryLocksHeld()).toBe(0);
  });

  it('fails each caller with a clear error when the database cannot be reached, and the chain moves on to the next', async () => {
    const down = new PostgresNamedLocks({ url: url.replace(/:\d+\//, ':1/'), instanceId: 'down' }, new Metrics(), silentLogger, { connectionWaitMs: 2000 });
    try {
      await expect(down.run('x', async () => 'never')).rejects.toThrow(/cannot take the cluster lock "x"/);
      await expect(down.run('x', async () => 'never')).rejects.toThrow(/cannot take the cluster lock "x"/);
    } finally {
      await down.close();
    }
  });
});
