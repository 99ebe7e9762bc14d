import mqtt, { type MqttClient } from 'mqtt';
import { deviceTopic, encodeMessage, PROTOCOL_VERSION, type DeviceChannel } from '@loa/shared';
import { startTestServer, type TestServer } from './support/server.js';

const MB = 1024 * 1024;
const HEARTBEAT_TIMEOUT_S = 2;

/** Polls until `check` holds (or fails with `what`). */
async function waitFor<T>(what: string, get: () => Promise<T>, check: (v: T) => boolean, timeoutMs = 8000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await get();
    if (check(v)) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface DeviceView {
  id: string;
  online: boolean;
  lastSeenAt: string | null;
  presenceChangedAt: string | null;
  presenceReason: string | null;
  telemetry: { at: string; freeDiskBytes: number | null; uptimeS: number } | null;
}
interface Connection {
  at: string;
  state: string;
  reason: string;
}
interface Alarm {
  id: string;
  deviceId: string;
  kind: string;
  active: boolean;
  ackedBy: string | null;
  ackedAt: string | null;
}

describe('fleet status over MQTT and HTTP', () => {
  let t: TestServer;
  const secrets: Record<string, string> = {};
  const clients: MqttClient[] = [];
  const timers: NodeJS.Timeout[] = [];

  /** Connects like an agent: its last will is a retained offline status. */
  const connect = (id: string): Promise<MqttClient> =>
    new Promise((resolve, reject) => {
      const c = mqtt.connect(t.mqttUrl, {
        clientId: id,
        username: id,
        password: secrets[id],
        reconnectPeriod: 0,
        connectTimeout: 5000,
        clean: true,
        will: { topic: deviceTopic(id, 'status'), payload: encodeMessage({ v: PROTOCOL_VERSION, state: 'offline', reason: 'will' }), qos: 1, retain: true },
      });
      clients.push(c);
      c.once('connect', () => resolve(c));
      c.once('error', reject);
    });
  const send = (c: MqttClient, id: string, channel: DeviceChannel, message: unknown, retain = false) =>
    c.publishAsync(deviceTopic(id, channel), encodeMessage(message), { qos: 1, retain });
  const online = (c: MqttClient, id: string) => send(c, id, 'status', { v: PROTOCOL_VERSION, state: 'online', reason: 'connect', at: Date.now(), agentVersion: '2.0.0' }, true);
  const telemetry = (c: MqttClient, id: string, extra: Record<string, unknown> = {}) => send(c, id, 'telemetry', { v: PROTOCOL_VERSION, at: Date.now(), uptimeS: 5, ...extra });
  const device = async (id: string) => (await t.api<DeviceView>('GET', `/api/v1/devices/${id}`)).body;
  const connections = async (id: string) => (await t.api<Connection[]>('GET', `/api/v1/devices/${id}/connections?limit=10`)).body;

  beforeAll(async () => {
    t = await startTestServer({ LOA_HEARTBEAT_TIMEOUT_S: String(HEARTBEAT_TIMEOUT_S), LOA_ALARM_LOW_DISK_MB: '100' });
    await t.api('POST', '/api/v1/areas', { code: '01', name: 'Thành phố Hà Nội', level: 'province' });
    await t.api('POST', '/api/v1/areas', { code: '00004', name: 'Xã Tây Đằng', level: 'commune', parentCode: '01' });
    await t.api('POST', '/api/v1/areas', { code: '02', name: 'Tỉnh Hà Giang', level: 'province' });
    for (const [id, area] of [['spk-a', '00004'], ['spk-b', '00004'], ['spk-c', '02']] as const) {
      const r = await t.api<{ secret: string }>('POST', '/api/v1/devices', { id, name: id, kind: 'speaker', areaCode: area });
      secrets[id] = r.body.secret;
    }
  });

  afterAll(async () => {
    for (const timer of timers) clearInterval(timer);
    for (const c of clients) c.end(true);
    await t.close();
  });

  it('shows a connected device online with its latest telemetry, and offline by its last will when the connection drops', async () => {
    const c = await connect('spk-a');
    await online(c, 'spk-a');
    await telemetry(c, 'spk-a', { freeDiskBytes: 50 * MB, uptimeS: 42 });
    // Heartbeats well inside the (short) timeout.
    timers.push(setInterval(() => void telemetry(c, 'spk-a', { freeDiskBytes: 50 * MB, uptimeS: 43 }).catch(() => undefined), 300));
    const view = await waitFor('spk-a online with telemetry', () => device('spk-a'), (d) => d.online && d.telemetry !== null);
    expect(view).toMatchObject({ presenceReason: 'connect', telemetry: { freeDiskBytes: 50 * MB } });
    const list = (await t.api<DeviceView[]>('GET', '/api/v1/devices')).body;
    expect(list.find((d) => d.id === 'spk-a')?.telemetry?.freeDiskBytes).toBe(50 * MB);
    expect(list.find((d) => d.id === 'spk-b')).toMatchObject({ online: false, telemetry: null, presenceReason: null });

    const samples = (await t.api<Array<{ at: string; uptimeS: number }>>('GET', '/api/v1/devices/spk-a/telemetry?limit=5')).body;
    expect(samples[0]?.at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(samples.map((s) => Date.parse(s.at))).toEqual(samples.map((s) => Date.parse(s.at)).sort((a, b) => a - b));

    clearInterval(timers.pop());
    c.stream.destroy(); // connection lost: the broker publishes the last will
    await waitFor('spk-a offline', () => device('spk-a'), (d) => !d.online);
    expect((await connections('spk-a')).map((r) => `${r.state}:${r.reason}`)).toEqual(['offline:will', 'online:connect']);
    expect((await device('spk-a')).presenceReason).toBe('will');
  });

  it('marks a device that stays connected but silent offline by heartbeat timeout, and back when it speaks', async () => {
    const c = await connect('spk-b');
    await online(c, 'spk-b');
    await waitFor('spk-b online', () => device('spk-b'), (d) => d.online);
    const silentFrom = Date.now();
    const off = await waitFor('spk-b timed out', () => device('spk-b'), (d) => !d.online, HEARTBEAT_TIMEOUT_S * 1000 + 3000);
    expect(Date.now() - silentFrom).toBeGreaterThanOrEqual(HEARTBEAT_TIMEOUT_S * 1000 - 500);
    expect(off.presenceReason).toBe('heartbeat-timeout');
    await telemetry(c, 'spk-b');
    await waitFor('spk-b resumed', () => device('spk-b'), (d) => d.online);
    expect((await connections('spk-b')).map((r) => `${r.state}:${r.reason}`)).toEqual(['online:resumed', 'offline:heartbeat-timeout', 'online:connect']);
  });

  it('lists alarms by area subtree and records who acknowledged one', async () => {
    const inHanoi = await waitFor('low-disk alarm', async () => (await t.api<Alarm[]>('GET', '/api/v1/alarms?active=true&areaCode=01')).body, (a) => a.length > 0);
    expect(inHanoi.map((a) => [a.deviceId, a.kind])).toEqual([['spk-a', 'low-disk']]);
    expect((await t.api<Alarm[]>('GET', '/api/v1/alarms?areaCode=02')).body).toEqual([]);
    expect((await t.api<Alarm[]>('GET', '/api/v1/alarms?active=false')).body).toEqual([]);
    expect((await t.api<Alarm[]>('GET', '/api/v1/alarms?deviceId=spk-a')).body).toHaveLength(1);

    const acked = await t.api<Alarm>('POST', `/api/v1/alarms/${inHanoi[0]?.id}/ack`);
    expect(acked.status).toBe(200);
    expect(acked.body).toMatchObject({ active: true, ackedBy: 'admin' });
    expect((await t.api('POST', '/api/v1/alarms/00000000-0000-0000-0000-000000000000/ack')).status).toBe(404);
    // An operator of Hà Giang (spk-c's province) may not acknowledge spk-a's alarm, but sees 404 for an unknown one.
    expect((await t.api('POST', '/api/v1/users', { username: 'op-hagiang', password: 'password-123', role: 'operator', areaCode: '02' })).status).toBe(201);
    const login = await t.api<{ accessToken: string }>('POST', '/api/v1/auth/login', { username: 'op-hagiang', password: 'password-123' });
    const asHaGiang = async (url: string) => (await fetch(t.baseUrl + url, { method: 'POST', headers: { authorization: `Bearer ${login.body.accessToken}` } })).status;
    expect(await asHaGiang(`/api/v1/alarms/${inHanoi[0]?.id}/ack`)).toBe(403);
    expect(await asHaGiang('/api/v1/alarms/00000000-0000-0000-0000-000000000000/ack')).toBe(404);
    expect((await t.api('GET', '/api/v1/alarms?active=maybe')).status).toBe(400);
    expect((await t.api('GET', '/api/v1/alarms?areaCode=99')).status).toBe(404);
  });

  it('stores and lists what agents report on the security channel', async () => {
    const c = await connect('spk-c');
    await send(c, 'spk-c', 'security', { v: PROTOCOL_VERSION, at: Date.now(), topic: 'loa/v1/d/spk-c/req', reason: 'bad-signature', claimed: 'cmd-7' });
    const events = await waitFor(
      'security event',
      async () => (await t.api<Array<{ deviceId: string; reason: string; claimed: string }>>('GET', '/api/v1/security-events?deviceId=spk-c')).body,
      (e) => e.length > 0,
    );
    expect(events).toMatchObject([{ deviceId: 'spk-c', reason: 'bad-signature', claimed: 'cmd-7' }]);
    expect((await t.api<unknown[]>('GET', '/api/v1/security-events?deviceId=spk-a')).body).toEqual([]);
    const health = await t.api<{ counters: Record<string, number> }>('GET', '/api/health');
    expect(health.body.counters.security_reports).toBe(1);
  });

  it('answers clearly for unknown devices and bad queries', async () => {
    expect((await t.api('GET', '/api/v1/devices/ghost/connections')).status).toBe(404);
    expect((await t.api('GET', '/api/v1/devices/ghost/telemetry')).status).toBe(404);
    expect((await t.api('GET', '/api/v1/devices/spk-a/connections?limit=0')).status).toBe(400);
    expect((await t.api('GET', '/api/v1/devices/spk-a/telemetry?from=yesterday')).status).toBe(400);
    expect((await t.api('GET', '/api/v1/security-events?limit=-1')).status).toBe(400);
  });
});
