import { BadRequestException } from '@nestjs/common';
import { deviceTopic, timelineMessageSchema, timelinePatchMessageSchema } from '@loa/shared';
import { DeliveryEntity } from '../src/deliveries/delivery.entity.js';
import { DeviceEntity } from '../src/devices/device.entity.js';
import { ScheduleEntity } from '../src/schedules/schedule.entity.js';
import { SchedulesService, type SaveResult } from '../src/schedules/schedules.service.js';
import type { TimelinesService } from '../src/timelines/timelines.service.js';
import { DATABASES, type TestDatabase } from './support/databases.js';
import { FixedClock, RecordingBroker, seedArea, seedAudioContent, seedDevice, seedTextContent, testConfig } from './support/fixtures.js';
import { schedulingGraph } from './support/scheduling.js';

const NOW = Date.parse('2026-11-23T00:00:00Z');

describe.each(DATABASES)(`${SchedulesService.name} on %s`, (_name, open) => {
  let db: TestDatabase;
  let broker: RecordingBroker;
  let timelines: TimelinesService;
  let sut: SchedulesService;
  let settle: ReturnType<typeof schedulingGraph>['settle'];

  beforeEach(async () => {
    db = await open();
    const ds = db.dataSource;
    const province = await seedArea(ds, '01', null, 'province');
    const communeA = await seedArea(ds, '00004', province);
    const communeB = await seedArea(ds, '00007', province);
    await seedArea(ds, '02', null, 'province');
    await seedDevice(ds, 'spk-a1', communeA.code);
    await seedDevice(ds, 'spk-a2', communeA.code);
    await seedDevice(ds, 'spk-b1', communeB.code);
    await seedDevice(ds, 'board-a', communeA.code, 'board');
    await seedAudioContent(ds, 'audio-1', 3000);
    await seedTextContent(ds, 'text-1', 10_000);
    const clock = new FixedClock(NOW);
    const config = testConfig();
    broker = new RecordingBroker();
    ({ timelines, schedules: sut, settle } = schedulingGraph(ds, clock, config, broker));
  });

  afterEach(() => db.close());

  /** Each whole timeline goes retained on `timeline` (and live on `timeline/patch`, or a patch there instead). */
  const retained = (b: RecordingBroker) => b.published.filter((p) => p.options.retain);

  /** A save, once its fan-out has written the deliveries and sent the timelines; the view as it then reads. */
  const create = async (over: Partial<Parameters<SchedulesService['create']>[0]> = {}): Promise<SaveResult> => {
    const saved = (await settle(sut.create({ contentId: 'audio-1', startAt: NOW + 60_000, targets: { areas: ['00004'], devices: [] }, priority: 'normal', ...over }, 'user-1'))) as SaveResult;
    return { ...saved, ...(await sut.get(saved.id)) };
  };

  it('targets the speakers of an area subtree and queues one delivery each', async () => {
    const s = await create({ targets: { areas: ['01'], devices: [] } });
    expect(s.deviceCount).toBe(3);
    expect(s.summary).toEqual({ queued: 3 });
    const rows = await db.dataSource.getRepository(DeliveryEntity).findBy({ scheduleId: s.id });
    expect(rows.map((r) => r.deviceId).sort()).toEqual(['spk-a1', 'spk-a2', 'spk-b1']);
  });

  it('publishes a retained, versioned timeline to each targeted device only', async () => {
    const s = await create();
    const topics = retained(broker).map((p) => p.topic).sort();
    expect(topics).toEqual([deviceTopic('spk-a1', 'timeline'), deviceTopic('spk-a2', 'timeline')]);
    const msg = broker.published[0]!;
    expect(msg.options).toEqual({ qos: 1, retain: true });
    const t = timelineMessageSchema.parse(JSON.parse(msg.payload));
    expect(t.version).toBe(1);
    expect(t.slots).toHaveLength(1);
    expect(t.slots[0]).toMatchObject({ occurrenceId: s.occurrences[0]!.id, startAt: NOW + 60_000, durationMs: 3000, type: 'audio' });
    expect((await db.dataSource.getRepository(DeviceEntity).findOneByOrFail({ id: 'spk-a1' })).timelineVersion).toBe(1);
  });

  it('recompiles only the devices a new schedule touches, bumping their version', async () => {
    await create();
    broker.published.length = 0;
    await create({ targets: { areas: [], devices: ['spk-a1'] }, startAt: NOW + 120_000 });
    expect(retained(broker).map((p) => p.topic)).toEqual([deviceTopic('spk-a1', 'timeline')]);
    const t = timelineMessageSchema.parse(JSON.parse(broker.published[0]!.payload));
    expect(t.version).toBe(2);
    expect(t.slots.map((x) => x.startAt)).toEqual([NOW + 60_000, NOW + 120_000]);
    // Live, the device holding version 1 gets only the change: a patch of 1 adding the one new slot.
    const live = broker.published.filter((p) => p.topic === deviceTopic('spk-a1', 'timeline/patch'));
    expect(live).toHaveLength(1);
    expect(timelinePatchMessageSchema.parse(JSON.parse(live[0]!.payload))).toMatchObject({ base: 1, version: 2, remove: [], upsert: [{ startAt: NOW + 120_000 }] });
  });

  it('sends text content to boards only', async () => {
    const s = await create({ contentId: 'text-1', targets: { areas: ['01'], devices: [] } });
    expect(s.deviceCount).toBe(1);
    expect(retained(broker).map((p) => p.topic)).toEqual([deviceTopic('board-a', 'timeline')]);
  });

  it.each([
    ['a start in the past', { startAt: NOW - 60_000 }, /in the past/],
    ['an unknown area', { targets: { areas: ['99999'], devices: [] } }, /unknown area code\(s\): 99999/],
    ['an unknown device', { targets: { areas: [], devices: ['ghost'] } }, /unknown device\(s\): ghost/],
    ['a board for audio', { targets: { areas: [], devices: ['board-a'] } }, /cannot play this content/],
    ['an area without speakers', { targets: { areas: ['02'], devices: [] } }, /no speaker device/],
    ['unknown content', { contentId: 'nope' }, /unknown content nope/],
  ])('refuses %s and stores nothing', async (_label, over, message) => {
    await expect(create(over)).rejects.toThrow(BadRequestException);
    await expect(create(over)).rejects.toThrow(message);
    expect(await db.dataSource.getRepository(ScheduleEntity).count()).toBe(0);
    expect(broker.published).toHaveLength(0);
  });

  it('marks queued deliveries delivered when the device acks the version that carried them', async () => {
    const s = await create();
    await timelines.handleAck('spk-a1', 1);
    const rows = await db.dataSource.getRepository(DeliveryEntity).findBy({ scheduleId: s.id });
    expect(rows.find((r) => r.deviceId === 'spk-a1')).toMatchObject({ state: 'delivered', deliveredAt: NOW });
    expect(rows.find((r) => r.deviceId === 'spk-a2')?.state).toBe('queued');
    expect((await db.dataSource.getRepository(DeviceEntity).findOneByOrFail({ id: 'spk-a1' })).ackedTimelineVersion).toBe(1);
  });

  it('after a restart (a broker without retained timelines), re-sends the stored timeline to a device that comes online behind, and not to one that is current', async () => {
    await create();
    await timelines.handleAck('spk-a2', 1);
    const restarted = new RecordingBroker();
    const after = schedulingGraph(db.dataSource, new FixedClock(NOW), testConfig(), restarted).timelines;
    await after.resyncIfBehind('spk-a1', 0);
    await after.resyncIfBehind('spk-a2', 1);
    expect(retained(restarted).map((p) => p.topic)).toEqual([deviceTopic('spk-a1', 'timeline')]);
    expect(timelineMessageSchema.parse(JSON.parse(restarted.published[0]!.payload)).version).toBe(1);
  });

  it('sends no second copy to a device behind while the broker still holds its current timeline retained', async () => {
    await create();
    broker.published.length = 0;
    // spk-a1 never acked version 1, but this process published it retained: the device's subscribe brings it.
    await timelines.resyncIfBehind('spk-a1', 0);
    await timelines.resyncIfBehind('spk-a1', undefined);
    expect(broker.published).toEqual([]);
    // A new version it has not been sent is another matter: compiled and published as usual, once.
    await create({ targets: { areas: [], devices: ['spk-a1'] }, startAt: NOW + 120_000 });
    await timelines.resyncIfBehind('spk-a1', 1);
    expect(retained(broker).map((p) => p.topic)).toEqual([deviceTopic('spk-a1', 'timeline')]);
  });
});
