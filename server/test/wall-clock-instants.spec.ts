import { startTestServer, type TestServer } from './support/server.js';

/**
 * Issue 12 item 6: `startAt: "2026-12-07T07:00:00"` (no offset) was refused as "Invalid ISO datetime". A schedule's
 * times without offset are now read on the schedule's zone (its `timezone`, else LOA_TIMEZONE); every other instant
 * of the API still needs an offset, and the 400 says so. Parsing only: SQLite is enough.
 */
describe('instants without a UTC offset', () => {
  let t: TestServer;
  let content = '';
  const DAY = 86_400_000;
  /** The local date `days` from now in a zone of fixed offset (hours), as YYYY-MM-DD. */
  const localDate = (days: number, offsetH: number): string => new Date(Date.now() + days * DAY + offsetH * 3_600_000).toISOString().slice(0, 10);
  const shift = (date: string, days: number): string => new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY).toISOString().slice(0, 10);

  beforeAll(async () => {
    // Asia/Ho_Chi_Minh (+07:00) is the default zone; Asia/Tokyo (+09:00) has no daylight saving either.
    t = await startTestServer({ LOA_TIMEZONE: 'Asia/Ho_Chi_Minh' });
    await t.api('POST', '/api/v1/areas', { code: '01', name: 'Tỉnh', level: 'province' });
    await t.api('POST', '/api/v1/devices', { id: 'brd-1', name: 'B', kind: 'board', areaCode: '01' });
    content = (await t.api<{ id: string }>('POST', '/api/v1/contents', { type: 'text', title: 'Tin', text: 'Xin chào', approve: true })).body.id;
  });
  afterAll(() => t.close());

  const create = (body: Record<string, unknown>) =>
    t.api<{ id: string; startAt: string; timezone: string; occurrences: Array<{ startAt: string }>; message?: unknown }>('POST', '/api/v1/schedules', {
      contentId: content,
      targets: { devices: ['brd-1'] },
      acceptConflicts: true,
      ...body,
    });

  it('reads a schedule’s startAt on LOA_TIMEZONE when the schedule names no zone', async () => {
    const day = localDate(2, 7);
    const r = await create({ startAt: `${day}T07:00:00` });
    expect({ status: r.status, body: r.body }).toMatchObject({ status: 201, body: { startAt: `${day}T00:00:00.000Z`, timezone: 'Asia/Ho_Chi_Minh' } });
  });

  it('reads it on the schedule’s own zone, on create and on edit', async () => {
    const day = localDate(3, 9);
    const r = await create({ startAt: `${day}T07:00`, timezone: 'Asia/Tokyo' });
    expect({ status: r.status, startAt: r.body.startAt }).toEqual({ status: 201, startAt: `${shift(day, -1)}T22:00:00.000Z` });
    // An edit without `timezone` reads the new time on the zone the schedule already has.
    const e = await t.api<{ startAt: string }>('PATCH', `/api/v1/schedules/${r.body.id}`, { startAt: `${day}T08:30:00` });
    expect({ status: e.status, startAt: e.body.startAt }).toEqual({ status: 200, startAt: `${shift(day, -1)}T23:30:00.000Z` });
  });

  it('reads exception instants without offset on the zone too', async () => {
    const day = localDate(2, 7);
    const next = shift(day, 1);
    const r = await create({ startAt: `${day}T06:00:00`, rrule: 'FREQ=DAILY;COUNT=3', exdates: [`${next}T06:00:00`] });
    expect(r.status).toBe(201);
    expect(r.body.occurrences.map((o) => o.startAt)).toEqual([`${shift(day, -1)}T23:00:00.000Z`, `${next}T23:00:00.000Z`]);
  });

  it('still takes an explicit offset as given', async () => {
    const day = localDate(2, 7);
    const r = await create({ startAt: `${day}T07:00:00+09:00`, timezone: 'Asia/Ho_Chi_Minh' });
    expect({ status: r.status, startAt: r.body.startAt }).toEqual({ status: 201, startAt: `${shift(day, -1)}T22:00:00.000Z` });
  });

  it.each([
    ['a wall-clock time with an unknown zone', { startAt: '2026-12-07T07:00:00', timezone: 'Mars/Olympus' }, /IANA time zone/],
    ['something that is no date-time', { startAt: 'tomorrow 7am' }, /not an ISO-8601 date-time/],
  ])('refuses %s with a clear 400', async (_what, body, message) => {
    const r = await create(body);
    expect({ status: r.status, message: JSON.stringify(r.body.message) }).toMatchObject({ status: 400, message: expect.stringMatching(message) });
  });

  it.each([
    ['content validity', 'POST', '/api/v1/contents', { type: 'text', title: 'x', text: 'x', validFrom: '2026-12-07T07:00:00' }],
    ['an alert’s effectiveAt', 'POST', '/api/v1/alerts', { areaCode: '01', title: 'x', text: 'x', effectiveAt: '2026-12-07T07:00:00' }],
    ['an audit query', 'GET', '/api/v1/audit?from=2026-12-07T07:00:00', undefined],
    ['a calendar query', 'GET', '/api/v1/schedules/occurrences?from=2026-12-07T07:00:00&to=2026-12-08T07:00:00Z', undefined],
  ])('elsewhere (%s) says that an offset is required', async (_what, method, url, body) => {
    const r = await t.api<{ message: unknown }>(method, url, body);
    expect({ status: r.status, message: JSON.stringify(r.body.message) }).toMatchObject({ status: 400, message: expect.stringContaining('needs a UTC offset') });
  });
});
