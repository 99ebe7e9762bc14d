import { DATABASES } from './support/databases.js';
import { startTestServerOn, type TestServer } from './support/server.js';

type ImportAnswer = {
  dryRun: boolean;
  created: number;
  updated: number;
  unchanged: number;
  moved: number;
  codes: Record<'created' | 'updated' | 'unchanged' | 'moved', string[]>;
  errors?: Array<{ line: number; code: string | null; message: string }>;
};

/** Issue 7: POST /api/v1/areas/import, the administrative tree from a spreadsheet, on SQLite and PostgreSQL. */
describe.each(DATABASES)('area tree import on %s', (name) => {
  let t: TestServer;
  let close: () => Promise<void>;
  const tokens: Record<string, string> = {};
  const PW = 'password-123';

  const call = async <T = Record<string, unknown>>(who: string, method: string, url: string, body?: unknown): Promise<{ status: number; body: T }> => {
    const res = await fetch(t.baseUrl + url, {
      method,
      headers: { authorization: `Bearer ${tokens[who] ?? ''}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
  };
  const importCsv = async (who: string, csv: string, query = ''): Promise<{ status: number; body: ImportAnswer }> => {
    const res = await fetch(`${t.baseUrl}/api/v1/areas/import${query}`, { method: 'POST', headers: { authorization: `Bearer ${tokens[who] ?? ''}`, 'content-type': 'text/csv' }, body: csv });
    return { status: res.status, body: (await res.json()) as ImportAnswer };
  };
  const area = async (code: string) => (await call<{ parentCode: string | null; path: string; name: string }>('admin', 'GET', `/api/v1/areas/${code}`)).body;
  const login = async (username: string) => (await call<{ accessToken: string }>('nobody', 'POST', '/api/v1/auth/login', { username, password: PW })).body.accessToken;

  // Hà Nội before the 2025 reform (province → district → commune) next to a two-tier ward directly under the city.
  const TREE = [
    '\ufeffma;ten;cap;ma_cha',
    '01;Thành phố Hà Nội;tinh;',
    '09982;Xã Vật Lại;commune;271',
    '271;Huyện Ba Vì;district;01',
    '09955;"Xã Tây Đằng; Ba Vì";commune;271',
    '016;Huyện Sóc Sơn;district;01',
    '00376;Xã Bắc Sơn;xã;016',
    '00004;Phường Ba Đình;phường;01',
    '02;Tỉnh Hà Giang;province;',
  ].join('\r\n');

  beforeAll(async () => {
    ({ t, close } = await startTestServerOn(name));
    tokens.admin = t.token;
  });
  afterAll(() => close());

  it('imports a small real tree, Vietnamese names and headers, parents first', async () => {
    const r = await importCsv('admin', TREE);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ dryRun: false, created: 8, updated: 0, unchanged: 0, moved: 0 });
    expect(r.body.codes.created.indexOf('271')).toBeLessThan(r.body.codes.created.indexOf('09982'));
    expect(await area('09955')).toMatchObject({ name: 'Xã Tây Đằng; Ba Vì', parentCode: '271', path: '/01/271/09955/' });
    expect(await area('00004')).toMatchObject({ name: 'Phường Ba Đình', parentCode: '01', path: '/01/00004/' });

    const again = await importCsv('admin', TREE.replace('Xã Bắc Sơn', 'Xã Bắc Sơn (mới)'));
    expect(again.body).toMatchObject({ created: 0, updated: 1, unchanged: 7, moved: 0, codes: { updated: ['00376'] } });
    expect((await area('00376')).name).toBe('Xã Bắc Sơn (mới)');
  });

  it('a bad file is refused as a whole, naming every bad line', async () => {
    const csv = [
      'code,name,level,parentCode',
      '50001,Xã Hợp Lệ,commune,016', // fine on its own: must not be written either
      '50002,Xã Lạ,hamlet,016',
      '50003,Xã Mồ Côi,commune,99999',
      '50001,Xã Trùng,commune,016',
      '50004,Huyện Trong Huyện,district,271',
      '271,Huyện Ba Vì,district,02', // a move without allowMove
    ].join('\n');
    const r = await importCsv('admin', csv);
    expect(r.status).toBe(400);
    expect(r.body.errors).toEqual([
      { line: 3, code: '50002', message: expect.stringMatching(/^unknown level "hamlet"/) },
      { line: 4, code: '50003', message: 'unknown parent 99999: neither in the database nor in the file' },
      { line: 5, code: '50001', message: 'duplicate code: also on line 2' },
      { line: 6, code: '50004', message: 'a district cannot be under a district (271)' },
      { line: 7, code: '271', message: 'area 271 is under 01 in the database; moving it to 02 needs ?allowMove=true' },
    ]);
    expect((await call('admin', 'GET', '/api/v1/areas/50001')).status).toBe(404);
  });

  it('names format, parent and level problems in one answer, even when other rows are malformed', async () => {
    const csv = [
      'code,name,level,parentCode',
      '51001,,commune,016', // malformed: empty name
      '51002,Thôn Dưới,village,51001', // under the malformed row
      '51003,Xã Lạc,commune,77777', // unknown parent
      '51004,Thôn Tỉnh,village,01', // level does not fit
      '51005,Xã Hợp Lệ,commune,01', // two-tier: fine
    ].join('\n');
    const r = await importCsv('admin', csv);
    expect(r.status).toBe(400);
    expect(r.body.errors).toEqual([
      { line: 2, code: '51001', message: 'the name is empty' },
      { line: 3, code: '51002', message: 'parent row 2 is invalid' },
      { line: 4, code: '51003', message: 'unknown parent 77777: neither in the database nor in the file' },
      { line: 5, code: '51004', message: 'a village cannot be under a province (01)' },
    ]);
    expect((await call('admin', 'GET', '/api/v1/areas/51005')).status).toBe(404);
  });

  it('the single create follows the same level rules as the import', async () => {
    const create = (body: Record<string, unknown>) => call<{ message: string; path: string }>('admin', 'POST', '/api/v1/areas', body);
    expect(await create({ code: '52001', name: 'Phường hai cấp', level: 'commune', parentCode: '01' })).toMatchObject({ status: 201, body: { path: '/01/52001/' } });
    expect(await create({ code: '52002', name: 'Thôn', level: 'village', parentCode: '52001' })).toMatchObject({ status: 201, body: { path: '/01/52001/52002/' } });
    expect(await create({ code: '52003', name: 'Huyện trong xã', level: 'district', parentCode: '52001' })).toMatchObject({ status: 400, body: { message: 'a district cannot be under a commune (52001)' } });
    expect(await create({ code: '52004', name: 'Thôn của tỉnh', level: 'village', parentCode: '01' })).toMatchObject({ status: 400, body: { message: 'a village cannot be under a province (01)' } });
    expect(await create({ code: '52005', name: 'Xã mồ côi', level: 'commune' })).toMatchObject({ status: 400, body: { message: expect.stringMatching(/^a commune needs a parent/) } });
    expect((await create({ code: '52006', name: 'Quốc gia', level: 'country' })).status).toBe(201);
    expect((await create({ code: '52007', name: 'Tỉnh', level: 'province', parentCode: '52006' })).status).toBe(201);
    for (const code of ['52003', '52004', '52005']) expect((await call('admin', 'GET', `/api/v1/areas/${code}`)).status).toBe(404);
  });

  it('dryRun reports and writes nothing; allowMove rewrites the subtree, and its scoped users still see their devices', async () => {
    expect((await call('admin', 'POST', '/api/v1/devices', { id: 'spk-taydang-01', name: 'Cụm loa Đông Phú', kind: 'speaker', areaCode: '09955' })).status).toBe(201);
    expect((await call('admin', 'POST', '/api/v1/users', { username: 'op-bavi', password: PW, role: 'operator', areaCode: '271' })).status).toBe(201);
    expect((await call('admin', 'POST', '/api/v1/users', { username: 'op-hanoi', password: PW, role: 'operator', areaCode: '01' })).status).toBe(201);
    tokens.bavi = await login('op-bavi');
    tokens.hanoi = await login('op-hanoi');
    expect((await call('hanoi', 'GET', '/api/v1/devices/spk-taydang-01')).status).toBe(200);

    const move = 'code,name,level,parentCode\n271,Huyện Ba Vì,district,02\n50005,Xã Mới,commune,271\n';
    const dry = await importCsv('admin', move, '?dryRun=true&allowMove=true');
    expect(dry.status).toBe(200);
    expect(dry.body).toMatchObject({ dryRun: true, created: 1, updated: 0, unchanged: 0, moved: 1, codes: { created: ['50005'], moved: ['271'] } });
    expect(await area('271')).toMatchObject({ parentCode: '01', path: '/01/271/' });
    expect((await call('admin', 'GET', '/api/v1/areas/50005')).status).toBe(404);

    const moved = await importCsv('admin', move, '?allowMove=true');
    expect(moved.body).toMatchObject({ dryRun: false, created: 1, moved: 1 });
    expect(await area('271')).toMatchObject({ parentCode: '02', path: '/02/271/' });
    expect(await area('09955')).toMatchObject({ parentCode: '271', path: '/02/271/09955/' });
    expect(await area('50005')).toMatchObject({ path: '/02/271/50005/' });
    const device = await call<{ areaCode: string }>('bavi', 'GET', '/api/v1/devices/spk-taydang-01');
    expect(device).toMatchObject({ status: 200, body: { areaCode: '09955' } });
    expect((await call<Array<{ id: string }>>('bavi', 'GET', '/api/v1/devices')).body.map((d) => d.id)).toEqual(['spk-taydang-01']);
    // Out of Hà Nội now: its operator no longer sees the device.
    expect((await call('hanoi', 'GET', '/api/v1/devices/spk-taydang-01')).status).toBe(404);
  });

  it('an admin with an area imports only inside its subtree; other roles not at all', async () => {
    expect((await call('admin', 'POST', '/api/v1/users', { username: 'admin-hanoi', password: PW, role: 'admin', areaCode: '01' })).status).toBe(201);
    tokens.adminHanoi = await login('admin-hanoi');
    const outside = await importCsv('adminHanoi', 'code,name,level,parentCode\n60001,Xã Hà Giang,commune,02\n60002,Xã Sóc Sơn,commune,016\n');
    expect(outside.status).toBe(403);
    expect(outside.body.errors).toEqual([{ line: 2, code: '60001', message: '02 is outside your area' }]);
    const rename = await importCsv('adminHanoi', 'code,name,level,parentCode\n02,Tỉnh khác,province,\n');
    expect(rename.status).toBe(403);
    expect((await call('admin', 'GET', '/api/v1/areas/60002')).status).toBe(404);
    const inside = await importCsv('adminHanoi', 'ma,ten,cap,ma_cha\n60002,Xã Sóc Sơn,commune,016\n');
    expect(inside.body).toMatchObject({ created: 1 });
    expect((await importCsv('hanoi', 'code,name,level,parentCode\n60003,Xã,commune,016\n')).status).toBe(403);
  });

  it('an admin with an area creates single areas only inside its subtree', async () => {
    const create = (body: Record<string, unknown>) => call('adminHanoi', 'POST', '/api/v1/areas', body);
    expect((await create({ code: '61001', name: 'Xã Hà Giang', level: 'commune', parentCode: '02' })).status).toBe(403);
    expect((await create({ code: '61002', name: 'Tỉnh mới', level: 'province' })).status).toBe(403);
    // An existing code outside is refused for where it would go, not answered 409.
    expect((await create({ code: '02', name: 'Trùng', level: 'commune', parentCode: '02' })).status).toBe(403);
    expect((await create({ code: '61003', name: 'Xã Sóc Sơn', level: 'commune', parentCode: '016' })).status).toBe(201);
    expect((await create({ code: '61004', name: 'Huyện trong xã', level: 'district', parentCode: '61003' })).status).toBe(400);
    for (const code of ['61001', '61002']) expect((await call('admin', 'GET', `/api/v1/areas/${code}`)).status).toBe(404);
  });
});
