import { BadRequestException, ConflictException } from '@nestjs/common';
import { ContentEntity } from '../src/contents/content.entity.js';
import { DeliveryEntity } from '../src/deliveries/delivery.entity.js';
import { OccurrenceEntity } from '../src/schedules/occurrence.entity.js';
import { ScheduleEntity } from '../src/schedules/schedule.entity.js';
import { FanoutEntity } from '../src/fanouts/fanout.entity.js';
import type { CreateScheduleInput, SaveResult } from '../src/schedules/schedules.service.js';
import { DATABASES, type TestDatabase } from './support/databases.js';
import { FixedClock, RecordingBroker, seedArea, seedAudioContent, seedDevice, seedTextContent, testConfig } from './support/fixtures.js';
import { lastTimelines, publishedDevices, schedulingGraph } from './support/scheduling.js';

const NOW = Date.parse('2026-11-23T00:00:00Z'); // 07:00 in Hanoi
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe.each(DATABASES)('scheduling engine on %s', (_name, open) => {
  let db: TestDatabase;
  let broker: RecordingBroker;
  let clock: FixedClock;
  let g: ReturnType<typeof schedulingGraph>;

  beforeEach(async () => {
    db = await open();
    const ds = db.dataSource;
    const province = await seedArea(ds, '01', null, 'province');
    const communeA = await seedArea(ds, '00004', province);
    const communeB = await seedArea(ds, '00007', province);
    await seedDevice(ds, 'spk-a1', communeA.code);
    await seedDevice(ds, 'spk-a2', communeA.code);
    await seedDevice(ds, 'spk-b1', communeB.code);
    await seedDevice(ds, 'board-a', communeA.code, 'board');
    await seedAudioContent(ds, 'audio-1', 3000);
    await seedTextContent(ds, 'text-1', 10_000);
    clock = new FixedClock(NOW);
    broker = new RecordingBroker();
    g = schedulingGraph(ds, clock, testConfig(), broker);
  });

  afterEach(() => db.close());

  const create = async (over: Partial<CreateScheduleInput> = {}) =>
    (await g.settle(g.schedules.create({ contentId: 'audio-1', startAt: NOW + HOUR, targets: { areas: ['00004'] }, priority: 'normal', ...over }, 'user-1'))) as SaveResult;
  const deliveries = (where: Partial<Pick<DeliveryEntity, 'scheduleId' | 'deviceId' | 'occurrenceId'>> = {}) => db.dataSource.getRepository(DeliveryEntity).findBy(where);
  const occurrences = (scheduleId: string) => db.dataSource.getRepository(OccurrenceEntity).find({ where: { scheduleId }, order: { startAt: 'ASC' } });
  const reset = () => (broker.published.length = 0);

  describe('recurrence and the horizon', () => {
    it('materialises a daily rule only up to the horizon, one delivery per occurrence and device', async () => {
      const s = await create({ rrule: 'FREQ=DAILY;COUNT=10' });
      const occ = await occurrences(s.id);
      expect(occ.map((o) => o.startAt)).toEqual([0, 1, 2, 3, 4, 5, 6].map((k) => NOW + HOUR + k * DAY));
      expect(occ[0]!.id).toBe(`${s.id}:${NOW + HOUR}`);
      expect(await deliveries({ scheduleId: s.id })).toHaveLength(14);
      const t = lastTimelines(broker).get('spk-a1')!;
      expect(t.slots.map((x) => x.startAt)).toEqual(occ.map((o) => o.startAt));
    });

    it('rolls the horizon forward as time passes, idempotently, recompiling only the schedule’s devices', async () => {
      const s = await create({ rrule: 'FREQ=DAILY;COUNT=10', targets: { devices: ['spk-a1'] } });
      await create({ startAt: NOW + 2 * HOUR, targets: { devices: ['spk-b1'] } }); // one-off: nothing to roll
      clock.t = NOW + 2 * DAY;
      reset();
      expect(await g.materializer.rollHorizon()).toEqual(['spk-a1']);
      expect(publishedDevices(broker)).toEqual(['spk-a1']);
      expect(await occurrences(s.id)).toHaveLength(9);
      reset();
      expect(await g.materializer.rollHorizon()).toEqual([]);
      expect(broker.published).toHaveLength(0);
      expect(await occurrences(s.id)).toHaveLength(9);
      clock.t = NOW + 5 * DAY;
      await g.materializer.rollHorizon();
      expect(await occurrences(s.id)).toHaveLength(10); // COUNT reached
      clock.t = NOW + 8 * DAY;
      await g.materializer.rollHorizon();
      expect(await deliveries({ scheduleId: s.id })).toHaveLength(10);
    });

    it('generates a one-off beyond the horizon once the horizon reaches it', async () => {
      const s = await create({ startAt: NOW + 10 * DAY });
      expect(await occurrences(s.id)).toHaveLength(0);
      clock.t = NOW + 4 * DAY;
      await g.materializer.rollHorizon();
      expect((await occurrences(s.id)).map((o) => o.startAt)).toEqual([NOW + 10 * DAY]);
      expect((await deliveries({ scheduleId: s.id })).map((d) => d.deviceId).sort()).toEqual(['spk-a1', 'spk-a2']);
    });

    it('sizes the slot for repeat and gap, and carries the policy into the timeline', async () => {
      const s = await create({ repeat: 3, gapSeconds: 2, onPreempt: 'restart', volume: 70 });
      expect(s.occurrences[0]!.durationMs).toBe(3 * 3000 + 2 * 2000);
      const slot = lastTimelines(broker).get('spk-a1')!.slots[0]!;
      expect(slot).toMatchObject({ type: 'audio', durationMs: 13_000, repeat: 3, gapMs: 2000, onPreempt: 'restart', volume: 70 });
    });

    it('refuses repeat on text content and malformed rules', async () => {
      await expect(create({ contentId: 'text-1', repeat: 2 })).rejects.toThrow(/repeat applies to audio/);
      await expect(create({ rrule: 'FREQ=SECONDLY' })).rejects.toThrow(BadRequestException);
      await expect(create({ timezone: 'Mars/Olympus' })).rejects.toThrow(/IANA/);
      expect(await db.dataSource.getRepository(ScheduleEntity).count()).toBe(0);
    });
  });

  describe('content validity', () => {
    it('generates only occurrences inside the window, and refuses a schedule that never falls inside it', async () => {
      await db.dataSource.getRepository(ContentEntity).update({ id: 'audio-1' }, { validUntil: NOW + 2 * DAY });
      const s = await create({ rrule: 'FREQ=DAILY' });
      expect((await occurrences(s.id)).map((o) => o.startAt)).toEqual([NOW + HOUR, NOW + HOUR + DAY]);
      await db.dataSource.getRepository(ContentEntity).update({ id: 'audio-1' }, { validFrom: NOW + 30 * DAY, validUntil: NOW + 31 * DAY });
      await expect(create({ rrule: 'FREQ=DAILY;COUNT=3' })).rejects.toThrow(/valid only from/);
    });
  });

  describe('relay content', () => {
    it('compiles relay slots for speakers only', async () => {
      await db.dataSource
        .getRepository(ContentEntity)
        .insert({ id: 'relay-1', type: 'relay', title: 'Đài tỉnh', mediaSha256: null, text: null, url: 'https://radio.example.vn/live.m3u8', durationMs: 1_800_000, createdBy: 'u', createdAt: 0, state: 'approved' });
      const s = await create({ contentId: 'relay-1', targets: { areas: ['01'] } });
      expect(s.deviceCount).toBe(3);
      const slot = lastTimelines(broker).get('spk-b1')!.slots[0]!;
      expect(slot).toMatchObject({ type: 'relay', url: 'https://radio.example.vn/live.m3u8', durationMs: 1_800_000 });
      expect(lastTimelines(broker).has('board-a')).toBe(false);
    });
  });

  describe('conflicts at save time', () => {
    it('answers 409 for a same-priority overlap, saving nothing, and lists the overlap per device', async () => {
      const first = await create();
      reset();
      const attempt = create({ startAt: NOW + HOUR + 1000, targets: { devices: ['spk-a1', 'spk-b1'] } });
      await expect(attempt).rejects.toThrow(ConflictException);
      const err = (await attempt.catch((e: ConflictException) => e)) as ConflictException;
      const body = err.getResponse() as { conflicts: SaveResult['conflicts']; conflictTotals: SaveResult['conflictTotals'] };
      expect(body.conflicts).toEqual([
        expect.objectContaining({ deviceId: 'spk-a1', kind: 'conflict', otherScheduleId: first.id, otherStart: new Date(NOW + HOUR).toISOString(), preempts: null }),
      ]);
      expect(body.conflictTotals).toEqual({ conflicts: 1, preemptions: 0, devices: 1, pairs: 1, truncated: false });
      expect(await db.dataSource.getRepository(ScheduleEntity).count()).toBe(1);
      expect(broker.published).toHaveLength(0);
    });

    it('saves with acceptConflicts and returns the notices', async () => {
      await create();
      const s = await create({ startAt: NOW + HOUR + 1000, acceptConflicts: true });
      // Issue 19: one occurrence overlapping one other on two devices is one conflict (one notice naming both).
      expect(s.conflictTotals).toMatchObject({ conflicts: 1, devices: 2, pairs: 1 });
      expect(s.conflicts).toEqual([expect.objectContaining({ deviceIds: ['spk-a1', 'spk-a2'], deviceCount: 2 })]);
      expect(s.deviceCount).toBe(2);
    });

    it('reports a different priority as a preemption notice without blocking, naming which one preempts', async () => {
      await create({ rrule: 'FREQ=DAILY;COUNT=3' });
      const urgent = await create({ startAt: NOW + HOUR + 500, priority: 'priority', targets: { devices: ['spk-a2'] } });
      expect(urgent.conflicts).toEqual([expect.objectContaining({ deviceId: 'spk-a2', kind: 'preemption', preempts: 'this', otherPriority: 'normal' })]);
      // An emergency over tomorrow's routine bulletin: the emergency preempts.
      const storm = await create({ startAt: NOW + HOUR + DAY - 1000, priority: 'emergency', targets: { devices: ['spk-a1'] } });
      expect(storm.conflicts).toEqual([expect.objectContaining({ deviceId: 'spk-a1', kind: 'preemption', preempts: 'this', priority: 'emergency' })]);
      expect(storm.onPreempt).toBe('skip');
    });

    it('analyses without saving on a dry run', async () => {
      await create();
      const r = await g.schedules.create({ contentId: 'audio-1', startAt: NOW + HOUR, targets: { areas: ['01'] }, priority: 'normal', dryRun: true }, 'u');
      expect(r).toMatchObject({ dryRun: true, deviceCount: 3, conflictTotals: { conflicts: 1, preemptions: 0, devices: 2, pairs: 1 } });
      expect(await db.dataSource.getRepository(ScheduleEntity).count()).toBe(1);
    });
  });

  describe('incremental recompilation and membership', () => {
    it('recompiles only the devices a change touches', async () => {
      await create();
      reset();
      await create({ startAt: NOW + 2 * HOUR, targets: { devices: ['spk-b1'] } });
      expect(publishedDevices(broker)).toEqual(['spk-b1']);
    });

    it('gives a device that joins an area after scheduling its deliveries and slots, and takes them from one that leaves', async () => {
      const s = await create({ rrule: 'FREQ=DAILY;COUNT=2', targets: { areas: ['00004'] } });
      reset();
      await g.devices.register({ id: 'spk-a3', name: 'Loa 3', kind: 'speaker', areaCode: '00004' });
      expect(publishedDevices(broker)).toEqual(['spk-a3']);
      expect(lastTimelines(broker).get('spk-a3')!.slots.map((x) => x.occurrenceId)).toEqual(s.occurrences.map((o) => o.id));
      expect(await deliveries({ deviceId: 'spk-a3' })).toHaveLength(2);

      reset();
      await g.devices.update('spk-a1', { areaCode: '00007' });
      expect(publishedDevices(broker)).toEqual(['spk-a1']);
      const t = lastTimelines(broker).get('spk-a1')!;
      expect(t.slots).toEqual([]);
      expect(t.areaCodes).toEqual(['01', '00007']);
      expect(await deliveries({ deviceId: 'spk-a1' })).toHaveLength(0);
    });

    it('keeps a delivery the device already started when it leaves', async () => {
      const s = await create({ rrule: 'FREQ=DAILY;COUNT=2', targets: { areas: ['00004'] } });
      clock.t = NOW + HOUR + 1000;
      await db.dataSource.getRepository(DeliveryEntity).update({ deviceId: 'spk-a1', occurrenceId: s.occurrences[0]!.id }, { state: 'started', startedAt: NOW + HOUR });
      await g.devices.update('spk-a1', { areaCode: '00007' });
      expect((await deliveries({ deviceId: 'spk-a1' })).map((d) => d.state)).toEqual(['started']);
    });

    it('follows group membership: tags and static lists, in and out', async () => {
      const group = await g.groups.create({ name: 'Ven biển', tagRule: { any: ['coastal'] } }, 'u');
      const s = await create({ targets: { groups: [group.id] }, rrule: 'FREQ=DAILY;COUNT=2', acceptConflicts: true }).catch((e: Error) => e);
      expect(s).toBeInstanceOf(BadRequestException); // nobody is tagged yet: no speaker in the targets
      await g.devices.update('spk-b1', { tags: ['coastal'] });
      const sched = await create({ targets: { groups: [group.id] }, rrule: 'FREQ=DAILY;COUNT=2' });
      expect(sched.deviceCount).toBe(1);

      reset();
      await g.devices.update('spk-a1', { tags: ['coastal', 'market'] });
      expect(publishedDevices(broker)).toEqual(['spk-a1']);
      expect(await deliveries({ scheduleId: sched.id, deviceId: 'spk-a1' })).toHaveLength(2);

      reset();
      await g.groups.update(group.id, { deviceIds: ['spk-a2'] });
      expect(publishedDevices(broker)).toEqual(['spk-a2']);

      reset();
      await g.devices.update('spk-a1', { tags: ['market'] });
      expect(publishedDevices(broker)).toEqual(['spk-a1']);
      expect(await deliveries({ scheduleId: sched.id, deviceId: 'spk-a1' })).toHaveLength(0);
      expect((await deliveries({ scheduleId: sched.id })).map((d) => d.deviceId).sort()).toEqual(['spk-a2', 'spk-a2', 'spk-b1', 'spk-b1']);
    });
  });

  describe('edit and cancel', () => {
    it('cancels: future deliveries become skipped (cancelled), past ones stay, and holders get a version without the slots', async () => {
      const s = await create({ rrule: 'FREQ=DAILY;COUNT=3' });
      const first = s.occurrences[0]!.id;
      await db.dataSource.getRepository(DeliveryEntity).update({ occurrenceId: first }, { state: 'finished', endedAt: NOW + HOUR + 3000 });
      clock.t = NOW + 2 * HOUR;
      reset();
      const view = await g.settle(g.schedules.cancel(s.id));
      expect(view.status).toBe('cancelled');
      expect(publishedDevices(broker)).toEqual(['spk-a1', 'spk-a2']);
      const t = lastTimelines(broker).get('spk-a1')!;
      expect(t.version).toBe(2);
      expect(t.slots).toEqual([]);
      const rows = await deliveries({ scheduleId: s.id });
      expect(rows.filter((r) => r.occurrenceId === first).map((r) => r.state)).toEqual(['finished', 'finished']);
      expect(rows.filter((r) => r.occurrenceId !== first).every((r) => r.state === 'skipped' && r.reason === 'cancelled')).toBe(true);
      reset();
      expect((await g.schedules.cancel(s.id)).fanout).toBeNull(); // idempotent: nothing to send
      expect(broker.published).toHaveLength(0);
      await expect(g.schedules.update(s.id, { volume: 10 })).rejects.toThrow(ConflictException);
    });

    it('edits targets: removed devices lose future deliveries, added ones gain them, untouched ones are not recompiled', async () => {
      const s = await create({ rrule: 'FREQ=DAILY;COUNT=2', targets: { devices: ['spk-a1', 'spk-a2'] } });
      reset();
      await g.settle(g.schedules.update(s.id, { targets: { devices: ['spk-a2', 'spk-b1'] } }));
      expect(publishedDevices(broker)).toEqual(['spk-a1', 'spk-b1']);
      expect((await deliveries({ scheduleId: s.id })).map((d) => d.deviceId).sort()).toEqual(['spk-a2', 'spk-a2', 'spk-b1', 'spk-b1']);
    });

    it('edits a slot attribute: every targeted device gets a new version with it', async () => {
      const s = await create({ targets: { devices: ['spk-a1', 'spk-a2'] } });
      reset();
      await g.settle(g.schedules.update(s.id, { volume: 35, priority: 'priority' }));
      expect(publishedDevices(broker)).toEqual(['spk-a1', 'spk-a2']);
      expect(lastTimelines(broker).get('spk-a1')!.slots[0]).toMatchObject({ volume: 35, priority: 'priority', onPreempt: 'resume' });
    });

    it('edits timing: future occurrences move, started ones stay', async () => {
      const s = await create({ rrule: 'FREQ=DAILY;COUNT=3', targets: { devices: ['spk-a1'] } });
      clock.t = NOW + HOUR + 1000;
      await db.dataSource.getRepository(DeliveryEntity).update({ occurrenceId: s.occurrences[0]!.id }, { state: 'started' });
      const edited = (await g.settle(g.schedules.update(s.id, { rrule: 'FREQ=DAILY;COUNT=3', exdates: [NOW + HOUR + DAY] }))) as SaveResult;
      expect(edited.occurrences.map((o) => o.startAt)).toEqual([new Date(NOW + HOUR).toISOString(), new Date(NOW + HOUR + 2 * DAY).toISOString()]);
      expect((await deliveries({ scheduleId: s.id })).map((d) => d.state).sort()).toEqual(['queued', 'started']);
      const t = lastTimelines(broker).get('spk-a1')!;
      expect(t.slots.map((x) => x.startAt)).toEqual([NOW + HOUR, NOW + HOUR + 2 * DAY]);
    });
  });

  describe('background fan-out (issue 14)', () => {
    it('answers with the job; the job writes the deliveries and sends the timelines, reporting each batch', async () => {
      const answer = (await g.schedules.create({ contentId: 'audio-1', startAt: NOW + HOUR, targets: { areas: ['01'] }, priority: 'normal' }, 'user-1')) as SaveResult;
      expect(answer.fanout).toMatchObject({ kind: 'schedule', ref: answer.id, state: 'queued', total: 3, done: 0 });
      // What the job materialises, already in the answer.
      expect(answer.deviceCount).toBe(3);
      expect(answer.occurrences.map((o) => o.id)).toEqual([`${answer.id}:${NOW + HOUR}`]);
      expect(await g.fanouts.settled(answer.fanout!.id)).toMatchObject({ state: 'done', total: 3, done: 3 });
      expect(publishedDevices(broker)).toEqual(['spk-a1', 'spk-a2', 'spk-b1']);
      expect(await deliveries({ scheduleId: answer.id })).toHaveLength(3);
      // Dispatch tells the job of each batch it published: that is the progress shown.
      expect(g.events.payloads('timelines.sent')).toEqual([{ fanoutId: answer.fanout!.id, devices: 3 }]);
      const states = g.events.payloads('fanout.changed').filter((e) => e.job.id === answer.fanout!.id).map((e) => e.job.state);
      expect(states).toEqual(['queued', 'materialising', 'sending', 'done']);
      // Every device is under the province: that is where the progress is shown.
      expect(g.events.payloads('fanout.changed').every((e) => e.areaCode === '01')).toBe(true);
    });

    it('a save whose process stops before its fan-out ran: conflicts count it by its plan, and the next start materialises and sends it', async () => {
      await g.fanouts.onModuleDestroy(); // this process stops: jobs stay in the table, none runs here
      const a = (await g.schedules.create({ contentId: 'audio-1', startAt: NOW + HOUR, targets: { areas: ['00004'] }, priority: 'normal' }, 'user-1')) as SaveResult;
      expect(a.fanout).toMatchObject({ state: 'queued' });
      expect(await deliveries({ scheduleId: a.id })).toHaveLength(0);
      // Its deliveries are not written yet, but it will hold spk-a1 and spk-a2 at that time.
      const clash = g.schedules.create({ contentId: 'audio-1', startAt: NOW + HOUR + 1000, targets: { devices: ['spk-a1', 'spk-b1'] }, priority: 'normal' }, 'user-1');
      await expect(clash).rejects.toThrow(ConflictException);
      expect(broker.published).toHaveLength(0);

      // The next start (another process, same database) takes the job up once its lease lapsed.
      const next = schedulingGraph(db.dataSource, clock, testConfig(), broker);
      clock.t = NOW + 60_000;
      expect(await next.fanouts.resume()).toBe(1);
      await next.fanouts.idle();
      expect(await next.fanouts.settled(a.fanout!.id)).toMatchObject({ state: 'done', total: 2, done: 2 });
      expect((await deliveries({ scheduleId: a.id })).map((d) => d.deviceId).sort()).toEqual(['spk-a1', 'spk-a2']);
      expect(publishedDevices(broker)).toEqual(['spk-a1', 'spk-a2']);
    });

    it('a job resumed after its deliveries were committed sends to the devices it recorded, without planning again', async () => {
      const s = await create({ targets: { devices: ['spk-a1', 'spk-a2'] } });
      // As if the process had died right after the materialisation committed: the job holds the devices to send to.
      await db.dataSource.getRepository(FanoutEntity).update({ id: s.fanout!.id }, { state: 'sending', done: 0, devices: ['spk-a2'], leaseUntil: NOW, finishedAt: null });
      reset();
      clock.t = NOW + 1;
      expect(await g.fanouts.resume()).toBe(1);
      await g.fanouts.idle();
      expect(publishedDevices(broker)).toEqual(['spk-a2']);
      expect(lastTimelines(broker).get('spk-a2')!.version).toBe(2);
      expect(await g.fanouts.settled(s.fanout!.id)).toMatchObject({ state: 'done', done: 1 });
    });
  });

  describe('proof of play', () => {
    it('summarises per schedule and occurrence, per area, and lists devices behind', async () => {
      const s = await create({ rrule: 'FREQ=DAILY;COUNT=2' });
      await g.timelines.handleAck('spk-a1', 1);
      const sum = await g.deliveries.scheduleSummary(s.id);
      expect(sum.totals).toEqual({ delivered: 2, queued: 2 });
      expect(sum.deviceCount).toBe(2);
      expect(sum.occurrences).toEqual([
        { occurrenceId: s.occurrences[0]!.id, startAt: s.occurrences[0]!.startAt, counts: { delivered: 1, queued: 1 }, total: 2 },
        { occurrenceId: s.occurrences[1]!.id, startAt: s.occurrences[1]!.startAt, counts: { delivered: 1, queued: 1 }, total: 2 },
      ]);
      const area = await g.deliveries.areaSummary('01', '/01/', NOW, NOW + DAY);
      expect(area).toMatchObject({ totals: { delivered: 1, queued: 1 }, devices: 2, occurrences: 1 });
      const behind = await g.timelines.behind();
      expect(behind.devices.map((d) => d.deviceId)).toEqual(['spk-a2']);
      expect(behind.devices[0]).toMatchObject({ timelineVersion: 1, ackedTimelineVersion: 0, online: false });
      const page = await g.deliveries.pageForSchedule(s.id, { state: 'queued', limit: 1 });
      expect(page.total).toBe(2);
      expect(page.items).toHaveLength(1);
    });

    it('group-commits a burst of acks', async () => {
      await create({ targets: { areas: ['01'] } });
      await Promise.all(['spk-a1', 'spk-a2', 'spk-b1'].map((id) => g.timelines.handleAck(id, 1)));
      expect((await deliveries()).every((d) => d.state === 'delivered')).toBe(true);
      expect((await g.timelines.behind()).total).toBe(0);
    });
  });
});
