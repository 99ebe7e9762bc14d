import { DataSource, type EntityTarget, type ObjectLiteral } from 'typeorm';
import { AlarmEntity } from '../src/alarms/alarm.entity.js';
import { DeliveryEntity } from '../src/deliveries/delivery.entity.js';
import { EventIngestService } from '../src/deliveries/event-ingest.service.js';
import { DeviceConnectionEntity } from '../src/devices/device-connection.entity.js';
import { OccurrenceEntity } from '../src/schedules/occurrence.entity.js';
import { ScheduleEntity } from '../src/schedules/schedule.entity.js';
import { CoverageRollupJob } from '../src/reports/rollup.job.js';
import { contentCategorySchema, coverageReportSchema, deviceCoverageSchema, type CoverageFigures, type CoverageReport, type DeviceCoverage } from '@loa/shared/rest';
import { DATABASES } from './support/databases.js';
import { startTestServerOn, type TestServer } from './support/server.js';

/**
 * Issue 16, the KH 179 figure, on a real server (SQLite and PostgreSQL): content categories, the rollups the
 * coverage job keeps, and the report read from them. Province 01 → districts 001 (communes 00001 with village
 * 0000101, 00002) and 002 (commune 00003); one speaker in each place; an officer of commune 00002. Deliveries are
 * written as proof of play stores them; a late report then goes through the real ingestion service.
 *
 * November 2026 in Vietnam (UTC+7):
 * - o1 08:00 10/11, essential, normal: spk-1 played on time; spk-1v failed ("amp fault") 90 s late after 10 s;
 *   spk-2 never got its timeline; spk-3 played, 30 s late (still on time).
 * - o2 23:59 10/11, news, emergency: spk-1 played; spk-2 failed ("muted").
 * - o3 00:00 11/11 (17:00Z on the 10th), news, normal: spk-1 got it and never reported, until a late report.
 * - withdrawn (skipped "cancelled") 12/11 on spk-3, one in 2030 on spk-1, and one at 23:59 31/10: none counts.
 */
describe.each(DATABASES.map(([name]) => name))('coverage (%s)', (db) => {
  let t: TestServer;
  let close: () => Promise<void>;
  let ds: DataSource;
  const tokens: Record<string, string> = {};

  const call = (who: string, method: string, url: string, body?: unknown): Promise<Response> =>
    fetch(t.baseUrl + url, {
      method,
      headers: { authorization: `Bearer ${tokens[who] ?? ''}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const ok = async <T>(method: string, url: string, body?: unknown, who = 'admin'): Promise<T> => {
    const r = await call(who, method, url, body);
    const text = await r.text();
    if (r.status >= 300) throw new Error(`${method} ${url}: ${r.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  };
  const report = (q: string, who = 'admin') => ok<CoverageReport>('GET', `/api/v1/reports/coverage?${q}`, undefined, who);
  const insert = async (entity: EntityTarget<ObjectLiteral>, rows: Array<Record<string, unknown>>): Promise<void> => {
    for (let i = 0; i < rows.length; i += 200) await ds.createQueryBuilder().insert().into(entity).values(rows.slice(i, i + 200)).execute();
  };
  /** One run of the job, waiting out a periodic run already going (the scheduler answers `busy` then). */
  const rollup = async (): Promise<void> => {
    const job = t.server.app.get(CoverageRollupJob);
    for (let i = 0; i < 600; i++) {
      const outcome = await job.refresh();
      if (outcome === 'done') return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('the rollup job never ran');
  };
  const fig = (f: CoverageFigures) => ({ due: f.due, played: f.played, failed: f.failed });

  const T = {
    o1: Date.parse('2026-11-10T01:00:00Z'),
    o2: Date.parse('2026-11-10T16:59:00Z'),
    o3: Date.parse('2026-11-10T17:00:00Z'),
    withdrawn: Date.parse('2026-11-12T01:00:00Z'),
    future: Date.parse('2030-01-01T01:00:00Z'),
    october: Date.parse('2026-10-31T16:59:00Z'),
  };
  const contentIds: Record<string, string> = {};
  const STARTS: Record<string, number> = { o1: T.o1, o2: T.o2, o3: T.o3, 'o-withdrawn': T.withdrawn, 'o-future': T.future, 'o-october': T.october };

  beforeAll(async () => {
    ({ t, close } = await startTestServerOn(db));
    ds = t.server.app.get(DataSource);
    tokens.admin = t.token;
    const area = (code: string, name: string, level: string, parentCode?: string) => ok('POST', '/api/v1/areas', { code, name, level, ...(parentCode ? { parentCode } : {}) });
    await area('01', 'Tỉnh Thử', 'province');
    await area('001', 'Huyện A', 'district', '01');
    await area('002', 'Huyện B', 'district', '01');
    await area('00001', 'Xã Một', 'commune', '001');
    await area('0000101', 'Thôn Đông', 'village', '00001');
    await area('00002', 'Xã Hai', 'commune', '001');
    await area('00003', 'Xã Ba', 'commune', '002');
    await ok('POST', '/api/v1/devices/bulk', {
      devices: [
        { id: 'spk-1', name: 'Loa xã Một', kind: 'speaker', areaCode: '00001' },
        { id: 'spk-1v', name: 'Loa thôn Đông', kind: 'speaker', areaCode: '0000101' },
        { id: 'spk-2', name: 'Loa xã Hai', kind: 'speaker', areaCode: '00002' },
        { id: 'spk-3', name: 'Loa xã Ba', kind: 'speaker', areaCode: '00003' },
      ],
    });
    await ok('POST', '/api/v1/users', { username: 'officer', password: 'pass-word-123', role: 'commune_officer', areaCode: '00002' });
    tokens.officer = (await ok<{ accessToken: string }>('POST', '/api/v1/auth/login', { username: 'officer', password: 'pass-word-123' })).accessToken;

    for (const [key, category] of [['ess', 'thiet-yeu'], ['news', 'thoi-su']] as const) {
      contentIds[key] = (await ok<{ id: string; category: string | null }>('POST', '/api/v1/contents', { type: 'text', title: `Tin ${key}`, text: 'x', approve: true, category })).id;
    }
    const schedule = (id: string, contentId: string, priority: string) => ({ id, contentId, priority, startAt: 0, volume: null, status: 'active', createdBy: 'seed', createdAt: 0 });
    await insert(ScheduleEntity, [schedule('s-ess', contentIds.ess!, 'normal'), schedule('s-alert', contentIds.news!, 'emergency'), schedule('s-news', contentIds.news!, 'normal')]);
    await insert(OccurrenceEntity, [
      { id: 'o1', scheduleId: 's-ess', startAt: T.o1, durationMs: 60_000 },
      { id: 'o2', scheduleId: 's-alert', startAt: T.o2, durationMs: 60_000 },
      { id: 'o3', scheduleId: 's-news', startAt: T.o3, durationMs: 60_000 },
      { id: 'o-withdrawn', scheduleId: 's-ess', startAt: T.withdrawn, durationMs: 60_000 },
      { id: 'o-future', scheduleId: 's-ess', startAt: T.future, durationMs: 60_000 },
      { id: 'o-october', scheduleId: 's-ess', startAt: T.october, durationMs: 60_000 },
    ]);
    // As proof of play leaves them; updated now, as ingestion would have.
    const now = Date.now();
    const d = (occurrenceId: string, deviceId: string, scheduleId: string, state: string, o: { startedAfter?: number; playedMs?: number; reason?: string } = {}) => {
      const start = STARTS[occurrenceId]!;
      return {
        occurrenceId,
        deviceId,
        scheduleId,
        state,
        queuedAt: start - 3_600_000,
        deliveredAt: state === 'queued' ? null : start - 3_000_000,
        startedAt: o.startedAfter === undefined ? null : start + o.startedAfter,
        endedAt: state === 'finished' || state === 'failed' ? start + 70_000 : null,
        playedMs: o.playedMs ?? null,
        reason: o.reason ?? null,
        updatedAt: now,
      };
    };
    await insert(DeliveryEntity, [
      d('o1', 'spk-1', 's-ess', 'finished', { startedAfter: 2_000, playedMs: 60_000 }),
      d('o1', 'spk-1v', 's-ess', 'failed', { startedAfter: 90_000, playedMs: 10_000, reason: 'amp fault' }),
      d('o1', 'spk-2', 's-ess', 'queued'),
      d('o1', 'spk-3', 's-ess', 'finished', { startedAfter: 30_000, playedMs: 60_000 }),
      d('o2', 'spk-1', 's-alert', 'finished', { startedAfter: 0, playedMs: 60_000 }),
      d('o2', 'spk-2', 's-alert', 'failed', { startedAfter: 1_000, playedMs: 0, reason: 'muted' }),
      d('o3', 'spk-1', 's-news', 'delivered'),
      d('o-withdrawn', 'spk-3', 's-ess', 'skipped', { reason: 'cancelled' }),
      d('o-future', 'spk-1', 's-ess', 'queued'),
      d('o-october', 'spk-1', 's-ess', 'finished', { startedAfter: 0, playedMs: 60_000 }),
    ]);
    // Availability: the devices exist since October; spk-1 was online from 00:00 to 12:00 on 10/11 (Vietnam time).
    await ds.createQueryBuilder().update('devices').set({ createdAt: Date.parse('2026-10-01T00:00:00Z') }).execute();
    await insert(DeviceConnectionEntity, [
      { deviceId: 'spk-1', at: Date.parse('2026-11-09T17:00:00Z'), state: 'online', reason: 'status' },
      { deviceId: 'spk-1', at: Date.parse('2026-11-10T05:00:00Z'), state: 'offline', reason: 'status' },
    ]);
    await insert(AlarmEntity, [{ id: 'a-1', deviceId: 'spk-2', kind: 'offline', detail: 'offline', raisedAt: Date.parse('2026-11-10T02:00:00Z'), clearedAt: null, clearedDetail: null, ackedAt: null, ackedBy: null, ackedByName: null }]);
    // The history predates the job's first run here (an upgrade): the first run rebuilds it all.
    await rollup();
    await ds.query('DELETE FROM rollup_state');
    await rollup();
  });
  afterAll(() => close());

  it('counts played ÷ due per child area, worst first, with on-time starts, airtime, failures by reason and alarms', async () => {
    const r = await report('month=2026-11&areaCode=01');
    expect(coverageReportSchema.parse(r)).toEqual(r); // the answer is the shared contract, nothing more
    expect(r.area).toEqual({ code: '01', name: 'Tỉnh Thử', level: 'province' });
    expect(r.period).toEqual({ from: '2026-10-31T17:00:00.000Z', to: '2026-11-30T17:00:00.000Z', label: '2026-11' });
    expect(r.totals).toMatchObject({ due: 7, played: 3, failed: 4, coverage: 3 / 7, devices: 4, alarms: 1 });
    // Started: o1 on spk-1, spk-1v, spk-3, o2 on both: 5; on time (±60 s): all but spk-1v's 90 s.
    expect(r.totals).toMatchObject({ onTime: 4, onTimeRate: 4 / 5, airedSeconds: 60 + 10 + 60 + 60 + 0 });
    expect(r.rows.map((x) => [x.kind, x.key, x.figures.due, x.figures.played])).toEqual([
      ['area', '001', 6, 2],
      ['area', '002', 1, 1],
    ]);
    expect(r.rows[0]!.figures.alarms).toBe(1);
    expect(r.failuresByReason).toEqual(
      expect.arrayContaining([
        { reason: 'amp fault', label: 'amp fault', count: 1 },
        { reason: 'muted', label: 'muted', count: 1 },
        { reason: 'not-delivered', label: 'Không báo cáo: thiết bị chưa nhận lịch phát', count: 1 },
        { reason: 'no-report', label: 'Không báo cáo: không có báo cáo phát', count: 1 },
      ]),
    );
    expect(r.failuresByReason).toHaveLength(4);
    expect(r.byPriority.map((p) => [p.priority, fig(p.figures)])).toEqual([
      ['normal', { due: 5, played: 2, failed: 3 }],
      ['emergency', { due: 2, played: 1, failed: 1 }],
    ]);
    expect(r.byCategory.map((c) => [c.category, c.essential, fig(c.figures)])).toEqual([
      ['thiet-yeu', true, { due: 4, played: 2, failed: 2 }],
      ['thoi-su', false, { due: 3, played: 1, failed: 2 }],
    ]);
    expect(r.byLevel.map((l) => [l.level, l.figures.due])).toEqual([
      ['commune', 6],
      ['village', 1],
    ]);
  });

  it('puts each occurrence on the Vietnam day of its scheduled start', async () => {
    const r = await report('month=2026-11');
    expect(r.series).toHaveLength(30);
    const byDay = Object.fromEntries(r.series.filter((p) => p.figures.due > 0).map((p) => [p.date, fig(p.figures)]));
    expect(byDay).toEqual({ '2026-11-10': { due: 6, played: 3, failed: 3 }, '2026-11-11': { due: 1, played: 0, failed: 1 } });
    expect((await report('month=2026-10')).totals.due).toBe(1);
    expect((await report('from=2026-11-11&to=2026-11-11')).totals).toMatchObject({ due: 1, played: 0 });
    const year = await report('year=2026');
    expect(year.series.map((p) => p.date)).toEqual(Array.from({ length: 12 }, (_, i) => `2026-${String(i + 1).padStart(2, '0')}`));
    expect(year.series.find((p) => p.date === '2026-11')!.figures).toMatchObject({ due: 7, played: 3 });
    expect(year.totals).toMatchObject({ due: 8, played: 4 });
    expect((await report('quarter=2026-Q4')).totals).toMatchObject({ due: 8, played: 4 });
    // A period mixing days and whole months reads both rollups and adds them up.
    expect((await report('from=2026-10-31&to=2026-11-30')).totals).toMatchObject({ due: 8, played: 4 });
  });

  it('drills down district → commune → device, worst first, and counts availability from presence', async () => {
    const district = await report('month=2026-11&areaCode=001');
    expect(district.rows.map((x) => [x.key, x.figures.due, x.figures.played])).toEqual([
      ['00002', 2, 0],
      ['00001', 4, 2],
    ]);
    const commune = await report('month=2026-11&areaCode=00001');
    expect(commune.rows.map((x) => [x.kind, x.key, x.level, x.figures.due, x.figures.played])).toEqual([
      ['device', 'spk-1v', 'speaker', 1, 0],
      ['device', 'spk-1', 'speaker', 3, 2],
    ]);
    const device = await ok<DeviceCoverage>('GET', '/api/v1/reports/coverage/devices/spk-1?from=2026-11-10&to=2026-11-10');
    expect(deviceCoverageSchema.parse(device)).toEqual(device);
    expect(device.device).toEqual({ id: 'spk-1', name: 'Loa xã Một', areaCode: '00001', kind: 'speaker' });
    expect(device.totals).toMatchObject({ due: 2, played: 2, coverage: 1, availability: 0.5, devices: 1 });
    expect(device.series).toEqual([{ date: '2026-11-10', figures: device.totals }]);
    const month = await ok<DeviceCoverage>('GET', '/api/v1/reports/coverage/devices/spk-1?month=2026-11');
    expect(month.totals.availability).toBeCloseTo(12 / (24 * 30), 10);
    expect(month.failuresByReason).toEqual([{ reason: 'no-report', label: 'Không báo cáo: không có báo cáo phát', count: 1 }]);
  });

  it('filters essential information (and one category, and priorities); an unknown category is 400', async () => {
    const essential = await report('month=2026-11&areaCode=01&category=essential');
    expect(fig(essential.totals)).toEqual({ due: 4, played: 2, failed: 2 });
    expect(essential.rows.map((x) => [x.key, x.figures.due, x.figures.played])).toEqual([
      ['001', 3, 1],
      ['002', 1, 1],
    ]);
    expect(essential.failuresByReason.map((f) => f.reason).sort()).toEqual(['amp fault', 'not-delivered']);
    expect(fig((await report('month=2026-11&category=thoi-su')).totals)).toEqual({ due: 3, played: 1, failed: 2 });
    expect(fig((await report('month=2026-11&priority=emergency')).totals)).toEqual({ due: 2, played: 1, failed: 1 });
    expect((await call('admin', 'GET', '/api/v1/reports/coverage?month=2026-11&category=nope')).status).toBe(400);
    expect((await call('admin', 'GET', '/api/v1/reports/coverage?month=2026-13')).status).toBe(400);
    expect((await call('admin', 'GET', '/api/v1/reports/coverage?month=2026-11&year=2026')).status).toBe(400);
    expect((await call('admin', 'GET', '/api/v1/reports/coverage?quarter=2026-Q5')).status).toBe(400);
  });

  it('scopes by the reader’s area: outside is 404, nothing asked is its own commune', async () => {
    const own = await report('month=2026-11', 'officer');
    expect(own.area.code).toBe('00002');
    expect(own.rows.map((x) => x.key)).toEqual(['spk-2']);
    expect(fig(own.totals)).toEqual({ due: 2, played: 0, failed: 2 });
    for (const url of ['/api/v1/reports/coverage?month=2026-11&areaCode=001', '/api/v1/reports/coverage?month=2026-11&areaCode=01', '/api/v1/reports/coverage/devices/spk-1?month=2026-11']) {
      expect((await call('officer', 'GET', url)).status).toBe(404);
    }
    expect((await call('admin', 'GET', '/api/v1/reports/coverage?month=2026-11&areaCode=nope')).status).toBe(404);
    expect((await call('admin', 'GET', '/api/v1/reports/coverage/devices/nope?month=2026-11')).status).toBe(404);
    expect((await call('officer', 'GET', '/api/v1/reports/coverage/devices/spk-2?month=2026-11')).status).toBe(200);
  });

  it('recounts a day when a late report arrives, and a repeated run changes nothing', async () => {
    const before = await report('month=2026-11');
    await rollup();
    expect(await report('month=2026-11')).toEqual(before);
    // spk-1 comes back and reports o3 (00:00 on 11/11), days late, through the real ingestion.
    await t.server.app.get(EventIngestService).receive('spk-1', [
      { id: 'late-1', occurrenceId: 'o3', type: 'started', at: T.o3 + 1_000 },
      { id: 'late-2', occurrenceId: 'o3', type: 'finished', at: T.o3 + 61_000, playedMs: 60_000 },
    ]);
    await rollup();
    const after = await report('month=2026-11');
    expect(fig(after.totals)).toEqual({ due: 7, played: 4, failed: 3 });
    expect(after.series.find((p) => p.date === '2026-11-11')!.figures).toMatchObject({ due: 1, played: 1, failed: 0, onTime: 1 });
    expect(after.series.find((p) => p.date === '2026-11-10')!.figures).toEqual(before.series.find((p) => p.date === '2026-11-10')!.figures);
    expect(after.failuresByReason.map((f) => f.reason)).not.toContain('no-report');
    expect((await report('year=2026')).totals).toMatchObject({ due: 8, played: 5 });
  });

  it('keeps content categories: everyone reads, admins write, a category in use cannot be deleted, a content names only a known one', async () => {
    const list = await ok<Array<{ code: string; essential: boolean }>>('GET', '/api/v1/content-categories', undefined, 'officer');
    for (const c of list) expect(contentCategorySchema.strict().parse(c)).toEqual(c);
    expect(list.map((c) => c.code).sort()).toEqual(['chinh-sach', 'khac', 'khan-cap', 'thiet-yeu', 'thoi-su']);
    expect(list.filter((c) => c.essential).map((c) => c.code).sort()).toEqual(['khan-cap', 'thiet-yeu']);
    expect((await call('officer', 'POST', '/api/v1/content-categories', { code: 'y-te', name: 'Y tế' })).status).toBe(403);
    expect(await ok('POST', '/api/v1/content-categories', { code: 'y-te', name: 'Y tế' })).toEqual({ code: 'y-te', name: 'Y tế', essential: false });
    expect((await call('admin', 'POST', '/api/v1/content-categories', { code: 'y-te', name: 'Khác' })).status).toBe(409);
    expect((await call('admin', 'POST', '/api/v1/content-categories', { code: 'Bad Code', name: 'x' })).status).toBe(400);
    expect(await ok('PATCH', '/api/v1/content-categories/y-te', { name: 'Y tế, dịch bệnh', essential: true })).toEqual({ code: 'y-te', name: 'Y tế, dịch bệnh', essential: true });
    expect((await call('admin', 'PATCH', '/api/v1/content-categories/nope', { name: 'x' })).status).toBe(404);

    expect((await call('admin', 'POST', '/api/v1/contents', { type: 'text', title: 'Tin', text: 'x', category: 'nope' })).status).toBe(400);
    const draft = await ok<{ id: string; category: string | null }>('POST', '/api/v1/contents', { type: 'text', title: 'Tin y tế', text: 'x', category: 'y-te' });
    expect(draft.category).toBe('y-te');
    expect((await call('admin', 'PATCH', `/api/v1/contents/${draft.id}`, { category: 'nope' })).status).toBe(400);
    expect((await call('admin', 'DELETE', '/api/v1/content-categories/y-te')).status).toBe(409);
    expect((await ok<{ category: string | null }>('PATCH', `/api/v1/contents/${draft.id}`, { category: null })).category).toBeNull();
    expect((await call('admin', 'DELETE', '/api/v1/content-categories/y-te')).status).toBe(204);
    expect((await call('admin', 'DELETE', '/api/v1/content-categories/y-te')).status).toBe(404);
    // Marking a category essential counts its whole history at once: the filter is applied when the report is read.
    await ok('PATCH', '/api/v1/content-categories/thoi-su', { essential: true });
    expect((await report('month=2026-11&category=essential')).totals.due).toBe(7);
    await ok('PATCH', '/api/v1/content-categories/thoi-su', { essential: false });
  });
});
