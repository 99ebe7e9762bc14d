import type { PlaybackEvent } from '@loa/shared';
import type { DataSource } from 'typeorm';
import { AlertDeliveriesRepository } from '../src/alerts/alert-deliveries.repository.js';
import { AlertDeliveryEntity } from '../src/alerts/alert-delivery.entity.js';
import { AlertProofService } from '../src/alerts/alert-proof.service.js';
import { AlertsRepository } from '../src/alerts/alerts.repository.js';
import { AlertsService } from '../src/alerts/alerts.service.js';
import { AreasRepository } from '../src/areas/areas.repository.js';
import { AreasService } from '../src/areas/areas.service.js';
import { AreaScope } from '../src/auth/area-scope.js';
import { InProcessNamedLocks } from '../src/common/named-locks.js';
import { TypeOrmTransactionRunner } from '../src/database/transaction-runner.js';
import { DeliveriesRepository } from '../src/deliveries/deliveries.repository.js';
import { DeviceEntity } from '../src/devices/device.entity.js';
import type { FanoutJobs } from '../src/fanouts/fanout-jobs.js';
import { MediaEntity } from '../src/media/media.entity.js';
import { DATABASES, type TestDatabase } from './support/databases.js';
import { TestDomainEvents } from './support/domain-events.js';
import { settled, testFanouts } from './support/fanouts.js';
import { FixedClock, RecordingBroker, newMetrics, seedArea, seedDevice, silentLogger, testGateway } from './support/fixtures.js';

const NOW = Date.parse('2026-12-01T08:00:00Z');
const SHA = 'b'.repeat(64);

/** The alerts service as Nest wires it, with proof of play (its deliveries repository and domain events). */
function graph(ds: DataSource, clock: FixedClock) {
  const events = new TestDomainEvents();
  const fanouts: FanoutJobs = testFanouts(ds, clock, events);
  const deliveries = new AlertDeliveriesRepository(ds);
  const sut = new AlertsService(
    new AlertsRepository(ds),
    new AreasService(new AreasRepository(ds), clock),
    testGateway(new RecordingBroker()),
    clock,
    newMetrics(),
    silentLogger,
    new TypeOrmTransactionRunner(ds),
    fanouts,
    new InProcessNamedLocks(),
    undefined,
    undefined,
    deliveries,
    undefined,
    events,
  );
  fanouts.register('alert', { run: (r) => sut.publishJob(r), checkReadable: async () => undefined });
  return { sut, fanouts, events, proof: new AlertProofService(new AlertsRepository(ds), deliveries, clock), reports: new DeliveriesRepository(ds) };
}

let n = 0;
const report = (occurrenceId: string, type: PlaybackEvent['type'], at: number, reason?: string): PlaybackEvent => ({ id: `ev-${++n}`, occurrenceId, type, at, ...(reason ? { reason } : {}) });

describe.each(DATABASES)('alert proof of play on %s', (_name, open) => {
  let db: TestDatabase;
  let clock: FixedClock;
  let g: ReturnType<typeof graph>;

  beforeEach(async () => {
    db = await open();
    const province = await seedArea(db.dataSource, '01', null, 'province');
    const a = await seedArea(db.dataSource, '00004', province);
    const b = await seedArea(db.dataSource, '00005', province);
    await seedArea(db.dataSource, '99', null, 'province');
    await seedDevice(db.dataSource, 'spk-a1', a.code);
    await seedDevice(db.dataSource, 'spk-a2', a.code);
    await seedDevice(db.dataSource, 'brd-a', a.code, 'board');
    await seedDevice(db.dataSource, 'spk-b1', b.code);
    await seedDevice(db.dataSource, 'spk-p', province.code);
    await seedDevice(db.dataSource, 'spk-other', '99');
    await db.dataSource.getRepository(MediaEntity).insert({ sha256: SHA, bytes: 48_000, mime: 'audio/mpeg', codec: 'mp3', durationMs: 4000, originalName: 'bao.mp3', createdBy: 'u', createdAt: 0 });
    clock = new FixedClock(NOW);
    g = graph(db.dataSource, clock);
  });
  afterEach(() => db.close());

  const send = (over: Partial<Parameters<AlertsService['create']>[0]> = {}) =>
    settled(g.fanouts, g.sut.create({ areaCode: '01', title: 'Bão số 3', text: 'Không ra khơi', mediaSha256: SHA, priority: 'emergency', expiresInS: 600, ...over }, 'user-1'));
  const rows = async (alertId: string) =>
    Object.fromEntries((await db.dataSource.getRepository(AlertDeliveryEntity).findBy({ alertId })).map((r) => [r.deviceId, r]));

  it('writes one expected record per device under the area when the alert goes on its channel, with the device area', async () => {
    const a = await send();
    const r = await rows(a.id);
    expect(Object.keys(r).sort()).toEqual(['brd-a', 'spk-a1', 'spk-a2', 'spk-b1', 'spk-p']);
    expect(r['spk-b1']).toMatchObject({ state: 'expected', areaCode: '00005', deliveredAt: null, startedAt: null, endedAt: null, updatedAt: NOW });
    expect(a.deviceCount).toBe(5);
    expect(a.media).toEqual({ sha256: SHA, title: null, durationMs: 4000, mime: 'audio/mpeg' });
    expect(g.events.payloads('alert.deliveriesChanged')).toContainEqual({ alertIds: [a.id] });
  });

  it('a text-only alert is meant for boards only (speakers get no slot from it)', async () => {
    const a = await send({ mediaSha256: undefined });
    expect(Object.keys(await rows(a.id))).toEqual(['brd-a']);
    expect(a.deviceCount).toBe(1);
  });

  it('moves records with the reports of the same commit, never backwards, filling late times', async () => {
    const a = await send();
    const occ = `alert:${a.id}`;
    const r1 = await g.reports.commitBatches(
      [
        { deviceId: 'spk-a1', events: [report(occ, 'delivered', NOW + 100), report(occ, 'started', NOW + 200), report(occ, 'finished', NOW + 4200)] },
        { deviceId: 'spk-a2', events: [report(occ, 'started', NOW + 250)] },
        { deviceId: 'spk-b1', events: [report(occ, 'failed', NOW + 300, 'media download failed')] },
      ],
      NOW + 5000,
    );
    expect(r1.alertIds).toEqual([a.id]);
    // A late delivered (an outbox replay) after finished changes nothing; a late delivered after started fills its time.
    const r2 = await g.reports.commitBatches(
      [
        { deviceId: 'spk-a1', events: [report(occ, 'delivered', NOW + 90), report(occ, 'started', NOW + 150)] },
        { deviceId: 'spk-a2', events: [report(occ, 'delivered', NOW + 120)] },
      ],
      NOW + 6000,
    );
    expect(r2.alertIds).toEqual([a.id]);
    const r = await rows(a.id);
    expect(r['spk-a1']).toMatchObject({ state: 'finished', deliveredAt: NOW + 100, startedAt: NOW + 200, endedAt: NOW + 4200, updatedAt: NOW + 5000 });
    expect(r['spk-a2']).toMatchObject({ state: 'started', deliveredAt: NOW + 120, startedAt: NOW + 250, endedAt: null, updatedAt: NOW + 6000 });
    expect(r['spk-b1']).toMatchObject({ state: 'failed', reason: 'media download failed', endedAt: NOW + 300 });
    expect(r['spk-p']).toMatchObject({ state: 'expected' });
  });

  it('keeps a report on an alert the device was not meant for as unapplied evidence, and schedule reports never touch alerts', async () => {
    const a = await send();
    const r = await g.reports.commitBatches(
      [
        { deviceId: 'spk-other', events: [report(`alert:${a.id}`, 'started', NOW + 1)] },
        { deviceId: 'spk-a1', events: [report('occ-of-a-schedule', 'started', NOW + 2)] },
      ],
      NOW + 10,
    );
    expect(r).toMatchObject({ inserted: 2, alertIds: [] });
    const stored = (await db.dataSource.query('SELECT device_id, applied FROM device_events ORDER BY device_id')) as Array<{ device_id: string; applied: unknown }>;
    expect(stored.map((s) => [s.device_id, Boolean(Number(s.applied) || s.applied === true)])).toEqual([
      ['spk-a1', false],
      ['spk-other', false],
    ]);
    expect(Object.values(await rows(a.id)).every((x) => x.state === 'expected')).toBe(true);
  });

  it('a cancel withdraws what has not started; a playing device reports how it stopped and keeps its start', async () => {
    const a = await send();
    const occ = `alert:${a.id}`;
    await g.reports.commitBatches([{ deviceId: 'spk-a1', events: [report(occ, 'delivered', NOW + 10), report(occ, 'started', NOW + 20)] }, { deviceId: 'spk-a2', events: [report(occ, 'delivered', NOW + 10)] }], NOW + 30);
    clock.t = NOW + 1000;
    await settled(g.fanouts, g.sut.cancel(a.id, 'user-2'));
    let r = await rows(a.id);
    expect(r['spk-a2']).toMatchObject({ state: 'withdrawn', reason: 'cancelled', deliveredAt: NOW + 10, endedAt: NOW + 1000 });
    expect(r['spk-p']).toMatchObject({ state: 'withdrawn', reason: 'cancelled' });
    expect(r['spk-a1']).toMatchObject({ state: 'started' });
    // The agent removes the slot it was playing: `skipped`, which for an alert means withdrawn, its reason kept.
    await g.reports.commitBatches([{ deviceId: 'spk-a1', events: [report(occ, 'skipped', NOW + 1100, 'removed from the timeline while playing')] }], NOW + 1200);
    // A late `started` of a withdrawn record fills its time and changes nothing else.
    await g.reports.commitBatches([{ deviceId: 'spk-a2', events: [report(occ, 'started', NOW + 990)] }], NOW + 1300);
    r = await rows(a.id);
    expect(r['spk-a1']).toMatchObject({ state: 'withdrawn', reason: 'removed from the timeline while playing', startedAt: NOW + 20, endedAt: NOW + 1100 });
    expect(r['spk-a2']).toMatchObject({ state: 'withdrawn', startedAt: NOW + 990, reason: 'cancelled' });
    const s = await g.proof.summary(await g.sut.require(a.id));
    expect(s.byState).toEqual({ expected: 0, delivered: 0, started: 0, finished: 0, failed: 0, withdrawn: 5 });
    // Both started before they were withdrawn: they played.
    expect(s.areas[0]).toMatchObject({ areaCode: '01', total: 5, played: 2 });
  });

  it('an update gets its own records and withdraws the unstarted ones of the alert it replaced', async () => {
    const first = await send();
    await g.reports.commitBatches([{ deviceId: 'spk-a1', events: [report(`alert:${first.id}`, 'finished', NOW + 50)] }], NOW + 60);
    clock.t = NOW + 2000;
    const second = await send({ title: 'Bão số 3 đổi hướng' });
    expect(second.replaces).toBe(first.id);
    const old = await rows(first.id);
    expect(old['spk-a1']!.state).toBe('finished');
    expect(old['spk-a2']).toMatchObject({ state: 'withdrawn', reason: `replaced by alert ${second.id}` });
    expect(Object.values(await rows(second.id)).map((x) => x.state)).toEqual(['expected', 'expected', 'expected', 'expected', 'expected']);
  });

  it('expiry withdraws what never played', async () => {
    const a = await send({ expiresInS: 60 });
    await g.reports.commitBatches([{ deviceId: 'spk-a1', events: [report(`alert:${a.id}`, 'finished', NOW + 5000)] }], NOW + 5000);
    clock.t = NOW + 61_000;
    expect(await g.sut.clearExpired()).toBe(1);
    const r = await rows(a.id);
    expect(r['spk-a1']!.state).toBe('finished');
    expect(r['spk-b1']).toMatchObject({ state: 'withdrawn', reason: 'expired', endedAt: NOW + 61_000 });
  });

  it('summarises by the alert area and each child area, failures first, and pages records problems first', async () => {
    const a = await send();
    const occ = `alert:${a.id}`;
    await g.reports.commitBatches(
      [
        { deviceId: 'spk-a1', events: [report(occ, 'delivered', NOW + 1), report(occ, 'finished', NOW + 4001)] },
        { deviceId: 'spk-a2', events: [report(occ, 'delivered', NOW + 1)] },
        { deviceId: 'spk-b1', events: [report(occ, 'failed', NOW + 2, 'no output device')] },
      ],
      NOW + 5000,
    );
    const s = await g.proof.summary(await g.sut.require(a.id));
    expect(s).toMatchObject({ alertId: a.id, total: 5, byState: { expected: 2, delivered: 1, started: 0, finished: 1, failed: 1, withdrawn: 0 }, updatedAt: new Date(NOW + 5000).toISOString() });
    expect(s.areas).toEqual([
      { areaCode: '01', name: 'Area 01', total: 5, delivered: 3, played: 1, failed: 1 },
      { areaCode: '00005', name: 'Area 00005', total: 1, delivered: 1, played: 0, failed: 1 },
      { areaCode: '00004', name: 'Area 00004', total: 3, delivered: 2, played: 1, failed: 0 },
    ]);
    const alert = await g.sut.require(a.id);
    const page = await g.proof.page(alert, { limit: 2, offset: 0 });
    expect(page.total).toBe(5);
    expect(page.items.map((i) => [i.deviceId, i.state])).toEqual([
      ['spk-b1', 'failed'],
      ['brd-a', 'expected'],
    ]);
    expect(page.items[0]).toMatchObject({ deviceName: 'spk-b1', kind: 'speaker', areaCode: '00005', online: false, reason: 'no output device' });
    const inA = await g.proof.page(alert, { areaCode: '00004', limit: 100, offset: 0 });
    expect(inA.items.map((i) => i.deviceId)).toEqual(['brd-a', 'spk-a2', 'spk-a1']);
    const finished = await g.proof.page(alert, { state: 'finished', limit: 100, offset: 0 });
    expect(finished).toMatchObject({ total: 1, items: [{ deviceId: 'spk-a1', startedAt: null, endedAt: new Date(NOW + 4001).toISOString() }] });
  });

  it('banner: a commune officer sees the province alert covering them, not another province or commune', async () => {
    const province = await send();
    const other = await send({ areaCode: '99' });
    const communeB = await send({ areaCode: '00005', title: 'Sạt lở' });
    // Not yet in force: effective in an hour.
    await send({ areaCode: '00004', effectiveAt: NOW + 3_600_000, title: 'Diễn tập' });
    const scopeA = new AreaScope('/01/00004/', new Set(['00004']));
    const banner = await g.proof.banner(scopeA);
    expect(banner.map((b) => b.id)).toEqual([province.id]);
    expect(banner[0]).toMatchObject({ areaCode: '01', areaName: 'Area 01', title: 'Bão số 3', source: 'manual', total: 5, played: 0 });
    const provinceScope = new AreaScope('/01/', new Set(['01', '00004', '00005']));
    expect((await g.proof.banner(provinceScope)).map((b) => b.id).sort()).toEqual([province.id, communeB.id].sort());
    expect((await g.proof.banner(new AreaScope(null, null))).map((b) => b.id).sort()).toEqual([province.id, other.id, communeB.id].sort());
    await settled(g.fanouts, g.sut.cancel(province.id));
    expect(await g.proof.banner(scopeA)).toEqual([]);
  });
});

describe.each(DATABASES)('alert records for 10,000 devices on %s', (name, open) => {
  it('are written in one statement, in reasonable time', async () => {
    const db = await open();
    try {
      const province = await seedArea(db.dataSource, '01', null, 'province');
      const communes: Array<{ code: string }> = [];
      for (let c = 0; c < 10; c++) communes.push(await seedArea(db.dataSource, `0${1000 + c}`, province));
      const devices = Array.from({ length: 10_000 }, (_, i): DeviceEntity => ({
        id: `spk-${String(i).padStart(5, '0')}`,
        name: `Loa ${i}`,
        kind: 'speaker',
        areaCode: communes[i % 10]!.code,
        secretHash: 'x',
        online: false,
        lastSeenAt: null,
        agentVersion: null,
        timelineVersion: 0,
        ackedTimelineVersion: 0,
        createdAt: 0,
      }));
      for (let i = 0; i < devices.length; i += 500) await db.dataSource.getRepository(DeviceEntity).insert(devices.slice(i, i + 500));
      const alertId = 'alert-big';
      await db.dataSource.query(
        `INSERT INTO alerts (id, area_code, priority, title, status, sent_at, effective_at, expires_at, created_by, source) VALUES ('${alertId}', '01', 'emergency', 'Bão', 'active', ${NOW}, ${NOW}, ${NOW + 600_000}, 'u', 'manual')`,
      );
      const repo = new AlertDeliveriesRepository(db.dataSource);
      const started = process.hrtime.bigint();
      const written = await repo.expect(alertId, { areaCode: '01', speakers: true }, NOW);
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      console.log(`alert_deliveries: ${written} records written by one INSERT … SELECT on ${name} in ${ms.toFixed(0)} ms`);
      expect(written).toBe(10_000);
      // Run again (a fan-out job retried after a crash): nothing doubled, nothing reset.
      expect(await repo.expect(alertId, { areaCode: '01', speakers: true }, NOW + 1)).toBe(0);
      const clock = new FixedClock(NOW);
      const s = await new AlertProofService(new AlertsRepository(db.dataSource), repo, clock).summary((await new AlertsRepository(db.dataSource).find(alertId))!);
      expect(s.total).toBe(10_000);
      expect(s.areas).toHaveLength(11);
      expect(s.areas.slice(1).every((a) => a.total === 1000)).toBe(true);
    } finally {
      await db.close();
    }
  });
});
