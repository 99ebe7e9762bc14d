import { BadRequestException, ConflictException } from '@nestjs/common';
import { alertMessageSchema, areaTopic } from '@loa/shared';
import { AlertsRepository } from '../src/alerts/alerts.repository.js';
import { AlertsService } from '../src/alerts/alerts.service.js';
import { AreasRepository } from '../src/areas/areas.repository.js';
import { AreasService } from '../src/areas/areas.service.js';
import { AlertEntity } from '../src/alerts/alert.entity.js';
import { DATABASES, type TestDatabase } from './support/databases.js';
import { FixedClock, RecordingBroker, newMetrics, seedArea, silentLogger, testGateway } from './support/fixtures.js';
import { settled, testFanouts } from './support/fanouts.js';
import { InProcessNamedLocks } from '../src/common/named-locks.js';
import { TypeOrmTransactionRunner } from '../src/database/transaction-runner.js';
import type { DataSource } from 'typeorm';
import type { FanoutJobs } from '../src/fanouts/fanout-jobs.js';

/** The alerts service as Nest wires it, with its fan-out handler (AlertFanout) registered. */
function alertsGraph(ds: DataSource, clock: FixedClock, broker: RecordingBroker): { sut: AlertsService; fanouts: FanoutJobs } {
  const fanouts = testFanouts(ds, clock);
  const sut = new AlertsService(new AlertsRepository(ds), new AreasService(new AreasRepository(ds), clock), testGateway(broker), clock, newMetrics(), silentLogger, new TypeOrmTransactionRunner(ds), fanouts, new InProcessNamedLocks());
  fanouts.register('alert', { run: (r) => sut.publishJob(r), checkReadable: async () => undefined });
  return { sut, fanouts };
}

const NOW = Date.parse('2026-11-23T08:00:00Z');

describe.each(DATABASES)(`${AlertsService.name} on %s`, (_name, open) => {
  let db: TestDatabase;
  let broker: RecordingBroker;
  let clock: FixedClock;
  let sut: AlertsService;
  let fanouts: FanoutJobs;

  beforeEach(async () => {
    db = await open();
    const province = await seedArea(db.dataSource, '01', null, 'province');
    await seedArea(db.dataSource, '00004', province);
    broker = new RecordingBroker();
    clock = new FixedClock(NOW);
    ({ sut, fanouts } = alertsGraph(db.dataSource, clock, broker));
  });
  afterEach(() => db.close());

  /** An alert, once its fan-out has published it. */
  const send = (over: Partial<Parameters<AlertsService['create']>[0]> = {}) =>
    settled(fanouts, sut.create({ areaCode: '01', title: 'Cảnh báo bão số 3', text: 'Người dân không ra khơi', priority: 'emergency', expiresInS: 600, ...over }, 'user-1'));
  const last = () => {
    const p = broker.published.at(-1)!;
    return { ...p, message: p.payload ? alertMessageSchema.parse(JSON.parse(p.payload)) : null };
  };

  it('publishes one retained message on the area channel', async () => {
    const a = await send();
    expect(broker.published).toHaveLength(1);
    const p = last();
    // Agents act only on what the pinned key signed.
    expect(p.signed).toBe(true);
    expect(p.topic).toBe(areaTopic('01', 'alert'));
    expect(p.options).toEqual({ qos: 1, retain: true });
    expect(p.message).toMatchObject({ id: a.id, msgType: 'alert', priority: 'emergency', effectiveAt: NOW, expiresAt: NOW + 600_000, text: 'Người dân không ra khơi' });
  });

  it('replaces the previous alert of the same area with an update that references it', async () => {
    const first = await send();
    const second = await send({ title: 'Bão số 3 đổi hướng' });
    expect(last().message).toMatchObject({ id: second.id, msgType: 'update', references: first.id });
    expect((await sut.get(first.id)).status).toBe('superseded');
  });

  it('cancels with a retained cancellation that devices offline at the time still receive', async () => {
    const a = await send();
    const c = await settled(fanouts, sut.cancel(a.id));
    expect(c.status).toBe('cancelled');
    expect(last().options.retain).toBe(true);
    expect(last().message).toMatchObject({ msgType: 'cancel', references: a.id });
    await expect(sut.cancel(a.id)).rejects.toThrow(ConflictException);
  });

  it('clears the channel when the alert expires, and never clears a newer alert', async () => {
    const a = await send({ expiresInS: 60 });
    await settled(fanouts, sut.cancel(a.id));
    clock.t = NOW + 30_000;
    const b = await send({ expiresInS: 600 });
    clock.t = NOW + 61_000;
    expect(await sut.clearExpired()).toBe(0);
    clock.t = NOW + 631_000;
    broker.published.length = 0;
    expect(await sut.clearExpired()).toBe(1);
    expect(broker.published).toEqual([{ topic: areaTopic('01', 'alert'), payload: '', signed: false, raw: '', options: { qos: 1, retain: true } }]);
    expect((await db.dataSource.getRepository(AlertEntity).findOneByOrFail({ id: b.id })).clearedAt).toBe(NOW + 631_000);
    expect(await sut.clearExpired()).toBe(0);
  });

  it.each([
    ['an unknown area', { areaCode: '99' }, /unknown area code/],
    ['no text nor audio', { text: undefined }, /needs text, audio/],
    ['unknown audio', { mediaSha256: 'f'.repeat(64) }, /unknown media/],
  ])('refuses %s and publishes nothing', async (_l, over, message) => {
    await expect(send(over)).rejects.toThrow(BadRequestException);
    await expect(send(over)).rejects.toThrow(message);
    expect(broker.published).toHaveLength(0);
    expect(await db.dataSource.getRepository(AlertEntity).count()).toBe(0);
  });
});

describe.each(DATABASES)(`${AlertsService.name} after a restart on %s`, (_name, open) => {
  it('puts alerts and cancellations still in force back on their channels, and nothing expired', async () => {
    const db = await open();
    try {
      const province = await seedArea(db.dataSource, '01', null, 'province');
      await seedArea(db.dataSource, '02', null, 'province');
      await seedArea(db.dataSource, '00004', province);
      const clock = new FixedClock(NOW);
      const make = (broker: RecordingBroker) => alertsGraph(db.dataSource, clock, broker);
      const { sut: before, fanouts } = make(new RecordingBroker());
      const base = { title: 'Cảnh báo', text: 'Sơ tán', priority: 'emergency' as const };
      const kept = await settled(fanouts, before.create({ ...base, areaCode: '01', expiresInS: 600 }, 'u'));
      const cancelled = await settled(fanouts, before.create({ ...base, areaCode: '02', expiresInS: 600 }, 'u'));
      await settled(fanouts, before.cancel(cancelled.id));
      await settled(fanouts, before.create({ ...base, areaCode: '00004', expiresInS: 60 }, 'u'));
      clock.t = NOW + 120_000;

      const broker = new RecordingBroker();
      expect(await make(broker).sut.republishRetained()).toBe(2);
      const byTopic = new Map(broker.published.map((p) => [p.topic, alertMessageSchema.parse(JSON.parse(p.payload))]));
      expect(byTopic.get(areaTopic('01', 'alert'))).toMatchObject({ id: kept.id, msgType: 'alert' });
      expect(byTopic.get(areaTopic('02', 'alert'))).toMatchObject({ msgType: 'cancel', references: cancelled.id });
      expect(byTopic.has(areaTopic('00004', 'alert'))).toBe(false);
      expect(broker.published.every((p) => p.options.retain)).toBe(true);
    } finally {
      await db.close();
    }
  });
});
