import { DataSource, type EntityTarget, type ObjectLiteral } from 'typeorm';
import { ContentEntity } from '../src/contents/content.entity.js';
import { DeliveryEntity } from '../src/deliveries/delivery.entity.js';
import { OccurrenceEntity } from '../src/schedules/occurrence.entity.js';
import { ScheduleEntity } from '../src/schedules/schedule.entity.js';
import { parseCsv } from '../src/common/csv.js';
import { DATABASES } from './support/databases.js';
import { startTestServerOn, type TestServer } from './support/server.js';

/**
 * Issue 16, the last step of the drill-down (province → commune → device → occurrences): the playout log of one
 * device, scoped like the rest of the log. Province 01 with communes 00004 (village 0000401 under it) and 00005; a
 * speaker in each place; an officer of 00004. Deliveries are written straight into the tables, as proof of play stores
 * them.
 */
describe.each(DATABASES.map(([name]) => name))('playout log of one device (%s)', (db) => {
  let t: TestServer;
  let close: () => Promise<void>;
  let ds: DataSource;
  const tokens: Record<string, string> = {};

  const call = (who: string, url: string): Promise<Response> => fetch(t.baseUrl + url, { headers: { authorization: `Bearer ${tokens[who] ?? ''}` } });
  const ok = async (method: string, url: string, body: unknown): Promise<void> => {
    const r = await t.api(method, url, body);
    if (r.status >= 300) throw new Error(`${method} ${url}: ${r.status} ${JSON.stringify(r.body)}`);
  };
  const rows = async (who: string, query: string): Promise<Array<{ occurrenceId: string; deviceId: string; state: string }>> => {
    const res = await call(who, `/api/v1/reports/playout-log?${query}`);
    if (res.status !== 200) throw new Error(`${query}: ${res.status} ${await res.text()}`);
    return ((await res.json()) as { items: Array<{ occurrenceId: string; deviceId: string; state: string }> }).items;
  };
  const insert = async (entity: EntityTarget<ObjectLiteral>, values: Array<Record<string, unknown>>): Promise<void> => {
    await ds.createQueryBuilder().insert().into(entity).values(values).execute();
  };

  const DEVICES = ['spk-a', 'spk-a1', 'spk-b'];
  // 01/11, 15/11 and 30/11/2026 in Vietnam; the last one is out of the month's bounds only in UTC's eyes.
  const STARTS = [Date.parse('2026-10-31T17:00:00Z'), Date.parse('2026-11-15T03:17:00Z'), Date.parse('2026-11-30T16:59:00Z')];

  beforeAll(async () => {
    ({ t, close } = await startTestServerOn(db));
    ds = t.server.app.get(DataSource);
    tokens.admin = t.token;
    await ok('POST', '/api/v1/areas', { code: '01', name: 'Tỉnh Thử', level: 'province' });
    await ok('POST', '/api/v1/areas', { code: '00004', name: 'Xã Tây Đằng', level: 'commune', parentCode: '01' });
    await ok('POST', '/api/v1/areas', { code: '0000401', name: 'Thôn Đông', level: 'village', parentCode: '00004' });
    await ok('POST', '/api/v1/areas', { code: '00005', name: 'Xã B', level: 'commune', parentCode: '01' });
    await ok('POST', '/api/v1/devices/bulk', {
      devices: [
        { id: 'spk-a', name: 'Loa chợ', kind: 'speaker', areaCode: '00004' },
        { id: 'spk-a1', name: 'Loa thôn', kind: 'speaker', areaCode: '0000401' },
        { id: 'spk-b', name: 'Loa xã B', kind: 'speaker', areaCode: '00005' },
      ],
    });
    await ok('POST', '/api/v1/users', { username: 'officer', password: 'pass-word-123', role: 'commune_officer', areaCode: '00004' });
    tokens.officer = ((await (await fetch(`${t.baseUrl}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'officer', password: 'pass-word-123' }) })).json()) as { accessToken: string }).accessToken;

    await insert(ContentEntity, [{ id: 'c-news', type: 'text', title: 'Bản tin sáng', text: 'x', durationMs: 60_000, createdBy: 'seed', createdAt: 0, state: 'approved' }]);
    await insert(ScheduleEntity, [{ id: 's-news', contentId: 'c-news', priority: 'normal', startAt: 0, volume: null, status: 'active', createdBy: 'seed', createdAt: 0 }]);
    await insert(OccurrenceEntity, STARTS.map((startAt, i) => ({ id: `o-${i}`, scheduleId: 's-news', startAt, durationMs: 60_000 })));
    await insert(
      DeliveryEntity,
      STARTS.flatMap((start, i) =>
        DEVICES.map((deviceId) => ({
          occurrenceId: `o-${i}`,
          deviceId,
          scheduleId: 's-news',
          // spk-a1 misses the middle one: the device's own log must show which.
          state: deviceId === 'spk-a1' && i === 1 ? 'failed' : 'finished',
          queuedAt: start - 3_600_000,
          deliveredAt: start - 3_000_000,
          startedAt: start + 2_000,
          endedAt: start + 62_000,
          playedMs: deviceId === 'spk-a1' && i === 1 ? 5_000 : 60_000,
          reason: deviceId === 'spk-a1' && i === 1 ? 'amp fault' : null,
          updatedAt: start + 62_000,
        })),
      ),
    );
  });
  afterAll(() => close());

  it('narrows the log to one device: its occurrences only, in scheduled order, with their results', async () => {
    const all = await rows('admin', 'month=2026-11');
    expect(all).toHaveLength(STARTS.length * DEVICES.length);
    const one = await rows('admin', 'month=2026-11&deviceId=spk-a1');
    expect(one.map((r) => `${r.occurrenceId}/${r.deviceId}/${r.state}`)).toEqual(['o-0/spk-a1/finished', 'o-1/spk-a1/failed', 'o-2/spk-a1/finished']);
    // With an area too: the device must lie in it.
    expect((await rows('admin', 'month=2026-11&areaCode=00004&deviceId=spk-a1')).map((r) => r.occurrenceId)).toEqual(['o-0', 'o-1', 'o-2']);
    expect((await call('admin', '/api/v1/reports/playout-log?month=2026-11&areaCode=00005&deviceId=spk-a1')).status).toBe(404);
    // A period is still required, and still bounds it.
    expect((await rows('admin', 'from=2026-11-15&to=2026-11-15&deviceId=spk-b')).map((r) => r.occurrenceId)).toEqual(['o-1']);
    expect((await call('admin', '/api/v1/reports/playout-log?deviceId=spk-b')).status).toBe(400);
  });

  it('scopes it like the log: a device outside the reader’s area, or unknown, is not found', async () => {
    expect((await rows('officer', 'month=2026-11&deviceId=spk-a1')).map((r) => r.deviceId)).toEqual(['spk-a1', 'spk-a1', 'spk-a1']);
    expect((await rows('officer', 'month=2026-11&deviceId=spk-a')).map((r) => r.deviceId)).toEqual(['spk-a', 'spk-a', 'spk-a']);
    const outside = await call('officer', '/api/v1/reports/playout-log?month=2026-11&deviceId=spk-b');
    expect(outside.status).toBe(404);
    expect(await call('officer', '/api/v1/reports/playout-log.csv?month=2026-11&deviceId=spk-b').then((r) => r.status)).toBe(404);
    // Unknown reads the same as outside: the answer does not tell one from the other.
    const unknown = await call('officer', '/api/v1/reports/playout-log?month=2026-11&deviceId=nope');
    expect(unknown.status).toBe(404);
    expect(((await outside.json()) as { message: string }).message.replace('spk-b', 'X')).toBe(((await unknown.json()) as { message: string }).message.replace('nope', 'X'));
    expect((await call('admin', `/api/v1/reports/playout-log?month=2026-11&deviceId=${'x'.repeat(65)}`)).status).toBe(400);
  });

  it('exports one device’s log as CSV, named after the device', async () => {
    const res = await call('officer', '/api/v1/reports/playout-log.csv?month=2026-11&deviceId=spk-a1');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toContain('filename="nhat-ky-phat-thanh-xa-tay-dang-loa-thon-2026-11.csv"');
    const csv = parseCsv((await res.text()).replace(/^\uFEFF/, ''));
    expect(csv.slice(1).map((r) => [r[5], r[11], r[12]])).toEqual([
      ['spk-a1', 'Phát xong', ''],
      ['spk-a1', 'Lỗi', 'amp fault'],
      ['spk-a1', 'Phát xong', ''],
    ]);
  });
});
