import { ConflictException } from '@nestjs/common';
import { ContentEntity } from '../src/contents/content.entity.js';
import { DeliveryEntity } from '../src/deliveries/delivery.entity.js';
import { MediaEntity } from '../src/media/media.entity.js';
import type { CreateScheduleInput, SaveResult } from '../src/schedules/schedules.service.js';
import { reachedKinds } from '../src/targeting/targeting.js';
import { compileSlots, type SlotRow } from '../src/timelines/timeline-compiler.js';
import { DATABASES, type TestDatabase } from './support/databases.js';
import { FixedClock, RecordingBroker, seedArea, seedAudioContent, seedDevice, seedTextContent, testConfig } from './support/fixtures.js';
import { lastTimelines, schedulingGraph } from './support/scheduling.js';

/**
 * Issue 18, "one message, every channel": an ordinary schedule of an audio content carrying a board text reaches the
 * speakers (audio) and the boards (the text, for the item's length) of its targets, counted in deliveries and conflicts.
 */
const NOW = Date.parse('2026-11-23T00:00:00Z');
const HOUR = 3_600_000;
const BOARD_TEXT = 'Bão số 9 đổ bộ đêm nay: người dân không ra khơi';

describe('which device kinds a content reaches', () => {
  it('audio reaches speakers, and boards too only when it carries a board text', () => {
    expect(reachedKinds({ type: 'audio', text: null })).toEqual(['speaker']);
    expect(reachedKinds({ type: 'audio', text: '   ' })).toEqual(['speaker']);
    expect(reachedKinds({ type: 'audio', text: BOARD_TEXT })).toEqual(['speaker', 'board']);
    expect(reachedKinds({ type: 'text', text: 'x' })).toEqual(['board']);
    expect(reachedKinds({ type: 'image', text: null })).toEqual(['board']);
    expect(reachedKinds({ type: 'relay', text: null })).toEqual(['speaker']);
  });

  it('compiles the audio row of a board into a text slot in the board defaults, and of a speaker into the audio slot', () => {
    const row: SlotRow = {
      deviceId: 'd',
      occurrenceId: 's:1',
      scheduleId: 's',
      startAt: 1000,
      durationMs: 7000,
      priority: 'normal',
      volume: 60,
      onPreempt: null,
      repeat: 2,
      gapMs: 1000,
      contentId: 'c',
      contentType: 'audio',
      url: null,
      title: 'Tin bão',
      text: BOARD_TEXT,
      mediaSha256: 'b'.repeat(64),
      mediaBytes: 100,
      mediaMime: 'audio/mpeg',
      mediaDurationMs: 3000,
      style: null,
    };
    const [board] = compileSlots([{ ...row, deviceKind: 'board' }]);
    expect(board).toEqual({ occurrenceId: 's:1', scheduleId: 's', contentId: 'c', title: 'Tin bão', priority: 'normal', startAt: 1000, durationMs: 7000, volume: 60, onPreempt: 'resume', type: 'text', text: BOARD_TEXT });
    const [speaker] = compileSlots([{ ...row, deviceKind: 'speaker' }]);
    expect(speaker).toMatchObject({ type: 'audio', durationMs: 7000, repeat: 2, gapMs: 1000, media: { sha256: 'b'.repeat(64), durationMs: 3000 } });
  });
});

describe.each(DATABASES)('one message, every channel on %s', (_name, open) => {
  let db: TestDatabase;
  let broker: RecordingBroker;
  let g: ReturnType<typeof schedulingGraph>;

  beforeEach(async () => {
    db = await open();
    const ds = db.dataSource;
    const province = await seedArea(ds, '01', null, 'province');
    const communeA = await seedArea(ds, '00004', province);
    await seedArea(ds, '00007', province);
    await seedDevice(ds, 'spk-a1', communeA.code);
    await seedDevice(ds, 'board-a', communeA.code, 'board');
    await seedDevice(ds, 'board-b', '00007', 'board');
    await seedAudioContent(ds, 'audio-plain', 3000);
    // Its own media: the fixture derives the hash from the id's length.
    const sha = 'c'.repeat(64);
    await ds.getRepository(MediaEntity).insert({ sha256: sha, bytes: 48_000, mime: 'audio/mpeg', codec: 'mp3', durationMs: 4000, originalName: 'bao.mp3', createdBy: 'u', createdAt: 0 });
    await ds.getRepository(ContentEntity).insert({ id: 'audio-text', type: 'audio', title: 'Tin bão', mediaSha256: sha, text: BOARD_TEXT, durationMs: 4000, createdBy: 'u', createdAt: 0, state: 'approved' });
    await seedTextContent(ds, 'text-1', 10_000);
    broker = new RecordingBroker();
    g = schedulingGraph(ds, new FixedClock(NOW), testConfig(), broker);
  });

  afterEach(() => db.close());

  const create = async (over: Partial<CreateScheduleInput> = {}) =>
    (await g.settle(g.schedules.create({ contentId: 'audio-text', startAt: NOW + HOUR, targets: { areas: ['00004'] }, priority: 'normal', ...over }, 'user-1'))) as SaveResult;
  const devicesOf = async (scheduleId: string) => (await db.dataSource.getRepository(DeliveryEntity).findBy({ scheduleId })).map((d) => d.deviceId).sort();

  it('delivers audio with a board text to the speaker and the board of the area, each in its own slot type', async () => {
    const s = await create({ repeat: 2, gapSeconds: 1 });
    expect(s.deviceCount).toBe(2);
    expect(await devicesOf(s.id)).toEqual(['board-a', 'spk-a1']);
    const timelines = lastTimelines(broker);
    const window = 2 * 4000 + 1000;
    expect(timelines.get('board-a')!.slots).toEqual([expect.objectContaining({ type: 'text', text: BOARD_TEXT, startAt: NOW + HOUR, durationMs: window, occurrenceId: `${s.id}:${NOW + HOUR}` })]);
    expect(timelines.get('board-a')!.slots[0]).not.toHaveProperty('style');
    expect(timelines.get('spk-a1')!.slots).toEqual([expect.objectContaining({ type: 'audio', durationMs: window, repeat: 2, gapMs: 1000, media: expect.objectContaining({ sha256: 'c'.repeat(64) }) })]);
    expect(timelines.has('board-b')).toBe(false);
    expect((await g.schedules.get(s.id)).summary).toMatchObject({ queued: 2 });
  });

  it('still reaches speakers only with audio that carries no text', async () => {
    const s = await create({ contentId: 'audio-plain' });
    expect(s.deviceCount).toBe(1);
    expect(await devicesOf(s.id)).toEqual(['spk-a1']);
    expect(lastTimelines(broker).has('board-a')).toBe(false);
    // A listed board is still refused for audio without text, and accepted for audio with it.
    await expect(create({ contentId: 'audio-plain', targets: { devices: ['board-b'] } })).rejects.toThrow('needs a speaker');
    const listed = await create({ targets: { devices: ['board-b'] }, startAt: NOW + 3 * HOUR });
    expect(await devicesOf(listed.id)).toEqual(['board-b']);
  });

  it('counts the board in conflict checks', async () => {
    const text = await create({ contentId: 'text-1', startAt: NOW + HOUR + 1000, targets: { devices: ['board-a'] } });
    const attempt = create();
    await expect(attempt).rejects.toThrow(ConflictException);
    const body = ((await attempt.catch((e: ConflictException) => e)) as ConflictException).getResponse() as Pick<SaveResult, 'conflicts' | 'conflictTotals'>;
    expect(body.conflicts).toEqual([expect.objectContaining({ deviceId: 'board-a', otherScheduleId: text.id, kind: 'conflict' })]);
    const dry = (await g.schedules.create({ contentId: 'audio-text', startAt: NOW + HOUR, targets: { areas: ['00004'] }, priority: 'normal', dryRun: true }, 'user-1')) as unknown as { deviceCount: number };
    expect(dry.deviceCount).toBe(2);
  });

  it('reconciles boards that join or leave the targets later', async () => {
    const s = await create();
    await g.devices.register({ id: 'board-new', name: 'Bảng mới', kind: 'board', areaCode: '00004' });
    expect(await devicesOf(s.id)).toEqual(['board-a', 'board-new', 'spk-a1']);
    expect(lastTimelines(broker).get('board-new')!.slots).toEqual([expect.objectContaining({ type: 'text', text: BOARD_TEXT })]);
    await g.devices.update('board-a', { areaCode: '00007' });
    expect(await devicesOf(s.id)).toEqual(['board-new', 'spk-a1']);
    expect(lastTimelines(broker).get('board-a')!.slots).toEqual([]);
  });
});
