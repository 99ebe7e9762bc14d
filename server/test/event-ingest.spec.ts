import { DEVICE_CHANNELS, deviceTopic, type PlaybackEvent } from '@loa/shared';
import { DeliveryEntity } from '../src/deliveries/delivery.entity.js';
import { DeviceEventEntity } from '../src/deliveries/device-event.entity.js';
import { OccurrenceEntity } from '../src/schedules/occurrence.entity.js';
import { ScheduleEntity } from '../src/schedules/schedule.entity.js';
import { DeliveriesRepository } from '../src/deliveries/deliveries.repository.js';
import { EventIngestService } from '../src/deliveries/event-ingest.service.js';
import { DATABASES, type TestDatabase } from './support/databases.js';
import { FixedClock, RecordingBroker, newMetrics, seedArea, seedAudioContent, seedDevice, silentLogger, testGateway } from './support/fixtures.js';
import { TestDomainEvents } from './support/domain-events.js';

describe.each(DATABASES)(`${EventIngestService.name} on %s`, (_name, open) => {
  let db: TestDatabase;
  let broker: RecordingBroker;
  let sut: EventIngestService;
  const OCC = 'sched-1:1000';

  beforeEach(async () => {
    db = await open();
    const ds = db.dataSource;
    const area = await seedArea(ds, '001');
    await seedDevice(ds, 'spk-1', area.code);
    await seedDevice(ds, 'spk-2', area.code);
    const content = await seedAudioContent(ds);
    await ds.getRepository(ScheduleEntity).insert({ id: 'sched-1', contentId: content.id, priority: 'normal', startAt: 1000, volume: null, status: 'active', createdBy: 'u', createdAt: 0 });
    await ds.getRepository(OccurrenceEntity).insert({ id: OCC, scheduleId: 'sched-1', startAt: 1000, durationMs: 3000 });
    for (const deviceId of ['spk-1', 'spk-2']) {
      await ds.getRepository(DeliveryEntity).insert({ occurrenceId: OCC, deviceId, scheduleId: 'sched-1', state: 'queued', queuedAt: 0, deliveredAt: null, startedAt: null, endedAt: null, playedMs: null, reason: null, updatedAt: 0 });
    }
    broker = new RecordingBroker();
    sut = new EventIngestService(new DeliveriesRepository(ds), testGateway(broker), new FixedClock(5000), newMetrics(), silentLogger, new TestDomainEvents());
  });

  afterEach(() => db.close());

  const ev = (id: string, type: PlaybackEvent['type'], at: number, extra: Partial<PlaybackEvent> = {}): PlaybackEvent => ({ id, occurrenceId: OCC, type, at, ...extra });
  const delivery = (deviceId: string) => db.dataSource.getRepository(DeliveryEntity).findOneByOrFail({ occurrenceId: OCC, deviceId });

  it('commits before it acknowledges, then acks every id on the device topic', async () => {
    let committedAtAck = -1;
    broker.onPublish = async () => {
      committedAtAck = await db.dataSource.getRepository(DeviceEventEntity).countBy({ deviceId: 'spk-1' });
    };
    await sut.receive('spk-1', [ev('e1', 'started', 1000), ev('e2', 'finished', 4000, { playedMs: 3000 })]);
    expect(committedAtAck).toBe(2);
    expect(broker.published).toHaveLength(1);
    const [ack] = broker.published;
    expect(ack?.topic).toBe(deviceTopic('spk-1', 'events/ack'));
    expect(ack?.options.qos).toBe(DEVICE_CHANNELS['events/ack'].qos);
    expect(ack?.signed).toBe(true);
    expect(JSON.parse(ack?.payload ?? '{}')).toEqual({ v: 1, deviceId: 'spk-1', ids: ['e1', 'e2'] });
    expect(await delivery('spk-1')).toMatchObject({ state: 'finished', startedAt: 1000, endedAt: 4000, playedMs: 3000 });
    expect((await delivery('spk-2')).state).toBe('queued');
  });

  it('absorbs a replayed batch: stored once, acked again', async () => {
    await sut.receive('spk-1', [ev('e1', 'started', 1000)]);
    await sut.receive('spk-1', [ev('e1', 'started', 1000), ev('e1', 'started', 1000)]);
    expect(await db.dataSource.getRepository(DeviceEventEntity).countBy({ deviceId: 'spk-1' })).toBe(1);
    expect(broker.published.map((p) => JSON.parse(p.payload).ids)).toEqual([['e1'], ['e1']]);
  });

  it('commits many devices in one group: a stored replay and a copy within the group count once, transitions apply in order', async () => {
    await sut.receive('spk-1', [ev('e1', 'started', 1000)]);
    const changes: unknown[] = [];
    const repo = new DeliveriesRepository(db.dataSource);
    const r = await repo.commitBatches(
      [
        { deviceId: 'spk-1', events: [ev('e1', 'started', 1000), ev('e2', 'finished', 4000, { playedMs: 3000 })] },
        { deviceId: 'spk-2', events: [ev('e1', 'started', 1100), ev('e1', 'started', 1100)] },
        { deviceId: 'spk-2', events: [ev('e9', 'failed', 1200, { reason: 'no_media' }), ev('e1', 'started', 1100)] },
      ],
      6000,
    ).then((x) => (changes.push(...x.changes), x));
    expect([r.inserted, r.duplicates]).toEqual([3, 3]);
    expect(await delivery('spk-1')).toMatchObject({ state: 'finished', startedAt: 1000, endedAt: 4000, playedMs: 3000, updatedAt: 6000 });
    // started then failed, within one commit: the later report wins, the start instant is kept.
    expect(await delivery('spk-2')).toMatchObject({ state: 'failed', startedAt: 1100, endedAt: 1200, reason: 'no_media' });
    expect(changes).toEqual([
      { scheduleId: 'sched-1', occurrenceId: OCC, deviceId: 'spk-1', state: 'finished', reason: null, at: 4000 },
      { scheduleId: 'sched-1', occurrenceId: OCC, deviceId: 'spk-2', state: 'started', reason: null, at: 1100 },
      { scheduleId: 'sched-1', occurrenceId: OCC, deviceId: 'spk-2', state: 'failed', reason: 'no_media', at: 1200 },
    ]);
    expect(await db.dataSource.getRepository(DeviceEventEntity).count()).toBe(4);
  });

  it('keeps event ids per device: the same id from two devices is two events', async () => {
    await Promise.all([sut.receive('spk-1', [ev('same', 'started', 1000)]), sut.receive('spk-2', [ev('same', 'started', 1001)])]);
    expect(await db.dataSource.getRepository(DeviceEventEntity).count()).toBe(2);
    expect((await delivery('spk-2')).startedAt).toBe(1001);
  });

  it('stores a report for an occurrence not scheduled on the device as evidence, without applying it', async () => {
    await sut.receive('spk-1', [{ id: 'x', occurrenceId: 'nope:1', type: 'finished', at: 1 }]);
    const row = await db.dataSource.getRepository(DeviceEventEntity).findOneByOrFail({ deviceId: 'spk-1', eventId: 'x' });
    expect(row.applied).toBe(false);
    expect(broker.published).toHaveLength(1);
  });

  it('ignores a stale report that arrives after the final one', async () => {
    await sut.receive('spk-1', [ev('f', 'finished', 4000, { playedMs: 3000 })]);
    await sut.receive('spk-1', [ev('s', 'started', 1000)]);
    expect(await delivery('spk-1')).toMatchObject({ state: 'finished', startedAt: 1000, endedAt: 4000 });
  });

  it('commits a storm of devices through every lane: each device acked once, its reports applied in order', async () => {
    const ds = db.dataSource;
    const area = await seedArea(ds, '002');
    const ids = Array.from({ length: 40 }, (_, i) => `storm-${i}`);
    for (const id of ids) {
      await seedDevice(ds, id, area.code);
      await ds.getRepository(DeliveryEntity).insert({ occurrenceId: OCC, deviceId: id, scheduleId: 'sched-1', state: 'queued', queuedAt: 0, deliveredAt: null, startedAt: null, endedAt: null, playedMs: null, reason: null, updatedAt: 0 });
    }
    const repo = new DeliveriesRepository(ds);
    expect(repo.commitLanes).toBe(ds.options.type === 'postgres' ? 2 : 1);
    // Two messages per device, sent together: started, then finished; whichever lane a device is in keeps its order.
    await Promise.all(ids.flatMap((id, i) => [sut.receive(id, [ev(`${id}-s`, 'started', 1000 + i)]), sut.receive(id, [ev(`${id}-f`, 'finished', 4000 + i, { playedMs: 3000 })])]));
    for (const [i, id] of ids.entries()) expect(await delivery(id)).toMatchObject({ state: 'finished', startedAt: 1000 + i, endedAt: 4000 + i });
    expect(await ds.getRepository(DeviceEventEntity).count()).toBe(80);
    const acks = broker.published.map((p) => JSON.parse(p.payload) as { deviceId: string; ids: string[] });
    expect(acks).toHaveLength(80);
    for (const id of ids) expect(acks.filter((a) => a.deviceId === id).flatMap((a) => a.ids).sort()).toEqual([`${id}-f`, `${id}-s`]);
  });

  it('reports the changes of a transaction run again after a deadlock once', async () => {
    const ds = db.dataSource;
    const original = ds.transaction.bind(ds) as (work: (tx: unknown) => Promise<unknown>) => Promise<unknown>;
    let attempts = 0;
    // The first attempt does all its work, then PostgreSQL "aborts" it (rolled back): retryOnConflict runs it again.
    (ds as { transaction: unknown }).transaction = (work: (tx: unknown) => Promise<unknown>) =>
      original(async (tx) => {
        const r = await work(tx);
        if (++attempts === 1) throw Object.assign(new Error('deadlock detected'), { code: '40P01' });
        return r;
      });
    try {
      const r = await new DeliveriesRepository(ds).commitBatches([{ deviceId: 'spk-1', events: [ev('e1', 'started', 1000)] }], 6000);
      expect(attempts).toBe(2);
      expect([r.inserted, r.duplicates]).toEqual([1, 0]);
      expect(r.changes).toEqual([{ scheduleId: 'sched-1', occurrenceId: OCC, deviceId: 'spk-1', state: 'started', reason: null, at: 1000 }]);
    } finally {
      (ds as { transaction: unknown }).transaction = original;
    }
    expect(await delivery('spk-1')).toMatchObject({ state: 'started', startedAt: 1000 });
    expect(await db.dataSource.getRepository(DeviceEventEntity).count()).toBe(1);
  });

  it('does not acknowledge when the commit fails', async () => {
    await db.dataSource.destroy();
    await expect(sut.receive('spk-1', [ev('e1', 'started', 1000)])).rejects.toThrow();
    expect(broker.published).toHaveLength(0);
    await db.dataSource.initialize();
  });
});
