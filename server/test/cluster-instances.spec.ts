/**
 * Two whole server instances on one PostgreSQL database (each with its own HTTP port and, here, its own embedded
 * MQTT broker): a credentials change made through one reaches the other's cache, dashboards connected to either get
 * the live events both produce (once each), and one instance leads the periodic jobs until it stops.
 */
import mqtt from 'mqtt';
import { WebSocket } from 'ws';
import { CacheInvalidation, type RemoteInvalidation } from '../src/cluster/cache-invalidation.js';
import { PostgresClusterBus } from '../src/cluster/postgres-cluster-bus.js';
import { ClusterBus } from '../src/cluster/cluster-bus.js';
import { NamedLocks } from '../src/common/named-locks.js';
import { PostgresNamedLocks } from '../src/cluster/postgres-named-locks.js';
import { DeviceCredentialsService } from '../src/device-auth/device-credentials.service.js';
import { DomainEvents } from '../src/domain-events/domain-events.js';
import { EventBus, type ServerEvent } from '../src/events/event-bus.js';
import { LiveEventsRelay } from '../src/events/live-events.relay.js';
import { LeaderGate } from '../src/jobs/leader-gate.js';
import { openPostgres, type TestDatabase } from './support/databases.js';
import { startTestServer, type TestServer } from './support/server.js';

/** One MQTT login: 'ok', or the CONNACK code that refused it. */
function login(url: string, id: string, password: string): Promise<'ok' | number | string> {
  return new Promise((resolve) => {
    const c = mqtt.connect(url, { clientId: id, username: id, password, reconnectPeriod: 0, connectTimeout: 5000, clean: true, protocolVersion: 4 });
    c.once('connect', () => {
      c.end(true);
      resolve('ok');
    });
    c.once('error', (err) => {
      c.end(true);
      resolve((err as { code?: number }).code ?? err.message);
    });
  });
}

/** Resolves with the first invalidation another instance sends this one that `match` accepts. */
function remoteInvalidation(t: TestServer, match: (c: RemoteInvalidation) => boolean): Promise<RemoteInvalidation> {
  return new Promise((resolve) => {
    const off = t.server.app.get(CacheInvalidation).onRemote((c) => {
      if (!match(c)) return;
      off();
      resolve(c);
    });
  });
}

const forDevice = (id: string, credentials: boolean) => (c: RemoteInvalidation) => c.kind === 'devices' && c.credentials === credentials && c.deviceIds.includes(id);

/** A dashboard's event stream on one instance: every event it received, and a way to wait for one. */
async function dashboard(t: TestServer): Promise<{ ws: WebSocket; events: ServerEvent[]; next: (match: (e: ServerEvent) => boolean) => Promise<ServerEvent> }> {
  const ws = new WebSocket(`ws://127.0.0.1:${t.server.httpPort}/api/v1/events`, ['loa.events', `bearer.${t.token}`]);
  const events: ServerEvent[] = [];
  const waiters: Array<{ match: (e: ServerEvent) => boolean; resolve: (e: ServerEvent) => void }> = [];
  ws.on('message', (data) => {
    const e = JSON.parse(String(data)) as ServerEvent;
    events.push(e);
    for (const w of waiters.splice(0)) {
      if (w.match(e)) w.resolve(e);
      else waiters.push(w);
    }
  });
  const next = (match: (e: ServerEvent) => boolean) =>
    new Promise<ServerEvent>((resolve) => {
      const seen = events.find(match);
      if (seen) resolve(seen);
      else waiters.push({ match, resolve });
    });
  await next((e) => e.type === 'hello');
  return { ws, events, next };
}

/** Waits (polling, no fixed delay) until `check` holds. */
async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((r) => setTimeout(r, 20));
}

describe('two server instances on one PostgreSQL', () => {
  let db: TestDatabase;
  let one: TestServer;
  let two: TestServer;
  const sockets: WebSocket[] = [];

  beforeAll(async () => {
    db = await openPostgres();
    const url = (db.dataSource.options as { url: string }).url;
    one = await startTestServer({ LOA_DATABASE_URL: url, LOA_INSTANCE_ID: 'one' });
    two = await startTestServer({ LOA_DATABASE_URL: url, LOA_INSTANCE_ID: 'two' });
    expect((await one.api('POST', '/api/v1/areas', { code: '01', name: 'Hà Nội', level: 'province' })).status).toBe(201);
  }, 60_000);

  afterAll(async () => {
    for (const ws of sockets) ws.terminate();
    await two?.close();
    await one?.close();
    await db?.close();
  });

  const register = async (t: TestServer, id: string): Promise<string> => {
    const r = await t.api<{ secret: string }>('POST', '/api/v1/devices', { id, name: id, kind: 'speaker', areaCode: '01' });
    expect(r.status).toBe(201);
    return r.body.secret;
  };

  it('runs on the PostgreSQL classes: cluster bus, advisory locks, one elected leader', () => {
    for (const t of [one, two]) {
      expect(t.server.app.get(ClusterBus)).toBeInstanceOf(PostgresClusterBus);
      expect(t.server.app.get(NamedLocks)).toBeInstanceOf(PostgresNamedLocks);
    }
    expect([one.server.app.get(LeaderGate).isLeader(), two.server.app.get(LeaderGate).isLeader()]).toEqual([true, false]);
  });

  it('a device registered, rotated and revoked through one instance logs in (or not) accordingly at the other', async () => {
    const registered = remoteInvalidation(two, forDevice('cl-1', false));
    const secret = await register(one, 'cl-1');
    await registered;
    expect(await login(two.mqttUrl, 'cl-1', secret)).toBe('ok'); // two has it cached now

    const rotated = remoteInvalidation(two, forDevice('cl-1', true));
    const r = await one.api<{ secret: string }>('POST', '/api/v1/devices/cl-1/credentials/rotate');
    expect(r.status).toBe(201);
    await rotated;
    expect(await login(two.mqttUrl, 'cl-1', secret)).toBe(4);
    expect(await login(two.mqttUrl, 'cl-1', r.body.secret)).toBe('ok');

    const revoked = remoteInvalidation(two, forDevice('cl-1', true));
    expect((await one.api('POST', '/api/v1/devices/cl-1/revoke')).status).toBe(200);
    await revoked;
    expect(await login(two.mqttUrl, 'cl-1', r.body.secret)).toBe(5);
  });

  it('a device moved through one instance has its new area at the other (the broker ACL of alert channels)', async () => {
    expect((await one.api('POST', '/api/v1/areas', { code: '02', name: 'Hải Phòng', level: 'province' })).status).toBe(201);
    const registered = remoteInvalidation(two, forDevice('cl-move', false));
    const secret = await register(one, 'cl-move');
    await registered;
    expect(await login(two.mqttUrl, 'cl-move', secret)).toBe('ok');
    const moved = remoteInvalidation(two, forDevice('cl-move', false));
    expect((await one.api('PATCH', '/api/v1/devices/cl-move', { areaCode: '02' })).status).toBe(200);
    await moved;
    expect(await two.server.app.get(DeviceCredentialsService).areaCodes('cl-move')).toEqual(['02']);
  });

  it('live events produced on one instance reach a dashboard on the other, and each dashboard gets them once', async () => {
    await register(one, 'cl-live');
    const onTwo = await dashboard(two);
    const onOne = await dashboard(one);
    sockets.push(onTwo.ws, onOne.ws);
    // One learns that a dashboard listens on two (announced when it connected).
    await until(() => one.server.app.get(LiveEventsRelay).othersListening);

    one.server.app.get(DomainEvents).emit('presence.changed', { changes: [{ deviceId: 'cl-live', at: Date.now(), state: 'online', reason: 'connect' }] });
    const isPresence = (e: ServerEvent) => e.type === 'device.presence' && e.deviceId === 'cl-live';
    expect(await onTwo.next(isPresence)).toMatchObject({ type: 'device.presence', deviceId: 'cl-live', areaCode: '01', online: true });
    await onOne.next(isPresence);

    // A marker sent after it: anything doubled would have come before it (each sender's order is kept).
    one.server.app.get(EventBus).publish({ type: 'test.marker' });
    await onTwo.next((e) => e.type === 'test.marker');
    await onOne.next((e) => e.type === 'test.marker');
    expect(onTwo.events.filter(isPresence)).toHaveLength(1);
    expect(onOne.events.filter(isPresence)).toHaveLength(1);

    // And the other way round: two's events reach one's dashboard.
    two.server.app.get(EventBus).publish({ type: 'test.from-two', areaCode: '01' });
    await onOne.next((e) => e.type === 'test.from-two');
  });

  it('when the leader stops, the other instance takes the periodic jobs at once', async () => {
    const gate = two.server.app.get(LeaderGate);
    const takesOver = new Promise<boolean>((resolve) => gate.onChange(resolve));
    await one.close();
    expect(await takesOver).toBe(true);
    expect(gate.isLeader()).toBe(true);
  });
});
