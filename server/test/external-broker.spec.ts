/**
 * The whole server on an external broker (a real Mosquitto started by the test, anonymous devices:
 * LOA_BROKER_ACCOUNTS=none, so device accounts are not what this is about): a device that talks to Mosquitto only
 * gets its retained timeline, has its reports committed and acknowledged, answers a command; the server rides out a
 * broker restart; start-up fails with what to fix when the broker is unreachable. Waits are on events, never sleeps.
 */
import { jest } from '@jest/globals';
import mqtt, { type MqttClient } from 'mqtt';
import { z } from 'zod';
import {
  commandMessageSchema,
  DEVICE_ENDPOINTS_PATH,
  deviceTopic,
  encodeMessage,
  eventsAckSchema,
  openSigned,
  timelineMessageSchema,
  verifyKeyFromBase64,
  type CommandResultMessage,
  type EventsBatch,
  type StatusMessage,
  type VerifyKey,
} from '@loa/shared';
import { BrokerConnectError } from '../src/broker/broker-errors.js';
import { fanoutDone } from './support/fanouts.js';
import { startMosquitto, type RunningMosquitto } from './support/mosquitto.js';
import { startTestServer, type TestServer } from './support/server.js';

jest.setTimeout(90_000);

const DEVICE = 'brd-ext';

/** Polls until `check` holds (data and jobs arrive on their own schedule); bounded, with what never happened. */
async function until<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`never happened: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** What an agent does: connects to the broker with its last will, and collects what arrives by topic. */
async function connectDevice(url: string): Promise<{ client: MqttClient; next(topic: string): Promise<Buffer> }> {
  const will: StatusMessage = { v: 1, state: 'offline', reason: 'will' };
  const client = await mqtt.connectAsync(url, {
    clientId: DEVICE,
    protocolVersion: 5,
    clean: true,
    reconnectPeriod: 0,
    will: { topic: deviceTopic(DEVICE, 'status'), payload: Buffer.from(encodeMessage(will)), qos: 1, retain: true },
  });
  const inbox = new Map<string, Buffer[]>();
  const waiting = new Map<string, (b: Buffer) => void>();
  client.on('message', (topic, payload) => {
    const w = waiting.get(topic);
    if (w) {
      waiting.delete(topic);
      w(payload);
    } else inbox.set(topic, [...(inbox.get(topic) ?? []), payload]);
  });
  return {
    client,
    next: (topic) => {
      const queued = inbox.get(topic)?.shift();
      return queued ? Promise.resolve(queued) : new Promise((resolve) => waiting.set(topic, resolve));
    },
  };
}

describe('the server on an external broker (Mosquitto)', () => {
  let mosquitto: RunningMosquitto;
  let t: TestServer;
  let key: VerifyKey;
  const clients: MqttClient[] = [];
  let occurrenceId: string;
  const opened = <S extends z.ZodType>(schema: S, payload: Buffer): z.infer<S> => {
    const r = openSigned(schema, payload.toString(), key);
    if (!r.ok) throw new Error(`server message did not verify: ${r.error}`);
    return r.value;
  };
  const delivery = async () =>
    (await t.api<Array<{ occurrenceId: string; state: string }>>('GET', `/api/v1/devices/${DEVICE}/deliveries`)).body.find((d) => d.occurrenceId === occurrenceId)?.state;
  const health = async () => (await t.api<{ mqttPort: number | null; broker: { kind: string; connected: boolean; url?: string }; counters: Record<string, number> }>('GET', '/api/health')).body;

  /** Sends one report and resolves with the ack the server sends back (after its commit). */
  const report = async (dev: Awaited<ReturnType<typeof connectDevice>>, id: string, type: 'started' | 'finished'): Promise<string[]> => {
    const batch: EventsBatch = { v: 1, events: [{ id, occurrenceId, type, at: Date.now() }] };
    const ack = dev.next(deviceTopic(DEVICE, 'events/ack'));
    await dev.client.publishAsync(deviceTopic(DEVICE, 'events'), encodeMessage(batch), { qos: 1 });
    return opened(eventsAckSchema, await ack).ids;
  };

  beforeAll(async () => {
    mosquitto = await startMosquitto({ persistence: true });
    t = await startTestServer({ LOA_MQTT_URL: mosquitto.url, LOA_BROKER_ACCOUNTS: 'none', LOA_INSTANCE_ID: 'ext-1' });
    key = verifyKeyFromBase64((await t.api<{ publicKey: string }>('GET', '/api/v1/signing-key')).body.publicKey);
    await t.api('POST', '/api/v1/areas', { code: '01', name: 'Hà Nội', level: 'province' });
    await t.api('POST', '/api/v1/areas', { code: '00004', name: 'Xã Tây Đằng', level: 'commune', parentCode: '01' });
    expect((await t.api('POST', '/api/v1/devices', { id: DEVICE, name: 'Bảng tin', kind: 'board', areaCode: '00004' })).status).toBe(201);
  });

  afterEach(() => {
    for (const c of clients.splice(0)) c.end(true);
  });

  afterAll(async () => {
    await t?.close();
    await mosquitto?.stop();
  });

  it('reports the broker it is a client of, and gives installers its URL', async () => {
    expect(t.server.mqttPort).toBeNull();
    const h = await health();
    expect(h.mqttPort).toBeNull();
    expect(h.broker).toMatchObject({ kind: 'external', connected: true, url: mosquitto.url });
    const endpoints = await t.api<{ mqttUrl: string; mqttUrlSource: string }>('GET', DEVICE_ENDPOINTS_PATH);
    expect(endpoints.body).toMatchObject({ mqttUrl: mosquitto.url, mqttUrlSource: 'setting' });
  });

  it('gives a device its retained timeline when it subscribes late, acks its reports after the commit, and runs a command', async () => {
    const content = await t.api<{ id: string }>('POST', '/api/v1/contents', { type: 'text', title: 'Bản tin', text: 'Xin chào', approve: true });
    const startAt = new Date(Math.ceil((Date.now() + 10 * 60_000) / 60_000) * 60_000).toISOString();
    const schedule = await t.api<{ fanout: { id: string } }>('POST', '/api/v1/schedules', { contentId: content.body.id, startAt, targets: { devices: [DEVICE] } });
    expect(schedule.status).toBe(201);
    await fanoutDone(t.api, schedule.body.fanout.id);
    const version = (await t.api<{ timelineVersion: number }>('GET', `/api/v1/devices/${DEVICE}`)).body.timelineVersion;

    // The device connects only now: the broker kept its timeline, retained.
    const dev = await connectDevice(t.mqttUrl);
    clients.push(dev.client);
    const retained = dev.next(deviceTopic(DEVICE, 'timeline'));
    await dev.client.subscribeAsync([deviceTopic(DEVICE, 'timeline'), deviceTopic(DEVICE, 'events/ack'), deviceTopic(DEVICE, 'req')], { qos: 1 });
    const timeline = opened(timelineMessageSchema, await retained);
    expect(timeline).toMatchObject({ deviceId: DEVICE, version });
    occurrenceId = timeline.slots[0]!.occurrenceId;

    const online: StatusMessage = { v: 1, state: 'online', reason: 'connect', at: Date.now(), kind: 'board', agentVersion: 'test', timelineVersion: version };
    await dev.client.publishAsync(deviceTopic(DEVICE, 'status'), encodeMessage(online), { qos: 1, retain: true });
    await until('the device online', async () => (await t.api<{ online: boolean }>('GET', `/api/v1/devices/${DEVICE}`)).body.online);

    expect(await report(dev, 'ev-started', 'started')).toEqual(['ev-started']);
    // Acknowledged means committed: the delivery has moved when the ack is in the device's hands.
    expect(await delivery()).toBe('started');

    const cmd = await t.api<{ id: string; fanout: { id: string } }>('POST', '/api/v1/commands', { command: { type: 'selfTest' }, target: { deviceId: DEVICE }, ttlS: 60 });
    expect(cmd.status).toBe(201);
    const request = opened(commandMessageSchema, await dev.next(deviceTopic(DEVICE, 'req')));
    expect(request).toMatchObject({ id: cmd.body.id, deviceId: DEVICE, command: { type: 'selfTest' } });
    const result: CommandResultMessage = { v: 1, id: request.id, at: Date.now(), status: 'ok', message: 'all good' };
    await dev.client.publishAsync(deviceTopic(DEVICE, 'res'), encodeMessage(result), { qos: 1 });
    await until('the command result recorded', async () => {
      const detail = await t.api<{ results: { items: Array<{ deviceId: string; state: string }> } }>('GET', `/api/v1/commands/${cmd.body.id}?state=ok`);
      return detail.body.results.items.some((r) => r.deviceId === DEVICE);
    });
  });

  it('rides out a broker restart: reconnects, subscribes again, and commits and acks a report sent afterwards', async () => {
    expect(occurrenceId).toBeDefined(); // the test before this one made the device's timeline
    await mosquitto.stop(true);
    await until('the server notices the broker is gone', async () => !(await health()).broker.connected);
    await mosquitto.restart();
    await until('the server subscribed again', async () => {
      const h = await health();
      return h.broker.connected && (h.counters.mqtt_broker_resubscribed ?? 0) >= 1;
    });
    const dev = await connectDevice(t.mqttUrl);
    clients.push(dev.client);
    // The retained timeline survived the restart (Mosquitto persistence).
    const retained = dev.next(deviceTopic(DEVICE, 'timeline'));
    await dev.client.subscribeAsync([deviceTopic(DEVICE, 'timeline'), deviceTopic(DEVICE, 'events/ack')], { qos: 1 });
    expect(opened(timelineMessageSchema, await retained).deviceId).toBe(DEVICE);
    expect(await report(dev, 'ev-finished', 'finished')).toEqual(['ev-finished']);
    expect(await delivery()).toBe('finished');
  });

  it('stops gracefully: leaves the broker with a DISCONNECT, after its last publishes', async () => {
    const server = t;
    t = undefined as unknown as TestServer; // closed here, not again in afterAll
    await server.close();
    // Mosquitto tells a clean DISCONNECT ("disconnected") from a dropped connection ("closed its connection").
    expect(mosquitto.log()).toMatch(/Client loa-server-ext-1 disconnected\./);
  });
});

describe('the server with an unreachable external broker', () => {
  it('fails to start, naming LOA_MQTT_URL and the reason', async () => {
    const gone = await startMosquitto();
    const url = gone.url;
    await gone.stop(); // nothing listens on that port any more
    const start = startTestServer({ LOA_MQTT_URL: url, LOA_BROKER_ACCOUNTS: 'none' });
    await expect(start).rejects.toThrow(BrokerConnectError);
    await expect(start).rejects.toThrow(new RegExp(`^LOA_MQTT_URL=${url}: the MQTT broker could not be reached within \\d+ s \\(connect ECONNREFUSED`));
  });
});
