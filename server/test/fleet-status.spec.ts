import { jest } from '@jest/globals';
import { ForbiddenException, NotFoundException } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import type { DataSource } from 'typeorm';
import { deviceTopic, PROTOCOL_VERSION, type DeviceChannel, type PlaybackEvent, type TelemetryMessage } from '@loa/shared';
import { AlarmsRepository } from '../src/alarms/alarms.repository.js';
import { AlarmsService } from '../src/alarms/alarms.service.js';
import { OfflineAlarmsJob } from '../src/alarms/offline-alarms.job.js';
import { ScopeService } from '../src/auth/area-scope.js';
import { ScopeRepository } from '../src/auth/scope.repository.js';
import type { UserPrincipal } from '../src/auth/principal.js';
import { DeviceMessageRouter } from '../src/broker/device-message-router.js';
import type { MessageHandler } from '../src/broker/message-broker.js';
import type { AppConfig } from '../src/config/app-config.js';
import { AlarmEntity } from '../src/alarms/alarm.entity.js';
import { DeviceConnectionEntity } from '../src/devices/device-connection.entity.js';
import { DeviceEntity } from '../src/devices/device.entity.js';
import { SecurityEventEntity } from '../src/security-events/security-event.entity.js';
import { DeviceTelemetryEntity } from '../src/telemetry/device-telemetry.entity.js';
import { DeliveriesRepository } from '../src/deliveries/deliveries.repository.js';
import { DevicesMqttHandler } from '../src/devices/devices.mqtt.js';
import { DevicesRepository } from '../src/devices/devices.repository.js';
import { applyPresence, type PresenceState } from '../src/devices/presence-state.js';
import { PresenceSweepJob } from '../src/devices/presence-sweep.job.js';
import { PresenceService } from '../src/devices/presence.service.js';
import { JobScheduler } from '../src/jobs/job-scheduler.js';
import { InProcessNamedLocks } from '../src/common/named-locks.js';
import { SingleInstanceLeaderGate } from '../src/jobs/leader-gate.js';
import { SecurityEventsMqttHandler } from '../src/security-events/security-events.mqtt.js';
import { SecurityEventsRepository } from '../src/security-events/security-events.repository.js';
import { SecurityEventsService } from '../src/security-events/security-events.service.js';
import { TelemetryMqttHandler } from '../src/telemetry/telemetry.mqtt.js';
import { TelemetryRetentionJob } from '../src/telemetry/telemetry-retention.job.js';
import { TelemetryRepository } from '../src/telemetry/telemetry.repository.js';
import { TelemetryService } from '../src/telemetry/telemetry.service.js';
import { DATABASES, type TestDatabase } from './support/databases.js';
import { FixedClock, RecordingBroker, newMetrics, seedArea, seedDevice, silentLogger, testConfig } from './support/fixtures.js';
import { schedulingGraph } from './support/scheduling.js';
import { TestDomainEvents } from './support/domain-events.js';

const T0 = Date.UTC(2025, 5, 2, 1, 0, 0);
const user = (userId: string, username: string, areaCode: string | null): UserPrincipal => ({ type: 'user', userId, username, role: areaCode === null ? 'admin' : 'operator', areaCode });
const MIN = 60_000;
const MB = 1024 * 1024;

/** A broker that also delivers what devices publish to the server's subscriptions (MQTT "+" wildcards). */
class LoopbackBroker extends RecordingBroker {
  private readonly subs: Array<{ filter: string[]; handler: MessageHandler }> = [];
  override async subscribe(filter: string, handler: MessageHandler): Promise<void> {
    this.subs.push({ filter: filter.split('/'), handler });
  }
  override async disconnect(_clientId: string): Promise<void> {}
  /** Publishes as device `deviceId` would and waits for every server handler. */
  async fromDevice(deviceId: string, channel: DeviceChannel, message: unknown): Promise<void> {
    const topic = deviceTopic(deviceId, channel);
    const levels = topic.split('/');
    const payload = Buffer.from(typeof message === 'string' ? message : JSON.stringify(message));
    const matching = this.subs.filter((s) => s.filter.length === levels.length && s.filter.every((f, i) => f === '+' || f === levels[i]));
    await Promise.all(matching.map((s) => s.handler(topic, payload)));
  }
}

const config = testConfig({
  LOA_HEARTBEAT_TIMEOUT_S: '60',
  LOA_TELEMETRY_RETENTION_DAYS: '7',
  LOA_ALARM_OFFLINE_MINUTES: '10',
  LOA_ALARM_LOW_DISK_MB: '100',
  LOA_ALARM_PLAYBACK_FAILURES: '3',
  LOA_ALARM_SILENCE_LUFS: '-50',
});

/** The fleet-status services wired by hand over one database, as Nest wires them, with their real MQTT handlers. */
async function fleetGraph(ds: DataSource, clock: FixedClock, cfg: AppConfig = config) {
  const broker = new LoopbackBroker();
  const metrics = newMetrics();
  const g = schedulingGraph(ds, clock, cfg, broker);
  const alarms = new AlarmsService(new AlarmsRepository(ds), g.areas, new ScopeService(new ScopeRepository(ds)), clock, cfg, metrics, silentLogger, g.events);
  g.events.listen(alarms);
  const presence = new PresenceService(g.presence, new DevicesRepository(ds), clock, cfg, metrics, silentLogger);
  const telemetry = new TelemetryService(new TelemetryRepository(ds), presence, clock, cfg, metrics, silentLogger, g.events);
  const security = new SecurityEventsService(new SecurityEventsRepository(ds), clock, metrics, silentLogger);
  const router = new DeviceMessageRouter(broker, metrics, silentLogger);
  await new DevicesMqttHandler(router, g.devices, presence).onApplicationBootstrap();
  await new TelemetryMqttHandler(router, telemetry).onApplicationBootstrap();
  await new SecurityEventsMqttHandler(router, security).onApplicationBootstrap();
  const status = (id: string, state: 'online' | 'offline', reason: 'connect' | 'shutdown' | 'will') =>
    broker.fromDevice(id, 'status', { v: PROTOCOL_VERSION, state, reason, ...(reason === 'will' ? {} : { at: clock.t }), agentVersion: '2.0.0' });
  const tele = (id: string, extra: Partial<TelemetryMessage> = {}) => broker.fromDevice(id, 'telemetry', { v: PROTOCOL_VERSION, at: clock.t, uptimeS: 100, ...extra });
  return { broker, metrics, devices: g.devices, alarms, presence, telemetry, security, status, tele };
}

/** The scheduler as Nest wires it on a single instance (always the leader). */
const jobScheduler = () => new JobScheduler(new SchedulerRegistry(), new SingleInstanceLeaderGate(), new InProcessNamedLocks(), silentLogger);

const baseState: PresenceState = { online: false, lastSeenAt: null, agentVersion: null, changedAt: null, reason: null };

describe(applyPresence.name, () => {
  const sut = applyPresence;

  it('logs a transition only when online changes, with the status reason', () => {
    const a = sut(baseState, { deviceId: 'd', at: 10, online: true, reason: 'connect' });
    expect(a.transition).toEqual({ deviceId: 'd', at: 10, state: 'online', reason: 'connect' });
    const b = sut(a.state, { deviceId: 'd', at: 20, online: true, reason: 'connect' });
    expect(b.transition).toBeNull();
    expect(b.state).toMatchObject({ online: true, lastSeenAt: 20, changedAt: 10, reason: 'connect' });
    expect(sut(b.state, { deviceId: 'd', at: 30, online: false }).transition).toMatchObject({ state: 'offline', reason: 'will' });
  });

  it('lets a heartbeat seen since the sweep query veto a timeout', () => {
    const online = { ...baseState, online: true, lastSeenAt: 500 };
    expect(sut(online, { deviceId: 'd', at: 900, online: false, decided: true, reason: 'heartbeat-timeout', silentBefore: 400 }).transition).toBeNull();
    const timedOut = sut(online, { deviceId: 'd', at: 900, online: false, decided: true, reason: 'heartbeat-timeout', silentBefore: 600 });
    expect(timedOut.transition).toMatchObject({ state: 'offline', reason: 'heartbeat-timeout' });
    expect(timedOut.state.lastSeenAt).toBe(500); // a decision is not a sign of life
  });

  it('brings a device back on a heartbeat, unless it was revoked', () => {
    const timedOut = { ...baseState, lastSeenAt: 1, reason: 'heartbeat-timeout' };
    expect(sut(timedOut, { deviceId: 'd', at: 5 }).transition).toMatchObject({ state: 'online', reason: 'resumed' });
    const revoked = sut(timedOut, { deviceId: 'd', at: 6, online: false, decided: true, reason: 'revoked' });
    expect(revoked.transition).toMatchObject({ state: 'offline', reason: 'revoked' }); // already offline, but now on purpose
    expect(sut(revoked.state, { deviceId: 'd', at: 7 }).transition).toBeNull();
    expect(sut(revoked.state, { deviceId: 'd', at: 8, online: true, reason: 'connect' }).transition).toMatchObject({ state: 'online', reason: 'connect' });
  });
});

describe.each(DATABASES)(`${PresenceService.name} on %s`, (_name, open) => {
  let db: TestDatabase;
  let clock: FixedClock;
  let f: Awaited<ReturnType<typeof fleetGraph>>;
  let sut: PresenceService;

  beforeEach(async () => {
    db = await open();
    await seedArea(db.dataSource, '01', null, 'province');
    for (const id of ['spk-a', 'spk-b']) await seedDevice(db.dataSource, id, '01');
    clock = new FixedClock(T0);
    f = await fleetGraph(db.dataSource, clock);
    sut = f.presence;
  });
  afterEach(() => db.close());

  const connections = (id: string) => db.dataSource.getRepository(DeviceConnectionEntity).find({ where: { deviceId: id }, order: { at: 'ASC', id: 'ASC' } });

  it('follows the status channel through the real handler and logs only transitions', async () => {
    await f.status('spk-a', 'online', 'connect');
    clock.t += 1000;
    await f.status('spk-a', 'online', 'connect'); // retained copy seen again: not a transition
    await f.tele('spk-a');
    clock.t += 1000;
    await f.status('spk-a', 'offline', 'will');
    clock.t += 1000;
    await f.status('spk-a', 'online', 'connect');
    clock.t += 1000;
    await f.status('spk-a', 'offline', 'shutdown');

    expect((await connections('spk-a')).map((c) => [c.at - T0, c.state, c.reason])).toEqual([
      [0, 'online', 'connect'],
      [2000, 'offline', 'will'],
      [3000, 'online', 'connect'],
      [4000, 'offline', 'shutdown'],
    ]);
    const api = await sut.connections('spk-a', 2);
    expect(api).toEqual([
      { at: new Date(T0 + 4000).toISOString(), state: 'offline', reason: 'shutdown' },
      { at: new Date(T0 + 3000).toISOString(), state: 'online', reason: 'connect' },
    ]);
    expect(await f.devices.get('spk-a')).toMatchObject({
      online: false,
      lastSeenAt: new Date(T0 + 4000).toISOString(),
      presenceChangedAt: new Date(T0 + 4000).toISOString(),
      presenceReason: 'shutdown',
      agentVersion: '2.0.0',
    });
    await expect(sut.connections('nope', 10)).rejects.toThrow(/not found/);
  });

  it('marks a silent device offline after the heartbeat timeout, keeps one heard from, and resumes it on a heartbeat', async () => {
    await f.status('spk-a', 'online', 'connect');
    await f.status('spk-b', 'online', 'connect');
    clock.t += 40_000;
    await f.tele('spk-b'); // telemetry is a heartbeat
    clock.t += 20_000; // spk-a silent for exactly the timeout: not yet
    expect(await sut.sweep()).toBe(0);
    clock.t += 1;
    expect(await sut.sweep()).toBe(1);

    const a = await db.dataSource.getRepository(DeviceEntity).findOneByOrFail({ id: 'spk-a' });
    expect(a).toMatchObject({ online: false, lastSeenAt: T0, presenceReason: 'heartbeat-timeout', presenceChangedAt: T0 + 60_001 });
    expect((await f.devices.get('spk-b')).online).toBe(true);
    expect((await connections('spk-a')).at(-1)).toMatchObject({ state: 'offline', reason: 'heartbeat-timeout', at: T0 + 60_001 });
    expect(await sut.sweep()).toBe(0); // already offline: nothing more to log

    clock.t += 5000;
    await f.broker.fromDevice('spk-a', 'timeline/ack', { v: PROTOCOL_VERSION, version: 1 }); // any sign of life
    expect((await connections('spk-a')).map((c) => `${c.state}:${c.reason}`)).toEqual(['online:connect', 'offline:heartbeat-timeout', 'online:resumed']);
    expect((await f.devices.get('spk-a')).online).toBe(true);
  });

  it('lets a heartbeat arriving during a sweep win over the timeout', async () => {
    await f.status('spk-a', 'online', 'connect');
    clock.t += 61_000;
    const sweeping = sut.sweep();
    const seen = sut.seen('spk-a');
    await Promise.all([sweeping, seen]);
    expect((await f.devices.get('spk-a')).online).toBe(true);
    expect(await connections('spk-a')).toHaveLength(1);
  });

  it('marks a revoked device offline for good until it connects again', async () => {
    await f.status('spk-a', 'online', 'connect');
    clock.t += 1000;
    await sut.markOffline('spk-a', 'revoked');
    await f.tele('spk-a'); // a late message from the old session
    expect(await f.devices.get('spk-a')).toMatchObject({ online: false, presenceReason: 'revoked' });
    await sut.markOffline('spk-a', 'revoked'); // idempotent
    expect((await connections('spk-a')).map((c) => `${c.state}:${c.reason}`)).toEqual(['online:connect', 'offline:revoked']);
  });

  it('logs a reconnect storm in batches, one row per transition', async () => {
    for (let i = 0; i < 300; i++) await seedDevice(db.dataSource, `storm-${i}`, '01');
    await Promise.all(Array.from({ length: 300 }, (_, i) => f.status(`storm-${i}`, 'online', 'connect')));
    await Promise.all(Array.from({ length: 300 }, (_, i) => f.tele(`storm-${i}`)));
    expect(await db.dataSource.getRepository(DeviceConnectionEntity).count()).toBe(300);
    expect(await db.dataSource.getRepository(DeviceEntity).countBy({ online: true })).toBe(300);
  });

  it('sweeps every min(timeout / 4, 30 s), from bootstrap until destroyed', async () => {
    expect(sut.sweepIntervalMs()).toBe(15_000);
    const long = await fleetGraph(db.dataSource, clock, testConfig({ LOA_HEARTBEAT_TIMEOUT_S: '600' }));
    expect(long.presence.sweepIntervalMs()).toBe(30_000);
    jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] });
    try {
      const sweep = jest.spyOn(sut, 'sweep').mockResolvedValue(0);
      const jobs = jobScheduler();
      new PresenceSweepJob(sut, jobs).onApplicationBootstrap();
      await jest.advanceTimersByTimeAsync(0); // the job lock is a microtask away
      expect(sweep).toHaveBeenCalledTimes(1); // at start
      await jest.advanceTimersByTimeAsync(15_000);
      expect(sweep).toHaveBeenCalledTimes(2);
      await jobs.onModuleDestroy();
      await jest.advanceTimersByTimeAsync(60_000);
      expect(sweep).toHaveBeenCalledTimes(2);
    } finally {
      jest.useRealTimers();
    }
  });
});

describe.each(DATABASES)(`${TelemetryService.name} on %s`, (_name, open) => {
  let db: TestDatabase;
  let clock: FixedClock;
  let f: Awaited<ReturnType<typeof fleetGraph>>;
  let sut: TelemetryService;

  beforeEach(async () => {
    db = await open();
    await seedArea(db.dataSource, '01', null, 'province');
    await seedDevice(db.dataSource, 'spk-a', '01');
    await seedDevice(db.dataSource, 'spk-b', '01');
    clock = new FixedClock(T0);
    f = await fleetGraph(db.dataSource, clock);
    sut = f.telemetry;
  });
  afterEach(() => db.close());

  const samples = () => db.dataSource.getRepository(DeviceTelemetryEntity).find({ order: { deviceId: 'ASC', at: 'ASC' } });

  it('stores every sample from the real handler, counts it as a heartbeat and shows the latest on the device view', async () => {
    await f.tele('spk-a', { uptimeS: 10.4, freeDiskBytes: 5_000 * MB, volume: 80, muted: false, playing: 'occ-1', outputLevelLufs: -23.5, signalDbm: -71, temperatureC: 48.5, clockOffsetMs: -12.4, outboxSize: 3, agentVersion: '2.1.0', rssBytes: 40 * MB, timelineVersion: 7 });
    clock.t += MIN;
    await f.tele('spk-a', { uptimeS: 70 });
    await f.tele('spk-a', { uptimeS: 70 }); // a redelivered sample (same instant) is stored once

    expect((await samples()).map((s) => s.uptimeS)).toEqual([10, 70]);
    const view = await f.devices.get('spk-a');
    expect(view).toMatchObject({ online: true, presenceReason: 'resumed', lastSeenAt: new Date(T0 + MIN).toISOString(), agentVersion: '2.1.0' });
    expect(view.telemetry).toMatchObject({ at: new Date(T0 + MIN).toISOString(), uptimeS: 70, freeDiskBytes: null });
    expect((await f.devices.list()).map((d) => [d.id, d.telemetry?.uptimeS ?? null])).toEqual([
      ['spk-a', 70],
      ['spk-b', null],
    ]);

    const series = await sut.list('spk-a', { limit: 100 });
    expect(series.map((s) => s.at)).toEqual([new Date(T0).toISOString(), new Date(T0 + MIN).toISOString()]);
    expect(series[0]).toEqual({
      at: new Date(T0).toISOString(),
      receivedAt: new Date(T0).toISOString(),
      uptimeS: 10,
      timelineVersion: 7,
      playing: 'occ-1',
      volume: 80,
      muted: false,
      freeDiskBytes: 5_000 * MB,
      rssBytes: 40 * MB,
      clockOffsetMs: -12,
      outboxSize: 3,
      agentVersion: '2.1.0',
      outputLevelLufs: -23.5,
      signalDbm: -71,
      temperatureC: 48.5,
    });
  });

  it('returns a range oldest first: from pages forward, without from the latest before to', async () => {
    for (let i = 0; i < 10; i++) {
      await f.tele('spk-a', { uptimeS: i });
      clock.t += MIN;
    }
    const at = (i: number) => T0 + i * MIN;
    const up = (r: Array<{ uptimeS: number }>) => r.map((s) => s.uptimeS);
    expect(up(await sut.list('spk-a', { from: at(2), to: at(6), limit: 100 }))).toEqual([2, 3, 4, 5]);
    expect(up(await sut.list('spk-a', { from: at(2), limit: 3 }))).toEqual([2, 3, 4]);
    expect(up(await sut.list('spk-a', { limit: 3 }))).toEqual([7, 8, 9]);
    expect(up(await sut.list('spk-a', { to: at(5), limit: 2 }))).toEqual([3, 4]);
    expect(await sut.list('spk-b', { limit: 3 })).toEqual([]);
    await expect(sut.list('ghost', { limit: 3 })).rejects.toThrow(/not found/);
  });

  it('refuses an invalid message at the router: nothing stored, counted', async () => {
    await f.broker.fromDevice('spk-a', 'telemetry', { v: PROTOCOL_VERSION, at: T0, uptimeS: -1 });
    await f.broker.fromDevice('spk-a', 'telemetry', 'not json');
    expect(await samples()).toHaveLength(0);
    expect(f.metrics.get('mqtt_message_refused')).toBe(2);
  });

  it('deletes only samples older than the retention period', async () => {
    for (const days of [9, 8, 7, 6, 1]) await f.tele('spk-a', { at: T0 - days * 86_400_000, uptimeS: days });
    await f.tele('spk-b', { at: T0 - 10 * 86_400_000, uptimeS: 10 });
    expect(await sut.sweepRetention()).toBe(3); // 9, 8 and 10 days old; 7 days old is exactly the limit
    expect((await samples()).map((s) => `${s.deviceId}:${s.uptimeS}`)).toEqual(['spk-a:7', 'spk-a:6', 'spk-a:1']);
    expect(await sut.sweepRetention()).toBe(0);
  });

  it('stores a fleet-wide storm with one multi-row insert per batch', async () => {
    const ids = Array.from({ length: 2000 }, (_, i) => `fleet-${i}`);
    const rows = ids.map((id) => ({ id, name: id, kind: 'speaker' as const, areaCode: '01', secretHash: 'x', online: true, lastSeenAt: T0, agentVersion: null, timelineVersion: 0, ackedTimelineVersion: 0, createdAt: 0 }));
    for (let i = 0; i < rows.length; i += 200) {
      await db.dataSource.createQueryBuilder().insert().into(DeviceEntity).values(rows.slice(i, i + 200)).updateEntity(false).execute();
    }
    const qr = db.dataSource.createQueryRunner();
    const proto = Object.getPrototypeOf(qr) as { query: (sql: string) => Promise<unknown> };
    await qr.release();
    const query = jest.spyOn(proto, 'query');
    try {
      await Promise.all(ids.map((id) => f.tele(id, { freeDiskBytes: 5_000 * MB })));
      const inserts = query.mock.calls.filter(([sql]) => /^INSERT (OR IGNORE )?INTO "?device_telemetry"?/.test(String(sql)));
      expect(inserts.length).toBeGreaterThanOrEqual(1);
      // One statement per batch on PostgreSQL (arrays), one per 500 rows on SQLite: a handful, never one per sample.
      expect(inserts.length).toBeLessThanOrEqual(8);
    } finally {
      query.mockRestore();
    }
    expect(await db.dataSource.getRepository(DeviceTelemetryEntity).count()).toBe(2000);
    expect(f.metrics.get('telemetry_samples_stored')).toBe(2000);
  });

  it('runs the retention sweep at start and hourly, until destroyed', async () => {
    jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] });
    try {
      const sweep = jest.spyOn(sut, 'sweepRetention').mockResolvedValue(0);
      const jobs = jobScheduler();
      new TelemetryRetentionJob(sut, jobs).onApplicationBootstrap();
      await jest.advanceTimersByTimeAsync(0); // the job lock is a microtask away
      expect(sweep).toHaveBeenCalledTimes(1);
      await jest.advanceTimersByTimeAsync(3_600_000);
      expect(sweep).toHaveBeenCalledTimes(2);
      await jobs.onModuleDestroy();
      await jest.advanceTimersByTimeAsync(3_600_000);
      expect(sweep).toHaveBeenCalledTimes(2);
    } finally {
      jest.useRealTimers();
    }
  });
});

describe.each(DATABASES)(`${AlarmsService.name} on %s`, (_name, open) => {
  let db: TestDatabase;
  let clock: FixedClock;
  let f: Awaited<ReturnType<typeof fleetGraph>>;
  let sut: AlarmsService;

  beforeEach(async () => {
    db = await open();
    const ds = db.dataSource;
    const hn = await seedArea(ds, '01', null, 'province');
    const commune = await seedArea(ds, '00004', hn);
    const hg = await seedArea(ds, '02', null, 'province');
    await seedDevice(ds, 'spk-a', commune.code);
    await seedDevice(ds, 'spk-b', commune.code);
    await seedDevice(ds, 'spk-c', hg.code);
    clock = new FixedClock(T0);
    f = await fleetGraph(ds, clock);
    sut = f.alarms;
  });
  afterEach(() => db.close());

  const alarms = (deviceId?: string) =>
    db.dataSource.getRepository(AlarmEntity).find({ where: deviceId ? { deviceId } : {}, order: { raisedAt: 'ASC', kind: 'ASC' } });
  const active = async (deviceId: string) => (await alarms(deviceId)).filter((a) => a.clearedAt === null).map((a) => a.kind);

  it('raises offline once a device has been offline for alarmOfflineMs, and clears it when it is back', async () => {
    await f.status('spk-a', 'online', 'connect');
    clock.t += MIN;
    await f.status('spk-a', 'offline', 'will');
    const wentAt = clock.t;
    clock.t = wentAt + 10 * MIN - 1;
    expect(await sut.sweepOffline()).toBe(0);
    clock.t = wentAt + 10 * MIN;
    expect(await sut.sweepOffline()).toBe(1);
    expect(await sut.sweepOffline()).toBe(0); // one active alarm per device and kind
    const [raised] = await alarms('spk-a');
    expect(raised).toMatchObject({ kind: 'offline', raisedAt: wentAt + 10 * MIN, clearedAt: null });
    expect(raised?.detail).toContain(new Date(wentAt).toISOString());
    expect(raised?.detail).toContain('will');
    // spk-b was never seen (not installed yet) and spk-c was revoked: neither is "offline".
    await db.dataSource.getRepository(DeviceEntity).update({ id: 'spk-c' }, { online: true, lastSeenAt: T0 });
    await f.presence.markOffline('spk-c', 'revoked');
    clock.t += 60 * MIN;
    expect(await sut.sweepOffline()).toBe(0);
    expect(await active('spk-b')).toEqual([]);
    expect(await active('spk-c')).toEqual([]);

    clock.t += 1000;
    await f.status('spk-a', 'online', 'connect');
    const [cleared] = await alarms('spk-a');
    expect(cleared).toMatchObject({ kind: 'offline', clearedAt: clock.t, clearedDetail: 'back online (connect)' });
  });

  it('raises offline for a device that timed out, and the sweep clears one whose device came back elsewhere', async () => {
    await f.status('spk-a', 'online', 'connect');
    clock.t += 61_000;
    await f.presence.sweep();
    clock.t += 10 * MIN;
    expect(await sut.sweepOffline()).toBe(1);
    expect((await alarms('spk-a'))[0]?.detail).toContain('heartbeat-timeout');
    // Back online through another server instance: only the database says so.
    await db.dataSource.getRepository(DeviceEntity).update({ id: 'spk-a' }, { online: true });
    await sut.sweepOffline();
    expect(await active('spk-a')).toEqual([]);
  });

  it('raises low-disk from telemetry below the threshold and clears it above', async () => {
    await f.tele('spk-a', { freeDiskBytes: 150 * MB });
    expect(await active('spk-a')).toEqual([]);
    clock.t += MIN;
    await f.tele('spk-a', { freeDiskBytes: 80 * MB });
    clock.t += MIN;
    await f.tele('spk-a', { freeDiskBytes: 70 * MB });
    expect(await active('spk-a')).toEqual(['low-disk']);
    expect((await alarms('spk-a'))[0]).toMatchObject({ raisedAt: T0 + MIN, detail: 'free disk 80.0 MB, below 100.0 MB' });
    clock.t += MIN;
    await f.tele('spk-a', { uptimeS: 5 }); // no disk figure: no evidence either way
    expect(await active('spk-a')).toEqual(['low-disk']);
    await f.tele('spk-a', { at: clock.t + 1, freeDiskBytes: 300 * MB });
    expect(await active('spk-a')).toEqual([]);
    expect(await alarms('spk-a')).toHaveLength(1);
    expect(f.metrics.get('alarms_raised_low_disk')).toBe(1);
    expect(f.metrics.get('alarms_cleared_low_disk')).toBe(1);
  });

  it('raises low-disk when the device refuses media that does not fit, although free disk is above the threshold (issue 12)', async () => {
    await f.tele('spk-a', { freeDiskBytes: 300 * MB, mediaBlockedBytes: 400 * MB });
    expect(await active('spk-a')).toEqual(['low-disk']);
    expect((await alarms('spk-a'))[0]?.detail).toBe('media of 400.0 MB does not fit on the device (free disk 300.0 MB)');
    clock.t += MIN;
    await f.tele('spk-a', { freeDiskBytes: 300 * MB }); // still enough for what it has: no refusal any more
    expect(await active('spk-a')).toEqual([]);
  });

  const playback = async (deviceId: string, events: PlaybackEvent[]) => {
    await new DeliveriesRepository(db.dataSource).commitBatches([{ deviceId, events }], clock.t);
    await sut.onPlaybackEvents(deviceId, events);
  };
  let n = 0;
  const ev = (type: PlaybackEvent['type'], extra: Partial<PlaybackEvent> = {}): PlaybackEvent => ({ id: `e${++n}`, occurrenceId: `s1:${n}`, type, at: T0 + n * 1000, ...extra });

  it('raises playback-failures after the configured run of failures and clears it on the next finished playback', async () => {
    await playback('spk-a', [ev('failed', { reason: 'decoder error' }), ev('failed')]);
    await playback('spk-a', [ev('finished')]);
    await playback('spk-a', [ev('started'), ev('failed')]);
    await playback('spk-a', [ev('failed')]);
    expect(await active('spk-a')).toEqual([]); // the finished one broke the run
    await playback('spk-a', [ev('failed', { reason: 'no output device' })]);
    expect(await active('spk-a')).toEqual(['playback-failures']);
    expect((await alarms('spk-a'))[0]?.detail).toMatch(/^3 playbacks in a row failed; last: s1:\d+ \(no output device\)$/);
    await playback('spk-a', [ev('failed')]);
    expect(await alarms('spk-a')).toHaveLength(1);
    await playback('spk-a', [ev('started'), ev('finished')]);
    expect(await active('spk-a')).toEqual([]);
    expect(await active('spk-b')).toEqual([]);
  });

  it('raises silence on an inaudible finished playback or telemetry, and clears it on the next audible playback', async () => {
    await playback('spk-a', [ev('finished', { outputLevelLufs: -20 })]);
    await playback('spk-a', [ev('finished', { outputLevelLufs: -72.5 })]);
    expect(await active('spk-a')).toEqual(['silence']);
    expect((await alarms('spk-a'))[0]?.detail).toMatch(/finished at -72\.5 LUFS, below -50\.0 LUFS/);
    await playback('spk-a', [ev('finished')]); // no level measured: proves nothing
    expect(await active('spk-a')).toEqual(['silence']);
    await playback('spk-a', [ev('finished', { outputLevelLufs: -18 })]);
    expect(await active('spk-a')).toEqual([]);

    await f.tele('spk-b', { playing: 'occ-9', outputLevelLufs: -45 });
    await f.tele('spk-b', { at: clock.t + 1, playing: null, outputLevelLufs: -90 }); // nothing playing: quiet is fine
    expect(await active('spk-b')).toEqual([]);
    await f.tele('spk-b', { at: clock.t + 2, playing: 'occ-9', outputLevelLufs: -80 });
    expect(await active('spk-b')).toEqual(['silence']);
    await playback('spk-b', [ev('finished', { outputLevelLufs: -23 })]);
    expect(await active('spk-b')).toEqual([]);
  });

  it('keeps at most one active alarm per device and kind in the database itself', async () => {
    const row = (id: string) => ({ id, deviceId: 'spk-a', kind: 'low-disk' as const, detail: 'x', raisedAt: T0, clearedAt: null, clearedDetail: null, ackedAt: null, ackedBy: null, ackedByName: null });
    const repo = new AlarmsRepository(db.dataSource);
    await repo.insertRaised([row('a1')]);
    await repo.insertRaised([row('a2')]); // another instance raced us: ignored
    expect(await active('spk-a')).toEqual(['low-disk']);
    await repo.clear('a1', T0 + 1, 'ok');
    await repo.insertRaised([row('a3')]);
    expect((await alarms('spk-a')).map((a) => a.id).sort()).toEqual(['a1', 'a3']);
  });

  it('lists by state, device and area subtree, newest first, and records acknowledgements', async () => {
    await f.tele('spk-a', { freeDiskBytes: 1 });
    clock.t += 1000;
    await f.tele('spk-b', { freeDiskBytes: 1 });
    clock.t += 1000;
    await f.tele('spk-c', { freeDiskBytes: 1 });
    clock.t += 1000;
    await f.tele('spk-b', { freeDiskBytes: 500 * MB });
    const ids = async (q: Parameters<AlarmsService['list']>[0]) => (await sut.list(q)).map((a) => a.deviceId);
    expect(await ids({})).toEqual(['spk-c', 'spk-b', 'spk-a']);
    expect(await ids({ active: true })).toEqual(['spk-c', 'spk-a']);
    expect(await ids({ active: false })).toEqual(['spk-b']);
    expect(await ids({ areaCode: '01' })).toEqual(['spk-b', 'spk-a']);
    expect(await ids({ areaCode: '00004', active: true })).toEqual(['spk-a']);
    expect(await ids({ areaCode: '02' })).toEqual(['spk-c']);
    expect(await ids({ deviceId: 'spk-b' })).toEqual(['spk-b']);
    expect(await ids({ limit: 1 })).toEqual(['spk-c']);
    await expect(sut.list({ areaCode: '99' })).rejects.toThrow(/not found/);

    const [a] = await sut.list({ deviceId: 'spk-a' });
    clock.t += 5000;
    const acked = await sut.ack(a?.id ?? '', user('u-1', 'tuan', null));
    expect(acked).toMatchObject({ active: true, ackedAt: new Date(clock.t).toISOString(), ackedBy: 'tuan', ackedByUserId: 'u-1' });
    clock.t += 5000;
    expect(await sut.ack(a?.id ?? '', user('u-2', 'lan', null))).toMatchObject({ ackedBy: 'tuan', ackedAt: acked.ackedAt });
    await expect(sut.ack('nope', user('u-1', 'tuan', null))).rejects.toThrow(NotFoundException);
  });

  it('acknowledges by id inside the user\'s subtree, refuses outside it (403) and answers 404 for an unknown id', async () => {
    // More alarms than the old ack looked through (it searched the newest 5,000), the target being the oldest.
    const row = (id: string, deviceId: string, raisedAt: number): AlarmEntity => ({ id, deviceId, kind: 'offline', detail: 'x', raisedAt, clearedAt: raisedAt + 1, clearedDetail: 'x', ackedAt: null, ackedBy: null, ackedByName: null });
    const rows = [row('old-c', 'spk-c', T0 - 1), row('old-a', 'spk-a', T0 - 1), ...Array.from({ length: 5001 }, (_, i) => row(`bulk-${i}`, 'spk-b', T0 + i))];
    for (let i = 0; i < rows.length; i += 500) await db.dataSource.getRepository(AlarmEntity).insert(rows.slice(i, i + 500));
    const commune = user('u-3', 'xa', '00004');
    await expect(sut.ack('old-c', commune)).rejects.toThrow(ForbiddenException);
    expect((await db.dataSource.getRepository(AlarmEntity).findOneByOrFail({ id: 'old-c' })).ackedAt).toBeNull();
    await expect(sut.ack('ghost', commune)).rejects.toThrow(NotFoundException);
    expect(await sut.ack('old-a', commune)).toMatchObject({ id: 'old-a', ackedBy: 'xa', ackedAt: new Date(clock.t).toISOString() });
    expect(await sut.ack('old-c', user('u-4', 'hg', '02'))).toMatchObject({ id: 'old-c', ackedBy: 'hg' });
  });

  it('sweeps every min(alarmOfflineMs / 4, 60 s)', async () => {
    expect(sut.sweepIntervalMs()).toBe(60_000);
    const quick = new AlarmsService(new AlarmsRepository(db.dataSource), null as never, null as never, clock, testConfig({ LOA_ALARM_OFFLINE_MINUTES: '2' }), newMetrics(), silentLogger, new TestDomainEvents());
    expect(quick.sweepIntervalMs()).toBe(30_000);
    jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] });
    try {
      const sweep = jest.spyOn(quick, 'sweepOffline').mockResolvedValue(0);
      const jobs = jobScheduler();
      new OfflineAlarmsJob(quick, jobs).onApplicationBootstrap();
      await jest.advanceTimersByTimeAsync(0); // the job lock is a microtask away
      expect(sweep).toHaveBeenCalledTimes(1); // at start
      await jest.advanceTimersByTimeAsync(30_000);
      expect(sweep).toHaveBeenCalledTimes(2);
      await jobs.onModuleDestroy();
      await jest.advanceTimersByTimeAsync(60_000);
      expect(sweep).toHaveBeenCalledTimes(2);
    } finally {
      jest.useRealTimers();
    }
  });
});

describe.each(DATABASES)(`${SecurityEventsService.name} on %s`, (_name, open) => {
  let db: TestDatabase;
  let clock: FixedClock;
  let f: Awaited<ReturnType<typeof fleetGraph>>;
  let sut: SecurityEventsService;

  beforeEach(async () => {
    db = await open();
    await seedArea(db.dataSource, '01', null, 'province');
    await seedDevice(db.dataSource, 'spk-a', '01');
    await seedDevice(db.dataSource, 'spk-b', '01');
    clock = new FixedClock(T0);
    f = await fleetGraph(db.dataSource, clock);
    sut = f.security;
  });
  afterEach(() => db.close());

  const report = (reason: string, extra: Record<string, unknown> = {}) => ({ v: PROTOCOL_VERSION, at: clock.t - 50, topic: 'loa/v1/d/spk-a/req', reason, ...extra });

  it('stores reports from the real handler, counts them, and lists them newest first', async () => {
    await f.broker.fromDevice('spk-a', 'security', report('bad-signature', { detail: 'signature does not verify', claimed: 'cmd-1' }));
    clock.t += 1000;
    await f.broker.fromDevice('spk-b', 'security', report('replay', { topic: 'loa/v1/d/spk-b/timeline', claimed: '12' }));
    clock.t += 1000;
    await f.broker.fromDevice('spk-a', 'security', report('expired'));
    await f.broker.fromDevice('spk-a', 'security', report('made-up-reason'));

    expect(await db.dataSource.getRepository(SecurityEventEntity).count()).toBe(3);
    expect(f.metrics.get('security_reports')).toBe(3);
    expect(f.metrics.get('security_reports_bad_signature')).toBe(1);
    expect(f.metrics.get('mqtt_message_refused')).toBe(1);

    const all = await sut.list({});
    expect(all.map((e) => `${e.deviceId}:${e.reason}`)).toEqual(['spk-a:expired', 'spk-b:replay', 'spk-a:bad-signature']);
    expect(all[2]).toEqual({
      id: expect.any(String),
      deviceId: 'spk-a',
      at: new Date(T0 - 50).toISOString(),
      receivedAt: new Date(T0).toISOString(),
      topic: 'loa/v1/d/spk-a/req',
      reason: 'bad-signature',
      detail: 'signature does not verify',
      claimed: 'cmd-1',
    });
    expect((await sut.list({ deviceId: 'spk-a', limit: 1 })).map((e) => e.reason)).toEqual(['expired']);
    expect(await sut.list({ deviceId: 'spk-c' })).toEqual([]);
  });
});
