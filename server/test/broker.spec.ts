import mqtt, { type MqttClient } from 'mqtt';
import { connect as tcpConnect, type Socket } from 'node:net';
import { z } from 'zod';
import { alertMessageSchema, areaTopic, deviceTopic, encodeMessage, MAX_PAYLOAD_BYTES, openSigned, timelineMessageSchema, verifyKeyFromBase64, type VerifyKey } from '@loa/shared';
import { startTestServer, type TestServer } from './support/server.js';

/** Connects a raw mqtt.js client; resolves with the client or the broker's refusal. */
function connect(url: string, clientId: string, username: string, password: string): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const c = mqtt.connect(url, { clientId, username, password, reconnectPeriod: 0, connectTimeout: 5000, clean: true });
    c.once('connect', () => resolve(c));
    c.once('error', (err) => {
      c.end(true);
      reject(err);
    });
  });
}

/** MQTT's remaining-length encoding (7 bits a byte), for packets written by hand. */
function remainingLength(n: number): Buffer {
  const out: number[] = [];
  do {
    out.push((n % 128) | (n >= 128 ? 0x80 : 0));
    n = Math.floor(n / 128);
  } while (n > 0);
  return Buffer.from(out);
}
const mqttString = (v: string) => Buffer.concat([Buffer.from([v.length >> 8, v.length & 0xff]), Buffer.from(v)]);
const connectPacket = (id: string, secret: string) => {
  const body = Buffer.concat([mqttString('MQTT'), Buffer.from([4, 0xc2, 0, 60]), mqttString(id), mqttString(id), mqttString(secret)]);
  return Buffer.concat([Buffer.from([0x10]), remainingLength(body.length), body]);
};

/** A raw TCP session to the broker, for what mqtt.js will not send; `closed` resolves when the server ends it. */
async function rawSession(url: string): Promise<{ socket: Socket; received: () => Buffer; closed: Promise<void> }> {
  const { hostname, port } = new URL(url);
  const socket = tcpConnect({ host: hostname, port: Number(port) });
  let received = Buffer.alloc(0);
  socket.on('data', (d: Buffer) => (received = Buffer.concat([received, d])));
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return { socket, received: () => received, closed };
}

/** Writes up to `bytes` of filler, stopping when the server closes the connection; resolves with the bytes written. */
async function stream(socket: Socket, bytes: number): Promise<number> {
  const chunk = Buffer.alloc(64 * 1024, 0x41);
  let sent = 0;
  while (sent < bytes && !socket.destroyed) {
    sent += chunk.length;
    if (!socket.write(chunk))
      await new Promise<void>((resolve) => {
        const done = () => {
          socket.off('drain', done).off('close', done);
          resolve();
        };
        socket.on('drain', done).on('close', done);
      });
  }
  return sent;
}

const closed = (c: MqttClient) => new Promise<void>((resolve) => (c.connected ? c.once('close', () => resolve()) : resolve()));
/** Polls a condition of the test's own state (no clock involved): data arrives on its own schedule. */
async function waitUntil(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((resolve) => setTimeout(resolve, 10));
}
const counters = async (t: TestServer) => (await t.api<{ counters: Record<string, number> }>('GET', '/api/health')).body.counters;

describe('embedded MQTT broker', () => {
  let t: TestServer;
  const secrets: Record<string, string> = {};
  const clients: MqttClient[] = [];
  let key: VerifyKey;
  /** What an agent does with a server message: verify the signature against the pinned key, then read it. */
  const opened = (payload: string): unknown => {
    const r = openSigned(z.unknown(), payload, key);
    if (!r.ok) throw new Error(`server message did not verify: ${r.error}`);
    return r.value;
  };

  beforeAll(async () => {
    t = await startTestServer();
    key = verifyKeyFromBase64((await t.api<{ publicKey: string }>('GET', '/api/v1/signing-key')).body.publicKey);
    await t.api('POST', '/api/v1/areas', { code: '01', name: 'Hà Nội', level: 'province' });
    await t.api('POST', '/api/v1/areas', { code: '02', name: 'Hà Giang', level: 'province' });
    await t.api('POST', '/api/v1/areas', { code: '00004', name: 'Xã Tây Đằng', level: 'commune', parentCode: '01' });
    for (const id of ['dev-a', 'dev-b']) {
      const r = await t.api<{ secret: string }>('POST', '/api/v1/devices', { id, name: id, kind: 'speaker', areaCode: '00004' });
      secrets[id] = r.body.secret;
    }
  });

  afterEach(() => {
    for (const c of clients.splice(0)) c.end(true);
  });

  afterAll(() => t.close());

  it('accepts a device with its own credentials', async () => {
    const c = await connect(t.mqttUrl, 'dev-a', 'dev-a', secrets['dev-a']!);
    clients.push(c);
    expect(c.connected).toBe(true);
  });

  it.each([
    ['a wrong secret', 'dev-a', 'dev-a', 'wrong'],
    ['an unknown device', 'ghost', 'ghost', 'whatever'],
    ['another device\'s client id', 'dev-b', 'dev-a', 'SECRET_A'],
  ])('refuses %s', async (_label, clientId, username, password) => {
    const before = (await counters(t)).mqtt_auth_refused ?? 0;
    await expect(connect(t.mqttUrl, clientId, username, password === 'SECRET_A' ? secrets['dev-a']! : password)).rejects.toThrow(/Bad username or password|Not authorized/i);
    expect((await counters(t)).mqtt_auth_refused).toBe(before + 1);
  });

  it('refuses a subscription to another device\'s timeline and to wildcards', async () => {
    const c = await connect(t.mqttUrl, 'dev-a', 'dev-a', secrets['dev-a']!);
    clients.push(c);
    const before = (await counters(t)).mqtt_subscribe_refused ?? 0;
    await expect(c.subscribeAsync(deviceTopic('dev-b', 'timeline'), { qos: 1 })).rejects.toThrow(/Subscribe error/);
    await expect(c.subscribeAsync('loa/v1/#', { qos: 1 })).rejects.toThrow(/Subscribe error/);
    expect((await counters(t)).mqtt_subscribe_refused).toBe(before + 2);
    const granted = await c.subscribeAsync(deviceTopic('dev-a', 'timeline'), { qos: 1 });
    expect(granted.map((g) => g.qos)).toEqual([1]);
  });

  it('disconnects a device that publishes on another device\'s topic, and the server stays up', async () => {
    const c = await connect(t.mqttUrl, 'dev-a', 'dev-a', secrets['dev-a']!);
    clients.push(c);
    const before = (await counters(t)).mqtt_publish_refused ?? 0;
    const gone = closed(c);
    c.publish(deviceTopic('dev-b', 'events'), encodeMessage({ v: 1, events: [{ id: 'x', occurrenceId: 'o', type: 'finished', at: 1 }] }), { qos: 1 });
    await gone;
    expect((await counters(t)).mqtt_publish_refused).toBe(before + 1);
    expect((await t.api('GET', '/api/health')).status).toBe(200);
  });

  // The ACL's shortcut for a device's own topics (prefix, its id, a channel) must refuse every look-alike.
  it.each([
    ['its own downstream channel', () => deviceTopic('dev-a', 'timeline')],
    ['a level below its own channel', () => `${deviceTopic('dev-a', 'status')}/x`],
    ['a device whose id starts with its own', () => deviceTopic('dev-ab', 'events')],
    ['an unknown channel of its own', () => `${deviceTopic('dev-a', 'status').replace(/status$/, '')}nope`],
  ])('disconnects a device that publishes on %s', async (_label, topic) => {
    const c = await connect(t.mqttUrl, 'dev-a', 'dev-a', secrets['dev-a']!);
    clients.push(c);
    const before = (await counters(t)).mqtt_publish_refused ?? 0;
    const gone = closed(c);
    c.publish(topic(), encodeMessage({ v: 1, state: 'online', reason: 'connect' }), { qos: 1 });
    await gone;
    expect((await counters(t)).mqtt_publish_refused).toBe(before + 1);
  });

  it('refuses a subscription to its own upstream channel and to look-alikes of its own topics', async () => {
    const c = await connect(t.mqttUrl, 'dev-a', 'dev-a', secrets['dev-a']!);
    clients.push(c);
    const before = (await counters(t)).mqtt_subscribe_refused ?? 0;
    await expect(c.subscribeAsync(deviceTopic('dev-a', 'status'), { qos: 1 })).rejects.toThrow(/Subscribe error/);
    await expect(c.subscribeAsync(deviceTopic('dev-ab', 'timeline'), { qos: 1 })).rejects.toThrow(/Subscribe error/);
    await expect(c.subscribeAsync(`${deviceTopic('dev-a', 'timeline')}/x`, { qos: 1 })).rejects.toThrow(/Subscribe error/);
    expect((await counters(t)).mqtt_subscribe_refused).toBe(before + 3);
    const granted = await c.subscribeAsync([deviceTopic('dev-a', 'timeline/patch'), deviceTopic('dev-a', 'req')], { qos: 1 });
    expect(granted.map((g) => g.qos)).toEqual([1, 1]);
  });

  it('refuses an oversized payload on the device\'s own topic', async () => {
    const c = await connect(t.mqttUrl, 'dev-a', 'dev-a', secrets['dev-a']!);
    clients.push(c);
    const before = (await counters(t)).mqtt_publish_refused ?? 0;
    const gone = closed(c);
    c.publish(deviceTopic('dev-a', 'events'), Buffer.alloc(MAX_PAYLOAD_BYTES + 10, 0x41), { qos: 1 });
    await gone;
    expect((await counters(t)).mqtt_publish_refused).toBe(before + 1);
  });

  // A client announcing a huge packet would otherwise have the whole of it buffered by aedes' parser, logged in or not.
  it('closes a connection whose CONNECT announces more than a login can need, without buffering it', async () => {
    const before = (await counters(t)).mqtt_packet_too_large ?? 0;
    const s = await rawSession(t.mqttUrl);
    s.socket.write(Buffer.concat([Buffer.from([0x10]), remainingLength(50 * 1024 * 1024)]));
    const written = await stream(s.socket, 50 * 1024 * 1024);
    await s.closed;
    // Cut at the header: what got through is at most what the socket buffers held, far from the 50 MB announced.
    expect(written).toBeLessThan(10 * 1024 * 1024);
    expect((await counters(t)).mqtt_packet_too_large).toBe(before + 1);
    expect((await t.api('GET', '/api/health')).status).toBe(200);
  });

  it('closes a logged-in device\'s connection at the header of an oversized PUBLISH', async () => {
    const before = (await counters(t)).mqtt_packet_too_large ?? 0;
    const s = await rawSession(t.mqttUrl);
    s.socket.write(connectPacket('dev-a', secrets['dev-a']!));
    await waitUntil(() => s.received().length >= 4);
    expect([...s.received().subarray(0, 4)]).toEqual([0x20, 2, 0, 0]); // CONNACK, accepted
    const topic = mqttString(deviceTopic('dev-a', 'events'));
    s.socket.write(Buffer.concat([Buffer.from([0x32]), remainingLength(50 * 1024 * 1024), topic, Buffer.from([0, 1])]));
    const written = await stream(s.socket, 50 * 1024 * 1024);
    await s.closed;
    expect(written).toBeLessThan(10 * 1024 * 1024);
    expect((await counters(t)).mqtt_packet_too_large).toBe(before + 1);
    // A payload just over MAX_PAYLOAD_BYTES still reaches the ACL, which refuses it by name (test above).
  });

  it.each([
    ['not JSON', Buffer.from('{oops')],
    ['the wrong shape', encodeMessage({ v: 1, events: [{ id: 'e1', type: 'exploded' }] })],
    ['an empty batch', encodeMessage({ v: 1, events: [] })],
  ])('counts and drops an events payload that is %s, without acking', async (_label, payload) => {
    const c = await connect(t.mqttUrl, 'dev-a', 'dev-a', secrets['dev-a']!);
    clients.push(c);
    await c.subscribeAsync(deviceTopic('dev-a', 'events/ack'), { qos: 1 });
    const acks: string[] = [];
    c.on('message', (_topic, p) => acks.push(p.toString()));
    const before = (await counters(t)).mqtt_message_refused ?? 0;
    await c.publishAsync(deviceTopic('dev-a', 'events'), payload, { qos: 1 });
    for (let i = 0; i < 50 && ((await counters(t)).mqtt_message_refused ?? 0) === before; i++) await new Promise((r) => setTimeout(r, 20));
    expect((await counters(t)).mqtt_message_refused).toBe(before + 1);
    expect(acks).toEqual([]);
    expect(c.connected).toBe(true);
  });

  it('acknowledges a valid batch after committing it', async () => {
    const c = await connect(t.mqttUrl, 'dev-a', 'dev-a', secrets['dev-a']!);
    clients.push(c);
    await c.subscribeAsync(deviceTopic('dev-a', 'events/ack'), { qos: 1 });
    const ack = new Promise<string>((resolve) => c.once('message', (_t, p) => resolve(p.toString())));
    await c.publishAsync(deviceTopic('dev-a', 'events'), encodeMessage({ v: 1, events: [{ id: 'ok-1', occurrenceId: 'unknown:1', type: 'finished', at: 1 }] }), { qos: 1 });
    expect(opened(await ack)).toEqual({ v: 1, deviceId: 'dev-a', ids: ['ok-1'] });
  });

  it('marks a device online from its status and offline from its last will', async () => {
    const c = mqtt.connect(t.mqttUrl, {
      clientId: 'dev-b',
      username: 'dev-b',
      password: secrets['dev-b']!,
      reconnectPeriod: 0,
      keepalive: 1,
      will: { topic: deviceTopic('dev-b', 'status'), payload: encodeMessage({ v: 1, state: 'offline', reason: 'will' }), qos: 1, retain: true },
    });
    await new Promise((r) => c.once('connect', r));
    await c.publishAsync(deviceTopic('dev-b', 'status'), encodeMessage({ v: 1, state: 'online', reason: 'connect', at: Date.now() }), { qos: 1, retain: true });
    const online = async () => (await t.api<{ online: boolean }>('GET', '/api/v1/devices/dev-b')).body.online;
    for (let i = 0; i < 50 && !(await online()); i++) await new Promise((r) => setTimeout(r, 20));
    expect(await online()).toBe(true);
    // Destroy the socket without DISCONNECT, as a crashed or unplugged device would.
    (c as unknown as { stream: { destroy(): void } }).stream.destroy();
    for (let i = 0; i < 100 && (await online()); i++) await new Promise((r) => setTimeout(r, 50));
    expect(await online()).toBe(false);
    c.end(true);
  });

  it('gives a new device a timeline naming its areas, and lets it follow only those areas\' alerts', async () => {
    const c = await connect(t.mqttUrl, 'dev-a', 'dev-a', secrets['dev-a']!);
    clients.push(c);
    const timeline = new Promise<string>((resolve) => c.on('message', (topic, p) => topic.endsWith('/timeline') && resolve(p.toString())));
    await c.subscribeAsync(deviceTopic('dev-a', 'timeline'), { qos: 1 });
    expect(timelineMessageSchema.parse(opened(await timeline)).areaCodes).toEqual(['01', '00004']);

    await expect(c.subscribeAsync(areaTopic('02', 'alert'), { qos: 1 })).rejects.toThrow(/Subscribe error/);
    await c.subscribeAsync(areaTopic('01', 'alert'), { qos: 1 });
    const alert = new Promise<string>((resolve) => c.on('message', (topic, p) => topic === areaTopic('01', 'alert') && resolve(p.toString())));
    const sent = await t.api<{ id: string }>('POST', '/api/v1/alerts', { areaCode: '01', title: 'Cảnh báo lũ', text: 'Sơ tán khỏi vùng trũng' });
    expect(sent.status).toBe(201);
    expect(alertMessageSchema.parse(opened(await alert))).toMatchObject({ id: sent.body.id, msgType: 'alert', areaCode: '01' });
  });

  it('delivers a retained alert to a device that subscribes after it was sent', async () => {
    const c = await connect(t.mqttUrl, 'dev-b', 'dev-b', secrets['dev-b']!);
    clients.push(c);
    const alert = new Promise<string>((resolve) => c.on('message', (topic, p) => topic === areaTopic('01', 'alert') && resolve(p.toString())));
    await c.subscribeAsync(areaTopic('01', 'alert'), { qos: 1 });
    expect(alertMessageSchema.parse(opened(await alert)).title).toBe('Cảnh báo lũ');
  });
});

describe('bulk registration', () => {
  it('hands out secrets that each log their own device in', async () => {
    const t = await startTestServer();
    try {
      await t.api('POST', '/api/v1/areas', { code: '01', name: 'Hà Nội', level: 'province' });
      await t.api('POST', '/api/v1/areas', { code: '00004', name: 'Xã Tây Đằng', level: 'commune', parentCode: '01' });
      const devices = Array.from({ length: 50 }, (_, i) => ({ id: `d-${i}`, name: `Cụm loa ${i}`, kind: 'speaker', areaCode: i % 2 ? '01' : '00004' }));
      const r = await t.api<{ devices: Array<{ id: string; secret: string }> }>('POST', '/api/v1/devices/bulk', { devices });
      expect(r.status).toBe(201);
      expect(r.body.devices.map((d) => d.id)).toEqual(devices.map((d) => d.id));
      for (const d of r.body.devices) {
        const c = await connect(t.mqttUrl, d.id, d.id, d.secret);
        c.end(true);
      }
    } finally {
      await t.close();
    }
  });
});

describe('alert-channel ACL after a move', () => {
  it('lets a moved device follow its new area without reconnecting, and refuses its old one', async () => {
    const t = await startTestServer();
    try {
      for (const a of [
        { code: '01', name: 'Hà Nội', level: 'province' },
        { code: '02', name: 'Hà Giang', level: 'province' },
        { code: '00004', name: 'Xã Tây Đằng', level: 'commune', parentCode: '01' },
      ]) {
        await t.api('POST', '/api/v1/areas', a);
      }
      const { body } = await t.api<{ secret: string }>('POST', '/api/v1/devices', { id: 'mover', name: 'm', kind: 'speaker', areaCode: '00004' });
      const c = await connect(t.mqttUrl, 'mover', 'mover', body.secret);
      try {
        await c.subscribeAsync(areaTopic('01', 'alert'), { qos: 1 });
        await expect(c.subscribeAsync(areaTopic('02', 'alert'), { qos: 1 })).rejects.toThrow(/Subscribe error/);
        expect((await t.api('PATCH', '/api/v1/devices/mover', { areaCode: '02' })).status).toBe(200);
        await c.subscribeAsync(areaTopic('02', 'alert'), { qos: 1 });
        await expect(c.subscribeAsync(areaTopic('00004', 'alert'), { qos: 1 })).rejects.toThrow(/Subscribe error/);
      } finally {
        c.end(true);
      }
    } finally {
      await t.close();
    }
  });
});
