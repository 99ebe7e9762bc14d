import { request as httpRequest } from 'node:http';
import { connect as netConnect } from 'node:net';
import mqtt, { type MqttClient } from 'mqtt';
import { deviceTopic, encodeMessage } from '@loa/shared';
import { Metrics } from '../src/common/metrics.js';
import { startTestServerOn, type TestServer } from './support/server.js';

const serverOn = startTestServerOn;

type Outcome = { client: MqttClient } | { refused: number | string };

/** One MQTT connection attempt: the client, or the CONNACK return code that refused it. */
function connect(url: string, id: string, password: string): Promise<Outcome> {
  return new Promise((resolve) => {
    const c = mqtt.connect(url, { clientId: id, username: id, password, reconnectPeriod: 0, connectTimeout: 5000, clean: true, protocolVersion: 4 });
    c.once('connect', () => resolve({ client: c }));
    c.once('error', (err) => {
      c.end(true);
      resolve({ refused: (err as { code?: number }).code ?? err.message });
    });
  });
}

async function connected(url: string, id: string, password: string): Promise<MqttClient> {
  const o = await connect(url, id, password);
  if ('refused' in o) throw new Error(`${id} refused: ${o.refused}`);
  return o.client;
}

/**
 * Resolves when the session's socket closes. No timer: a session the server did not end would only close at the
 * client's keepalive (60 s), past the test's timeout, so the test fails instead of passing late.
 */
const closed = (c: MqttClient) =>
  new Promise<void>((resolve) => {
    if (!c.connected) return resolve();
    c.once('close', () => resolve());
  });

/** GET with HTTP Basic from a chosen local address (127.0.0.0/8 is all loopback on Linux). */
function basicGet(baseUrl: string, path: string, user: string, password: string, localAddress = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${baseUrl}${path}`, { localAddress, headers: { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

const MEDIA = `/api/v1/media/${'0'.repeat(64)}`;

describe.each(['sqlite', 'postgres'])('device credentials over HTTP and MQTT on %s', (dbName) => {
  let t: TestServer;
  let close: () => Promise<void>;
  const clients: MqttClient[] = [];
  let publicKey: string;

  beforeAll(async () => {
    ({ t, close } = await serverOn(dbName));
    publicKey = (await t.api<{ publicKey: string }>('GET', '/api/v1/signing-key')).body.publicKey;
    await t.api('POST', '/api/v1/areas', { code: '01', name: 'Hà Nội', level: 'province' });
  });

  afterEach(() => {
    for (const c of clients.splice(0)) c.end(true);
  });

  afterAll(() => close());

  const metrics = () => t.server.app.get(Metrics);

  const register = async (id: string) => {
    const r = await t.api<{ device: { id: string; revokedAt: unknown }; secret: string; serverPublicKey: string }>('POST', '/api/v1/devices', { id, name: id, kind: 'speaker', areaCode: '01' });
    expect(r.status).toBe(201);
    return r.body;
  };

  it('registration answers carry the server key an installer configures the agent with', async () => {
    const one = await register('reg-1');
    expect(one.serverPublicKey).toBe(publicKey);
    expect(one.device.revokedAt).toBeNull();
    const bulk = await t.api<{ devices: Array<{ id: string; secret: string }>; serverPublicKey: string }>('POST', '/api/v1/devices/bulk', {
      devices: [{ id: 'reg-2', name: 'r2', kind: 'board', areaCode: '01' }],
    });
    expect(bulk.status).toBe(201);
    expect(bulk.body.serverPublicKey).toBe(publicKey);
    expect(bulk.body.devices.map((d) => d.id)).toEqual(['reg-2']);
  });

  it('rotation: the live session ends at once, the old secret is refused by MQTT and HTTP, the new one works', async () => {
    const { secret } = await register('rot-1');
    const live = await connected(t.mqttUrl, 'rot-1', secret);
    clients.push(live);
    expect(await basicGet(t.baseUrl, MEDIA, 'rot-1', secret)).toBe(404); // authenticated; the file just does not exist

    const cutBefore = metrics().get('mqtt_disconnected_by_server');
    const r = await t.api<{ deviceId: string; secret: string; serverPublicKey: string }>('POST', '/api/v1/devices/rot-1/credentials/rotate');
    expect(r.status).toBe(201);
    expect(r.body.serverPublicKey).toBe(publicKey);
    expect(r.body.secret).not.toBe(secret);
    // "At once": the server had cut the session before it answered the rotation, and the client sees it close.
    expect(metrics().get('mqtt_disconnected_by_server')).toBe(cutBefore + 1);
    await closed(live);

    expect(await connect(t.mqttUrl, 'rot-1', secret)).toEqual({ refused: 4 });
    expect(await basicGet(t.baseUrl, MEDIA, 'rot-1', secret)).toBe(401);
    const fresh = await connected(t.mqttUrl, 'rot-1', r.body.secret);
    clients.push(fresh);
    expect(await basicGet(t.baseUrl, MEDIA, 'rot-1', r.body.secret)).toBe(404);
  });

  it('revocation: disconnected at once, refused by MQTT and HTTP, offline with revokedAt; rotation re-enables', async () => {
    const { secret } = await register('rev-1');
    const live = await connected(t.mqttUrl, 'rev-1', secret);
    clients.push(live);
    await live.publishAsync(deviceTopic('rev-1', 'status'), encodeMessage({ v: 1, state: 'online', reason: 'connect', at: Date.now(), kind: 'speaker', agentVersion: '1.0.0' }), { qos: 1, retain: true });
    await waitUntil(async () => (await t.api<{ online: boolean }>('GET', '/api/v1/devices/rev-1')).body.online);

    const cutBefore = metrics().get('mqtt_disconnected_by_server');
    const r = await t.api<{ deviceId: string; revokedAt: string }>('POST', '/api/v1/devices/rev-1/revoke');
    expect(r.status).toBe(200);
    expect(Date.parse(r.body.revokedAt)).toBeGreaterThan(Date.now() - 10_000);
    expect(metrics().get('mqtt_disconnected_by_server')).toBe(cutBefore + 1);
    await closed(live);

    expect(await connect(t.mqttUrl, 'rev-1', secret)).toEqual({ refused: 5 });
    expect(await basicGet(t.baseUrl, MEDIA, 'rev-1', secret)).toBe(401);
    const view = await waitUntil(async () => {
      const v = (await t.api<{ online: boolean; presenceReason: string | null; revokedAt: string | null }>('GET', '/api/v1/devices/rev-1')).body;
      return v.online ? undefined : v;
    });
    expect(view.revokedAt).toBe(r.body.revokedAt);
    expect(view.presenceReason).toBe('revoked');
    const listed = (await t.api<Array<{ id: string; revokedAt: string | null }>>('GET', '/api/v1/devices')).body;
    expect(listed.find((d) => d.id === 'rev-1')?.revokedAt).toBe(r.body.revokedAt);
    expect(listed.find((d) => d.id === 'reg-1')?.revokedAt).toBeNull();
    expect((await t.api('GET', '/api/v1/devices/rev-1/credentials')).body).toEqual({ deviceId: 'rev-1', revokedAt: r.body.revokedAt });

    const rotated = await t.api<{ secret: string }>('POST', '/api/v1/devices/rev-1/credentials/rotate');
    clients.push(await connected(t.mqttUrl, 'rev-1', rotated.body.secret));
    expect((await t.api<{ revokedAt: string | null }>('GET', '/api/v1/devices/rev-1')).body.revokedAt).toBeNull();
  });

  it('answers 404 for unknown devices and 401 without an operator token', async () => {
    expect((await t.api('POST', '/api/v1/devices/ghost/revoke')).status).toBe(404);
    expect((await t.api('POST', '/api/v1/devices/ghost/credentials/rotate')).status).toBe(404);
    const anonymous = await fetch(`${t.baseUrl}/api/v1/devices/reg-1/revoke`, { method: 'POST' });
    expect(anonymous.status).toBe(401);
    const { secret } = await register('dev-basic');
    // A device's own credentials are no operator's.
    const asDevice = await fetch(`${t.baseUrl}/api/v1/devices/dev-basic/credentials/rotate`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`dev-basic:${secret}`).toString('base64')}` },
    });
    expect(asDevice.status).toBe(401);
  });
});

/** One MQTT connection attempt from a chosen local address (127.0.0.0/8 is all loopback on Linux). */
function connectFrom(url: string, id: string, password: string, localAddress: string): Promise<Outcome> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const c = new mqtt.MqttClient(() => netConnect({ host: hostname, port: Number(port), localAddress }), {
      clientId: id,
      username: id,
      password,
      reconnectPeriod: 0,
      // Held-back answers may take a while; the test ends such clients itself.
      connectTimeout: 120_000,
      clean: true,
      protocolVersion: 4,
    });
    pendingClients.add(c);
    c.once('connect', () => resolve({ client: c }));
    c.once('error', (err) => {
      c.end(true);
      resolve({ refused: (err as { code?: number }).code ?? err.message });
    });
  });
}
const pendingClients = new Set<MqttClient>();

describe.each(['sqlite', 'postgres'])('device login throttling with the embedded broker on %s', (dbName) => {
  let t: TestServer;
  let close: () => Promise<void>;
  let metrics: Metrics;

  beforeAll(async () => {
    ({ t, close } = await serverOn(dbName, { LOA_DEVICE_LOGIN_MAX_FAILURES: '2', LOA_DEVICE_LOGIN_UNKNOWN_PER_ADDRESS: '4', LOA_DEVICE_LOGIN_MAX_DELAY_S: '60' }));
    metrics = t.server.app.get(Metrics);
    await t.api('POST', '/api/v1/areas', { code: '01', name: 'Hà Nội', level: 'province' });
  });

  afterEach(() => {
    for (const c of pendingClients) c.end(true);
    pendingClients.clear();
  });

  afterAll(() => close());

  const register = async (id: string) => (await t.api<{ secret: string }>('POST', '/api/v1/devices', { id, name: id, kind: 'speaker', areaCode: '01' })).body;
  const held = () => metrics.get('device_login_pending');

  it('a hammered device and its neighbours behind the same address still log in with their secrets; the wrong attempts wait', async () => {
    const victim = (await register(`victim-${dbName}`)).secret;
    const neighbour = (await register(`neighbour-${dbName}`)).secret;
    const id = `victim-${dbName}`;
    const nat = '127.0.0.2';
    // The first wrong secrets of the pair are answered at once.
    for (let i = 0; i < 2; i++) expect(await connectFrom(t.mqttUrl, id, `guess-${i}`, nat)).toEqual({ refused: 4 });
    const delayedBefore = metrics.get('device_login_delayed');

    // Eight more in parallel: their answers are held back 1, 2, 4 … 32 s, then 60 s (the cap).
    const order: string[] = [];
    const wrong = Array.from({ length: 8 }, (_, i) =>
      connectFrom(t.mqttUrl, id, `guess-more-${i}`, nat).then((o) => (order.push('wrong answered'), o)),
    );
    await waitUntil(async () => metrics.get('device_login_delayed') - delayedBefore === 8);

    // (b) the device itself, from the same address and from another; (a) a neighbour behind the same address.
    for (const [who, secret, from] of [[id, victim, nat], [id, victim, '127.0.0.3'], [`neighbour-${dbName}`, neighbour, nat]] as const) {
      const o = await connectFrom(t.mqttUrl, who, secret, from);
      if ('refused' in o) throw new Error(`${who} from ${from} refused: ${o.refused}`);
      order.push(`${who} connected from ${from}`);
      o.client.end(true);
    }
    // And over HTTP Basic from the same address: authenticated (404: no such media), not refused.
    expect(await basicGet(t.baseUrl, MEDIA, id, victim, nat)).toBe(404);
    // (c) the wrong attempts sent before them are still waiting for their answer (all but the shortest-held, at
    // least, whatever the machine's load)...
    expect(order.filter((e) => e === 'wrong answered').length).toBeLessThan(8);
    expect(held()).toBeGreaterThanOrEqual(1);
    // ...and are answered in the end as a plain wrong secret.
    expect(await Promise.race(wrong)).toEqual({ refused: 4 });
  });

  it('limits a flood of unknown ids from one address, while known devices behind it still connect', async () => {
    const known = (await register(`behind-scan-${dbName}`)).secret;
    const scanner = '127.0.0.4';
    // The budget (4 unknown ids) is answered at once...
    for (let i = 0; i < 4; i++) expect(await connectFrom(t.mqttUrl, `ghost-${dbName}-${i}`, 'x', scanner)).toEqual({ refused: 4 });
    // ...past it, each further unknown id waits the longest delay and costs no lookup.
    const limitedBefore = metrics.get('device_login_unknown_limited');
    const flood = Array.from({ length: 10 }, (_, i) => connectFrom(t.mqttUrl, `ghost-${dbName}-x${i}`, 'x', scanner));
    await waitUntil(async () => metrics.get('device_login_unknown_limited') - limitedBefore === 10);
    expect(held()).toBeGreaterThanOrEqual(10);

    const o = await connectFrom(t.mqttUrl, `behind-scan-${dbName}`, known, scanner);
    if ('refused' in o) throw new Error(`known device behind the scanning address refused: ${o.refused}`);
    o.client.end(true);
    // Another address keeps its own budget: an unknown id from there is answered at once.
    expect(await connectFrom(t.mqttUrl, `ghost-${dbName}-elsewhere`, 'x', '127.0.0.5')).toEqual({ refused: 4 });
    const counters = (await t.api<{ counters: Record<string, number> }>('GET', '/api/health')).body.counters;
    expect(counters.device_login_unknown_limited).toBeGreaterThanOrEqual(10);
    void flood;
  });
});

async function waitUntil<T>(probe: () => Promise<T | undefined | false>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}
