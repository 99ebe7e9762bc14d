import { DataSource } from 'typeorm';
import type { ExchangeDetail, ExchangePage, SourcePeerCreated } from '@loa/shared/rest';
import { FeedbackEventEntity, FeedbackItemEntity } from '../src/feedback/feedback.entities.js';
import type { FeedbackStatsPayload } from '../src/feedback/feedback-stats.service.js';
import { UpFeeds } from '../src/source-system/up-feeds.js';
import { StandInSource } from '../../test/support/stand-in-source.js';
import { DATABASES } from './support/databases.js';
import { startTestServerOn, type TestServer } from './support/server.js';
import { feedbackItem } from './support/feedback-items.js';

const H = 3_600_000;
/** 09/03/2030 in Vietnam, far from the real clock: the server's own feed job enqueues the real days meanwhile. */
const DAY = '2030-03-09';
const MORNING = Date.parse('2030-03-09T01:00:00Z');

/**
 * Issue 17, the upward exchange (SQLite and PostgreSQL): yesterday's feedback per commune, daily at the peer's time,
 * one exchange per upper peer that takes it and per day, through the outbox; counts only, no resident's data.
 */
describe.each(DATABASES.map(([name]) => name))('feedback statistics up feed (%s)', (db) => {
  const rest = new StandInSource({ auth: { type: 'basic', username: 'xa', password: 'mat-khau' } });
  const loa = new StandInSource({ loa: { secret: 'secret-the-upper-loa-minted-for-us', peerId: 'xa-01' } });
  let t: TestServer;
  let close: () => Promise<void>;
  const peers: Record<string, string> = {};

  const ok = async <T>(method: string, url: string, body?: unknown): Promise<T> => {
    const r = await t.api<T>(method, url, body);
    if (r.status >= 300) throw new Error(`${method} ${url}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };
  const ofTheDay = async (peerId: string) => (await ok<ExchangePage>('GET', `/api/v1/source-system/exchanges?peerId=${peerId}&limit=500`)).items.filter((x) => x.idempotencyKey === `feedback-stats:${DAY}`);

  beforeAll(async () => {
    await rest.start();
    await loa.start();
    ({ t, close } = await startTestServerOn(db));
    await ok('POST', '/api/v1/areas', { code: '01', name: 'Tỉnh Thử', level: 'province' });
    await ok('POST', '/api/v1/areas', { code: '00001', name: 'Xã Một', level: 'commune', parentCode: '01' });
    await ok('POST', '/api/v1/areas', { code: '00002', name: 'Xã Hai', level: 'commune', parentCode: '01' });
    await ok('POST', '/api/v1/areas', { code: '00003', name: 'Xã Ba', level: 'commune', parentCode: '01' });
    const push = { bulletins: false, schedules: false, playoutLog: false, coverage: false, inventory: false, dailyAt: '01:00' };
    const body = '{"ngay": "{{payload.day}}", "tiepNhan": {{payload.totals.received}}, "xa": [{{#payload.communes}}{"ma": "{{areaCode}}", "tiepNhan": {{received}}, "daXuLy": {{handled}}, "dungHan": {{handledOnTime}}, "quaHan": {{overdue}}, "gioTB": {{json avgAnswerWorkingHours}}}{{^@last}},{{/@last}}{{/payload.communes}}]}';
    peers.rest = (
      await ok<SourcePeerCreated>('POST', '/api/v1/source-system/peers', {
        kind: 'rest',
        name: 'Hệ thống nguồn',
        role: 'upper',
        baseUrl: rest.url,
        auth: { type: 'basic', username: 'xa', password: 'mat-khau' },
        push: { ...push, feedbackStats: true },
        templates: { 'feedback-stats': { path: '/phan-anh/{{payload.day}}', body } },
      })
    ).id;
    peers.loa = (await ok<SourcePeerCreated>('POST', '/api/v1/source-system/peers', { kind: 'loa', name: 'Loa tỉnh', role: 'upper', baseUrl: loa.url, remotePeerId: 'xa-01', outboundSecret: 'secret-the-upper-loa-minted-for-us', push: { ...push, feedbackStats: true, dailyAt: '06:30' } })).id;
    // An upper peer that does not take feedback statistics, and a lower one: nothing for them.
    peers.coverageOnly = (await ok<SourcePeerCreated>('POST', '/api/v1/source-system/peers', { kind: 'rest', name: 'Chỉ độ phủ', role: 'upper', baseUrl: rest.url, push: { ...push, coverage: true } })).id;
    peers.lower = (await ok<SourcePeerCreated>('POST', '/api/v1/source-system/peers', { kind: 'loa', name: 'Loa xã', role: 'lower', baseUrl: loa.url, remotePeerId: 'tinh-01', outboundSecret: 'secret-the-lower-loa-minted-for-us' })).id;

    const ds = t.server.app.get(DataSource);
    await ds
      .createQueryBuilder()
      .insert()
      .into(FeedbackItemEntity)
      .values([
        // 00001: one answered in 6 h of 80 (3 working hours), satisfied; one open and overdue.
        feedbackItem({ id: 'u1', areaCode: '00001', createdAt: MORNING, state: 'closed', firstAnsweredAt: MORNING + 6 * H, answeredAt: MORNING + 6 * H, answerWorkingMs: 3 * H, closedAt: MORNING + 7 * H, satisfied: true }),
        feedbackItem({ id: 'u2', areaCode: '00001', createdAt: MORNING + H, state: 'in-progress', overdue: 'answer', wasOverdue: true }),
        // 00002: rejected at once; one merged into it (not counted).
        feedbackItem({ id: 'u3', areaCode: '00002', createdAt: MORNING + 2 * H, state: 'rejected', rejectReason: 'Trùng', updatedAt: MORNING + 3 * H }),
        feedbackItem({ id: 'u4', areaCode: '00002', createdAt: MORNING + 2 * H, state: 'merged', mergedInto: 'u3' }),
        // The days around it.
        feedbackItem({ id: 'u5', areaCode: '00003', createdAt: Date.parse('2030-03-08T16:59:00Z') }),
        feedbackItem({ id: 'u6', areaCode: '00003', createdAt: Date.parse('2030-03-09T17:00:00Z') }),
      ])
      .execute();
    await ds.createQueryBuilder().insert().into(FeedbackEventEntity).values({ id: 'ue3', itemId: 'u3', at: MORNING + 3 * H, kind: 'rejected', actorUserId: null, actorKind: 'system', fromState: 'received', toState: 'rejected', text: 'Trùng', internal: false }).execute();
  }, 120_000);

  afterAll(async () => {
    await close();
    await rest.close();
    await loa.close();
  });

  it('enqueues yesterday’s figures per commune once per upper peer and day, after each peer’s time', async () => {
    const feeds = t.server.app.get(UpFeeds);
    // 10/03 00:30 in Vietnam: before every peer's time.
    await feeds.dailyFeeds(Date.parse('2030-03-09T17:30:00Z'));
    expect(await ofTheDay(peers.rest!)).toHaveLength(0);
    // 02:00: the REST peer (01:00) gets it, the Loa peer (06:30) not yet; a second run adds nothing.
    await feeds.dailyFeeds(Date.parse('2030-03-09T19:00:00Z'));
    await feeds.dailyFeeds(Date.parse('2030-03-09T19:05:00Z'));
    expect(await ofTheDay(peers.rest!)).toHaveLength(1);
    expect(await ofTheDay(peers.loa!)).toHaveLength(0);
    // 07:00, and again at 08:00: one for the Loa peer too, still one each.
    await feeds.dailyFeeds(Date.parse('2030-03-10T00:00:00Z'));
    await feeds.dailyFeeds(Date.parse('2030-03-10T01:00:00Z'));
    expect(await ofTheDay(peers.rest!)).toHaveLength(1);
    expect(await ofTheDay(peers.loa!)).toHaveLength(1);
    expect(await ofTheDay(peers.coverageOnly!)).toHaveLength(0);
    expect(await ofTheDay(peers.lower!)).toHaveLength(0);

    const [x] = await ofTheDay(peers.loa!);
    expect(x!.kind).toBe('feedback-stats');
    const payload = (await ok<ExchangeDetail>('GET', `/api/v1/source-system/exchanges/${x!.id}`)).payload as FeedbackStatsPayload;
    expect(payload).toMatchObject({ day: DAY, period: { from: '2030-03-08T17:00:00.000Z', to: '2030-03-09T17:00:00.000Z' }, target: 1, rootAreaCode: '01', rootAreaName: 'Tỉnh Thử' });
    expect(payload.totals).toMatchObject({ received: 3, handled: 2, handledOnTime: 2, overdue: 1, open: 1, rated: 1, satisfied: 1 });
    expect(payload.communes.map((c) => [c.areaCode, c.areaName, c.received, c.handled, c.handledOnTime, c.overdue, c.avgAnswerWorkingHours, c.satisfactionShare])).toEqual([
      ['00001', 'Xã Một', 2, 1, 1, 1, 3, 1],
      ['00002', 'Xã Hai', 1, 1, 1, 0, null, null],
      ['00003', 'Xã Ba', 0, 0, 0, 0, null, null],
    ]);
    // Counts only: nothing about a resident travels up.
    expect(JSON.stringify(payload)).not.toMatch(/Người dân|0912345678|phone|resident/i);

    // The REST peer gets it through its template.
    await rest.waitFor(() => rest.accepted.has(`feedback-stats:${DAY}`), 'the feedback statistics at the upper system');
    expect(JSON.parse(rest.accepted.get(`feedback-stats:${DAY}`)!.body)).toEqual({
      ngay: DAY,
      tiepNhan: 3,
      xa: [
        { ma: '00001', tiepNhan: 2, daXuLy: 1, dungHan: 1, quaHan: 1, gioTB: 3 },
        { ma: '00002', tiepNhan: 1, daXuLy: 1, dungHan: 1, quaHan: 0, gioTB: null },
        { ma: '00003', tiepNhan: 0, daXuLy: 0, dungHan: 0, quaHan: 0, gioTB: null },
      ],
    });
  });
});
