/**
 * What the broker holds retained, on an external broker (a real Mosquitto started by the test, anonymous devices):
 * - presence after an outage of every server instance: statuses published while no instance was subscribed (shared
 *   subscriptions never get retained messages) are read at start;
 * - a broker restarted without persistence lost its retained timelines: after the reconnection, a device reporting
 *   an old timeline version is sent its timeline again.
 * Waits are on events (or bounded polls of the API for what the server records), never sleeps.
 */
import { jest } from '@jest/globals';
import mqtt, { type MqttClient } from 'mqtt';
import { deviceTopic, encodeMessage, openSigned, statusMessageSchema, timelineMessageSchema, verifyKeyFromBase64, type StatusMessage, type VerifyKey } from '@loa/shared';
import { fanoutDone } from './support/fanouts.js';
import { openPostgres, type TestDatabase } from './support/databases.js';
import { startMosquitto, type RunningMosquitto } from './support/mosquitto.js';
import { startTestServer, type TestServer } from './support/server.js';

jest.setTimeout(120_000);

async function until<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`never happened: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** An agent's connection: its last will says offline, retained. */
function connectDevice(url: string, id: string): Promise<MqttClient> {
  const will: StatusMessage = { v: 1, state: 'offline', reason: 'will' };
  return mqtt.connectAsync(url, {
    clientId: id,
    protocolVersion: 5,
    clean: true,
    reconnectPeriod: 0,
    will: { topic: deviceTopic(id, 'status'), payload: Buffer.from(encodeMessage(will)), qos: 1, retain: true },
  });
}

const online = (timelineVersion: number): StatusMessage => ({ v: 1, state: 'online', reason: 'connect', at: Date.now(), kind: 'speaker', agentVersion: 'test', timelineVersion });

/** The next message on `topic` the client receives (it must be subscribed, or subscribe right after). */
const nextOn = (client: MqttClient, topic: string): Promise<Buffer> =>
  new Promise((resolve) => {
    const on = (t: string, payload: Buffer) => {
      if (t !== topic) return;
      client.off('message', on);
      resolve(payload);
    };
    client.on('message', on);
  });

describe('retained messages at an external broker', () => {
  let mosquitto: RunningMosquitto;
  let db: TestDatabase;
  let env: Record<string, string>;
  let t: TestServer | undefined;
  const clients: MqttClient[] = [];

  const device = async (id: string) => (await t!.api<{ online: boolean; lastConnection?: { reason: string } }>('GET', `/api/v1/devices/${id}`)).body;
  const register = async (id: string, kind = 'speaker') => expect((await t!.api('POST', '/api/v1/devices', { id, name: id, kind, areaCode: '01' })).status).toBe(201);
  const connected = async (id: string) => {
    const c = await connectDevice(mosquitto.url, id);
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    mosquitto = await startMosquitto({ persistence: false });
    db = await openPostgres();
    env = { LOA_MQTT_URL: mosquitto.url, LOA_BROKER_ACCOUNTS: 'none', LOA_DATABASE_URL: (db.dataSource.options as { url: string }).url, LOA_INSTANCE_ID: 'retained-1' };
    t = await startTestServer(env);
    await t.api('POST', '/api/v1/areas', { code: '01', name: 'Hà Nội', level: 'province' });
  });

  afterEach(() => {
    for (const c of clients.splice(0)) c.end(true);
  });

  afterAll(async () => {
    await t?.close();
    await db?.close();
    await mosquitto?.stop();
  });

  it('reads the statuses devices published while no server instance was running: offline by last will, and online', async () => {
    await register('spk-gone');
    await register('spk-late');
    const gone = await connected('spk-gone');
    await gone.publishAsync(deviceTopic('spk-gone', 'status'), encodeMessage(online(0)), { qos: 1, retain: true });
    await until('spk-gone online', async () => (await device('spk-gone')).online);

    await t!.close();
    t = undefined;
    // While no instance runs: one device's connection drops (the broker publishes its will, retained), another connects.
    const watcher = await connected('watcher-1');
    await watcher.subscribeAsync(deviceTopic('spk-gone', 'status'), { qos: 1, rh: 2 });
    const will = nextOn(watcher, deviceTopic('spk-gone', 'status'));
    gone.stream.destroy();
    const published = statusMessageSchema.parse(JSON.parse((await will).toString()));
    expect(published).toMatchObject({ state: 'offline', reason: 'will' });
    const late = await connected('spk-late');
    await late.publishAsync(deviceTopic('spk-late', 'status'), encodeMessage(online(0)), { qos: 1, retain: true });

    t = await startTestServer(env);
    await until('spk-gone offline by its will', async () => !(await device('spk-gone')).online);
    await until('spk-late online', async () => (await device('spk-late')).online);
    const counters = (await t.api<{ counters: Record<string, number> }>('GET', '/api/health')).body.counters;
    expect(counters.mqtt_retained_read).toBeGreaterThanOrEqual(2);
    // Live statuses go on arriving through the shared subscription.
    await late.publishAsync(deviceTopic('spk-late', 'status'), encodeMessage({ v: 1, state: 'offline', reason: 'shutdown', at: Date.now() }), { qos: 1, retain: true });
    await until('spk-late offline', async () => !(await device('spk-late')).online);
  });

  it('sends a timeline again to a device reporting an old version after the broker restarted without persistence', async () => {
    const id = 'brd-tl';
    await register(id, 'board'); // a text bulletin plays on boards
    const key: VerifyKey = verifyKeyFromBase64((await t!.api<{ publicKey: string }>('GET', '/api/v1/signing-key')).body.publicKey);
    const timelineOf = (payload: Buffer) => {
      const r = openSigned(timelineMessageSchema, payload.toString(), key);
      if (!r.ok) throw new Error(r.error);
      return r.value;
    };
    const content = await t!.api<{ id: string }>('POST', '/api/v1/contents', { type: 'text', title: 'Bản tin', text: 'Xin chào', approve: true });
    const startAt = new Date(Math.ceil((Date.now() + 10 * 60_000) / 60_000) * 60_000).toISOString();
    const schedule = await t!.api<{ fanout: { id: string } }>('POST', '/api/v1/schedules', { contentId: content.body.id, startAt, targets: { devices: [id] } });
    expect(schedule.status).toBe(201);
    await fanoutDone(t!.api, schedule.body.fanout.id);

    // The device gets its timeline retained and says it holds it: nothing to re-send.
    const first = await connected(id);
    const retained = nextOn(first, deviceTopic(id, 'timeline'));
    await first.subscribeAsync(deviceTopic(id, 'timeline'), { qos: 1 });
    const version = timelineOf(await retained).version;
    await first.publishAsync(deviceTopic(id, 'status'), encodeMessage(online(version)), { qos: 1, retain: true });
    await until('the device online', async () => (await device(id)).online);

    const health = async () => (await t!.api<{ broker: { connected: boolean }; counters: Record<string, number> }>('GET', '/api/health')).body;
    const resubscribed = (await health()).counters.mqtt_broker_resubscribed ?? 0;
    await mosquitto.stop(true);
    await until('the server notices the broker is gone', async () => !(await health()).broker.connected);
    await mosquitto.restart();
    await until('the server subscribed again', async () => {
      const h = await health();
      return h.broker.connected && (h.counters.mqtt_broker_resubscribed ?? 0) > resubscribed;
    });

    // The broker kept nothing: a device that lost its storage reconnects with an older version, and must get it again.
    const again = await connected(id);
    await again.subscribeAsync(deviceTopic(id, 'timeline'), { qos: 1 });
    const resent = nextOn(again, deviceTopic(id, 'timeline'));
    await again.publishAsync(deviceTopic(id, 'status'), encodeMessage(online(version - 1)), { qos: 1, retain: true });
    expect(timelineOf(await resent)).toMatchObject({ deviceId: id, version });
  });
});
