/**
 * The ClusterBus over LISTEN/NOTIFY (PostgresClusterBus) between two instances on one PostgreSQL database: delivery,
 * its own messages ignored, payloads over the 8000-byte NOTIFY limit, and a listener connection cut underneath.
 */
import pg from 'pg';
import { InProcessClusterBus, type ClusterTopic } from '../src/cluster/cluster-bus.js';
import { PostgresClusterBus } from '../src/cluster/postgres-cluster-bus.js';
import { Metrics } from '../src/common/metrics.js';
import { openPostgres, type TestDatabase } from './support/databases.js';
import { silentLogger } from './support/fixtures.js';

/** Every payload the bus delivers on `topic`, and a way to wait for the next one. */
function inbox(bus: PostgresClusterBus, topic: ClusterTopic) {
  const got: unknown[] = [];
  const waiting: Array<(p: unknown) => void> = [];
  bus.subscribe(topic, (p) => (waiting.length > 0 ? waiting.shift()!(p) : got.push(p)));
  return { got, next: () => (got.length > 0 ? Promise.resolve(got.shift()) : new Promise<unknown>((resolve) => waiting.push(resolve))) };
}

const nextGap = (bus: PostgresClusterBus): Promise<void> =>
  new Promise((resolve) => {
    const off = bus.onGap(() => {
      off();
      resolve();
    });
  });

describe('cluster bus over PostgreSQL LISTEN/NOTIFY', () => {
  let db: TestDatabase;
  let url: string;
  let admin: pg.Client;
  let a: PostgresClusterBus;
  let b: PostgresClusterBus;

  beforeAll(async () => {
    db = await openPostgres();
    url = (db.dataSource.options as { url: string }).url;
    admin = new pg.Client({ connectionString: url });
    await admin.connect();
  });

  beforeEach(async () => {
    a = new PostgresClusterBus({ url, instanceId: 'a' }, new Metrics(), silentLogger);
    b = new PostgresClusterBus({ url, instanceId: 'b' }, new Metrics(), silentLogger, { reconnectMinMs: 50 });
    await a.start();
    await b.start();
  });

  afterEach(async () => {
    await a.close();
    await b.close();
  });

  afterAll(async () => {
    await admin.end();
    await db.close();
  });

  it('delivers to the other instance, per topic and in order, and never back to the sender', async () => {
    const bCache = inbox(b, 'cache');
    const bLive = inbox(b, 'live');
    const aCache = inbox(a, 'cache');
    a.publish('cache', { n: 1 });
    a.publish('live', { n: 2 });
    a.publish('cache', { n: 3 });
    expect(await bCache.next()).toEqual({ n: 1 });
    expect(await bCache.next()).toEqual({ n: 3 });
    expect(await bLive.next()).toEqual({ n: 2 });
    // b answers; a receives that, and had received nothing of its own before it.
    b.publish('cache', { n: 4 });
    expect(await aCache.next()).toEqual({ n: 4 });
    expect(aCache.got).toEqual([]);
  });

  it('carries a payload far over the 8000-byte NOTIFY limit intact', async () => {
    const bLive = inbox(b, 'live');
    const big = { e: Array.from({ length: 2000 }, (_, i) => ({ type: 'device.telemetry', deviceId: `loa-${i}`, note: 'Thông báo khẩn cấp' })) };
    expect(Buffer.byteLength(JSON.stringify(big))).toBeGreaterThan(100_000);
    a.publish('live', big);
    a.publish('live', { after: true });
    expect(await bLive.next()).toEqual(big);
    expect(await bLive.next()).toEqual({ after: true });
  });

  it('survives its listening connection being terminated: reconnects, reports the gap, and delivers again', async () => {
    const bCache = inbox(b, 'cache');
    a.publish('cache', { before: true });
    expect(await bCache.next()).toEqual({ before: true });

    const gap = nextGap(b);
    const pid = b.listenerPid;
    expect(pid).not.toBeNull();
    await admin.query('SELECT pg_terminate_backend($1)', [pid]);
    await gap;
    expect(b.listenerPid).not.toBe(pid);
    a.publish('cache', { after: true });
    expect(await bCache.next()).toEqual({ after: true });
  });

  it('publishes again after its publishing connection was terminated', async () => {
    const bCache = inbox(b, 'cache');
    a.publish('cache', { first: true });
    expect(await bCache.next()).toEqual({ first: true });
    await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'loa-bus-publish:a'");
    a.publish('cache', { second: true });
    expect(await bCache.next()).toEqual({ second: true });
  });

  it('in one process (SQLite) is a relay to no one', () => {
    const bus = new InProcessClusterBus();
    expect(bus.clustered).toBe(false);
    expect(() => bus.publish()).not.toThrow();
    expect(typeof bus.subscribe()).toBe('function');
    expect(typeof bus.onGap()).toBe('function');
  });
});
