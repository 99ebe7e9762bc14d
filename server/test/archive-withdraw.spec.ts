import { DataSource } from 'typeorm';
import { timelineMessageSchema } from '@loa/shared';
import { DeliveryEntity } from '../src/deliveries/delivery.entity.js';
import { TimelineEntity } from '../src/timelines/timeline.entity.js';
import { startTestServerOn, type TestServer } from './support/server.js';
import { fanoutDone } from './support/fanouts.js';
import { FanoutJobs } from '../src/fanouts/fanout-jobs.js';

type Json = Record<string, unknown>;

/**
 * Issue 12: slots carry only approved content, so archiving a scheduled content withdraws its schedules: the
 * schedule is cancelled, its deliveries to come are `skipped` ("cancelled"), and the devices' timelines lose the
 * slots. Another content's schedule on the same device is left alone.
 */
describe.each(['sqlite', 'postgres'])('archiving a scheduled content on %s', (db) => {
  let t: TestServer;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ t, close } = await startTestServerOn(db));
    await t.api('POST', '/api/v1/areas', { code: '01', name: 'Tỉnh', level: 'province' });
    await t.api('POST', '/api/v1/devices', { id: 'board-1', name: 'Bảng tin', kind: 'board', areaCode: '01' });
  });
  afterAll(() => close());

  const timeline = async (deviceId: string) => {
    const row = await t.server.app.get(DataSource).getRepository(TimelineEntity).findOneByOrFail({ deviceId });
    return timelineMessageSchema.parse(JSON.parse(row.payload));
  };
  /** A successful call; a save answering with a fan-out job is awaited until the job has reached the devices. */
  const ok = async (method: string, url: string, body?: unknown): Promise<Json> => {
    const r = await t.api<Json>(method, url, body);
    if (r.status >= 300) throw new Error(`${method} ${url}: ${r.status} ${JSON.stringify(r.body)}`);
    const job = (r.body as { fanout?: { id: string } | null }).fanout;
    if (job) await fanoutDone(t.api, job.id);
    return r.body;
  };

  it('cancels its schedules and takes its slots off the devices', async () => {
    const notice = await ok('POST', '/api/v1/contents', { type: 'text', title: 'Thông báo', text: 'Tiêm chủng', displaySeconds: 20, approve: true });
    const other = await ok('POST', '/api/v1/contents', { type: 'text', title: 'Lịch họp', text: 'Họp tổ dân phố', displaySeconds: 20, approve: true });
    const start = Date.now() + 3_600_000;
    const daily = await ok('POST', '/api/v1/schedules', { contentId: notice.id, startAt: new Date(start).toISOString(), rrule: 'FREQ=DAILY;COUNT=3', targets: { devices: ['board-1'] } });
    const kept = await ok('POST', '/api/v1/schedules', { contentId: other.id, startAt: new Date(start + 600_000).toISOString(), targets: { devices: ['board-1'] }, acceptConflicts: true });
    expect((await timeline('board-1')).slots.filter((s) => s.contentId === notice.id)).toHaveLength(3);

    expect(await ok('POST', `/api/v1/contents/${String(notice.id)}/archive`)).toMatchObject({ state: 'archived' });
    // The archive answers once its schedules are cancelled; their withdrawal from the devices is their fan-out's.
    await t.server.app.get(FanoutJobs).idle();

    expect(await ok('GET', `/api/v1/schedules/${String(daily.id)}`)).toMatchObject({ status: 'cancelled' });
    expect(await ok('GET', `/api/v1/schedules/${String(kept.id)}`)).toMatchObject({ status: 'active' });
    const slots = (await timeline('board-1')).slots;
    expect(slots.filter((s) => s.contentId === notice.id)).toEqual([]);
    expect(slots.filter((s) => s.contentId === other.id)).toHaveLength(1);
    const deliveries = await t.server.app.get(DataSource).getRepository(DeliveryEntity).findBy({ scheduleId: String(daily.id) });
    expect(deliveries).toHaveLength(3);
    for (const d of deliveries) expect(d).toMatchObject({ state: 'skipped', reason: 'cancelled' });
  });
});
