import { startTestServerOn, type TestServer } from './support/server.js';
import { fanoutDone } from './support/fanouts.js';

/**
 * Issue 19 on a real server (SQLite and PostgreSQL): several times of day in one schedule, conflicts counted per
 * occurrence, the calendar's area filter with its scoping, and moving one occurrence. Province 01 → communes 00004
 * (two speakers) and 00007 (one); a commune officer of 00004.
 */
const PW = 'password-123';
const HCM = 'Asia/Ho_Chi_Minh';
const DAY = 86_400_000;

type Json = Record<string, unknown>;
interface Occ {
  id: string;
  startAt: string;
  durationMs: number;
}
interface Delivery {
  occurrenceId: string;
  deviceId: string;
  state: string;
}
interface CalendarItem {
  occurrenceId: string;
  scheduleId: string;
  startAt: string;
  endAt: string;
  durationMs: number;
  deviceCount: number;
  scheduleStatus: string;
}

/** The local date in Hanoi (UTC+7, no DST) `days` from now, "YYYY-MM-DD". */
const hanoiDate = (days: number): string => new Date(Date.now() + 7 * 3_600_000 + days * DAY).toISOString().slice(0, 10);
/** A wall-clock time on Hanoi's clock as an instant. */
const at = (date: string, time: string): number => Date.parse(`${date}T${time}:00+07:00`);

describe.each(['sqlite', 'postgres'])('schedule times of day, conflicts, calendar filter and moves on %s', (db) => {
  let t: TestServer;
  let close: () => Promise<void>;
  const tokens: Record<string, string> = {};
  let contentId = '';
  const d1 = hanoiDate(1);
  const d2 = hanoiDate(2);

  const call = async <T = Json>(who: string, method: string, url: string, body?: unknown): Promise<{ status: number; body: T }> => {
    const res = await fetch(t.baseUrl + url, {
      method,
      headers: { authorization: `Bearer ${tokens[who] ?? t.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
  };
  /** A successful admin call; a save's fan-out job is awaited until its deliveries are written and sent. */
  const ok = async <T = Json>(method: string, url: string, body?: unknown, expected = [200, 201, 204]): Promise<T> => {
    const r = await call<T>('admin', method, url, body);
    if (!expected.includes(r.status)) throw new Error(`${method} ${url}: ${r.status} ${JSON.stringify(r.body)}`);
    const job = (r.body as { fanout?: { id: string } | null } | undefined)?.fanout;
    if (job) await fanoutDone(t.api, job.id);
    return r.body;
  };
  const deliveries = (id: string) => ok<Delivery[]>('GET', `/api/v1/schedules/${id}/deliveries`);
  /** The calendar of both days, without the cancelled schedules earlier tests leave behind. */
  const calendar = async (who: string, area?: string) => {
    const r = await call<CalendarItem[]>(who, 'GET', `/api/v1/schedules/occurrences?from=${encodeURIComponent(new Date(at(d1, '00:00')).toISOString())}&to=${encodeURIComponent(new Date(at(d2, '23:59')).toISOString())}${area ? `&areaCode=${area}` : ''}`);
    return Array.isArray(r.body) ? { ...r, body: r.body.filter((o) => o.scheduleStatus === 'active') } : r;
  };

  beforeAll(async () => {
    ({ t, close } = await startTestServerOn(db, { LOA_TIMEZONE: HCM }));
    await ok('POST', '/api/v1/areas', { code: '01', name: 'Tỉnh', level: 'province' });
    await ok('POST', '/api/v1/areas', { code: '00004', name: 'Xã A', level: 'commune', parentCode: '01' });
    await ok('POST', '/api/v1/areas', { code: '00007', name: 'Xã B', level: 'commune', parentCode: '01' });
    for (const [id, areaCode] of [['spk-a1', '00004'], ['spk-a2', '00004'], ['spk-b1', '00007']] as const) await ok('POST', '/api/v1/devices', { id, name: id, kind: 'speaker', areaCode });
    await ok('POST', '/api/v1/users', { username: 'officer-a', password: PW, role: 'commune_officer', areaCode: '00004' });
    tokens['officer-a'] = (await ok<{ accessToken: string }>('POST', '/api/v1/auth/login', { username: 'officer-a', password: PW })).accessToken;
    contentId = (await ok<{ id: string }>('POST', '/api/v1/contents', { type: 'relay', title: 'Đài tỉnh', url: 'http://radio.example.vn/live', durationSeconds: 600, approve: true })).id;
  });
  afterAll(() => close());

  let daily = '';

  it('materialises a schedule with 06:00 and 17:00 as two occurrences a day and two deliveries per device per day', async () => {
    const s = await ok<Json & { id: string; times: string[]; occurrences: Occ[] }>('POST', '/api/v1/schedules', {
      contentId,
      startAt: `${d1}T06:00`,
      times: ['17:00', '06:00'],
      rrule: 'FREQ=DAILY;COUNT=4',
      timezone: HCM,
      targets: { areas: ['01'] },
    });
    daily = s.id;
    expect(s.times).toEqual(['06:00', '17:00']);
    const view = await ok<{ occurrences: Occ[]; deviceCount: number }>('GET', `/api/v1/schedules/${s.id}`);
    expect(view.occurrences.map((o) => Date.parse(o.startAt))).toEqual([at(d1, '06:00'), at(d1, '17:00'), at(d2, '06:00'), at(d2, '17:00')]);
    expect(view.deviceCount).toBe(3);
    const rows = await deliveries(s.id);
    expect(rows).toHaveLength(12);
    // Two per device per local day.
    const perDeviceDay = new Map<string, number>();
    for (const r of rows) {
      const start = Number(r.occurrenceId.split(':').pop());
      const key = `${r.deviceId} ${new Date(start + 7 * 3_600_000).toISOString().slice(0, 10)}`;
      perDeviceDay.set(key, (perDeviceDay.get(key) ?? 0) + 1);
    }
    expect([...perDeviceDay.entries()].sort()).toEqual(['spk-a1', 'spk-a2', 'spk-b1'].flatMap((d) => [[`${d} ${d1}`, 2], [`${d} ${d2}`, 2]]));
  });

  it('keeps a single-time schedule as before (no times)', async () => {
    const s = await ok<{ id: string; times: string[]; rdates: string[]; occurrences: Occ[] }>('POST', '/api/v1/schedules', {
      contentId,
      startAt: `${d1}T09:00`,
      timezone: HCM,
      targets: { devices: ['spk-b1'] },
    });
    expect(s.times).toEqual([]);
    expect(s.rdates).toEqual([]);
    expect(s.occurrences.map((o) => Date.parse(o.startAt))).toEqual([at(d1, '09:00')]);
    await ok('POST', `/api/v1/schedules/${s.id}/cancel`);
  });

  it('refuses malformed times and times together with BYHOUR, with codes', async () => {
    const bad = await call('admin', 'POST', '/api/v1/schedules', { contentId, startAt: `${d1}T06:00`, times: ['6:00'], timezone: HCM, targets: { areas: ['01'] }, dryRun: true });
    expect(bad.status).toBe(400);
    const both = await call('admin', 'POST', '/api/v1/schedules', { contentId, startAt: `${d1}T06:00`, times: ['06:00', '17:00'], rrule: 'FREQ=DAILY;BYHOUR=6', timezone: HCM, targets: { areas: ['01'] }, dryRun: true });
    expect(both.status).toBe(400);
    expect(both.body).toMatchObject({ code: 'schedule.times-with-byhour' });
  });

  it('counts a conflict once per occurrence, however many devices share it, with its real end', async () => {
    const dry = await ok<{ conflicts: Array<Json>; conflictTotals: Json }>('POST', '/api/v1/schedules', {
      contentId,
      startAt: `${d1}T17:05`,
      timezone: HCM,
      targets: { areas: ['01'] },
      dryRun: true,
    });
    expect(dry.conflictTotals).toEqual({ conflicts: 1, preemptions: 0, devices: 3, pairs: 1, truncated: false });
    expect(dry.conflicts).toEqual([
      expect.objectContaining({
        deviceIds: ['spk-a1', 'spk-a2', 'spk-b1'],
        deviceCount: 3,
        otherScheduleId: daily,
        otherStart: new Date(at(d1, '17:00')).toISOString(),
        otherEnd: new Date(at(d1, '17:10')).toISOString(),
        occurrenceEnd: new Date(at(d1, '17:15')).toISOString(),
      }),
    ]);
    // Two times of day against both of the daily schedule's on the first day: two occurrences in conflict.
    const two = await ok<{ conflictTotals: Json }>('POST', '/api/v1/schedules', {
      contentId,
      startAt: `${d1}T06:05`,
      times: ['06:05', '17:05'],
      timezone: HCM,
      targets: { devices: ['spk-a1', 'spk-a2'] },
      dryRun: true,
    });
    expect(two.conflictTotals).toEqual({ conflicts: 2, preemptions: 0, devices: 2, pairs: 2, truncated: false });
  });

  it('filters the calendar by area within the caller’s scope, with end times', async () => {
    const onlyB = await ok<{ id: string }>('POST', '/api/v1/schedules', { contentId, startAt: `${d1}T12:00`, timezone: HCM, targets: { areas: ['00007'] } });
    const all = await calendar('admin');
    expect(all.status).toBe(200);
    expect(new Set(all.body.map((o) => o.scheduleId))).toEqual(new Set([daily, onlyB.id]));
    const first = all.body.find((o) => o.scheduleId === daily)!;
    expect(Date.parse(first.endAt) - Date.parse(first.startAt)).toBe(600_000);
    expect(first.deviceCount).toBe(3);

    const a = await calendar('admin', '00004');
    expect(a.status).toBe(200);
    expect(a.body.map((o) => [o.scheduleId, o.deviceCount])).toEqual([daily, daily, daily, daily].map((id) => [id, 2]));
    const b = await calendar('admin', '00007');
    expect(new Set(b.body.map((o) => o.scheduleId))).toEqual(new Set([daily, onlyB.id]));

    // The officer of 00004: its own commune, not the neighbour's, and an unknown area is the same answer for it.
    expect((await calendar('officer-a', '00004')).body.map((o) => o.scheduleId)).toEqual([daily, daily, daily, daily]);
    const outside = await calendar('officer-a', '00007');
    expect(outside.status).toBe(404);
    expect(outside.body).toMatchObject({ code: 'calendar.area-outside', params: { id: '00007' } });
    expect((await calendar('officer-a', '99999')).body).toMatchObject({ code: 'calendar.area-outside' });
    const unknown = await calendar('admin', '99999');
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ code: 'area.not-found' });
    await ok('POST', `/api/v1/schedules/${onlyB.id}/cancel`);
  });

  it('moves one occurrence: the old slot’s deliveries are withdrawn, the new one’s queued, the rest untouched', async () => {
    const oldId = `${daily}:${at(d2, '06:00')}`;
    const to = at(d2, '09:30');
    const moved = await ok<{ occurrences: Occ[]; exdates: string[]; rdates: string[] }>('POST', `/api/v1/schedules/${daily}/occurrences/move`, { occurrenceId: oldId, startAt: `${d2}T09:30` });
    expect(moved.exdates).toEqual([new Date(at(d2, '06:00')).toISOString()]);
    expect(moved.rdates).toEqual([new Date(to).toISOString()]);
    const view = await ok<{ occurrences: Occ[] }>('GET', `/api/v1/schedules/${daily}`);
    expect(view.occurrences.map((o) => Date.parse(o.startAt))).toEqual([at(d1, '06:00'), at(d1, '17:00'), to, at(d2, '17:00')]);
    const rows = await deliveries(daily);
    expect(rows.filter((r) => r.occurrenceId === oldId)).toEqual([]);
    expect(rows.filter((r) => r.occurrenceId === `${daily}:${to}`).map((r) => r.deviceId).sort()).toEqual(['spk-a1', 'spk-a2', 'spk-b1']);
    expect(rows).toHaveLength(12);
    const cal = await calendar('officer-a');
    expect(cal.body.map((o) => Date.parse(o.startAt))).toEqual([at(d1, '06:00'), at(d1, '17:00'), to, at(d2, '17:00')]);

    // Moving it back to where the rule puts it lifts the exclusion instead of piling up dates.
    const back = await ok<{ exdates: string[]; rdates: string[] }>('POST', `/api/v1/schedules/${daily}/occurrences/move`, { occurrenceId: `${daily}:${to}`, startAt: new Date(at(d2, '06:00')).toISOString() });
    expect(back).toMatchObject({ exdates: [], rdates: [] });
    expect((await deliveries(daily)).filter((r) => r.occurrenceId === oldId)).toHaveLength(3);
  });

  it('refuses moves with codes: unknown occurrence, onto another occurrence, into the past, outside the officer’s area', async () => {
    const move = (who: string, occurrenceId: string, startAt: string) => call(who, 'POST', `/api/v1/schedules/${daily}/occurrences/move`, { occurrenceId, startAt });
    const unknown = await move('admin', `${daily}:${at(d2, '07:00')}`, `${d2}T08:00`);
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ code: 'occurrence.not-found' });
    const taken = await move('admin', `${daily}:${at(d2, '06:00')}`, `${d2}T17:00`);
    expect(taken.status).toBe(409);
    expect(taken.body).toMatchObject({ code: 'occurrence.taken' });
    const past = await move('admin', `${daily}:${at(d2, '06:00')}`, new Date(Date.now() - 3_600_000).toISOString());
    expect(past.status).toBe(400);
    expect(past.body).toMatchObject({ code: 'occurrence.to-past' });
    // The province schedule reaches 00007 too: the officer of 00004 may read it, not move it.
    expect((await move('officer-a', `${daily}:${at(d2, '06:00')}`, `${d2}T08:00`)).status).toBe(403);
  });
});
