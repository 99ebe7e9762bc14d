import { DataSource } from 'typeorm';
import { DEVICE_LIST_SORTS, devicePageSchema, type DeviceListSort, type DevicePage, type DeviceView } from '@loa/shared/rest';
import { AlarmEntity } from '../src/alarms/alarm.entity.js';
import { DeviceEntity } from '../src/devices/device.entity.js';
import { DeviceTelemetryEntity } from '../src/telemetry/device-telemetry.entity.js';
import { DATABASES } from './support/databases.js';
import { startTestServerOn, type TestServer } from './support/server.js';

/**
 * Issue 14: GET /api/v1/devices pages, filters, counts, sorts and searches in SQL, inside the reader's subtree, on
 * SQLite and PostgreSQL. Every order is checked against the full list sorted here, and every page walk must give
 * each device exactly once.
 */
describe.each(DATABASES)('device list, paged by the server (%s)', (db) => {
  let t: TestServer;
  let close: () => Promise<void>;
  let officer = '';
  const now = Date.now();

  // Area tree: 01 ⊃ 001 ⊃ {00004, 00005}; 02 ⊃ 00010.
  const loa = Array.from({ length: 12 }, (_, i) => ({ id: `loa-${String(i + 1).padStart(2, '0')}`, name: `Loa ${i + 1}`, kind: 'speaker', areaCode: '00004' }));
  const devices = [
    ...loa,
    { id: 'cho-dong', name: 'Cụm loa Chợ Đông', kind: 'speaker', areaCode: '00005', tags: ['market'] },
    { id: 'brd-a', name: 'Bảng tin xã', kind: 'board', areaCode: '00005' },
    { id: 'brd-b', name: 'Bảng điện tử', kind: 'board', areaCode: '00005' },
    { id: 'spk_under', name: 'Loa 100%', kind: 'speaker', areaCode: '00005' },
    { id: 'far-1', name: 'Loa xa', kind: 'speaker', areaCode: '00010' },
    { id: 'far-2', name: 'Ấp Mới', kind: 'speaker', areaCode: '00010' },
  ];
  const ONLINE = ['loa-01', 'loa-02', 'loa-03', 'loa-04', 'loa-05', 'cho-dong'];
  const SEEN_OFFLINE = ['loa-06', 'loa-07', 'loa-08', 'loa-09', 'brd-a', 'far-1'];
  const NEVER = ['loa-10', 'loa-11', 'loa-12', 'brd-b', 'spk_under', 'far-2'];
  const ids = (list: Array<{ id: string }>) => list.map((d) => d.id);
  const sorted = (a: readonly string[]) => [...a].sort();

  const call = async <T>(url: string, token = t.token): Promise<{ status: number; body: T }> => {
    const res = await fetch(t.baseUrl + url, { headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, body: (await res.json()) as T };
  };
  const page = async (url: string, token?: string): Promise<DevicePage> => {
    const r = await call<DevicePage>(url, token);
    if (r.status !== 200) throw new Error(`${url}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };
  /** Follows nextCursor to the end; every page within its limit and with the same total. */
  const walk = async (query: string, limit: number, token?: string): Promise<{ ids: string[]; total: number; pages: number }> => {
    const out: string[] = [];
    let cursor: string | null = null;
    let total = -1;
    let pages = 0;
    do {
      const p: DevicePage = await page(`/api/v1/devices?${query}&limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, token);
      expect(p.items.length).toBeLessThanOrEqual(limit);
      if (total >= 0) expect(p.total).toBe(total);
      total = p.total;
      out.push(...p.items.map((d) => d.id));
      cursor = p.nextCursor;
      pages++;
      if (pages > 50) throw new Error('cursor never ends');
    } while (cursor);
    return { ids: out, total, pages };
  };

  beforeAll(async () => {
    // No sweep may turn the presence written below into something else while the suite runs.
    ({ t, close } = await startTestServerOn(db, { LOA_HEARTBEAT_TIMEOUT_S: '86400', LOA_ALARM_OFFLINE_MINUTES: '10080' }));
    const post = async (url: string, body: unknown) => {
      const r = await fetch(t.baseUrl + url, { method: 'POST', headers: { authorization: `Bearer ${t.token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      if (r.status >= 300) throw new Error(`${url}: ${r.status} ${await r.text()}`);
      return r.json() as Promise<Record<string, unknown>>;
    };
    await post('/api/v1/areas', { code: '01', name: 'Tỉnh', level: 'province' });
    await post('/api/v1/areas', { code: '001', name: 'Huyện', level: 'district', parentCode: '01' });
    await post('/api/v1/areas', { code: '00004', name: 'Xã A', level: 'commune', parentCode: '001' });
    await post('/api/v1/areas', { code: '00005', name: 'Xã B', level: 'commune', parentCode: '001' });
    await post('/api/v1/areas', { code: '02', name: 'Tỉnh khác', level: 'province' });
    await post('/api/v1/areas', { code: '00010', name: 'Xã C', level: 'commune', parentCode: '02' });
    await post('/api/v1/devices/bulk', { devices });
    await post('/api/v1/users', { username: 'officer-a', password: 'password-123', role: 'commune_officer', areaCode: '00004' });
    officer = String((await post('/api/v1/auth/login', { username: 'officer-a', password: 'password-123' })).accessToken);

    const ds = t.server.app.get(DataSource);
    const repo = ds.getRepository(DeviceEntity);
    // Distinct instants, a second apart, so every time sort has one right answer besides its id tie-break.
    for (const [i, id] of [...ONLINE, ...SEEN_OFFLINE].entries()) {
      const online = ONLINE.includes(id);
      await repo.update({ id }, { online, lastSeenAt: now - (i + 1) * 1000, presenceChangedAt: now - (i + 1) * 1500, presenceReason: online ? 'connect' : 'will' });
    }
    await post('/api/v1/devices/loa-09/revoke', {});
    const alarm = { detail: 'low disk', clearedDetail: null, ackedAt: null, ackedBy: null, ackedByName: null };
    await ds.getRepository(AlarmEntity).insert([
      { id: 'al-1', deviceId: 'loa-01', kind: 'low-disk', raisedAt: now, clearedAt: null, ...alarm },
      { id: 'al-2', deviceId: 'loa-06', kind: 'low-disk', raisedAt: now, clearedAt: null, ...alarm },
      { id: 'al-3', deviceId: 'loa-06', kind: 'silence', raisedAt: now, clearedAt: null, ...alarm },
      { id: 'al-4', deviceId: 'loa-02', kind: 'low-disk', raisedAt: now - 5000, clearedAt: now, ...alarm },
    ]);
    const sample = { receivedAt: now - 2000, uptimeS: 77, timelineVersion: 1, playing: null, volume: 60, muted: false, freeDiskBytes: 1000, rssBytes: null, clockOffsetMs: null, outboxSize: null, agentVersion: null, outputLevelLufs: null, signalDbm: null, temperatureC: null };
    await ds.getRepository(DeviceTelemetryEntity).insert([
      { deviceId: 'loa-01', at: now - 60_000, ...sample, uptimeS: 10 },
      { deviceId: 'loa-01', at: now - 2000, ...sample },
    ]);
  });
  afterAll(() => close());

  it('pages by cursor in name order: folded, numbers by value, each device once', async () => {
    const w = await walk('sort=name', 5);
    expect(w.total).toBe(devices.length);
    expect(w.pages).toBe(Math.ceil(devices.length / 5));
    const loaIds = loa.map((d) => d.id);
    expect(w.ids).toEqual(['far-2', 'brd-b', 'brd-a', 'cho-dong', ...loaIds, 'spk_under', 'far-1']);
    const desc = await walk('sort=name&order=desc', 4);
    expect(desc.ids).toEqual([...w.ids].reverse());
  });

  it('answers one page, the counts of the chips and a cursor; the last page has none', async () => {
    const first = await page('/api/v1/devices?limit=3');
    expect(devicePageSchema.parse(first)).toEqual(first);
    expect(first).toMatchObject({ total: 18, limit: 3, offset: 0, counts: { all: 18, online: 6, offline: 12, revoked: 1, alarm: 2, never: 6 } });
    expect(first.items.map((d) => d.id)).toEqual(['far-2', 'brd-b', 'brd-a']);
    expect(first.nextCursor).toEqual(expect.any(String));
    const last = await page('/api/v1/devices?limit=100');
    expect(last.items).toHaveLength(18);
    expect(last.nextCursor).toBeNull();
  });

  it.each(DEVICE_LIST_SORTS.flatMap((s) => [[s, 'asc'], [s, 'desc']] as Array<[DeviceListSort, 'asc' | 'desc']>))(
    'sort=%s&order=%s: the walk by cursor is the full list in that order',
    async (sort, order) => {
      const all = (await call<DeviceView[]>('/api/v1/devices')).body;
      // Instants: never seen or never changed counts as 0 (oldest); id breaks ties, in the same direction.
      const key = (d: DeviceView): string | number => {
        if (sort === 'name' || sort === 'id' || sort === 'areaCode') return sort === 'name' ? '' : d[sort];
        const v = d[sort];
        return v === null ? 0 : Date.parse(v);
      };
      const cmp = (a: DeviceView, b: DeviceView): number => {
        const [ka, kb] = [key(a), key(b)];
        const c = ka < kb ? -1 : ka > kb ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
        return order === 'asc' ? c : -c;
      };
      const w = await walk(`sort=${sort}&order=${order}`, 4);
      expect(sorted(w.ids)).toEqual(sorted(ids(devices)));
      if (sort !== 'name') expect(w.ids).toEqual([...all].sort(cmp).map((d) => d.id));
      // The full list honours the same sort.
      expect((await call<DeviceView[]>(`/api/v1/devices?sort=${sort}&order=${order}`)).body.map((d) => d.id)).toEqual(w.ids);
    },
  );

  it('pages by offset as well, consistent with the cursor walk', async () => {
    const w = await walk('sort=lastSeenAt&order=desc', 18);
    const p = await page('/api/v1/devices?sort=lastSeenAt&order=desc&limit=5&offset=5');
    expect(p.offset).toBe(5);
    expect(p.items.map((d) => d.id)).toEqual(w.ids.slice(5, 10));
    expect(p.total).toBe(18);
    const end = await page('/api/v1/devices?sort=lastSeenAt&order=desc&limit=5&offset=15');
    expect(end.items.map((d) => d.id)).toEqual(w.ids.slice(15));
    expect(end.nextCursor).toBeNull();
  });

  it.each([
    ['status=online', ONLINE],
    ['status=offline', [...SEEN_OFFLINE, ...NEVER]],
    ['status=never', NEVER],
    ['status=revoked', ['loa-09']],
    ['status=alarm', ['loa-01', 'loa-06']],
    ['kind=board', ['brd-a', 'brd-b']],
    ['areaCode=00005', ['cho-dong', 'brd-a', 'brd-b', 'spk_under']],
    ['areaCode=001&status=online', ONLINE],
    ['areaCode=02', ['far-1', 'far-2']],
    ['q=cho%20dong', ['cho-dong']],
    ['q=CH%E1%BB%A2', ['cho-dong']], // "CHỢ"
    ['q=market', ['cho-dong']],
    ['q=dong%20cum', ['cho-dong']], // every word, in any order
    ['q=bang', ['brd-a', 'brd-b']],
    ['q=ap%20moi', ['far-2']],
    ['q=brd-', ['brd-a', 'brd-b']],
    ['q=%25', ['spk_under']], // "%" is a character, not a wildcard
    ['q=_', ['spk_under']], // so is "_"
    ['q=loa%20xa&kind=speaker', ['far-1']],
    ['q=zzz', []],
    ['kind=board&status=online', []],
  ])('%s', async (query, expected) => {
    const w = await walk(query, 3);
    expect(sorted(w.ids)).toEqual(sorted(expected));
    expect(w.total).toBe(expected.length);
  });

  it('counts per status ignore the status filter but follow the others', async () => {
    const p = await page('/api/v1/devices?areaCode=00004&status=alarm&limit=1');
    expect(p.total).toBe(2);
    expect(p.counts).toEqual({ all: 12, online: 5, offline: 7, revoked: 1, alarm: 2, never: 3 });
    const boards = await page('/api/v1/devices?kind=board&limit=1');
    expect(boards.counts).toEqual({ all: 2, online: 0, offline: 2, revoked: 0, alarm: 0, never: 1 });
  });

  it("gives the page's devices their latest telemetry, revocation and active alarms", async () => {
    const p = await page('/api/v1/devices?status=alarm&sort=id&limit=10');
    expect(p.items.map((d) => [d.id, d.activeAlarms])).toEqual([
      ['loa-01', 1],
      ['loa-06', 2],
    ]);
    expect(p.items[0]!.telemetry).toMatchObject({ uptimeS: 77, volume: 60, at: new Date(now - 2000).toISOString() });
    const revoked = await page('/api/v1/devices?status=revoked&limit=10');
    expect(revoked.items[0]).toMatchObject({ id: 'loa-09', online: false, activeAlarms: 0 });
    expect(revoked.items[0]!.revokedAt).toEqual(expect.any(String));
  });

  it("keeps a scoped reader inside its subtree: rows, totals and counts; another area is not found", async () => {
    const w = await walk('sort=name', 5, officer);
    expect(w.ids).toEqual(loa.map((d) => d.id));
    const p = await page('/api/v1/devices?limit=2', officer);
    expect(p.counts).toEqual({ all: 12, online: 5, offline: 7, revoked: 1, alarm: 2, never: 3 });
    expect((await page('/api/v1/devices?q=cho&limit=5', officer)).total).toBe(0);
    for (const area of ['00005', '001', '02', 'nowhere']) expect((await call(`/api/v1/devices?areaCode=${area}&limit=5`, officer)).status).toBe(404);
    expect((await call<DeviceView[]>('/api/v1/devices', officer)).body.map((d) => d.id)).toEqual(loa.map((d) => d.id));
  });

  it('refuses bad paging input with 400', async () => {
    const other = (await page('/api/v1/devices?sort=name&limit=2')).nextCursor!;
    for (const q of [
      'limit=0',
      'limit=501',
      'limit=abc',
      'offset=-1',
      'status=broken',
      'kind=lamp',
      'sort=secret_hash',
      'order=up',
      'areaCode=%25%25',
      'cursor=not-a-cursor',
      `cursor=${Buffer.from('[1,2]').toString('base64url')}`,
      `cursor=${encodeURIComponent(other)}&sort=id`,
      `cursor=${encodeURIComponent(other)}&offset=2`,
      `q=${'x'.repeat(101)}`,
    ]) {
      const r = await call<{ message: unknown }>(`/api/v1/devices?${q}`);
      expect([q, r.status]).toEqual([q, 400]);
    }
  });

  it('finds a device by its new name and tags after an edit, and sorts it there', async () => {
    const patch = async (id: string, body: unknown) => {
      const r = await fetch(`${t.baseUrl}/api/v1/devices/${id}`, { method: 'PATCH', headers: { authorization: `Bearer ${t.token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect(r.status).toBe(200);
    };
    await patch('far-1', { name: 'Ánh Dương 3', tags: ['river'] });
    try {
      expect(ids((await page('/api/v1/devices?q=anh%20duong&limit=5')).items)).toEqual(['far-1']);
      expect(ids((await page('/api/v1/devices?q=river&limit=5')).items)).toEqual(['far-1']);
      expect((await page('/api/v1/devices?q=loa%20xa&limit=5')).total).toBe(0);
      expect(ids((await page('/api/v1/devices?limit=2')).items)).toEqual(['far-1', 'far-2']); // "anh duong" < "ap moi"
    } finally {
      await patch('far-1', { name: 'Loa xa', tags: [] });
    }
  });

  it('keeps a location set on a device, refuses an impossible one, and clears it with null (issue 18/19)', async () => {
    const send = (body: unknown) =>
      fetch(`${t.baseUrl}/api/v1/devices/far-2`, { method: 'PATCH', headers: { authorization: `Bearer ${t.token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const set = await send({ location: { latitude: 21.0285, longitude: 105.8542, village: 'Thôn Đông', address: 'Nhà văn hoá thôn' } });
    expect(set.status).toBe(200);
    expect(((await set.json()) as DeviceView).location).toEqual({ latitude: 21.0285, longitude: 105.8542, village: 'Thôn Đông', address: 'Nhà văn hoá thôn' });
    expect((await call<DeviceView>('/api/v1/devices/far-2')).body.location).toEqual({ latitude: 21.0285, longitude: 105.8542, village: 'Thôn Đông', address: 'Nhà văn hoá thôn' });
    for (const bad of [{ latitude: 91, longitude: 0 }, { latitude: 0, longitude: -181 }, { latitude: '21', longitude: 105 }, { latitude: 21 }]) {
      expect([bad, (await send({ location: bad })).status]).toEqual([bad, 400]);
    }
    expect((await call<DeviceView>('/api/v1/devices/far-2')).body.location?.latitude).toBe(21.0285);
    const cleared = await send({ location: null });
    expect(cleared.status).toBe(200);
    expect(((await cleared.json()) as DeviceView).location).toBeNull();
  });

  it('still answers the whole list as an array without paging parameters, ordered by id', async () => {
    const all = await call<DeviceView[]>('/api/v1/devices');
    expect(Array.isArray(all.body)).toBe(true);
    expect(all.body.map((d) => d.id)).toEqual(sorted(ids(devices)));
    expect('activeAlarms' in all.body[0]!).toBe(false);
    expect((await call<DeviceView[]>('/api/v1/devices?areaCode=00005')).body.map((d) => d.id)).toEqual(['brd-a', 'brd-b', 'cho-dong', 'spk_under']);
  });
});

describe.each(DATABASES)('device list migration (%s)', (_name, open) => {
  it('fills the sort key and search text of devices registered before it', async () => {
    const { dataSource: ds, close } = await open();
    try {
      const pg = ds.options.type === 'postgres';
      const ran = async () => Number((await ds.query(`SELECT COUNT(*) AS n FROM migrations WHERE name = 'DeviceList1765310000000'`))[0].n);
      while ((await ran()) > 0) await ds.undoLastMigration({ transaction: 'each' });
      const p = (i: number) => (pg ? `$${i}` : '?');
      await ds.query(`INSERT INTO areas (code, name, level, parent_code, path, created_at) VALUES (${p(1)}, ${p(2)}, ${p(3)}, NULL, ${p(4)}, ${p(5)})`, ['01', 'Tỉnh', 'province', '/01/', 0]);
      await ds.query(`INSERT INTO devices (id, name, kind, area_code, secret_hash, created_at, tags) VALUES (${p(1)}, ${p(2)}, ${p(3)}, ${p(4)}, ${p(5)}, ${p(6)}, ${p(7)})`, [
        'old-1',
        'Cụm loa Đồng 7',
        'speaker',
        '01',
        'x',
        0,
        '["market","school"]',
      ]);
      await ds.runMigrations({ transaction: 'each' });
      const [row] = (await ds.query(`SELECT name_key, search_text FROM devices WHERE id = 'old-1'`)) as Array<{ name_key: string; search_text: string }>;
      expect(row).toEqual({ name_key: 'cum loa dong 0000000007', search_text: 'old-1\ncum loa dong 7\nmarket\nschool' });
    } finally {
      await close();
    }
  });
});
