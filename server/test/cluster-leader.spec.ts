/**
 * Leader election over a PostgreSQL advisory lock (PostgresLeaderGate), on the machine's PostgreSQL: one leader at
 * a time, an immediate hand-over on a graceful stop, leadership lost the moment its connection is cut, and the
 * failover time when the leader process is killed with SIGKILL.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { advisoryKey, LEADER_LOCK } from '../src/cluster/advisory-key.js';
import { PostgresLeaderGate } from '../src/cluster/postgres-leader-gate.js';
import { Metrics } from '../src/common/metrics.js';
import { openPostgres, type TestDatabase } from './support/databases.js';
import { silentLogger } from './support/fixtures.js';

const SERVER_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Resolves with the next leadership change the gate reports. */
const nextChange = (gate: PostgresLeaderGate): Promise<boolean> =>
  new Promise((resolve) => {
    const off = gate.onChange((leader) => {
      off();
      resolve(leader);
    });
  });

async function backendOf(url: string, applicationName: string): Promise<number> {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1', [applicationName]);
    if (rows.length !== 1) throw new Error(`expected one session named ${applicationName}, found ${rows.length}`);
    return rows[0]!.pid;
  } finally {
    await admin.end();
  }
}

async function terminate(url: string, pid: number): Promise<void> {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query('SELECT pg_terminate_backend($1)', [pid]);
  await admin.end();
}

/**
 * Another instance, as a separate process: it takes the leader lock on its own connection, says "held", and keeps
 * it until it dies.
 */
function spawnHolder(url: string): Promise<ChildProcess> {
  const script = `
    import pg from 'pg';
    const client = new pg.Client({ connectionString: process.argv[1], application_name: 'loa-leader:child' });
    await client.connect();
    for (;;) {
      const { rows } = await client.query('SELECT pg_try_advisory_lock($1::bigint) AS ok', [process.argv[2]]);
      if (rows[0].ok) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    process.stdout.write('held\\n');
    setInterval(() => undefined, 60_000);
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script, url, advisoryKey(LEADER_LOCK)], { cwd: SERVER_DIR, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`lock holder exited early (${code})`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('held')) resolve(child);
    });
  });
}

describe('leader election on PostgreSQL', () => {
  let db: TestDatabase;
  let url: string;
  const gates: PostgresLeaderGate[] = [];

  const gate = (instanceId: string, metrics = new Metrics()): PostgresLeaderGate => {
    const g = new PostgresLeaderGate({ url, instanceId }, metrics, silentLogger, { retryMs: 200 });
    gates.push(g);
    return g;
  };

  beforeAll(async () => {
    db = await openPostgres();
    url = (db.dataSource.options as { url: string }).url;
  });

  afterEach(async () => {
    await Promise.all(gates.splice(0).map((g) => g.stop()));
  });

  afterAll(() => db.close());

  it('elects one leader; a graceful stop hands over at once, with a metric on each change', async () => {
    const metricsA = new Metrics();
    const a = gate('a', metricsA);
    const b = gate('b');
    await a.start();
    await b.start();
    expect([a.isLeader(), b.isLeader()]).toEqual([true, false]);
    expect(metricsA.get('leader_elected')).toBe(1);

    const bTakesOver = nextChange(b);
    const aReleases = nextChange(a);
    await a.stop();
    expect(await aReleases).toBe(false);
    expect(a.isLeader()).toBe(false);
    expect(metricsA.get('leader_lost')).toBe(1);
    expect(await bTakesOver).toBe(true);
    expect(b.isLeader()).toBe(true);
  });

  it('hands over on a graceful stop without waiting for the follower\'s next periodic try', async () => {
    // A period far beyond the test's timeout: only the released notification can make b try.
    const a = new PostgresLeaderGate({ url, instanceId: 'slow-a' }, new Metrics(), silentLogger, { retryMs: 600_000 });
    const b = new PostgresLeaderGate({ url, instanceId: 'slow-b' }, new Metrics(), silentLogger, { retryMs: 600_000 });
    gates.push(a, b);
    await a.start();
    await b.start();
    expect([a.isLeader(), b.isLeader()]).toEqual([true, false]);
    const bTakesOver = nextChange(b);
    const stoppedAt = performance.now();
    await a.stop();
    expect(await bTakesOver).toBe(true);
    process.stdout.write(`leader hand-over on a graceful stop: ${Math.round(performance.now() - stoppedAt)} ms\n`);
  });

  it('loses leadership the moment its connection is cut; then exactly one instance leads again', async () => {
    const a = gate('cut-a');
    const b = gate('cut-b');
    await a.start();
    await b.start();
    expect(a.isLeader()).toBe(true);

    const aLoses = nextChange(a);
    // Whichever tries first after the cut wins: b, or a once it has reconnected.
    const someoneLeads = Promise.race([nextChange(b), nextChange(a).then(() => nextChange(a))]);
    await terminate(url, await backendOf(url, 'loa-leader:cut-a'));
    expect(await aLoses).toBe(false);
    expect(await someoneLeads).toBe(true);
    expect([a.isLeader(), b.isLeader()].filter(Boolean)).toHaveLength(1);
  });

  it('fails over when the leader process is killed (SIGKILL): the survivor leads within about one retry period', async () => {
    const holder = await spawnHolder(url);
    // The production period (1 s), so the measured failover is the one a deployment gets.
    const survivor = new PostgresLeaderGate({ url, instanceId: 'survivor' }, new Metrics(), silentLogger);
    gates.push(survivor);
    await survivor.start();
    expect(survivor.isLeader()).toBe(false);

    const leads = nextChange(survivor);
    const killedAt = performance.now();
    holder.kill('SIGKILL');
    expect(await leads).toBe(true);
    const failoverMs = Math.round(performance.now() - killedAt);
    process.stdout.write(`leader failover after SIGKILL: ${failoverMs} ms (retry period 1000 ms)\n`);
    expect(survivor.isLeader()).toBe(true);
  });
});
