/**
 * Every input from outside is validated: bad HTTP requests get a clear 4xx, bad MQTT clients are refused or
 * disconnected and counted, and none of it hurts the server. Also: a busy port stops start-up with a message
 * that names the port and the setting.
 */
import { jest } from '@jest/globals';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { MqttClient } from 'mqtt';
import { MAX_PAYLOAD_BYTES, deviceTopic } from '@loa/shared';
import {
  closesWithin,
  launchServer,
  loa,
  occupyPort,
  freePort,
  within,
  spawnServer,
  stopAll,
  tempDir,
  tryConnect,
  waitFor,
  type CreatedDevice,
  type TestServer,
} from './support/index.js';

// jest.config.js's per-project testTimeout is not applied by Jest (only the root 30 s is), so set it here.
jest.setTimeout(90_000);

const SUITE = 'bad-input';

describe('bad input', () => {
  let server: TestServer;
  const work = tempDir(SUITE);
  const clients: MqttClient[] = [];

  beforeAll(async () => {
    server = await spawnServer({ suite: SUITE });
    await loa.createArea(server.api, { code: '01', name: 'Thành phố Hà Nội', level: 'province' });
    await loa.createArea(server.api, { code: '09955', name: 'Xã Tây Đằng', level: 'commune', parentCode: '01' });
  }, 90_000);

  afterAll(async () => {
    for (const c of clients) c.end(true);
    await stopAll();
  }, 30_000);

  // Devices are created on first use, so that the tests that do not need the devices endpoint stand alone.
  let devices: Promise<[CreatedDevice, CreatedDevice]> | undefined;
  const twoDevices = () =>
    (devices ??= Promise.all([
      loa.createDevice(server.api, { id: 'spk-bad-01', name: 'Loa thử 1', kind: 'speaker', areaCode: '09955' }),
      loa.createDevice(server.api, { id: 'spk-bad-02', name: 'Loa thử 2', kind: 'speaker', areaCode: '09955' }),
    ]));

  const counter = async (name: string) => (await server.health()).counters[name] ?? 0;

  describe('HTTP', () => {
    it('refuses a request without a token (401)', async () => {
      const anon = server.api.anonymous();
      expect((await anon.request('GET', '/api/v1/areas')).status).toBe(401);
      expect((await anon.request('POST', '/api/v1/areas', { code: '02', name: 'Hà Giang', level: 'province' })).status).toBe(401);
      const forged = await fetch(`${server.baseUrl}/api/v1/areas`, { headers: { authorization: 'Bearer not-a-token' } });
      expect(forged.status).toBe(401);
      // Health stays public for load balancers and probes.
      expect((await anon.request('GET', '/api/health')).status).toBe(200);
    });

    it('refuses a wrong admin password', async () => {
      const r = await server.api.anonymous().request('POST', '/api/v1/auth/login', { username: 'admin', password: 'wrong-password' });
      expect(r.status).toBe(401);
    });

    it('refuses an area with a bad code, level or unknown parent (400/404) and keeps the tree intact', async () => {
      expect((await server.api.request('POST', '/api/v1/areas', { code: 'a/b', name: 'Xấu', level: 'commune', parentCode: '01' })).status).toBe(400);
      expect((await server.api.request('POST', '/api/v1/areas', { code: '09956', name: 'Xã', level: 'hamlet', parentCode: '01' })).status).toBe(400);
      const orphan = await server.api.request('POST', '/api/v1/areas', { code: '09957', name: 'Xã mồ côi', level: 'commune', parentCode: '99999' });
      expect([400, 404]).toContain(orphan.status);
      expect(orphan.text).toContain('99999');
    });

    it('refuses a non-audio upload with a reason (400)', async () => {
      const notAudio = path.join(work, 'bao-cao.mp3');
      await writeFile(notAudio, 'Đây không phải là tệp âm thanh, chỉ là văn bản.\n'.repeat(50));
      const r = await server.api.uploadRaw('/api/v1/media', notAudio, 'audio/mpeg');
      expect(r.status).toBe(400);
      expect(r.text.length).toBeGreaterThan(0);
      const missing = await server.api.request('POST', '/api/v1/media', new FormData());
      expect(missing.status).toBe(400);
    });

    it('refuses a schedule in the past, and unknown area/device targets, naming them (400)', async () => {
      const content = await loa.createTextContent(server.api, 'Thông báo thử', 'Nội dung thử nghiệm', 10);
      const past = await server.api.request('POST', '/api/v1/schedules', {
        contentId: content.id,
        startAt: new Date(Date.now() - 3_600_000).toISOString(),
        targets: { areas: ['09955'] },
      });
      expect(past.status).toBe(400);
      expect(past.text).toMatch(/startAt|past|quá khứ/i);

      const future = new Date(Date.now() + 3_600_000).toISOString();
      const badArea = await server.api.request('POST', '/api/v1/schedules', { contentId: content.id, startAt: future, targets: { areas: ['xa-khong-ton-tai'] } });
      expect(badArea.status).toBe(400);
      expect(badArea.text).toContain('xa-khong-ton-tai');

      const badDevice = await server.api.request('POST', '/api/v1/schedules', { contentId: content.id, startAt: future, targets: { devices: ['loa-khong-ton-tai'] } });
      expect(badDevice.status).toBe(400);
      expect(badDevice.text).toContain('loa-khong-ton-tai');

      const noTargets = await server.api.request('POST', '/api/v1/schedules', { contentId: content.id, startAt: future, targets: {} });
      expect(noTargets.status).toBe(400);
    });
  });

  describe('MQTT', () => {
    it('refuses an unknown device id', async () => {
      const r = await tryConnect(server.mqttUrl, { clientId: 'loa-khong-ton-tai', username: 'loa-khong-ton-tai', password: 'whatever' });
      expect(r.connected).toBe(false);
      if (!r.connected) expect([4, 5, 134, 135]).toContain(r.code);
    });

    it('refuses a client without credentials, and a client id that differs from the user name', async () => {
      const anon = await tryConnect(server.mqttUrl, { clientId: 'anon-client' });
      expect(anon.connected).toBe(false);
      const [a] = await twoDevices();
      const hijack = await tryConnect(server.mqttUrl, { clientId: 'someone-else', username: a.device.id, password: a.secret });
      expect(hijack.connected).toBe(false);
    });

    it('refuses a registered device with a wrong secret', async () => {
      const [a] = await twoDevices();
      const before = await counter('mqtt_auth_refused');
      const r = await tryConnect(server.mqttUrl, { clientId: a.device.id, username: a.device.id, password: `${a.secret}x` });
      expect(r.connected).toBe(false);
      if (!r.connected) expect([4, 5, 134, 135]).toContain(r.code);
      expect(await counter('mqtt_auth_refused')).toBeGreaterThan(before);
    });

    it('disconnects a device that publishes on another device\'s topic', async () => {
      const [a, b] = await twoDevices();
      const r = await tryConnect(server.mqttUrl, { clientId: a.device.id, username: a.device.id, password: a.secret, clean: true });
      expect(r.connected).toBe(true);
      if (!r.connected) return;
      clients.push(r.client);
      const before = await counter('mqtt_publish_refused');
      r.client.publish(deviceTopic(b.device.id, 'events'), JSON.stringify({ v: 1, events: [{ id: 'x', occurrenceId: 'y', type: 'finished', at: Date.now() }] }), { qos: 1 });
      expect(await closesWithin(r.client, 10_000)).toBe(true);
      expect(await counter('mqtt_publish_refused')).toBeGreaterThan(before);
    });

    it('refuses subscriptions outside the device\'s own downstream topics', async () => {
      const [a, b] = await twoDevices();
      const r = await tryConnect(server.mqttUrl, { clientId: a.device.id, username: a.device.id, password: a.secret, clean: true });
      expect(r.connected).toBe(true);
      if (!r.connected) return;
      clients.push(r.client);
      const before = await counter('mqtt_subscribe_refused');
      const forbidden = [deviceTopic(b.device.id, 'timeline'), 'loa/v1/d/+/timeline', '#', deviceTopic(a.device.id, 'events')];
      for (const filter of forbidden) {
        // SUBACK 0x80: mqtt.js rejects subscribeAsync with "Subscribe error"; a granted QoS would be a hole in the ACL.
        const granted = await r.client.subscribeAsync(filter, { qos: 1 }).then(
          (gs) => gs.map((g) => g.qos),
          () => [128],
        );
        expect({ filter, granted }).toEqual({ filter, granted: [128] });
      }
      expect(await counter('mqtt_subscribe_refused')).toBeGreaterThanOrEqual(before + forbidden.length);
      const own = await r.client.subscribeAsync(deviceTopic(a.device.id, 'timeline'), { qos: 1 });
      expect(own.map((g) => g.qos)).toEqual([1]);
      r.client.end(true);
    });

    it('survives a malformed and an oversized payload on the device\'s own events topic, and counts them', async () => {
      const [, b] = await twoDevices();
      const connect = async () => {
        const r = await tryConnect(server.mqttUrl, { clientId: b.device.id, username: b.device.id, password: b.secret, clean: true });
        expect(r.connected).toBe(true);
        if (!r.connected) throw new Error(r.message);
        clients.push(r.client);
        return r.client;
      };
      const topic = deviceTopic(b.device.id, 'events');

      const malformedBefore = await counter('mqtt_message_refused');
      const c1 = await connect();
      await c1.publishAsync(topic, '{"v":1,"events":[{"id":', { qos: 1 });
      await c1.publishAsync(topic, JSON.stringify({ v: 1, events: [{ id: 'ok-id', occurrenceId: 'occ', type: 'exploded', at: -5 }] }), { qos: 1 });
      await waitFor(async () => (await counter('mqtt_message_refused')) >= malformedBefore + 2, 10_000, { what: 'mqtt_message_refused to grow by 2' });
      c1.end(true);

      const oversizedBefore = await counter('mqtt_publish_refused');
      const c2 = await connect();
      c2.publish(topic, Buffer.alloc(MAX_PAYLOAD_BYTES + 1, 0x20), { qos: 1 });
      expect(await closesWithin(c2, 10_000)).toBe(true);
      expect(await counter('mqtt_publish_refused')).toBeGreaterThan(oversizedBefore);

      const h = await server.health();
      expect(h.status).toBe('ok');
      // And the device can still come back normally.
      const c3 = await connect();
      expect(c3.connected).toBe(true);
      c3.end(true);
    });
  });

  describe('start-up', () => {
    it('exits non-zero naming the port and LOA_MQTT_PORT when the MQTT port is taken', async () => {
      const held = await occupyPort();
      try {
        const proc = launchServer({ suite: SUITE, name: 'server-mqtt-port-busy', dataDir: tempDir('busy'), httpPort: await freePort(), mqttPort: held.port });
        const exit = await within(proc.exited, 30_000);
        if (!exit) await proc.stop('SIGKILL', 1000);
        expect(exit).not.toBeNull();
        expect(exit!.code).not.toBe(0);
        const out = proc.stderr() + proc.stdout();
        expect(out).toContain(String(held.port));
        expect(out).toContain('LOA_MQTT_PORT');
      } finally {
        await held.close();
      }
    });

    it('exits non-zero naming the port and LOA_HTTP_PORT when the HTTP port is taken', async () => {
      const held = await occupyPort();
      try {
        const proc = launchServer({ suite: SUITE, name: 'server-http-port-busy', dataDir: tempDir('busy'), httpPort: held.port, mqttPort: await freePort() });
        const exit = await within(proc.exited, 30_000);
        if (!exit) await proc.stop('SIGKILL', 1000);
        expect(exit).not.toBeNull();
        expect(exit!.code).not.toBe(0);
        const out = proc.stderr() + proc.stdout();
        expect(out).toContain(String(held.port));
        expect(out).toContain('LOA_HTTP_PORT');
      } finally {
        await held.close();
      }
    });

    it('exits with code 2 and names the setting on invalid configuration', async () => {
      const proc = launchServer({
        suite: SUITE,
        name: 'server-bad-config',
        dataDir: tempDir('badcfg'),
        httpPort: await freePort(),
        mqttPort: await freePort(),
        env: { LOA_ADMIN_PASSWORD: 'short' },
      });
      const exit = await within(proc.exited, 30_000);
      if (!exit) await proc.stop('SIGKILL', 1000);
      expect(exit?.code).toBe(2);
      expect(proc.stderr()).toContain('LOA_ADMIN_PASSWORD');
    });
  });

  it('is still healthy after all of the above', async () => {
    const h = await server.health();
    expect(h.status).toBe('ok');
    expect(h.mqttPort).toBe(server.mqttPort);
  });
});
