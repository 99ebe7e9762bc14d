import { credentialsCsv, devicesFromCsv, parseCsv } from '../src/devices/devices-csv.js';
import { startTestServer, type TestServer } from './support/server.js';

describe(parseCsv.name, () => {
  it('reads quoted fields with commas, doubled quotes and line breaks, CRLF, and drops a BOM', () => {
    expect(parseCsv('\ufeffa,b\r\n"x, y","say ""hi"""\r\n"two\nlines",z\n')).toEqual([
      ['a', 'b'],
      ['x, y', 'say "hi"'],
      ['two\nlines', 'z'],
    ]);
  });

  it('names the line of an unterminated quote', () => {
    expect(() => parseCsv('a,b\n"open,x\n')).toThrow(/line 2/);
  });
});

describe(devicesFromCsv.name, () => {
  it('turns rows into devices in any column order, with ";"-separated tags', () => {
    const r = devicesFromCsv('areaCode,id,name,kind,tags\n09955,spk-01,"Cụm loa thôn Đông Phú, cổng chợ",speaker,market;coastal\n09955,brd-01,Bảng tin UBND,board,\n');
    expect(r).toEqual({
      ok: true,
      devices: [
        { id: 'spk-01', name: 'Cụm loa thôn Đông Phú, cổng chợ', kind: 'speaker', areaCode: '09955', tags: ['market', 'coastal'] },
        { id: 'brd-01', name: 'Bảng tin UBND', kind: 'board', areaCode: '09955' },
      ],
    });
  });

  it('reports every bad row and header problem at once', () => {
    const r = devicesFromCsv('id,name,kind,areaCode\nSPK 01,Loa,speaker,01\nspk-02,,radio,01\nspk-03,Loa 3,speaker,01\n');
    expect(r.ok).toBe(false);
    expect(!r.ok && r.errors).toEqual([expect.stringMatching(/^row 2: id:/), expect.stringMatching(/^row 3: name: .*; kind:/)]);
    expect(devicesFromCsv('id,name,colour\nx,y,z\n')).toEqual({ ok: false, errors: ['header: missing column(s) kind, areaCode', expect.stringMatching(/unknown column\(s\) colour/)] });
    expect(devicesFromCsv('')).toMatchObject({ ok: false, errors: [expect.stringMatching(/empty/)] });
  });

  it('writes credentials that need no quoting', () => {
    expect(credentialsCsv([{ id: 'spk-01', secret: 'abc_DEF-1' }], 'KEY')).toBe('id,secret,serverPublicKey\r\nspk-01,abc_DEF-1,KEY\r\n');
  });
});

describe('POST /api/v1/devices/import', () => {
  let t: TestServer;
  const post = (csv: string, query = '', type = 'text/csv') =>
    fetch(`${t.baseUrl}/api/v1/devices/import${query}`, { method: 'POST', headers: { authorization: `Bearer ${t.token}`, 'content-type': type }, body: csv });

  beforeAll(async () => {
    t = await startTestServer();
    await t.api('POST', '/api/v1/areas', { code: '01', name: 'Hà Nội', level: 'province' });
    await t.api('POST', '/api/v1/areas', { code: '09955', name: 'Xã Tây Đằng', level: 'commune', parentCode: '01' });
  });
  afterAll(() => t.close());

  it('registers a sheet and returns each secret once, as CSV for the installer', async () => {
    const res = await post('id,name,kind,areaCode,tags\ncsv-spk-01,Loa thôn 1,speaker,09955,market\ncsv-brd-01,Bảng tin xã,board,09955,\n', '?format=csv');
    expect(res.status).toBe(201);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    const [head, ...lines] = (await res.text()).trim().split('\r\n');
    expect(head).toBe('id,secret,serverPublicKey');
    const key = (await t.api<{ publicKey: string }>('GET', '/api/v1/signing-key')).body.publicKey;
    expect(lines.map((l) => l.split(','))).toEqual([
      ['csv-spk-01', expect.stringMatching(/^[A-Za-z0-9]/), key],
      ['csv-brd-01', expect.stringMatching(/^[A-Za-z0-9]/), key],
    ]);
    // Each secret is that device's own: it authenticates the device (404: no such file, not 401).
    for (const [id, secret] of lines.map((l) => l.split(','))) {
      const media = await fetch(`${t.baseUrl}/api/v1/media/${'0'.repeat(64)}`, { headers: { authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}` } });
      expect([id, media.status]).toEqual([id, 404]);
    }
    const dev = await t.api<{ tags: string[]; areaCode: string }>('GET', '/api/v1/devices/csv-spk-01');
    expect(dev.body).toMatchObject({ areaCode: '09955', tags: ['market'] });
  });

  it('stores nothing when any row is bad, and names the rows', async () => {
    const res = await post('id,name,kind,areaCode\ncsv-ok-01,Loa,speaker,09955\ncsv-bad-01,Loa,radio,09955\n');
    expect(res.status).toBe(400);
    expect(((await res.json()) as { errors: string[] }).errors).toEqual([expect.stringMatching(/^row 3: kind/)]);
    expect((await t.api('GET', '/api/v1/devices/csv-ok-01')).status).toBe(404);
  });

  it('refuses an unknown area and a body that is not CSV, with a reason', async () => {
    const unknown = await post('id,name,kind,areaCode\ncsv-x-01,Loa,speaker,77777\n');
    expect(unknown.status).toBe(400);
    expect(JSON.stringify(await unknown.json())).toMatch(/77777/);
    const wrongType = await post('{"devices":[]}', '', 'application/json');
    expect(wrongType.status).toBe(400);
    expect(JSON.stringify(await wrongType.json())).toMatch(/text\/csv/);
  });
});
