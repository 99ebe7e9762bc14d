import { telemetryMessageSchema, PROTOCOL_VERSION } from '@loa/shared';
import type { CsvRowError, DashboardConfig, DeviceView, MapDevicesView } from '@loa/shared/rest';
import { AppConfig } from '../src/config/app-config.js';
import { buildMapConfig } from '../src/config/map-settings.js';
import { dashboardCsp } from '../src/dashboard/dashboard-static.js';
import { devicesFromCsv } from '../src/devices/devices-csv.js';
import { parseCoordinate } from '../src/devices/location-csv.js';
import { TelemetryService } from '../src/telemetry/telemetry.service.js';
import { DATABASES } from './support/databases.js';
import { startTestServerOn, type TestServer } from './support/server.js';

/** Issue 19 item 5: device locations (CSV, by hand, reported by the agent), the map's points and its tile settings. */

describe('location columns of the device CSV', () => {
  it('reads latitude/longitude/village/address, Vietnamese headers and a decimal comma', () => {
    const r = devicesFromCsv('Mã thiết bị,name,kind,areaCode,Vĩ độ,Kinh độ,Thôn,Địa chỉ\nspk-01,Loa 1,speaker,09955,"21,0285",105.8542,Thôn Đông,Cổng chợ\nspk-02,Loa 2,speaker,09955,,,,\n');
    expect(r).toEqual({
      ok: true,
      devices: [
        { id: 'spk-01', name: 'Loa 1', kind: 'speaker', areaCode: '09955', location: { latitude: 21.0285, longitude: 105.8542, village: 'Thôn Đông', address: 'Cổng chợ' } },
        { id: 'spk-02', name: 'Loa 2', kind: 'speaker', areaCode: '09955' },
      ],
    });
  });

  it('names each bad coordinate by row and column', () => {
    const r = devicesFromCsv('id,name,kind,areaCode,latitude,longitude\nspk-01,Loa,speaker,01,91,105\nspk-02,Loa,speaker,01,21.1,\nspk-03,Loa,speaker,01,abc,200\nspk-04,Loa,speaker,01,0,0\n');
    expect(r.ok).toBe(false);
    expect(!r.ok && r.errors).toEqual([
      'row 2: latitude: latitude "91" is not a number from -90 to 90.',
      'row 3: longitude: give both latitude and longitude, or neither.',
      'row 4: latitude: latitude "abc" is not a number from -90 to 90.; longitude: longitude "200" is not a number from -180 to 180.',
      'row 5: latitude: position 0, 0 (usually an empty cell or no GPS fix).',
    ]);
  });

  it('takes decimal points and a lone decimal comma, nothing else', () => {
    expect([parseCoordinate('21.5'), parseCoordinate('-8,25'), parseCoordinate('21°30\''), parseCoordinate('1,2,3'), parseCoordinate('')]).toEqual([21.5, -8.25, null, null, null]);
  });
});

describe('map tile settings (LOA_MAP_TILE_URL, LOA_MAP_ATTRIBUTION)', () => {
  const load = (env: Record<string, string>) => AppConfig.load({ LOA_DATA_DIR: '/tmp/loa-map-config', ...env });

  it('defaults to OpenStreetMap and allows its origin for images', () => {
    const c = load({});
    expect(c.map).toEqual({ tileUrl: 'https://tile.openstreetmap.org/{z}/{x}/{y}.png', attribution: '© OpenStreetMap contributors', tileOrigin: 'https://tile.openstreetmap.org' });
    expect(dashboardCsp([c.map.tileOrigin])).toBe("img-src 'self' data: blob: https://tile.openstreetmap.org; object-src 'none'; base-uri 'self'");
  });

  it('takes a local tile server with a port, and a {s} subdomain as a wildcard origin', () => {
    expect(load({ LOA_MAP_TILE_URL: 'http://127.0.0.1:8081/tiles/{z}/{x}/{y}.png', LOA_MAP_ATTRIBUTION: 'Bản đồ xã' }).map).toEqual({
      tileUrl: 'http://127.0.0.1:8081/tiles/{z}/{x}/{y}.png',
      attribution: 'Bản đồ xã',
      tileOrigin: 'http://127.0.0.1:8081',
    });
    expect(buildMapConfig({ LOA_MAP_TILE_URL: 'https://{s}.tile.example.vn/{z}/{x}/{y}{r}.png', LOA_MAP_ATTRIBUTION: 'x' }).tileOrigin).toBe('https://*.tile.example.vn');
  });

  it.each([
    ['https://tile.openstreetmap.org/{z}/{x}.png', /LOA_MAP_TILE_URL.*\{z\}, \{x\} and \{y\}/],
    ['ftp://tiles.example.vn/{z}/{x}/{y}.png', /LOA_MAP_TILE_URL.*http:\/\/ or https:\/\//],
    ['https://user:pw@tiles.example.vn/{z}/{x}/{y}.png', /LOA_MAP_TILE_URL.*without credentials/],
    ['https://tiles.example.vn/{z}/{x}/{y}.png?key={apikey}', /LOA_MAP_TILE_URL.*only the placeholders/],
  ])('refuses the tile URL %s', (url, why) => {
    expect(() => load({ LOA_MAP_TILE_URL: url })).toThrow(why);
  });

  it('refuses HTML in the attribution', () => {
    expect(() => load({ LOA_MAP_ATTRIBUTION: '<a href="x">OSM</a>' })).toThrow(/LOA_MAP_ATTRIBUTION.*plain text/);
  });

  it('an agent position in telemetry is checked at the boundary and optional', () => {
    const base = { v: PROTOCOL_VERSION, at: 1, uptimeS: 1 };
    expect(telemetryMessageSchema.safeParse(base).success).toBe(true);
    expect(telemetryMessageSchema.safeParse({ ...base, location: { latitude: 21, longitude: 105.8, accuracyM: 4 } }).success).toBe(true);
    expect(telemetryMessageSchema.safeParse({ ...base, location: { latitude: 95, longitude: 105.8 } }).success).toBe(false);
    expect(telemetryMessageSchema.safeParse({ ...base, location: { latitude: '21', longitude: 105.8 } }).success).toBe(false);
  });
});

describe.each(DATABASES)('device locations and the map (%s)', (db) => {
  let t: TestServer;
  let close: () => Promise<void>;
  let officerToken = '';
  const as = async <T>(token: string, method: string, url: string, body?: unknown, type = 'application/json') => {
    const res = await fetch(t.baseUrl + url, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': type }) },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : undefined) as T };
  };
  const importCsv = (csv: string, token = t.token) => as<{ updated: number; skipped: number; code?: string; params?: Record<string, unknown>; errors?: CsvRowError[] }>(token, 'POST', '/api/v1/devices/locations/import', csv, 'text/csv');
  const device = async (id: string) => (await t.api<DeviceView>('GET', `/api/v1/devices/${id}`)).body;
  const report = (id: string, latitude: number, longitude: number) =>
    t.server.app.get(TelemetryService).receive(id, { v: PROTOCOL_VERSION, at: Date.now(), uptimeS: 1, location: { latitude, longitude } });

  beforeAll(async () => {
    ({ t, close } = await startTestServerOn(db));
    await t.api('POST', '/api/v1/areas', { code: '01', name: 'Hà Nội', level: 'province' });
    await t.api('POST', '/api/v1/areas', { code: '09955', name: 'Xã Tây Đằng', level: 'commune', parentCode: '01' });
    await t.api('POST', '/api/v1/areas', { code: '09956', name: 'Xã Chu Minh', level: 'commune', parentCode: '01' });
    const made = await as(t.token, 'POST', '/api/v1/devices/import', 'id,name,kind,areaCode,latitude,longitude,village\nmap-01,Loa 1,speaker,09955,21.2001,105.4201,Thôn Đông\nmap-02,Loa 2,speaker,09955,,,\nmap-03,Loa 3,speaker,09956,21.21,105.43,\n', 'text/csv');
    expect(made.status).toBe(201);
    await t.api('POST', '/api/v1/users', { username: 'officer-td', password: 'officer-password', role: 'commune_officer', areaCode: '09955' });
    officerToken = (await as<{ accessToken: string }>('', 'POST', '/api/v1/auth/login', { username: 'officer-td', password: 'officer-password' })).body.accessToken;
  });
  afterAll(() => close());

  it('stores the device import\'s locations as imported', async () => {
    expect((await device('map-01')).location).toEqual({ latitude: 21.2001, longitude: 105.4201, village: 'Thôn Đông' });
    expect((await device('map-01')).locationSource).toBe('import');
    expect((await device('map-02')).location).toBeNull();
  });

  it('refuses a location sheet with bad rows, naming every row with a code, and stores nothing', async () => {
    const res = await importCsv('id,vĩ độ,kinh độ\nmap-02,21.3,105.5\nmap-01,abc,105.5\nnope-9,21,105\nmap-02,21.4,105.6\nmap-03,21.5,\n');
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'map.csv-invalid', params: { count: 4 } });
    expect(res.body.errors!.map((e) => [e.row, e.column, e.code])).toEqual([
      [3, 'latitude', 'map.row-latitude'],
      [4, 'id', 'map.row-unknown-device'],
      [5, 'id', 'map.row-repeated'],
      [6, 'longitude', 'map.row-half-position'],
    ]);
    expect(res.body.errors![0]!.params).toEqual({ row: 3, value: 'abc' });
    expect((await device('map-02')).location).toBeNull();
    const header = await importCsv('id,latitude,colour\nmap-01,1,2\n');
    expect(header.body.errors!.map((e) => [e.code, e.params.column])).toEqual([
      ['map.csv-missing-column', 'longitude'],
      ['map.csv-unknown-column', 'colour'],
    ]);
  });

  it('imports a good sheet, skipping rows without coordinates', async () => {
    const res = await importCsv('id,latitude,longitude,village,address\nmap-02,21.3,105.5,Thôn Tây,Nhà văn hoá\nmap-03,,,,\n');
    expect([res.status, res.body]).toEqual([201, { updated: 1, skipped: 1 }]);
    expect(await device('map-02')).toMatchObject({ location: { latitude: 21.3, longitude: 105.5, village: 'Thôn Tây', address: 'Nhà văn hoá' }, locationSource: 'import' });
  });

  it('keeps an officer to the devices of their commune', async () => {
    const res = await importCsv('id,latitude,longitude\nmap-01,21.2,105.42\nmap-03,21.2,105.42\n', officerToken);
    expect(res.status).toBe(403);
    const mine = await as<DeviceView>(officerToken, 'PUT', '/api/v1/devices/map-03/location', { location: { latitude: 21, longitude: 105 } });
    expect(mine.status).toBe(403);
  });

  it("stores an agent's position over an imported one, but never over an operator's", async () => {
    await report('map-01', 21.25, 105.45);
    expect(await device('map-01')).toMatchObject({ location: { latitude: 21.25, longitude: 105.45, village: 'Thôn Đông' }, locationSource: 'agent' });

    const set = await as<DeviceView>(officerToken, 'PUT', '/api/v1/devices/map-01/location', { location: { latitude: 21.2222, longitude: 105.4444, village: 'Thôn Đông' } });
    expect([set.status, set.body.locationSource]).toEqual([200, 'operator']);
    await report('map-01', 21.9, 105.9);
    expect(await device('map-01')).toMatchObject({ location: { latitude: 21.2222, longitude: 105.4444 }, locationSource: 'operator' });

    // Cleared by hand: the device's next report places it again.
    expect((await t.api('PUT', '/api/v1/devices/map-01/location', { location: null })).status).toBe(200);
    expect((await device('map-01')).location).toBeNull();
    await report('map-01', 21.26, 105.46);
    expect(await device('map-01')).toMatchObject({ location: { latitude: 21.26, longitude: 105.46 }, locationSource: 'agent' });
  });

  it('a PATCH with a location is an operator\'s too', async () => {
    await t.api('PATCH', '/api/v1/devices/map-03', { location: { latitude: 21.31, longitude: 105.51 } });
    await report('map-03', 22, 106);
    expect(await device('map-03')).toMatchObject({ location: { latitude: 21.31, longitude: 105.51 }, locationSource: 'operator' });
  });

  it("lists the reader's located devices with their state, and counts the rest", async () => {
    await t.api('POST', '/api/v1/devices', { id: 'map-04', name: 'Loa 4', kind: 'speaker', areaCode: '09955' });
    const all = await as<MapDevicesView>(t.token, 'GET', '/api/v1/map/devices');
    // map-01 and map-03 sent telemetry (their reports above): heard, so online; map-02 never connected.
    expect(all.body.points.map((p) => [p.id, p.status])).toEqual([
      ['map-01', 'online'],
      ['map-02', 'never'],
      ['map-03', 'online'],
    ]);
    expect(all.body.unlocated).toBe(1);
    expect(all.body.points[1]).toEqual({ id: 'map-02', name: 'Loa 2', areaCode: '09955', latitude: 21.3, longitude: 105.5, village: 'Thôn Tây', status: 'never' });
    const officer = await as<MapDevicesView>(officerToken, 'GET', '/api/v1/map/devices');
    expect(officer.body.points.map((p) => p.id)).toEqual(['map-01', 'map-02']);
    expect((await as(officerToken, 'GET', '/api/v1/map/devices?areaCode=09956')).status).toBe(404);
    expect((await as<MapDevicesView>(t.token, 'GET', '/api/v1/map/devices?areaCode=09956')).body.points.map((p) => p.id)).toEqual(['map-03']);
  });

  it('serves the map settings to the dashboard and allows the tile origin in its policy', async () => {
    const cfg = await as<DashboardConfig>(officerToken, 'GET', '/api/v1/dashboard/config');
    expect(cfg.body).toEqual({ map: { tileUrl: 'https://tile.openstreetmap.org/{z}/{x}/{y}.png', attribution: '© OpenStreetMap contributors' } });
    const page = await fetch(`${t.baseUrl}/`);
    expect(page.headers.get('content-security-policy')).toContain('img-src \'self\' data: blob: https://tile.openstreetmap.org');
  });
});
