import ExcelJS from 'exceljs';
import { DataSource, type EntityTarget, type ObjectLiteral } from 'typeorm';
import type { CoverageFigures, CoverageQuery, CoverageReport } from '@loa/shared/rest';
import { ContentEntity } from '../src/contents/content.entity.js';
import { DeliveryEntity } from '../src/deliveries/delivery.entity.js';
import { OccurrenceEntity } from '../src/schedules/occurrence.entity.js';
import { ScheduleEntity } from '../src/schedules/schedule.entity.js';
import { PlayoutLogRepository } from '../src/reports/playout-log.repository.js';
import { ReportsModule } from '../src/reports/reports.module.js';
import { CoverageService } from '../src/reports/coverage.service.js';
import { parseCsv } from '../src/common/csv.js';
import { DATABASES } from './support/databases.js';
import { startTestServerOn, type TestServer } from './support/server.js';

/**
 * Issue 16: the XLSX exports on a real server, SQLite and PostgreSQL. The files are read back with exceljs: the
 * headers and labels are the CSV's, dates are date cells on Vietnam time, numbers are numbers, formula-looking text
 * stays text. The coverage workbook is shaped from the coverage contract; its figures here come from a stand-in for
 * the coverage service's report (the figures themselves are that service's tests' business).
 */
describe.each(DATABASES.map(([name]) => name))('XLSX exports (%s)', (db) => {
  let t: TestServer;
  let close: () => Promise<void>;
  let ds: DataSource;
  const tokens: Record<string, string> = {};

  const call = (who: string, url: string): Promise<Response> => fetch(t.baseUrl + url, { headers: { authorization: `Bearer ${tokens[who] ?? ''}` } });
  const ok = async <T>(method: string, url: string, body: unknown): Promise<T> => {
    const r = await t.api<T>(method, url, body);
    if (r.status >= 300) throw new Error(`${method} ${url}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };
  const workbook = async (res: Response): Promise<ExcelJS.Workbook> => {
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(await res.arrayBuffer());
    return wb;
  };
  const insert = async (entity: EntityTarget<ObjectLiteral>, rows: Array<Record<string, unknown>>): Promise<void> => {
    for (let i = 0; i < rows.length; i += 500) await ds.createQueryBuilder().insert().into(entity).values(rows.slice(i, i + 500)).execute();
  };
  const delivery = (occurrenceId: string, deviceId: string, scheduleId: string, start: number, state: string, reason: string | null = null) => ({
    occurrenceId,
    deviceId,
    scheduleId,
    state,
    queuedAt: start - 3_600_000,
    deliveredAt: start - 3_000_000,
    startedAt: state === 'finished' || state === 'failed' ? start + 2_000 : null,
    endedAt: state === 'finished' || state === 'failed' ? start + 62_000 : null,
    playedMs: state === 'finished' ? 60_000 : state === 'failed' ? 12_500 : null,
    reason,
    updatedAt: start + 62_000,
  });

  const MID = Date.parse('2026-11-15T03:17:00Z'); // 15/11/2026 10:17 in Vietnam
  const BIG_DEVICES = Array.from({ length: 30 }, (_, i) => `big-${String(i).padStart(2, '0')}`);
  const BIG_OCCURRENCES = 250; // × 30 devices = 7,500 rows in January 2027

  beforeAll(async () => {
    ({ t, close } = await startTestServerOn(db));
    ds = t.server.app.get(DataSource);
    tokens.admin = t.token;
    await ok('POST', '/api/v1/areas', { code: '01', name: 'Tỉnh Thử', level: 'province' });
    await ok('POST', '/api/v1/areas', { code: '00004', name: 'Xã Tây Đằng', level: 'commune', parentCode: '01' });
    await ok('POST', '/api/v1/areas', { code: '00005', name: 'Xã B', level: 'commune', parentCode: '01' });
    await ok('POST', '/api/v1/areas', { code: '00006', name: 'Xã Lớn', level: 'commune', parentCode: '01' });
    await ok('POST', '/api/v1/devices/bulk', {
      devices: [
        { id: 'spk-a', name: 'Loa xã', kind: 'speaker', areaCode: '00004' },
        { id: 'spk-evil', name: '=HYPERLINK("http://x","y")', kind: 'speaker', areaCode: '00004' },
        { id: 'spk-b', name: 'Loa xã B', kind: 'speaker', areaCode: '00005' },
        ...BIG_DEVICES.map((id) => ({ id, name: `Loa ${id}`, kind: 'speaker', areaCode: '00006' })),
      ],
    });
    await ok('POST', '/api/v1/users', { username: 'officer', password: 'pass-word-123', role: 'commune_officer', areaCode: '00004' });
    tokens.officer = ((await (await fetch(`${t.baseUrl}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'officer', password: 'pass-word-123' }) })).json()) as { accessToken: string }).accessToken;

    const content = (id: string, title: string) => ({ id, type: 'text', title, text: 'x', durationMs: 60_000, createdBy: 'seed', createdAt: 0, state: 'approved' });
    const schedule = (id: string, contentId: string, priority: string) => ({ id, contentId, priority, startAt: 0, volume: null, status: 'active', createdBy: 'seed', createdAt: 0 });
    await insert(ContentEntity, [content('c-news', 'Bản tin sáng'), content('c-evil', '=cmd|"/c calc"!A1')]);
    await insert(ScheduleEntity, [schedule('s-evil', 'c-evil', 'emergency'), schedule('s-big', 'c-news', 'normal')]);
    await insert(OccurrenceEntity, [
      { id: 'o-mid', scheduleId: 's-evil', startAt: MID, durationMs: 60_000 },
      ...Array.from({ length: BIG_OCCURRENCES }, (_, i) => ({ id: `o-big-${String(i).padStart(3, '0')}`, scheduleId: 's-big', startAt: Date.parse('2027-01-01T00:00:00Z') + i * 3_600_000, durationMs: 60_000 })),
    ]);
    await insert(DeliveryEntity, [
      delivery('o-mid', 'spk-a', 's-evil', MID, 'finished'),
      delivery('o-mid', 'spk-evil', 's-evil', MID, 'failed', '@SUM(1+1) amp fault'),
      delivery('o-mid', 'spk-b', 's-evil', MID, 'expired'),
      ...Array.from({ length: BIG_OCCURRENCES }, (_, i) => BIG_DEVICES.map((d) => delivery(`o-big-${String(i).padStart(3, '0')}`, d, 's-big', Date.parse('2027-01-01T00:00:00Z') + i * 3_600_000, 'finished'))).flat(),
    ]);
  });
  afterAll(() => close());

  it('exports the playout log as XLSX: the CSV’s Vietnamese headers, date cells on Vietnam time, numbers, text kept as text', async () => {
    const res = await call('officer', '/api/v1/reports/playout-log.xlsx?month=2026-11');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    expect(res.headers.get('content-disposition')).toBe(
      `attachment; filename="nhat-ky-phat-thanh-xa-tay-dang-2026-11.xlsx"; filename*=UTF-8''${encodeURIComponent('Nhật ký phát thanh Xã Tây Đằng 2026-11.xlsx')}`,
    );
    const ws = (await workbook(res)).getWorksheet('Nhật ký phát thanh')!;
    const csv = parseCsv(await (await call('officer', '/api/v1/reports/playout-log.csv?month=2026-11')).text());
    // The same columns as the CSV, header for header.
    expect((ws.getRow(1).values as unknown[]).slice(1)).toEqual(csv[0]);
    expect(ws.getRow(1).getCell(1).font?.bold).toBe(true);
    expect(ws.views[0]).toMatchObject({ state: 'frozen', ySplit: 1 });
    // The officer's commune only: two rows.
    expect(ws.rowCount).toBe(3);
    const evil = ws.getRow(3);
    const cell = (header: string) => evil.getCell((csv[0] ?? []).indexOf(header) + 1);
    expect(cell('Mã thiết bị').value).toBe('spk-evil');
    for (const [header, text] of [
      ['Nội dung', '=cmd|"/c calc"!A1'],
      ['Tên thiết bị', '=HYPERLINK("http://x","y")'],
      ['Lý do', '@SUM(1+1) amp fault'],
    ] as const) {
      expect([header, cell(header).type, cell(header).value, cell(header).formula]).toEqual([header, ExcelJS.ValueType.String, text, undefined]);
    }
    expect(cell('Mức ưu tiên').value).toBe('Khẩn cấp');
    expect(cell('Kết quả').value).toBe('Lỗi');
    expect(cell('Xã/phường').value).toBe('Xã Tây Đằng');
    // 03:17Z is 10:17 in Vietnam: the cell holds that wall-clock time, shown dd/mm/yyyy hh:mm.
    expect(cell('Giờ phát theo lịch').type).toBe(ExcelJS.ValueType.Date);
    expect((cell('Giờ phát theo lịch').value as Date).toISOString()).toBe('2026-11-15T10:17:00.000Z');
    expect(cell('Giờ phát theo lịch').numFmt).toBe('dd/mm/yyyy hh:mm');
    expect((cell('Kết thúc').value as Date).toISOString()).toBe('2026-11-15T10:18:02.000Z');
    expect(cell('Thời lượng đã phát (giây)').value).toBe(13);
    expect(cell('Thời lượng đã phát (giây)').type).toBe(ExcelJS.ValueType.Number);
    expect(ws.getRow(2).getCell((csv[0] ?? []).indexOf('Kết quả') + 1).value).toBe('Phát xong');
  });

  it('narrows the playout log XLSX to one device (the drill-down), named after it', async () => {
    const res = await call('officer', '/api/v1/reports/playout-log.xlsx?month=2026-11&deviceId=spk-a');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toContain('filename="nhat-ky-phat-thanh-xa-tay-dang-loa-xa-2026-11.xlsx"');
    const ws = (await workbook(res)).getWorksheet(1)!;
    expect(ws.rowCount).toBe(2);
    expect(ws.getRow(2).getCell(6).value).toBe('spk-a');
    expect((await call('officer', '/api/v1/reports/playout-log.xlsx?month=2026-11&deviceId=spk-b')).status).toBe(404);
  });

  it('refuses a period that is none (400) and an area outside the reader’s scope (404) before any byte', async () => {
    expect((await call('admin', '/api/v1/reports/playout-log.xlsx?month=2026-13')).status).toBe(400);
    expect((await call('admin', '/api/v1/reports/playout-log.xlsx?from=2026-11-30&to=2026-11-01')).status).toBe(400);
    expect((await call('officer', '/api/v1/reports/playout-log.xlsx?month=2026-11&areaCode=00005')).status).toBe(404);
    expect((await call('admin', '/api/v1/reports/playout-log.xlsx?month=2026-11&areaCode=nope')).status).toBe(404);
    expect((await call('admin', '/api/v1/reports/coverage.xlsx')).status).toBe(400);
  });

  it('streams a 7,500-row month in pages of the log’s size, never one query for the period', async () => {
    // The reports module's own instance (another module may provide one of its own).
    const repo = t.server.app.select(ReportsModule).get(PlayoutLogRepository, { strict: true });
    const reads: Array<{ limit: number; rows: number }> = [];
    const original = repo.page;
    repo.page = async (f, after, limit) => {
      const rows = await original.call(repo, f, after, limit);
      reads.push({ limit, rows: rows.length });
      return rows;
    };
    try {
      const res = await call('admin', '/api/v1/reports/playout-log.xlsx?month=2027-01&areaCode=00006');
      expect(res.status).toBe(200);
      const ws = (await workbook(res)).getWorksheet(1)!;
      const total = BIG_OCCURRENCES * BIG_DEVICES.length;
      expect(ws.rowCount).toBe(1 + total);
      const occ = (ws.getRow(1).values as unknown[]).indexOf('Mã lượt phát');
      const dev = (ws.getRow(1).values as unknown[]).indexOf('Mã thiết bị');
      expect(ws.getRow(2).getCell(occ).value).toBe('o-big-000');
      expect(ws.getRow(1 + total).getCell(occ).value).toBe(`o-big-${BIG_OCCURRENCES - 1}`);
      const seen = new Set<string>();
      ws.eachRow((row, n) => n > 1 && seen.add(`${String(row.getCell(occ).value)}/${String(row.getCell(dev).value)}`));
      expect(seen.size).toBe(total); // every row once
      // One more than a page per query (the page asks for one extra to know whether another follows).
      expect(reads.every((r) => r.limit <= repo.pageSize + 1 && r.rows <= repo.pageSize + 1)).toBe(true);
      expect(reads.length).toBeGreaterThanOrEqual(total / repo.pageSize);
    } finally {
      repo.page = original;
    }
  }, 120_000);

  describe('coverage workbook (from the coverage contract)', () => {
    const fig = (due: number, played: number, extra: Partial<CoverageFigures> = {}): CoverageFigures => ({
      due,
      played,
      coverage: due === 0 ? null : played / due,
      onTime: played,
      onTimeRate: played === 0 ? null : 1,
      airedSeconds: played * 60,
      failed: due - played,
      devices: 2,
      availability: 0.95,
      alarms: 1,
      ...extra,
    });
    const REPORT: CoverageReport = {
      period: { from: '2026-10-31T17:00:00.000Z', to: '2026-11-30T17:00:00.000Z', label: '2026-11' },
      area: { code: '01', name: 'Tỉnh Thử', level: 'province' },
      totals: fig(100, 87),
      rows: [
        { kind: 'area', key: '00005', name: '=Xã B', level: 'commune', figures: fig(40, 30) },
        { kind: 'area', key: '00004', name: 'Xã Tây Đằng', level: 'commune', figures: fig(60, 57) },
      ],
      byLevel: [{ level: 'commune', figures: fig(100, 87) }],
      byPriority: [
        { priority: 'normal', figures: fig(90, 80) },
        { priority: 'emergency', figures: fig(10, 7) },
      ],
      byCategory: [{ category: 'thiet-yeu', name: 'Thông tin thiết yếu', essential: true, figures: fig(50, 45) }],
      series: [
        { date: '2026-11-01', figures: fig(4, 3) },
        { date: '2026-11-02', figures: fig(0, 0) },
      ],
      failuresByReason: [{ reason: 'amp fault', label: 'amp fault', count: 9 }, { reason: 'no-report', label: 'Không báo cáo: không có báo cáo phát', count: 4 }],
    };
    let asked: Array<{ user: string; q: CoverageQuery }> = [];
    let restore: () => void;
    beforeAll(() => {
      const reader = t.server.app.select(ReportsModule).get(CoverageService, { strict: true });
      const original = reader.report.bind(reader);
      // A stand-in for the figures: the export is under test, not the rollups.
      reader.report = (user, q) => {
        asked.push({ user: user.username, q });
        return Promise.resolve(REPORT);
      };
      restore = () => (reader.report = original);
    });
    afterAll(() => restore());
    beforeEach(() => (asked = []));

    it('writes Tổng hợp, the child areas, the breakdowns and the failures as typed, Vietnamese sheets', async () => {
      const res = await call('admin', '/api/v1/reports/coverage.xlsx?month=2026-11&areaCode=01&priority=normal,emergency&category=essential');
      expect(res.status).toBe(200);
      expect(asked).toEqual([{ user: 'admin', q: expect.objectContaining({ month: '2026-11', areaCode: '01', priority: ['normal', 'emergency'], category: 'essential' }) }]);
      expect(res.headers.get('content-disposition')).toBe(
        `attachment; filename="bao-cao-thong-tin-co-so-tinh-thu-2026-11.xlsx"; filename*=UTF-8''${encodeURIComponent('Báo cáo thông tin cơ sở Tỉnh Thử 2026-11.xlsx')}`,
      );
      const wb = await workbook(res);
      expect(wb.worksheets.map((w) => w.name)).toEqual(['Tổng hợp', 'Theo địa bàn', 'Theo cấp', 'Theo mức ưu tiên', 'Theo thể loại', 'Theo ngày', 'Lỗi theo nguyên nhân']);

      const sum = wb.getWorksheet('Tổng hợp')!;
      expect(sum.getRow(1).getCell(1).value).toBe('Báo cáo kết quả thông tin cơ sở — tháng 11/2026 — Tỉnh Thử');
      const header = (sum.getRow(4).values as unknown[]).slice(1);
      expect(header).toEqual(['Địa bàn', 'Cấp', 'Kỳ báo cáo', 'Số lượt phải phát', 'Số lượt phát hết', 'Tỷ lệ phát (%)', 'Phát đúng giờ', 'Tỷ lệ đúng giờ (%)', 'Số phút đã phát', 'Lượt không phát được', 'Số thiết bị', 'Tỷ lệ hoạt động (%)', 'Số cảnh báo']);
      expect(sum.getRow(4).getCell(1).font?.bold).toBe(true);
      expect(sum.views[0]).toMatchObject({ state: 'frozen', ySplit: 4 });
      const totals = sum.getRow(5);
      expect((totals.values as unknown[]).slice(1, 7)).toEqual(['Tỉnh Thử', 'Tỉnh/thành phố', 'tháng 11/2026', 100, 87, 0.87]);
      expect(totals.getCell(6).numFmt).toBe('0.0%');
      expect(totals.getCell(9).value).toBe(87); // minutes aired

      const areas = wb.getWorksheet('Theo địa bàn')!;
      expect((areas.getRow(4).values as unknown[]).slice(1, 5)).toEqual(['Mã', 'Tên', 'Cấp/loại', 'Số lượt phải phát']);
      // The service's order (worst first) is kept; the formula-looking name is a string.
      expect([areas.getRow(5).getCell(2).type, areas.getRow(5).getCell(2).value, areas.getRow(5).getCell(3).value]).toEqual([ExcelJS.ValueType.String, '=Xã B', 'Xã/phường']);
      expect(areas.getRow(5).getCell(6).value).toBe(0.75);
      expect(areas.getRow(6).getCell(1).value).toBe('00004');

      expect((wb.getWorksheet('Theo mức ưu tiên')!.getRow(6).values as unknown[]).slice(1, 4)).toEqual(['Khẩn cấp', 10, 7]);
      expect((wb.getWorksheet('Theo thể loại')!.getRow(5).values as unknown[]).slice(1, 4)).toEqual(['Thông tin thiết yếu', 'Có', 50]);
      const days = wb.getWorksheet('Theo ngày')!;
      expect(days.getRow(5).getCell(1).value).toBe('01/11/2026');
      expect(days.getRow(6).getCell(4).value).toBeNull(); // nothing due: no rate, not 0 %
      const fails = wb.getWorksheet('Lỗi theo nguyên nhân')!;
      expect((fails.getRow(4).values as unknown[]).slice(1)).toEqual(['Nguyên nhân', 'Số lượt']);
      expect((fails.getRow(5).values as unknown[]).slice(1)).toEqual(['amp fault', 9]);
      expect((fails.getRow(6).values as unknown[]).slice(1)).toEqual(['Không báo cáo: không có báo cáo phát', 4]);
    });
  });
});
