import ExcelJS from 'exceljs';
import { DataSource } from 'typeorm';
import { feedbackStatsViewSchema, formatError, type FeedbackStatsSlice, type FeedbackStatsView } from '@loa/shared/rest';
import { FeedbackEventEntity, FeedbackItemEntity } from '../src/feedback/feedback.entities.js';
import { feedbackItem } from './support/feedback-items.js';
import { DATABASES } from './support/databases.js';
import { startTestServerOn, type TestServer } from './support/server.js';

const H = 3_600_000;
const D = 24 * H;
/** 08:00 on 10/11/2026 in Vietnam. */
const T0 = Date.parse('2026-11-10T01:00:00Z');

const figures = (s: FeedbackStatsSlice) => ({ received: s.received, handled: s.handled, handledOnTime: s.handledOnTime, overdue: s.overdue, open: s.open });

/**
 * Issue 17's statistics and exports on a real server (SQLite and PostgreSQL). Province 01 → district 001 (communes
 * 00001, 00002) and district 002 (commune 00003). November 2026 in Vietnam:
 * - a1 (00001) answered after 10 h of an 80 h limit, 5 working hours, closed, satisfied: handled on time;
 * - a2 (00001, urgent) answered after 10 h of 4 h, reopened, not satisfied: handled late (overdue);
 * - b3 (00002) assigned, past its limit now: open and overdue; b4 (00002) received 23:00 on 30/11, due in 2099: open;
 * - b5 (00002, office) rejected 2 h after receipt, a note a week later: handled on time (the rejection counts);
 * - c6 (00003) merged into a1: not counted; c7 (00003, complex, API) answered after 48 h, 16 working hours, satisfied;
 * - c8 (00003) at 23:59 on 31/10 and c9 at 00:00 on 1/12: outside November.
 */
describe.each(DATABASES.map(([name]) => name))('feedback statistics and exports (%s)', (db) => {
  let t: TestServer;
  let close: () => Promise<void>;
  let ds: DataSource;
  const tokens: Record<string, string> = {};

  const call = (who: string, url: string): Promise<Response> => fetch(t.baseUrl + url, { headers: { authorization: `Bearer ${tokens[who] ?? ''}` } });
  const json = async <T>(who: string, url: string): Promise<T> => {
    const r = await call(who, url);
    const text = await r.text();
    if (r.status !== 200) throw new Error(`${url}: ${r.status} ${text}`);
    return JSON.parse(text) as T;
  };
  const stats = async (q: string, who = 'admin'): Promise<FeedbackStatsView> => feedbackStatsViewSchema.parse(await json(who, `/api/v1/reports/feedback?${q}`));
  const ok = async <T>(method: string, url: string, body?: unknown): Promise<T> => {
    const r = await t.api<T>(method, url, body);
    if (r.status >= 300) throw new Error(`${method} ${url}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };

  beforeAll(async () => {
    ({ t, close } = await startTestServerOn(db));
    ds = t.server.app.get(DataSource);
    tokens.admin = t.token;
    const area = (code: string, name: string, level: string, parentCode?: string) => ok('POST', '/api/v1/areas', { code, name, level, ...(parentCode ? { parentCode } : {}) });
    await area('01', 'Tỉnh Thử', 'province');
    await area('001', 'Huyện A', 'district', '01');
    await area('002', 'Huyện B', 'district', '01');
    await area('00001', 'Xã Một', 'commune', '001');
    await area('00002', 'Xã Hai', 'commune', '001');
    await area('00003', 'Xã Ba', 'commune', '002');
    for (const [username, areaCode, role] of [['canbo2', '00002', 'commune_officer'], ['huyenb', '002', 'operator']] as const) {
      await ok('POST', '/api/v1/users', { username, password: 'pass-word-123', role, areaCode });
      tokens[username] = (await ok<{ accessToken: string }>('POST', '/api/v1/auth/login', { username, password: 'pass-word-123' })).accessToken;
    }
    const b5 = T0 + 3 * D;
    const items = [
      feedbackItem({ id: 'a1', areaCode: '00001', createdAt: T0, state: 'closed', acknowledgedAt: T0 + H, firstAnsweredAt: T0 + 10 * H, answeredAt: T0 + 10 * H, answerWorkingMs: 5 * H, closedAt: T0 + 20 * H, satisfied: true, ratedAt: T0 + 20 * H, answer: 'Đã xử lý', village: 'Thôn Đông' }),
      feedbackItem({ id: 'a2', areaCode: '00001', createdAt: T0 + D, priority: 'urgent', channel: 'sms', category: 'moi-truong', answerDueAt: T0 + D + 4 * H, state: 'reopened', firstAnsweredAt: T0 + D + 10 * H, answeredAt: T0 + D + 10 * H, answerWorkingMs: 10 * H, wasOverdue: true, satisfied: false, reopenCount: 1 }),
      feedbackItem({ id: 'b3', areaCode: '00002', createdAt: T0 + 2 * D, state: 'assigned', acknowledgedAt: T0 + 2 * D + H, overdue: 'answer', wasOverdue: true, title: '=HYPERLINK("http://x","bấm")' }),
      feedbackItem({ id: 'b4', areaCode: '00002', createdAt: Date.parse('2026-11-30T16:00:00Z'), ackDueAt: Date.parse('2099-01-01T00:00:00Z'), answerDueAt: Date.parse('2099-01-02T00:00:00Z') }),
      feedbackItem({ id: 'b5', areaCode: '00002', createdAt: b5, channel: 'office', category: 'khac', state: 'rejected', rejectReason: 'Không thuộc thẩm quyền', updatedAt: b5 + 7 * D }),
      feedbackItem({ id: 'c6', areaCode: '00003', createdAt: T0 + 4 * D, state: 'merged', mergedInto: 'a1' }),
      feedbackItem({ id: 'c7', areaCode: '00003', createdAt: T0 + 5 * D, priority: 'complex', channel: 'api', category: 'giao-thong', answerDueAt: T0 + 5 * D + 240 * H, state: 'closed', firstAnsweredAt: T0 + 5 * D + 48 * H, answeredAt: T0 + 5 * D + 48 * H, answerWorkingMs: 16 * H, closedAt: T0 + 6 * D, satisfied: true }),
      feedbackItem({ id: 'c8', areaCode: '00003', createdAt: Date.parse('2026-10-31T16:59:00Z') }),
      feedbackItem({ id: 'c9', areaCode: '00003', createdAt: Date.parse('2026-11-30T17:00:00Z') }),
    ];
    await ds.createQueryBuilder().insert().into(FeedbackItemEntity).values(items).execute();
    const ev = (id: string, itemId: string, at: number, kind: FeedbackEventEntity['kind']): FeedbackEventEntity => ({ id, itemId, at, kind, actorUserId: null, actorKind: 'system', fromState: null, toState: null, text: null, internal: true });
    await ds
      .createQueryBuilder()
      .insert()
      .into(FeedbackEventEntity)
      .values([ev('e1', 'b5', b5 + 2 * H, 'rejected'), ev('e2', 'b5', b5 + 7 * D, 'note')])
      .execute();
  }, 120_000);

  afterAll(async () => {
    await close();
  });

  it('counts a month: handled, on time, overdue, open, time to answer and satisfaction, merged items once', async () => {
    const r = await stats('period=2026-11');
    expect(r).toMatchObject({ areaCode: null, areaName: 'Toàn quốc', from: '2026-10-31T17:00:00.000Z', to: '2026-11-30T17:00:00.000Z', target: 1 });
    expect(r.totals).toEqual({
      received: 6,
      handled: 4,
      handledOnTime: 3,
      overdue: 2,
      open: 2,
      handledShare: 4 / 6,
      onTimeShare: 3 / 4,
      avgAnswerWorkingHours: 10.33,
      avgAnswerHours: 22.67,
      rated: 3,
      satisfied: 2,
      satisfactionShare: 2 / 3,
    });
    expect(r.byArea.map((a) => [a.areaCode, a.received])).toEqual([['01', 6]]);
    expect(r.byPriority.map((p) => [p.priority, p.received, p.handledOnTime])).toEqual([
      ['normal', 4, 2],
      ['urgent', 1, 0],
      ['complex', 1, 1],
    ]);
    expect(Object.fromEntries(r.byChannel.map((c) => [c.channel, c.received]))).toEqual({ web: 3, sms: 1, api: 1, office: 1 });
    const cats = Object.fromEntries(r.byCategory.map((c) => [c.category, [c.label, c.received]]));
    expect(cats['dat-dai']).toEqual(['Đất đai, xây dựng', 3]);
    expect(cats['moi-truong']).toEqual(['Môi trường, vệ sinh', 1]);
    expect(cats['an-ninh']).toEqual(['An ninh, trật tự', 0]);
    // One point per local day of November; 23:00 on the 30th is still November.
    expect(r.series).toHaveLength(30);
    expect(r.series.filter((s) => s.received > 0).map((s) => [s.bucket, s.received])).toEqual([
      ['2026-11-10', 1],
      ['2026-11-11', 1],
      ['2026-11-12', 1],
      ['2026-11-13', 1],
      ['2026-11-15', 1],
      ['2026-11-30', 1],
    ]);
  });

  it('breaks a province down by district and a district by commune; a quarter by month', async () => {
    const province = await stats('period=2026-11&areaCode=01');
    expect(province.byArea.map((a) => [a.areaCode, a.areaName, figures(a)])).toEqual([
      ['001', 'Huyện A', { received: 5, handled: 3, handledOnTime: 2, overdue: 2, open: 2 }],
      ['002', 'Huyện B', { received: 1, handled: 1, handledOnTime: 1, overdue: 0, open: 0 }],
    ]);
    const district = await stats('period=2026-11&areaCode=001');
    expect(district.byArea.map((a) => [a.areaCode, figures(a)])).toEqual([
      ['00001', { received: 2, handled: 2, handledOnTime: 1, overdue: 1, open: 0 }],
      ['00002', { received: 3, handled: 1, handledOnTime: 1, overdue: 1, open: 2 }],
    ]);
    const quarter = await stats('period=2026-Q4&areaCode=002');
    expect(quarter.series.map((s) => [s.bucket, s.received])).toEqual([
      ['2026-10', 1],
      ['2026-11', 1],
      ['2026-12', 1],
    ]);
    const range = await stats('from=2026-11-10&to=2026-11-11&category=dat-dai');
    expect(range.totals.received).toBe(1);
    expect(range.series.map((s) => s.bucket)).toEqual(['2026-11-10', '2026-11-11']);
  });

  it('scopes every reader to its subtree: a commune officer sees its commune, elsewhere is absent; bad periods are 400', async () => {
    const own = await stats('period=2026-11', 'canbo2');
    expect(own.areaCode).toBe('00002');
    expect(own.byArea.map((a) => [a.areaCode, a.received])).toEqual([['00002', 3]]);
    expect(figures(own.totals)).toEqual({ received: 3, handled: 1, handledOnTime: 1, overdue: 1, open: 2 });
    for (const code of ['00001', '001', '01']) expect((await call('canbo2', `/api/v1/reports/feedback?period=2026-11&areaCode=${code}`)).status).toBe(404);
    const refusals: Array<[string, string]> = [
      ['period=2026-13', 'report.range-invalid'],
      ['period=tháng', 'feedback.period-invalid'],
      ['from=2026-11-01', 'feedback.range-invalid'],
      ['period=2026-11&from=2026-11-01&to=2026-11-02', 'feedback.period-and-range'],
      ['period=2026-11&category=khong-co', 'feedback.stats-category-unknown'],
    ];
    for (const [q, code] of refusals) {
      const r = await call('admin', `/api/v1/reports/feedback?${q}`);
      const body = (await r.json()) as { code: string; params: Record<string, string | number>; message: string };
      expect([q, r.status, body.code]).toEqual([q, 400, code]);
      if (code === 'feedback.period-invalid') {
        expect(body.params).toEqual({ period: 'tháng' });
        expect(formatError(body.code, body.params, 'vi')).toBe('Kỳ tháng không hợp lệ: dùng YYYY-MM, YYYY-Qn hoặc YYYY.');
        expect(body.message).toBe('period tháng is not a period: YYYY-MM, YYYY-Qn or YYYY');
      }
    }
    expect((await call('nobody', '/api/v1/reports/feedback?period=2026-11')).status).toBe(401);
  });

  it('exports the statistics as a workbook with Vietnamese sheets', async () => {
    const r = await call('admin', '/api/v1/reports/feedback.xlsx?period=2026-11&areaCode=001');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-disposition')).toContain('thong-ke-y-kien-phan-anh-huyen-a-2026-11.xlsx');
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(Buffer.from(await r.arrayBuffer()) as unknown as ArrayBuffer);
    expect(wb.worksheets.map((w) => w.name)).toEqual(['Tổng hợp', 'Theo địa bàn', 'Theo lĩnh vực', 'Theo mức độ', 'Theo kênh', 'Theo ngày']);
    const byArea = wb.getWorksheet('Theo địa bàn')!;
    expect(byArea.getRow(1).getCell(1).value).toBe('Thống kê tiếp nhận, xử lý ý kiến phản ánh, kiến nghị — tháng 11/2026 — Huyện A');
    expect(byArea.getRow(4).values).toEqual(expect.arrayContaining(['Mã', 'Địa bàn', 'Số tiếp nhận', 'Đã xử lý', 'Quá hạn']));
    expect([byArea.getRow(5).getCell(1).value, byArea.getRow(5).getCell(3).value, byArea.getRow(6).getCell(3).value]).toEqual(['00001', 2, 3]);
    expect((await call('canbo2', '/api/v1/reports/feedback.xlsx?period=2026-11&areaCode=001')).status).toBe(404);
  });

  it('exports the item list without residents’ data unless asked, which is audited; matched before GET /feedback/:id', async () => {
    const plain = await call('admin', '/api/v1/feedback/export.csv');
    expect(plain.status).toBe(200);
    expect(plain.headers.get('content-type')).toMatch(/^text\/csv/);
    const text = await plain.text();
    const header = text.replace(/^\uFEFF/, '').split('\r\n')[0]!;
    expect(header.split(',').slice(0, 3)).toEqual(['Mã phản ánh', 'Ngày tiếp nhận', 'Xã/phường']);
    expect(header).not.toContain('Số điện thoại');
    expect(text).not.toContain('Người dân a1');
    expect(text).not.toContain('0912345678');
    // Every state but merged by default; formula-looking text is made text.
    expect(text).not.toContain('PA-C6');
    expect(text).toContain(`"'=HYPERLINK(""http://x"",""bấm"")"`);
    expect(text).toContain('10/11/2026 08:00');
    expect(await ok<unknown[]>('GET', '/api/v1/audit?action=feedback.export-personal-data')).toHaveLength(0);

    const personal = await call('admin', '/api/v1/feedback/export.csv?personalData=true&areaCode=00001');
    const ptext = await personal.text();
    expect(ptext.split('\r\n')[0]).toContain('Họ tên người phản ánh,Số điện thoại,Email');
    expect(ptext).toContain('Người dân a1');
    expect(ptext).not.toContain('Người dân b3');
    const audit = await ok<Array<{ action: string; actor: { name: string }; areaCode: string | null; detail: unknown }>>('GET', '/api/v1/audit?action=feedback.export-personal-data');
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ action: 'feedback.export-personal-data', actor: { name: 'admin' }, areaCode: '00001' });

    // A commune officer: its commune only; another commune's area is absent.
    const officer = await (await call('canbo2', '/api/v1/feedback/export.csv?state=received,assigned,rejected')).text();
    const codes = officer.split('\r\n').slice(1).filter(Boolean).map((l) => l.split(',')[0]);
    expect(codes.sort()).toEqual(['PA-B3XXXXXX', 'PA-B4XXXXXX', 'PA-B5XXXXXX']);
    expect((await call('canbo2', '/api/v1/feedback/export.csv?areaCode=00001&personalData=true')).status).toBe(404);
    expect((await call('huyenb', '/api/v1/feedback/export.xlsx?areaCode=001')).status).toBe(404);
    expect(await ok<unknown[]>('GET', '/api/v1/audit?action=feedback.export-personal-data')).toHaveLength(1);
    expect((await call('admin', '/api/v1/feedback/export.csv?state=lost')).status).toBe(400);
    const badInstant = await call('admin', '/api/v1/feedback/export.csv?from=hom-qua');
    expect([badInstant.status, await badInstant.json()]).toEqual([400, expect.objectContaining({ code: 'feedback.instant-invalid', params: { field: 'from', value: 'hom-qua' } })]);
    // The list's search: words without accents or case, in the title (and the rest the list searches).
    const found = await (await call('admin', `/api/v1/feedback/export.csv?q=${encodeURIComponent('KIEN a2')}`)).text();
    expect(found.split('\r\n').slice(1).filter(Boolean).map((l) => l.split(',')[0])).toEqual(['PA-A2XXXXXX']);
    // The core's GET /api/v1/feedback/:id still answers items: only the export paths are taken first.
    expect((await json<{ code: string }>('admin', '/api/v1/feedback/a1')).code).toBe('PA-A1XXXXXX');

    const xlsx = await call('huyenb', '/api/v1/feedback/export.xlsx');
    expect(xlsx.status).toBe(200);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(Buffer.from(await xlsx.arrayBuffer()) as unknown as ArrayBuffer);
    const ws = wb.worksheets[0]!;
    const headers = (ws.getRow(1).values as unknown[]).filter(Boolean);
    expect(headers).toContain('Nội dung trả lời');
    expect(headers).not.toContain('Số điện thoại');
    const rows: unknown[] = [];
    ws.eachRow((row, n) => n > 1 && rows.push(row.getCell(1).value));
    expect(rows.sort()).toEqual(['PA-C7XXXXXX', 'PA-C8XXXXXX', 'PA-C9XXXXXX']);
  });
});
