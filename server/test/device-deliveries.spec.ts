import { DataSource } from 'typeorm';
import { startTestServerOn, type TestServer } from './support/server.js';
import { fanoutDone } from './support/fanouts.js';

/**
 * GET /api/v1/devices/:id/deliveries on a real server (SQLite and PostgreSQL): one device's deliveries across
 * schedules, newest occurrence first, paged by `before`, read-scoped like the device itself. Province 01 → communes
 * 00004 (board brd-a) and 00005 (board brd-b); an officer of each commune.
 */
const PW = 'password-123';
const MINUTE = 60_000;
const DAY = 86_400_000;

interface Item {
  scheduleId: string;
  occurrenceId: string;
  occurrenceStartAt: string;
  contentId: string;
  contentTitle: string;
  contentType: string;
  priority: string;
  state: string;
  queuedAt: string;
  deliveredAt: string | null;
  startedAt: string | null;
  endedAt: string | null;
  playedMs: number | null;
  reason: string | null;
}

describe.each(['sqlite', 'postgres'])('device deliveries API on %s', (db) => {
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
  /** A successful call; a save answering with a fan-out job is awaited until the job has reached the devices. */
  const ok = async <T>(method: string, url: string, body?: unknown): Promise<T> => {
    const r = await t.api<T>(method, url, body);
    if (r.status >= 300) throw new Error(`${method} ${url}: ${r.status} ${JSON.stringify(r.body)}`);
    const job = (r.body as { fanout?: { id: string } | null } | undefined)?.fanout;
    if (job) await fanoutDone(t.api, job.id);
    return r.body;
  };

  beforeAll(async () => {
    ({ t, close } = await startTestServerOn(db));
    tokens.admin = t.token;
    await ok('POST', '/api/v1/areas', { code: '01', name: 'Tỉnh Một', level: 'province' });
    await ok('POST', '/api/v1/areas', { code: '00004', name: 'Xã A', level: 'commune', parentCode: '01' });
    await ok('POST', '/api/v1/areas', { code: '00005', name: 'Xã B', level: 'commune', parentCode: '01' });
    await ok('POST', '/api/v1/devices', { id: 'brd-a', name: 'Bảng tin xã A', kind: 'board', areaCode: '00004' });
    await ok('POST', '/api/v1/devices', { id: 'brd-b', name: 'Bảng tin xã B', kind: 'board', areaCode: '00005' });
    for (const [username, areaCode] of [
      ['officer-a', '00004'],
      ['officer-b', '00005'],
    ] as const) {
      await ok('POST', '/api/v1/users', { username, password: PW, role: 'commune_officer', areaCode });
      tokens[username] = (await ok<{ accessToken: string }>('POST', '/api/v1/auth/login', { username, password: PW })).accessToken;
    }
    const morning = await ok<{ id: string }>('POST', '/api/v1/contents', { type: 'text', title: 'Bản tin sáng', text: 'Xin chào', approve: true });
    const notice = await ok<{ id: string }>('POST', '/api/v1/contents', { type: 'text', title: 'Thông báo "khẩn"', text: 'Chú ý', approve: true });
    ids.morning = morning.id;
    ids.notice = notice.id;
    // Daily at t0, t0 + 1 d, t0 + 2 d on brd-a; the notice at t0 + 1 h on both boards: it falls between the first two.
    ids.daily = (await ok<{ id: string }>('POST', '/api/v1/schedules', { contentId: morning.id, startAt: new Date(t0).toISOString(), rrule: 'FREQ=DAILY;COUNT=3', targets: { devices: ['brd-a'] } })).id;
    ids.once = (
      await ok<{ id: string }>('POST', '/api/v1/schedules', { contentId: notice.id, startAt: new Date(t0 + 60 * MINUTE).toISOString(), priority: 'priority', targets: { devices: ['brd-a', 'brd-b'] }, acceptConflicts: true })
    ).id;
    // Proof of play as the agent would have reported it; how reports move states is event-ingest's concern, not this route's.
    const ds = t.server.app.get(DataSource);
    const p1 = db === 'sqlite' ? '?' : '$1';
    await ds.query(`UPDATE deliveries SET state = 'finished', played_ms = 12000 WHERE schedule_id = ${p1} AND device_id = 'brd-a'`, [ids.once]);
    const occurrences = (await ds.query(`SELECT id FROM occurrences WHERE schedule_id = ${p1} ORDER BY start_at ASC`, [ids.daily])) as Array<{ id: string }>;
    ids.firstDaily = occurrences[0]!.id;
    await ds.query(`UPDATE deliveries SET state = 'failed', reason = 'media-missing' WHERE occurrence_id = ${p1} AND device_id = 'brd-a'`, [ids.firstDaily]);
  });

  afterAll(() => close());

  it("lists a device's deliveries from all its schedules, newest occurrence first, with titles and states", async () => {
    const r = await get<Item[]>('admin', '/api/v1/devices/brd-a/deliveries');
    expect(r.status).toBe(200);
    expect(r.body.map((i) => [i.scheduleId, i.occurrenceStartAt])).toEqual([
      [ids.daily, new Date(t0 + 2 * DAY).toISOString()],
      [ids.daily, new Date(t0 + DAY).toISOString()],
      [ids.once, new Date(t0 + 60 * MINUTE).toISOString()],
      [ids.daily, new Date(t0).toISOString()],
    ]);
    expect(r.body[2]).toMatchObject({ contentId: ids.notice, contentTitle: 'Thông báo "khẩn"', contentType: 'text', priority: 'priority', state: 'finished', playedMs: 12000, reason: null });
    expect(r.body[3]).toMatchObject({ occurrenceId: ids.firstDaily, contentId: ids.morning, contentTitle: 'Bản tin sáng', priority: 'normal', state: 'failed', reason: 'media-missing', playedMs: null });
    expect(r.body[0]).toMatchObject({ state: 'queued', deliveredAt: null, startedAt: null, endedAt: null });
    expect(Number.isNaN(Date.parse(r.body[0]!.queuedAt))).toBe(false);

    // brd-b has only the notice, still queued: other devices' records do not leak in.
    const b = await get<Item[]>('admin', '/api/v1/devices/brd-b/deliveries');
    expect(b.body.map((i) => [i.scheduleId, i.state])).toEqual([[ids.once, 'queued']]);
  });

  it('pages with limit and before', async () => {
    const first = await get<Item[]>('admin', '/api/v1/devices/brd-a/deliveries?limit=2');
    expect(first.body.map((i) => i.occurrenceStartAt)).toEqual([new Date(t0 + 2 * DAY).toISOString(), new Date(t0 + DAY).toISOString()]);
    const second = await get<Item[]>('admin', `/api/v1/devices/brd-a/deliveries?limit=2&before=${encodeURIComponent(first.body[1]!.occurrenceStartAt)}`);
    expect(second.body.map((i) => i.scheduleId)).toEqual([ids.once, ids.daily]);
    expect(second.body[1]!.occurrenceStartAt).toBe(new Date(t0).toISOString());
    const end = await get<Item[]>('admin', `/api/v1/devices/brd-a/deliveries?before=${encodeURIComponent(second.body[1]!.occurrenceStartAt)}`);
    expect(end).toEqual({ status: 200, body: [] });

    expect((await get('admin', '/api/v1/devices/brd-a/deliveries?limit=0')).status).toBe(400);
    expect((await get('admin', '/api/v1/devices/brd-a/deliveries?limit=501')).status).toBe(400);
    expect((await get('admin', '/api/v1/devices/brd-a/deliveries?before=yesterday')).status).toBe(400);
  });

  it("answers a commune officer for its own commune's device and 404 for another commune's; 404 for an unknown device", async () => {
    const own = await get<Item[]>('officer-a', '/api/v1/devices/brd-a/deliveries');
    expect(own.status).toBe(200);
    expect(own.body).toHaveLength(4);
    expect((await get('officer-b', '/api/v1/devices/brd-a/deliveries')).status).toBe(404);
    expect((await get('officer-a', '/api/v1/devices/brd-b/deliveries')).status).toBe(404);
    expect((await get('admin', '/api/v1/devices/no-such-board/deliveries')).status).toBe(404);
    expect((await get('officer-a', '/api/v1/devices/no-such-board/deliveries')).status).toBe(404);
  });
});
