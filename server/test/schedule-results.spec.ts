import { DataSource } from 'typeorm';
import { startTestServerOn, type TestServer } from './support/server.js';
import { fanoutDone } from './support/fanouts.js';
import { areaRows, commonPath, groupLevel } from '../src/results/schedule-results.js';

/**
 * Issue 19: GET /api/v1/schedules/:id/results (a schedule's results by area, failures first) and
 * …/results/deliveries (the devices behind a row) on a real server, SQLite and PostgreSQL; and the device page's
 * split of GET /api/v1/devices/:id/deliveries into played and upcoming.
 *
 * Province 01 → districts 002 (D1), 003 (D2) → communes 00011, 00012 (D1), 00021 (D2) → village 0001101 (in 00011).
 * Speakers: 2 in the village, 1 in commune 00011 itself, 3 in 00012, 2 in 00021, 1 at the district office of D1.
 * A province-wide bulletin, daily twice; proof of play written straight into the first occurrence's records.
 */
const PW = 'password-123';
const MINUTE = 60_000;

interface Row {
  areaCode: string;
  name: string;
  level: string;
  total: number;
  delivered: number;
  played: number;
  failed: number;
  pct: number;
  drillable: boolean;
  own: boolean;
  byState: Record<string, number>;
}
interface Results {
  scheduleId: string;
  occurrenceId: string | null;
  area: { code: string; name: string; level: string } | null;
  path: Array<{ code: string }>;
  level: string;
  total: number;
  played: number;
  failed: number;
  pct: number;
  areas: Row[];
}
interface Page {
  total: number;
  items: Array<{ deviceId: string; areaCode: string; areaName: string; state: string; occurrenceId: string; deviceName: string }>;
}
interface ErrorBody {
  code: string;
  params: Record<string, unknown>;
}

const DEVICES: Array<[string, string]> = [
  ['v1', '0001101'],
  ['v2', '0001101'],
  ['c11', '00011'],
  ['c12a', '00012'],
  ['c12b', '00012'],
  ['c12c', '00012'],
  ['c21a', '00021'],
  ['c21b', '00021'],
  ['d1', '002'],
];

describe.each(['sqlite', 'postgres'])('schedule results by area on %s', (db) => {
  let t: TestServer;
  let close: () => Promise<void>;
  const tokens: Record<string, string> = {};
  const ids: Record<string, string> = {};
  const t0 = Math.ceil((Date.now() + 10 * MINUTE) / MINUTE) * MINUTE;

  const get = async <T>(who: string, url: string): Promise<{ status: number; body: T }> => {
    const res = await fetch(t.baseUrl + url, { headers: { authorization: `Bearer ${tokens[who] ?? ''}` } });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
  };
  const ok = async <T>(method: string, url: string, body?: unknown): Promise<T> => {
    const r = await t.api<T>(method, url, body);
    if (r.status >= 300) throw new Error(`${method} ${url}: ${r.status} ${JSON.stringify(r.body)}`);
    const job = (r.body as { fanout?: { id: string } | null } | undefined)?.fanout;
    if (job) await fanoutDone(t.api, job.id);
    return r.body;
  };
  const byCode = (r: Results): Record<string, Row> => Object.fromEntries(r.areas.map((a) => [a.areaCode, a]));

  beforeAll(async () => {
    ({ t, close } = await startTestServerOn(db));
    tokens.admin = t.token;
    await ok('POST', '/api/v1/areas', { code: '01', name: 'Tỉnh Một', level: 'province' });
    await ok('POST', '/api/v1/areas', { code: '002', name: 'Huyện Đông', level: 'district', parentCode: '01' });
    await ok('POST', '/api/v1/areas', { code: '003', name: 'Huyện Tây', level: 'district', parentCode: '01' });
    await ok('POST', '/api/v1/areas', { code: '00011', name: 'Xã An', level: 'commune', parentCode: '002' });
    await ok('POST', '/api/v1/areas', { code: '00012', name: 'Xã Bình', level: 'commune', parentCode: '002' });
    await ok('POST', '/api/v1/areas', { code: '00021', name: 'Xã Cát', level: 'commune', parentCode: '003' });
    await ok('POST', '/api/v1/areas', { code: '0001101', name: 'Thôn Một', level: 'village', parentCode: '00011' });
    // Boards: a text bulletin is what a test can send without audio; the grouping does not care about the kind.
    for (const [id, areaCode] of DEVICES) await ok('POST', '/api/v1/devices', { id, name: `Loa ${id}`, kind: 'board', areaCode });
    for (const [username, role, areaCode] of [
      ['op-d1', 'operator', '002'],
      ['op-d2', 'operator', '003'],
      ['officer-11', 'commune_officer', '00011'],
    ] as const) {
      await ok('POST', '/api/v1/users', { username, password: PW, role, areaCode });
      tokens[username] = (await ok<{ accessToken: string }>('POST', '/api/v1/auth/login', { username, password: PW })).accessToken;
    }
    const content = await ok<{ id: string }>('POST', '/api/v1/contents', { type: 'text', title: 'Bản tin tỉnh', text: 'Xin chào', approve: true });
    ids.province = (await ok<{ id: string }>('POST', '/api/v1/schedules', { contentId: content.id, startAt: new Date(t0).toISOString(), rrule: 'FREQ=DAILY;COUNT=2', targets: { areas: ['01'] } })).id;
    ids.west = (
      await ok<{ id: string }>('POST', '/api/v1/schedules', { contentId: content.id, startAt: new Date(t0 + 30 * MINUTE).toISOString(), targets: { areas: ['003'] }, acceptConflicts: true })
    ).id;
    const ds = t.server.app.get(DataSource);
    const p = (i: number) => (db === 'sqlite' ? '?' : `$${i}`);
    const occ = (await ds.query(`SELECT id FROM occurrences WHERE schedule_id = ${p(1)} ORDER BY start_at ASC`, [ids.province])) as Array<{ id: string }>;
    ids.first = occ[0]!.id;
    ids.second = occ[1]!.id;
    const set = (device: string, state: string) => ds.query(`UPDATE deliveries SET state = ${p(1)} WHERE occurrence_id = ${p(2)} AND device_id = ${p(3)}`, [state, ids.first, device]);
    // First occurrence: the village and the commune office played; Bình: 2 failed, 1 expired; Cát: 1 finished, 1
    // delivered only; the district office started. The second occurrence is still queued everywhere.
    for (const d of ['v1', 'v2', 'c11', 'c21a']) await set(d, 'finished');
    for (const d of ['c12a', 'c12b']) await set(d, 'failed');
    await set('c12c', 'expired');
    await set('c21b', 'delivered');
    await set('d1', 'started');
  });

  afterAll(() => close());

  it('groups a province-wide bulletin by commune under the smallest area holding it, failures first', async () => {
    const r = await get<Results>('admin', `/api/v1/schedules/${ids.province}/results?occurrenceId=${ids.first}`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ scheduleId: ids.province, occurrenceId: ids.first, area: { code: '01', level: 'province' }, path: [], level: 'commune', total: 9, played: 5, failed: 3, pct: 55 });
    // Bình (3 failures) first; then Cát (50 %); then the fully played rows by name (Huyện Đông's own board, Xã An).
    expect(r.body.areas.map((a) => a.areaCode)).toEqual(['00012', '00021', '002', '00011']);
    const rows = byCode(r.body);
    expect(rows['00012']).toMatchObject({ name: 'Xã Bình', level: 'commune', total: 3, played: 0, failed: 3, pct: 0, own: false, drillable: false, byState: { failed: 2, expired: 1 } });
    expect(rows['00021']).toMatchObject({ total: 2, played: 1, delivered: 2, failed: 0, pct: 50 });
    // An holds the village's two speakers and its own: it opens one level down.
    expect(rows['00011']).toMatchObject({ total: 3, played: 3, pct: 100, drillable: true, own: false });
    // The speaker at the district office belongs to no commune: its own row.
    expect(rows['002']).toMatchObject({ name: 'Huyện Đông', level: 'district', total: 1, played: 1, own: true, drillable: false });
  });

  it('counts every occurrence without occurrenceId, and groups by district on request', async () => {
    const all = await get<Results>('admin', `/api/v1/schedules/${ids.province}/results`);
    expect(all.body).toMatchObject({ occurrenceId: null, total: 18, played: 5, failed: 3, pct: 27 });
    expect(byCode(all.body)['00011']).toMatchObject({ total: 6, played: 3, byState: { finished: 3, queued: 3 } });

    const districts = await get<Results>('admin', `/api/v1/schedules/${ids.province}/results?occurrenceId=${ids.first}&level=district`);
    expect(districts.body.areas.map((a) => [a.areaCode, a.total, a.failed, a.drillable])).toEqual([
      ['002', 7, 3, true],
      ['003', 2, 0, true],
    ]);
  });

  it('opens an area one level down and filters to it, with the way back up', async () => {
    const r = await get<Results>('admin', `/api/v1/schedules/${ids.province}/results?occurrenceId=${ids.first}&areaCode=00011`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ area: { code: '00011', level: 'commune' }, level: 'village', total: 3 });
    expect(r.body.path.map((a) => a.code)).toEqual(['01', '002']);
    expect(r.body.areas.map((a) => [a.areaCode, a.total, a.own])).toEqual([
      ['0001101', 2, false],
      ['00011', 1, true],
    ]);

    const bad = await get<ErrorBody>('admin', `/api/v1/schedules/${ids.province}/results?areaCode=00011&level=district`);
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: 'results.level-above-area', params: { level: 'district', area: 'Xã An' } });
  });

  it('lists the devices behind a row, problems first, by area and state', async () => {
    const r = await get<Page>('admin', `/api/v1/schedules/${ids.province}/results/deliveries?occurrenceId=${ids.first}&areaCode=002`);
    expect(r.status).toBe(200);
    expect(r.body.total).toBe(7);
    expect(r.body.items.map((i) => [i.deviceId, i.state])).toEqual([
      ['c12a', 'failed'],
      ['c12b', 'failed'],
      ['c12c', 'expired'],
      ['d1', 'started'],
      ['v1', 'finished'],
      ['v2', 'finished'],
      ['c11', 'finished'],
    ]);
    expect(r.body.items[0]).toMatchObject({ areaCode: '00012', areaName: 'Xã Bình', deviceName: 'Loa c12a', occurrenceId: ids.first });
    const failed = await get<Page>('admin', `/api/v1/schedules/${ids.province}/results/deliveries?state=failed&limit=1&offset=1`);
    expect(failed.body).toMatchObject({ total: 2, items: [{ deviceId: 'c12b' }] });
  });

  it("scopes to the caller's area: a district operator and a commune officer see only their devices", async () => {
    const d2 = await get<Results>('op-d2', `/api/v1/schedules/${ids.province}/results?occurrenceId=${ids.first}`);
    expect(d2.status).toBe(200);
    expect(d2.body).toMatchObject({ area: { code: '00021' }, total: 2, played: 1 });
    expect(d2.body.path.map((a) => a.code)).toEqual(['003']);

    const d1 = await get<Results>('op-d1', `/api/v1/schedules/${ids.province}/results?occurrenceId=${ids.first}`);
    expect(d1.body).toMatchObject({ area: { code: '002' }, level: 'commune', total: 7, failed: 3 });
    expect(d1.body.areas.map((a) => a.areaCode)).toEqual(['00012', '002', '00011']);

    const officer = await get<Results>('officer-11', `/api/v1/schedules/${ids.province}/results?occurrenceId=${ids.first}`);
    expect(officer.body).toMatchObject({ area: { code: '00011' }, level: 'village', total: 3, failed: 0 });
    expect(officer.body.path).toEqual([]);
    const devices = await get<Page>('officer-11', `/api/v1/schedules/${ids.province}/results/deliveries?occurrenceId=${ids.first}`);
    expect(devices.body.items.map((i) => i.deviceId).sort()).toEqual(['c11', 'v1', 'v2']);
  });

  it('refuses with codes: another area 403, unknown area 404, unknown or unreachable schedule 404', async () => {
    const other = await get<ErrorBody>('officer-11', `/api/v1/schedules/${ids.province}/results?areaCode=00012`);
    expect(other.status).toBe(403);
    expect(other.body.code).toBe('scope.outside');
    const otherDevices = await get<ErrorBody>('op-d2', `/api/v1/schedules/${ids.province}/results/deliveries?areaCode=002`);
    expect(otherDevices.status).toBe(403);
    expect(otherDevices.body.code).toBe('scope.outside');
    const unknownArea = await get<ErrorBody>('admin', `/api/v1/schedules/${ids.province}/results?areaCode=99999`);
    expect(unknownArea.status).toBe(404);
    expect(unknownArea.body).toMatchObject({ code: 'area.not-found', params: { id: '99999' } });
    const unknown = await get<ErrorBody>('admin', '/api/v1/schedules/no-such-schedule/results');
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ code: 'schedule.not-found', params: { id: 'no-such-schedule' } });
    // The western bulletin never reaches commune 00011: its officer is not told it exists.
    const unreachable = await get<ErrorBody>('officer-11', `/api/v1/schedules/${ids.west}/results`);
    expect(unreachable.status).toBe(404);
    expect(unreachable.body.code).toBe('schedule.not-found');
    expect((await get<Results>('op-d2', `/api/v1/schedules/${ids.west}/results`)).body).toMatchObject({ area: { code: '00021' }, total: 2 });
    expect((await get('admin', `/api/v1/schedules/${ids.province}/results?level=hamlet`)).status).toBe(400);
  });

  it("splits a device's deliveries into played (latest first) and upcoming (soonest first)", async () => {
    // Move the first occurrence an hour into the past: it has been played; the second is still to come.
    const ds = t.server.app.get(DataSource);
    await ds.query(`UPDATE occurrences SET start_at = ${db === 'sqlite' ? '?' : '$1'} WHERE id = ${db === 'sqlite' ? '?' : '$2'}`, [Date.now() - 60 * MINUTE, ids.first]);
    const past = await get<Array<{ occurrenceId: string; state: string }>>('admin', '/api/v1/devices/c21a/deliveries?when=past');
    expect(past.body.map((i) => [i.occurrenceId, i.state])).toEqual([[ids.first, 'finished']]);
    const upcoming = await get<Array<{ occurrenceId: string; scheduleId: string }>>('admin', '/api/v1/devices/c21a/deliveries?when=upcoming');
    // The western bulletin (t0 + 30 min) before the province's second day (t0 + 1 day).
    expect(upcoming.body.map((i) => i.scheduleId)).toEqual([ids.west, ids.province]);
    expect(upcoming.body[1]!.occurrenceId).toBe(ids.second);
    const paged = await get<Array<{ occurrenceId: string }>>('admin', `/api/v1/devices/c21a/deliveries?when=upcoming&limit=1&after=${encodeURIComponent(new Date(t0 + 30 * MINUTE).toISOString())}`);
    expect(paged.body.map((i) => i.occurrenceId)).toEqual([ids.second]);
    const refused = await get<ErrorBody>('officer-11', '/api/v1/devices/c21a/deliveries?when=past');
    expect(refused.status).toBe(404);
    const unknown = await get<ErrorBody>('admin', '/api/v1/devices/no-such/deliveries?when=past');
    expect(unknown.body).toMatchObject({ code: 'device.not-found', params: { id: 'no-such' } });
  });
});

describe('results by area, pure parts', () => {
  it('finds the smallest area holding every path', () => {
    expect(commonPath(['/01/002/00011/', '/01/002/00012/'])).toBe('/01/002/');
    expect(commonPath(['/01/002/00011/0001101/'])).toBe('/01/002/00011/0001101/');
    expect(commonPath(['/01/', '/02/'])).toBeNull();
    expect(commonPath([])).toBeNull();
  });
  it('groups by commune above a commune and one level down inside it', () => {
    expect(groupLevel('province', undefined)).toBe('commune');
    expect(groupLevel('district', undefined)).toBe('commune');
    expect(groupLevel('commune', undefined)).toBe('village');
    expect(groupLevel('village', undefined)).toBe('village');
    expect(groupLevel('province', 'district')).toBe('district');
  });
  it('orders failures first, then the least played, then by name', () => {
    const c = (code: string, state: string, n: number) => ({ code, name: code, level: 'commune' as const, state, n, deeper: 0, own: false });
    const rows = areaRows([c('b', 'finished', 2), c('a', 'finished', 1), c('a', 'queued', 1), c('c', 'failed', 1), c('c', 'finished', 5), c('d', 'expired', 2)]);
    expect(rows.map((r) => [r.areaCode, r.failed, r.pct])).toEqual([
      ['d', 2, 0],
      ['c', 1, 83],
      ['a', 0, 50],
      ['b', 0, 100],
    ]);
  });
});
