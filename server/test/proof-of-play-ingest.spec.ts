import type { PlaybackEvent } from '@loa/shared';
import { DeliveryEntity } from '../src/deliveries/delivery.entity.js';
import { DeviceEventEntity } from '../src/deliveries/device-event.entity.js';
import { OccurrenceEntity } from '../src/schedules/occurrence.entity.js';
import { ScheduleEntity } from '../src/schedules/schedule.entity.js';
import { DeliveriesRepository } from '../src/deliveries/deliveries.repository.js';
import { deliveryView } from '../src/deliveries/deliveries.service.js';
import { EventIngestService } from '../src/deliveries/event-ingest.service.js';
import { DATABASES, type TestDatabase } from './support/databases.js';
import { FixedClock, RecordingBroker, newMetrics, seedArea, seedAudioContent, seedDevice, silentLogger, testGateway } from './support/fixtures.js';
import { TestDomainEvents } from './support/domain-events.js';

/** Issue 12: a report says how much of the item was heard; the server keeps it on the delivery and the stored report. */
describe.each(DATABASES)('proof of play ingestion (heardMs, itemMs) on %s', (_name, open) => {
  let db: TestDatabase;
  let sut: EventIngestService;
  const OCC = 'sched-1:1000';

  beforeEach(async () => {
    db = await open();
    const ds = db.dataSource;
    const area = await seedArea(ds, '001');
    await seedDevice(ds, 'spk-1', area.code);
    const content = await seedAudioContent(ds);
    await ds.getRepository(ScheduleEntity).insert({ id: 'sched-1', contentId: content.id, priority: 'normal', startAt: 1000, volume: null, status: 'active', createdBy: 'u', createdAt: 0 });
    await ds.getRepository(OccurrenceEntity).insert({ id: OCC, scheduleId: 'sched-1', startAt: 1000, durationMs: 30_000 });
    await ds.getRepository(DeliveryEntity).insert({ occurrenceId: OCC, deviceId: 'spk-1', scheduleId: 'sched-1', state: 'queued', queuedAt: 0, deliveredAt: null, startedAt: null, endedAt: null, playedMs: null, reason: null, updatedAt: 0 });
    sut = new EventIngestService(new DeliveriesRepository(ds), testGateway(new RecordingBroker()), new FixedClock(50_000), newMetrics(), silentLogger, new TestDomainEvents());
  });
  afterEach(() => db.close());

  const ev = (id: string, type: PlaybackEvent['type'], at: number, extra: Partial<PlaybackEvent> = {}): PlaybackEvent => ({ id, occurrenceId: OCC, type, at, ...extra });

  it('keeps how much of a resumed bulletin was heard on the delivery, its view and the stored report', async () => {
    const reason = 'resumed after preemption by alert:flood; cut at the end of its window during play 1 of 1';
    await sut.receive('spk-1', [ev('e1', 'started', 1000), ev('e2', 'preempted', 33_000, { playedMs: 23_900, heardMs: 23_900, itemMs: 30_000, reason })]);
    const d = await db.dataSource.getRepository(DeliveryEntity).findOneByOrFail({ occurrenceId: OCC, deviceId: 'spk-1' });
    expect(d).toMatchObject({ state: 'preempted', playedMs: 23_900, heardMs: 23_900, itemMs: 30_000, reason });
    expect(deliveryView(d)).toMatchObject({ state: 'preempted', playedMs: 23_900, heardMs: 23_900, itemMs: 30_000 });
    expect(await db.dataSource.getRepository(DeviceEventEntity).findOneByOrFail({ deviceId: 'spk-1', eventId: 'e2' })).toMatchObject({ heardMs: 23_900, itemMs: 30_000 });
  });

  it('leaves them null for an agent that does not report them', async () => {
    await sut.receive('spk-1', [ev('e1', 'finished', 31_000, { playedMs: 30_000 })]);
    const d = await db.dataSource.getRepository(DeliveryEntity).findOneByOrFail({ occurrenceId: OCC, deviceId: 'spk-1' });
    expect(deliveryView(d)).toMatchObject({ state: 'finished', playedMs: 30_000, heardMs: null, itemMs: null });
  });
});
