/**
 * A graceful stop (what SIGTERM runs) with devices connected: it ends every device session at once, commits what the
 * devices had sent, records why the sessions ended, and finishes, also when a login is still being checked. The
 * stop is awaited, never timed: a stop that hangs fails the test by its timeout.
 */
import { jest } from '@jest/globals';
import mqtt, { type MqttClient } from 'mqtt';
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { deviceTopic, encodeMessage, type EventsBatch, type StatusMessage } from '@loa/shared';
import { openAppDatabase as openDatabase } from '../src/app.database.js';
import { DeviceEventEntity } from '../src/deliveries/device-event.entity.js';
import { DeviceConnectionEntity } from '../src/devices/device-connection.entity.js';
import { DeviceEntity } from '../src/devices/device.entity.js';
import { DeviceLoginService } from '../src/device-auth/device-login.service.js';
import { openPostgres, type TestDatabase } from './support/databases.js';
import { startTestServer, type TestServer } from './support/server.js';

jest.setTimeout(60_000);

/** Connects as an agent does: persistent session, last will "offline", then its retained `online` status. */
async function connectDevice(url: string, id: string, secret: string): Promise<MqttClient> {
  const will: StatusMessage = { v: 1, state: 'offline', reason: 'will' };
  const c = await mqtt.connectAsync(url, {
    clientId: id,
    username: id,
    password: secret,
    clean: false,
    reconnectPeriod: 0,
    connectTimeout: 600_000,
    will: { topic: deviceTopic(id, 'status'), payload: Buffer.from(encodeMessage(will)), qos: 1, retain: true },
  });
  const online: StatusMessage = { v: 1, state: 'online', reason: 'connect', at: Date.now(), kind: 'speaker', agentVersion: 'test' };
  await c.publishAsync(deviceTopic(id, 'status'), encodeMessage(online), { qos: 1, retain: true });
  return c;
}

const closed = (c: MqttClient) => new Promise<void>((resolve) => (c.connected ? c.once('close', () => resolve()) : resolve()));

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`never happened: ${what}`);
}

async function fleetServer(t: TestServer, ids: readonly string[]): Promise<Record<string, string>> {
  await t.api('POST', '/api/v1/areas', { code: '01', name: 'Hà Nội', level: 'province' });
  await t.api('POST', '/api/v1/areas', { code: '00004', name: 'Xã Tây Đằng', level: 'commune', parentCode: '01' });
  const secrets: Record<string, string> = {};
  for (const id of ids) {
    const r = await t.api<{ secret: string }>('POST', '/api/v1/devices', { id, name: id, kind: 'speaker', areaCode: '00004' });
    if (r.status !== 201) throw new Error(`POST /api/v1/devices ${id} → ${r.status}`);
    secrets[id] = r.body.secret;
  }
  return secrets;
}

describe.each(['sqlite', 'postgres'])('graceful stop on %s', (db) => {
  let pg: TestDatabase | null = null;
  let t: TestServer;
  const clients: MqttClient[] = [];

  beforeEach(async () => {
    pg = db === 'postgres' ? await openPostgres() : null;
    t = await startTestServer(pg ? { LOA_DATABASE_URL: (pg.dataSource.options as { url: string }).url } : {});
  });

  afterEach(async () => {
    for (const c of clients.splice(0)) c.end(true);
    await t.server.close();
    rmSync(t.dataDir, { recursive: true, force: true });
    await pg?.close();
  });

  it('ends every session, commits the reports the broker took, leaves presence as it was (a restart is no device outage), and finishes', async () => {
    const ids = ['stop-a', 'stop-b'];
    const secrets = await fleetServer(t, ids);
    for (const id of ids) clients.push(await connectDevice(t.mqttUrl, id, secrets[id]!));
    await until('both devices online', async () => {
      const views = await Promise.all(ids.map((id) => t.api<{ online: boolean }>('GET', `/api/v1/devices/${id}`)));
      return views.every((v) => v.body.online);
    });
    const events: EventsBatch = {
      v: 1,
      events: Array.from({ length: 20 }, (_, i) => ({ id: randomUUID(), occurrenceId: `occ-stop-${i}`, type: 'finished' as const, at: Date.now() })),
    };
    // PUBACK: the broker has taken the batch. Its ack is not waited for: the stop comes before it.
    await clients[0]!.publishAsync(deviceTopic('stop-a', 'events'), encodeMessage(events), { qos: 1 });

    await t.server.close();
    await Promise.all(clients.map(closed));

    const check = pg ? pg.dataSource : await openDatabase({ type: 'sqlite', file: path.join(t.dataDir, 'loa.sqlite') });
    try {
      const stored = await check.getRepository(DeviceEventEntity).find({ where: { deviceId: 'stop-a' } });
      expect(stored.map((e) => e.eventId).sort()).toEqual(events.events.map((e) => e.id).sort());
      for (const id of ids) {
        const device = await check.getRepository(DeviceEntity).findOneByOrFail({ id });
        // As after a crash: the devices reconnect in seconds, or the heartbeat timeout marks them offline.
        expect(device.online).toBe(true);
        expect(device.presenceReason).toBe('connect');
        const log = await check.getRepository(DeviceConnectionEntity).find({ where: { deviceId: id }, order: { at: 'DESC', id: 'DESC' } });
        // Connected, and no offline row: no last will was published, and the stop wrote no transition.
        expect(log.map((r) => `${r.state}:${r.reason}`)).toEqual(['online:connect']);
      }
    } finally {
      if (!pg) await check.destroy();
    }
    // afterEach closes again: a second close must be harmless.
  });
});

describe('graceful stop with a login in progress', () => {
  let t: TestServer;

  beforeEach(async () => {
    t = await startTestServer();
  });

  afterEach(async () => {
    await t.server.close();
    rmSync(t.dataDir, { recursive: true, force: true });
  });

  it('does not wait for a device whose credentials are still being checked', async () => {
    const secrets = await fleetServer(t, ['stop-slow']);
    // The check of this login is held until after the stop: the device has sent CONNECT and waits for its CONNACK,
    // as the devices reconnecting during a stop do.
    let release: () => void = () => undefined;
    let checking: () => void = () => undefined;
    const loginStarted = new Promise<void>((resolve) => (checking = resolve));
    const logins = t.server.app.get(DeviceLoginService);
    const real = logins.login.bind(logins);
    jest.spyOn(logins, 'login').mockImplementation(((...args: Parameters<typeof real>) => {
      checking();
      return new Promise<void>((resolve) => (release = resolve)).then(() => real(...args));
    }) as typeof real);
    const device = mqtt.connect(t.mqttUrl, { clientId: 'stop-slow', username: 'stop-slow', password: secrets['stop-slow'], reconnectPeriod: 0, connectTimeout: 600_000 });
    device.on('error', () => undefined);
    const deviceClosed = new Promise<void>((resolve) => device.once('close', () => resolve()));
    try {
      await loginStarted;
      await t.server.close();
      await deviceClosed;
      expect(device.connected).toBe(false);
    } finally {
      release();
      device.end(true);
    }
  });
});
