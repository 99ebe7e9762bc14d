import { DataSource, type EntityTarget, type ObjectLiteral } from 'typeorm';
import { ContentEntity } from '../src/contents/content.entity.js';
import { DeliveryEntity } from '../src/deliveries/delivery.entity.js';
import { OccurrenceEntity } from '../src/schedules/occurrence.entity.js';
import { ScheduleEntity } from '../src/schedules/schedule.entity.js';
import { PlayoutLogRepository } from '../src/reports/playout-log.repository.js';
import { PlayoutLogService } from '../src/reports/playout-log.service.js';
import { parseCsv } from '../src/common/csv.js';
import { DATABASES } from './support/databases.js';
import { startTestServerOn, type TestServer } from './support/server.js';

/**
 * Issue 16: the playout log on a real server, SQLite and PostgreSQL. Province 01 with communes 00004 (Xã Tây Đằng,
 * with village 0000401) and 00005; a speaker in each place; a commune officer of 00004. The deliveries are written
 * straight into the tables: the log reads what proof of play stored, and this suite is about that read.
 */
describe.each(DATABASES.map(([name]) => name))('playout log (%s)', (db) => {
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
  interface Row { occurrenceId: string; deviceId: string; contentTitle: string | null; communeName: string | null; scheduledStart: string; result: string; state: string; reason: string | null; playedSeconds: number | null; startedAt: string | null; endedAt: string | null; areaName: string | null; priority: string }
  const page = async (who: string, query: string): Promise<{ items: Row[]; nextCursor: string | null }> => {
    const res = await call(who, `/api/v1/reports/playout-log?${query}`);
    if (res.status !== 200) throw new Error(`${query}: ${res.status} ${await res.text()}`);
    return (await res.json()) as { items: Row[]; nextCursor: string | null };
  };

  /** Inserts in slices: SQLite and PostgreSQL both cap the parameters of one statement. */
  const insert = async (entity: EntityTarget<ObjectLiteral>, rows: Array<Record<string, unknown>>): Promise<void> => {
    for (let i = 0; i < rows.length; i += 500) await ds.createQueryBuilder().insert().into(entity).values(rows.slice(i, i + 500)).execute();
  };
  const content = (id: string, title: string) => ({ id, type: 'text', title, text: 'x', durationMs: 60_000, createdBy: 'seed', createdAt: 0, state: 'approved' });
  const schedule = (id: string, contentId: string, priority: string) => ({ id, contentId, priority, startAt: 0, volume: null, status: 'active', createdBy: 'seed', createdAt: 0 });
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

  // November 2026 in Vietnam (UTC+7) is [2026-10-31T17:00Z, 2026-11-30T17:00Z).
  const OCC = {
    before: Date.parse('2026-10-31T16:59:00Z'), // 31/10 23:59 in Vietnam
    first: Date.parse('2026-10-31T17:00:00Z'), // 01/11 00:00
    mid: Date.parse('2026-11-15T03:17:00Z'), // 15/11 10:17
    last: Date.parse('2026-11-30T16:59:00Z'), // 30/11 23:59
    after: Date.parse('2026-11-30T17:00:00Z'), // 01/12 00:00
  };
  const DEVICES = ['spk-a', 'spk-a1', 'spk-b'];
  const BIG_DEVICES = Array.from({ length: 50 }, (_, i) => `big-${String(i).padStart(2, '0')}`);
  const BIG_OCCURRENCES = 400; // × 50 devices = 20,000 rows in January 2027

  beforeAll(async () => {
    ({ t, close } = await startTestServerOn(db));
    ds = t.server.app.get(DataSource);
    tokens.admin = t.token;
    await ok('POST', '/api/v1/areas', { code: '01', name: 'Tỉnh Thử', level: 'province' });
    await ok('POST', '/api/v1/areas', { code: '00004', name: 'Xã Tây Đằng', level: 'commune', parentCode: '01' });
    await ok('POST', '/api/v1/areas', { code: '0000401', name: 'Thôn Đông', level: 'village', parentCode: '00004' });
    await ok('POST', '/api/v1/areas', { code: '00005', name: 'Xã B', level: 'commune', parentCode: '01' });
    await ok('POST', '/api/v1/areas', { code: '00006', name: 'Xã Lớn', level: 'commune', parentCode: '01' });
    await ok('POST', '/api/v1/devices/bulk', {
      devices: [
        { id: 'spk-a', name: 'Loa xã', kind: 'speaker', areaCode: '00004' },
        { id: 'spk-a1', name: '=HYPERLINK("http://x","y")', kind: 'speaker', areaCode: '0000401' },
        { id: 'spk-b', name: 'Loa xã B', kind: 'speaker', areaCode: '00005' },
        ...BIG_DEVICES.map((id) => ({ id, name: `Loa ${id}`, kind: 'speaker', areaCode: '00006' })),
      ],
    });
    await ok('POST', '/api/v1/users', { username: 'officer', password: 'pass-word-123', role: 'commune_officer', areaCode: '00004' });
    tokens.officer = (await (await fetch(`${t.baseUrl}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'officer', password: 'pass-word-123' }) })).json() as { accessToken: string }).accessToken;

    await insert(ContentEntity, [content('c-news', 'Bản tin sáng'), content('c-evil', '=cmd|"/c calc"!A1')]);
    await insert(ScheduleEntity, [schedule('s-news', 'c-news', 'normal'), schedule('s-evil', 'c-evil', 'emergency'), schedule('s-big', 'c-news', 'normal')]);
    await insert(OccurrenceEntity, [
      ...Object.entries(OCC).map(([k, start]) => ({ id: `o-${k}`, scheduleId: k === 'mid' ? 's-evil' : 's-news', startAt: start, durationMs: 60_000 })),
      ...Array.from({ length: BIG_OCCURRENCES }, (_, i) => ({ id: `o-big-${String(i).padStart(3, '0')}`, scheduleId: 's-big', startAt: Date.parse('2027-01-01T00:00:00Z') + i * 3_600_000, durationMs: 60_000 })),
    ]);
    await insert(DeliveryEntity, [
      ...Object.entries(OCC).flatMap(([k, start]) =>
        DEVICES.map((d) => delivery(`o-${k}`, d, k === 'mid' ? 's-evil' : 's-news', start, d === 'spk-a1' ? 'failed' : 'finished', d === 'spk-a1' ? '@SUM(1+1) amp fault' : null)),
      ),
      ...Array.from({ length: BIG_OCCURRENCES }, (_, i) => BIG_DEVICES.map((d) => delivery(`o-big-${String(i).padStart(3, '0')}`, d, 's-big', Date.parse('2027-01-01T00:00:00Z') + i * 3_600_000, 'finished'))).flat(),
    ]);
  });
  afterAll(() => close());

  it('lists one row per occurrence per device, in scheduled order, with what, where, when, how long and the result', async () => {
    const { items, nextCursor } = await page('admin', 'month=2026-11&limit=5000');
    expect(nextCursor).toBeNull();
    expect(items.map((r) => `${r.occurrenceId}/${r.deviceId}`)).toEqual(['o-first', 'o-mid', 'o-last'].flatMap((o) => DEVICES.map((d) => `${o}/${d}`)));
    expect(items.find((r) => r.occurrenceId === 'o-mid' && r.deviceId === 'spk-a1')).toEqual({
      occurrenceId: 'o-mid',
      scheduleId: 's-evil',
      contentId: 'c-evil',
      contentTitle: '=cmd|"/c calc"!A1',
      priority: 'emergency',
      deviceId: 'spk-a1',
      deviceName: '=HYPERLINK("http://x","y")',
      areaCode: '0000401',
      areaName: 'Thôn Đông',
      communeName: 'Xã Tây Đằng',
      scheduledStart: '2026-11-15T03:17:00.000Z',
      startedAt: '2026-11-15T03:17:02.000Z',
      endedAt: '2026-11-15T03:18:02.000Z',
      playedSeconds: 12.5,
      state: 'failed',
      result: 'Lỗi',
      reason: '@SUM(1+1) amp fault',
    });
    expect(items.find((r) => r.deviceId === 'spk-b')).toMatchObject({ communeName: 'Xã B', result: 'Phát xong', playedSeconds: 60 });
  });

  it('bounds the period on Vietnam time: a month, or from/to both inclusive', async () => {
    const ids = async (q: string) => [...new Set((await page('admin', `${q}&limit=5000`)).items.map((r) => r.occurrenceId))];
    expect(await ids('month=2026-11')).toEqual(['o-first', 'o-mid', 'o-last']);
    expect(await ids('from=2026-11-01&to=2026-11-30')).toEqual(['o-first', 'o-mid', 'o-last']);
    expect(await ids('from=2026-11-15&to=2026-11-15')).toEqual(['o-mid']);
    expect(await ids('month=2026-10')).toEqual(['o-before']);
    expect(await ids('from=2026-12-01&to=2026-12-01')).toEqual(['o-after']);
  });

  it('scopes by the reader’s area: an officer sees only its commune, and another area is not found', async () => {
    const own = (await page('officer', 'month=2026-11')).items;
    expect([...new Set(own.map((r) => r.deviceId))]).toEqual(['spk-a', 'spk-a1']);
    expect((await page('officer', 'month=2026-11&areaCode=0000401')).items.map((r) => r.deviceId)).toEqual(['spk-a1', 'spk-a1', 'spk-a1']);
    expect((await call('officer', '/api/v1/reports/playout-log?month=2026-11&areaCode=00005')).status).toBe(404);
    expect((await call('officer', '/api/v1/reports/playout-log?month=2026-11&areaCode=01')).status).toBe(404);
    expect((await call('officer', '/api/v1/reports/playout-log.csv?month=2026-11&areaCode=01')).status).toBe(404);
    expect((await call('admin', '/api/v1/reports/playout-log?month=2026-11&areaCode=nope')).status).toBe(404);
    expect([...new Set((await page('admin', 'month=2026-11&areaCode=00005')).items.map((r) => r.deviceId))]).toEqual(['spk-b']);
    const csv = parseCsv(await (await call('officer', '/api/v1/reports/playout-log.csv?month=2026-11')).text());
    expect(new Set(csv.slice(1).map((r) => r[5]))).toEqual(new Set(['spk-a', 'spk-a1']));
  });

  it('pages by cursor to the same rows as one page', async () => {
    const all = (await page('admin', 'month=2026-11&limit=5000')).items;
    const seen: Row[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const p = await page('admin', `month=2026-11&limit=4${cursor === null ? '' : `&cursor=${cursor}`}`);
      seen.push(...p.items);
      cursor = p.nextCursor;
      pages++;
    } while (cursor !== null);
    expect(pages).toBe(3);
    expect(seen).toEqual(all);
    expect((await call('admin', '/api/v1/reports/playout-log?month=2026-11&cursor=bm90LWEtY3Vyc29y')).status).toBe(400);
  });

  it('exports CSV in Vietnamese with Vietnam-time dates, a named file and every formula-looking cell guarded', async () => {
    const res = await call('officer', '/api/v1/reports/playout-log.csv?month=2026-11');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe(
      `attachment; filename="nhat-ky-phat-thanh-xa-tay-dang-2026-11.csv"; filename*=UTF-8''${encodeURIComponent('Nhật ký phát thanh Xã Tây Đằng 2026-11.csv')}`,
    );
    const bytes = Buffer.from(await res.arrayBuffer());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const rows = parseCsv(bytes.toString('utf8'));
    expect(rows[0]).toEqual(['Nội dung', 'Mức ưu tiên', 'Xã/phường', 'Địa bàn', 'Mã địa bàn', 'Mã thiết bị', 'Tên thiết bị', 'Giờ phát theo lịch', 'Bắt đầu phát', 'Kết thúc', 'Thời lượng đã phát (giây)', 'Kết quả', 'Lý do', 'Mã lượt phát']);
    expect(rows.slice(1).find((r) => r[13] === 'o-mid' && r[5] === 'spk-a1')).toEqual([
      `'=cmd|"/c calc"!A1`,
      'Khẩn cấp',
      'Xã Tây Đằng',
      'Thôn Đông',
      '0000401',
      'spk-a1',
      `'=HYPERLINK("http://x","y")`,
      '15/11/2026 10:17',
      '15/11/2026 10:17',
      '15/11/2026 10:18',
      '13',
      'Lỗi',
      `'@SUM(1+1) amp fault`,
      'o-mid',
    ]);
    expect(rows[1]?.[7]).toBe('01/11/2026 00:00');
    // No cell of the file starts a formula.
    expect(rows.slice(1).flat().filter((c) => /^[=+\-@\t\r]/.test(c))).toEqual([]);
  });

  it('keeps a machine CSV behind format=iso and streams JSON lines', async () => {
    const iso = parseCsv(await (await call('admin', '/api/v1/reports/playout-log.csv?month=2026-11&areaCode=00005&format=iso')).text());
    expect(iso[0]?.slice(0, 3)).toEqual(['occurrenceId', 'scheduleId', 'contentId']);
    expect(iso.slice(1).map((r) => [r[0], r[10], r[14]])).toEqual([
      ['o-first', '2026-10-31T17:00:00.000Z', 'finished'],
      ['o-mid', '2026-11-15T03:17:00.000Z', 'finished'],
      ['o-last', '2026-11-30T16:59:00.000Z', 'finished'],
    ]);
    const res = await call('officer', '/api/v1/reports/playout-log.ndjson?from=2026-11-15&to=2026-11-15');
    expect(res.headers.get('content-type')).toBe('application/x-ndjson; charset=utf-8');
    const lines = (await res.text()).trimEnd().split('\n').map((l) => JSON.parse(l) as Row);
    expect(lines.map((r) => [r.deviceId, r.result])).toEqual([['spk-a', 'Phát xong'], ['spk-a1', 'Lỗi']]);
  });

  it('answers 400 to a period that is none', async () => {
    for (const q of ['', 'month=2026-13', 'month=2026-1', 'from=2026-11-01', 'from=2026-02-30&to=2026-03-01', 'from=2026-11-30&to=2026-11-01', 'month=2026-11&from=2026-11-01&to=2026-11-02', 'from=2026/11/01&to=2026/11/02']) {
      for (const route of ['playout-log', 'playout-log.csv', 'playout-log.ndjson']) {
        const res = await call('admin', `/api/v1/reports/${route}?${q}`);
        expect([route, q, res.status]).toEqual([route, q, 400]);
      }
    }
    expect((await call('admin', '/api/v1/reports/playout-log?month=2026-11&limit=0')).status).toBe(400);
    expect((await call('admin', '/api/v1/reports/playout-log.csv?month=2026-11&format=xlsx')).status).toBe(400);
  });

  it('streams a 20,000-row month page by page, never reading more than a page at once', async () => {
    const repo = t.server.app.get(PlayoutLogRepository);
    const reads: Array<{ limit: number; rows: number }> = [];
    // Wraps the repository's one read to count what each query brought back.
    const original = repo.page;
    repo.page = async (f, after, limit) => {
      const rows = await original.call(repo, f, after, limit);
      reads.push({ limit, rows: rows.length });
      return rows;
    };
    try {
      const res = await call('admin', '/api/v1/reports/playout-log.csv?month=2027-01&areaCode=00006');
      expect(res.status).toBe(200);
      const rows = parseCsv(await res.text());
      expect(rows.length).toBe(1 + BIG_OCCURRENCES * BIG_DEVICES.length);
      expect(rows[1]?.[13]).toBe('o-big-000');
      expect(rows[rows.length - 1]?.[13]).toBe(`o-big-${BIG_OCCURRENCES - 1}`);
      expect(new Set(rows.slice(1).map((r) => `${r[13]}/${r[5]}`)).size).toBe(20_000); // every row once
      expect(reads.every((r) => r.limit === repo.pageSize && r.rows <= repo.pageSize)).toBe(true);
      expect(reads.reduce((n, r) => n + r.rows, 0)).toBe(20_000);
      expect(reads.length).toBeGreaterThanOrEqual(20_000 / repo.pageSize);

      // Pulled, not pushed: the service reads the next page only when the previous chunk has been taken.
      reads.length = 0;
      const officer = { type: 'user', userId: 'u', username: 'big', role: 'commune_officer', areaCode: '00006' } as const;
      const body = (await t.server.app.get(PlayoutLogService).csv(officer, { month: '2027-01', format: 'vi' })).body[Symbol.asyncIterator]();
      await body.next(); // the header
      expect(reads.length).toBe(0);
      expect(parseCsv((await body.next()).value as string)).toHaveLength(repo.pageSize);
      expect(reads.length).toBe(1);
      await body.next();
      expect(reads.length).toBe(2);
      await body.return?.(undefined);
    } finally {
      repo.page = original;
    }
  });
});
