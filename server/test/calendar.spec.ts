import { calendarTokenCreatedSchema, calendarTokenStatusSchema } from '@loa/shared/rest';
import { DATABASES } from './support/databases.js';
import { fanoutDone } from './support/fanouts.js';
import { startTestServerOn, type TestServer } from './support/server.js';

type Json = Record<string, unknown>;

/** The content lines of an iCalendar text: CRLF line ends, folded lines (CRLF + space) joined back. */
const unfold = (ics: string): string[] => ics.replace(/\r\n[ \t]/g, '').split('\r\n').filter((l) => l.length > 0);

interface VEvent {
  uid: string;
  props: Map<string, string>;
  /** A property by name with its parameters, e.g. "DTSTART;TZID=Asia/Ho_Chi_Minh". */
  get(name: string): string | undefined;
}

/** The VEVENTs of a calendar, each as its property lines (name with parameters → value). */
function events(ics: string): VEvent[] {
  const out: VEvent[] = [];
  let cur: Map<string, string> | null = null;
  for (const line of unfold(ics)) {
    if (line === 'BEGIN:VEVENT') cur = new Map();
    else if (line === 'END:VEVENT' && cur) {
      const props = cur;
      out.push({ uid: props.get('UID') ?? '', props, get: (n) => props.get(n) });
      cur = null;
    } else if (cur) {
      const colon = line.indexOf(':');
      cur.set(line.slice(0, colon), line.slice(colon + 1));
    }
  }
  return out;
}

/** "yyyymmddThhmmss" of an instant on Vietnam time (UTC+7 all year), computed without the server's code. */
const vnLocal = (ms: number): string => new Date(ms + 7 * 3_600_000).toISOString().replace(/[-:]/g, '').slice(0, 15);

/**
 * Issue 16: the iCalendar feed behind per-user links, on a real server (SQLite and PostgreSQL). Province 01 with
 * communes 00004 (Xã Tây Đằng, village 0000401) and 00005 (Xã B), a speaker in each commune, an officer of each.
 * Schedules are made through the API, so their occurrences are those planning stores and the rule's expansion
 * beyond the 7-day planning horizon.
 */
describe.each(DATABASES.map(([name]) => name))('calendar feed (%s)', (db) => {
  let t: TestServer;
  let close: () => Promise<void>;
  const tokens: Record<string, string> = {};
  const users: Record<string, string> = {};
  const links: Record<string, string> = {};

  const as = (who: string, method: string, url: string, body?: unknown): Promise<Response> =>
    fetch(t.baseUrl + url, {
      method,
      headers: { authorization: `Bearer ${tokens[who] ?? ''}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const ok = async <T = Json>(method: string, url: string, body?: unknown): Promise<T> => {
    const r = await t.api<T>(method, url, body);
    if (r.status >= 300) throw new Error(`${method} ${url}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };
  /** A save once its background fan-out has stored the occurrences and deliveries. */
  const settled = async (body: Json): Promise<Json> => {
    const job = body.fanout as { id: string } | null | undefined;
    if (job) await fanoutDone(t.api, job.id, 120_000);
    return body;
  };
  const login = async (username: string): Promise<string> =>
    ((await (await fetch(`${t.baseUrl}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password: 'pass-word-123' }) })).json()) as { accessToken: string }).accessToken;
  const newLink = async (who: string): Promise<string> => {
    const r = await as(who, 'POST', '/api/v1/calendar/token');
    expect(r.status).toBe(201);
    const body: unknown = await r.json();
    // The answer is exactly the shared view (zod drops keys it does not name).
    expect(calendarTokenCreatedSchema.parse(body)).toEqual(body);
    const created = body as { url: string; webcalUrl: string };
    expect(created.webcalUrl).toBe(created.url.replace(/^http:/, 'webcal:'));
    return created.url;
  };
  /** The feed by its full URL, as a calendar app fetches it: no Authorization header. */
  const feed = (url: string, headers: Record<string, string> = {}): Promise<Response> => fetch(url, { headers });
  const feedText = async (url: string): Promise<string> => {
    const r = await feed(url);
    if (r.status !== 200) throw new Error(`${url}: ${r.status} ${await r.text()}`);
    return r.text();
  };

  // Vietnam local 06:30 on the day after tomorrow (UTC+7): 23:30Z the day before.
  const DAY = 86_400_000;
  const vnMidnight = (days: number): number => {
    const now = new Date(Date.now() + 7 * 3_600_000);
    return Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + days) - 7 * 3_600_000;
  };
  const DAILY_START = vnMidnight(2) + 6.5 * 3_600_000;
  const DAILY_COUNT = 20;
  const STORM_START = vnMidnight(3) + 10 * 3_600_000 + 17 * 60_000;
  const MEETING_START = vnMidnight(2) + 15 * 3_600_000;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    ({ t, close } = await startTestServerOn(db));
    tokens.admin = t.token;
    await ok('POST', '/api/v1/areas', { code: '01', name: 'Tỉnh Thử', level: 'province' });
    await ok('POST', '/api/v1/areas', { code: '00004', name: 'Xã Tây Đằng', level: 'commune', parentCode: '01' });
    await ok('POST', '/api/v1/areas', { code: '0000401', name: 'Thôn Đông', level: 'village', parentCode: '00004' });
    await ok('POST', '/api/v1/areas', { code: '00005', name: 'Xã B', level: 'commune', parentCode: '01' });
    await ok('POST', '/api/v1/devices', { id: 'spk-a', name: 'Loa chợ', kind: 'speaker', areaCode: '00004' });
    await ok('POST', '/api/v1/devices', { id: 'spk-b', name: 'Loa xã B', kind: 'speaker', areaCode: '00005' });
    for (const [name, areaCode] of [['officer-a', '00004'], ['officer-b', '00005']] as const) {
      users[name] = String((await ok('POST', '/api/v1/users', { username: name, password: 'pass-word-123', role: 'commune_officer', areaCode })).id);
      tokens[name] = await login(name);
    }
    const news = await ok('POST', '/api/v1/contents', { type: 'relay', title: 'Bản tin sáng; thời sự, địa phương', url: 'http://radio.example.vn/live', durationSeconds: 900, approve: true });
    const storm = await ok('POST', '/api/v1/contents', { type: 'relay', title: 'Cảnh báo bão số 9', url: 'http://radio.example.vn/storm', durationSeconds: 300, approve: true });
    const meeting = await ok('POST', '/api/v1/contents', { type: 'relay', title: 'Thông báo họp dân', url: 'http://radio.example.vn/meet', durationSeconds: 600, approve: true });
    ids.daily = String((await settled(await ok('POST', '/api/v1/schedules', { contentId: news.id, startAt: new Date(DAILY_START).toISOString(), rrule: `FREQ=DAILY;COUNT=${DAILY_COUNT}`, targets: { areas: ['00004'] } }))).id);
    ids.storm = String((await settled(await ok('POST', '/api/v1/schedules', { contentId: storm.id, priority: 'emergency', startAt: new Date(STORM_START).toISOString(), targets: { areas: ['00005'] } }))).id);
    ids.meeting = String((await settled(await ok('POST', '/api/v1/schedules', { contentId: meeting.id, startAt: new Date(MEETING_START).toISOString(), targets: { devices: ['spk-a'] }, acceptConflicts: true }))).id);
    links.a = await newLink('officer-a');
    links.b = await newLink('officer-b');
    links.admin = await newLink('admin');
  }, 300_000);
  afterAll(() => close());

  const uidsOf = (ics: string, scheduleId: string): string[] => events(ics).filter((e) => e.uid.startsWith(`${scheduleId}:`)).map((e) => e.uid);

  it('gives a link once, keeps only its status, and serves iCalendar on Vietnam time with one event per occurrence', async () => {
    expect(links.a).toMatch(new RegExp(`^${t.baseUrl}/api/v1/calendar/[A-Za-z0-9_-]{43}\\.ics$`));
    const status0 = (await (await as('officer-a', 'GET', '/api/v1/calendar/token')).json()) as Json;
    expect(calendarTokenStatusSchema.parse(status0)).toEqual(status0);
    expect(status0).toMatchObject({ exists: true, lastUsedAt: null });

    const res = await feed(links.a!);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/calendar; charset=utf-8');
    expect(res.headers.get('etag')).toMatch(/^"[A-Za-z0-9_-]+"$/);
    expect(res.headers.get('cache-control')).toBe('private, max-age=300');
    const ics = await res.text();
    expect(ics.startsWith('BEGIN:VCALENDAR\r\n')).toBe(true);
    expect(ics.trimEnd().endsWith('END:VCALENDAR')).toBe(true);
    // Folded at 75 octets, as RFC 5545 asks (Vietnamese letters are 2-3 bytes each).
    expect(ics.split('\r\n').filter((l) => Buffer.byteLength(l) > 75)).toEqual([]);
    const lines = unfold(ics);
    expect(lines).toContain('X-WR-CALNAME:Loa – Xã Tây Đằng');
    expect(lines).toContain('X-WR-TIMEZONE:Asia/Ho_Chi_Minh');
    const tz = lines.slice(lines.indexOf('BEGIN:VTIMEZONE'), lines.indexOf('END:VTIMEZONE') + 1);
    expect(tz).toEqual(['BEGIN:VTIMEZONE', 'TZID:Asia/Ho_Chi_Minh', 'X-LIC-LOCATION:Asia/Ho_Chi_Minh', 'BEGIN:STANDARD', 'DTSTART:19700101T000000', 'TZOFFSETFROM:+0700', 'TZOFFSETTO:+0700', 'END:STANDARD', 'END:VTIMEZONE']);

    // Every occurrence of the daily rule, the 7 planning stored and the 13 past its horizon, under stable ids.
    const starts = Array.from({ length: DAILY_COUNT }, (_, i) => DAILY_START + i * DAY);
    const daily = events(ics).filter((e) => e.uid.startsWith(`${ids.daily}:`));
    expect(daily.map((e) => e.uid)).toEqual(starts.map((s) => `${ids.daily}:${s}@loa`));
    expect(daily.map((e) => e.get('DTSTART;TZID=Asia/Ho_Chi_Minh'))).toEqual(starts.map(vnLocal));
    expect(daily.every((e) => e.get('DTSTART;TZID=Asia/Ho_Chi_Minh')!.endsWith('T063000'))).toBe(true);
    expect(daily.map((e) => e.get('DTEND;TZID=Asia/Ho_Chi_Minh'))).toEqual(starts.map((s) => vnLocal(s + 15 * 60_000)));
    const first = daily[0]!;
    expect(first.get('SUMMARY')).toBe('Bản tin sáng\\; thời sự\\, địa phương');
    expect(first.get('LOCATION')).toBe('Xã Tây Đằng');
    expect(first.get('PRIORITY')).toBe('5');
    expect(first.get('STATUS')).toBe('CONFIRMED');
    expect(first.get('DESCRIPTION')).toContain('Phát tới: Xã Tây Đằng');
    expect(first.get('DESCRIPTION')).toContain('Thời lượng: 15 phút');
    expect(first.get('DTSTAMP')).toMatch(/^\d{8}T\d{6}Z$/);
    expect(first.get('LAST-MODIFIED')).toMatch(/^\d{8}T\d{6}Z$/);
    expect(first.get('SEQUENCE')).toMatch(/^\d+$/);

    const status1 = (await (await as('officer-a', 'GET', '/api/v1/calendar/token')).json()) as { lastUsedAt: string | null };
    expect(status1.lastUsedAt).not.toBeNull();
  });

  it('scopes the feed to the owner’s area: commune A never sees commune B’s broadcast', async () => {
    const a = await feedText(links.a!);
    const b = await feedText(links.b!);
    const all = await feedText(links.admin!);
    expect(uidsOf(a, ids.storm!)).toEqual([]);
    expect(uidsOf(a, ids.meeting!)).toHaveLength(1);
    expect(uidsOf(b, ids.daily!)).toEqual([]);
    expect(uidsOf(b, ids.meeting!)).toEqual([]);
    const storm = events(b).filter((e) => e.uid.startsWith(`${ids.storm}:`));
    expect(storm.map((e) => e.uid)).toEqual([`${ids.storm}:${STORM_START}@loa`]);
    expect(storm[0]!.get('SUMMARY')).toBe('[Khẩn cấp] Cảnh báo bão số 9');
    expect(storm[0]!.get('PRIORITY')).toBe('1');
    expect(storm[0]!.get('DTSTART;TZID=Asia/Ho_Chi_Minh')).toBe(vnLocal(STORM_START));
    expect(unfold(b)).toContain('X-WR-CALNAME:Loa – Xã B');
    expect(uidsOf(all, ids.storm!)).toHaveLength(1);
    expect(uidsOf(all, ids.daily!)).toHaveLength(DAILY_COUNT);
    expect(unfold(all)).toContain('X-WR-CALNAME:Loa – Toàn quốc');

    // A part of the owner's area narrows it; anything outside it is not found.
    const onlyB = await feedText(`${links.admin}?areaCode=00005`);
    expect(uidsOf(onlyB, ids.storm!)).toHaveLength(1);
    expect(uidsOf(onlyB, ids.daily!)).toEqual([]);
    expect(unfold(await feedText(`${links.a}?areaCode=0000401`))).toContain('X-WR-CALNAME:Loa – Thôn Đông');
    expect((await feed(`${links.a}?areaCode=00005`)).status).toBe(404);
    expect((await feed(`${links.a}?areaCode=01`)).status).toBe(404);
    expect((await feed(`${links.a}?areaCode=nope`)).status).toBe(404);
  });

  it('follows the owner’s account at each fetch: a new area shows at once, a disabled owner’s link is not found', async () => {
    const before = await feedText(links.b!);
    expect(uidsOf(before, ids.storm!)).toHaveLength(1);
    await ok('PATCH', `/api/v1/users/${users['officer-b']}`, { areaCode: '00004' });
    const moved = await feedText(links.b!);
    expect(uidsOf(moved, ids.storm!)).toEqual([]);
    expect(uidsOf(moved, ids.daily!)).toHaveLength(DAILY_COUNT);
    await ok('PATCH', `/api/v1/users/${users['officer-b']}`, { disabled: true });
    const refused = await feed(links.b!);
    expect(refused.status).toBe(404);
    expect(await refused.text()).not.toContain('officer');
    await ok('PATCH', `/api/v1/users/${users['officer-b']}`, { disabled: false, areaCode: '00005' });
    expect(uidsOf(await feedText(links.b!), ids.storm!)).toHaveLength(1);
  });

  it('rotating replaces the link (the old one is not found), revoking ends it, and both are in the audit log without the token', async () => {
    const old = await newLink('officer-a');
    expect((await feed(old)).status).toBe(200);
    const rotated = await newLink('officer-a');
    expect(rotated).not.toBe(old);
    expect((await feed(old)).status).toBe(404);
    expect((await feed(rotated)).status).toBe(200);
    const revoked = await as('officer-a', 'DELETE', '/api/v1/calendar/token');
    expect(revoked.status).toBe(204);
    expect((await feed(rotated)).status).toBe(404);
    expect(await (await as('officer-a', 'GET', '/api/v1/calendar/token')).json()).toEqual({ exists: false, createdAt: null, lastUsedAt: null });
    // Revoking twice is not an error.
    expect((await as('officer-a', 'DELETE', '/api/v1/calendar/token')).status).toBe(204);

    const audit = await ok<Array<{ action: string; actor: { name: string }; outcome: string }>>('GET', '/api/v1/audit?limit=200');
    const mine = audit.filter((e) => e.actor.name === 'officer-a' && e.action.startsWith('calendar.'));
    expect(mine.map((e) => e.action).sort()).toEqual(['calendar.token-create', 'calendar.token-create', 'calendar.token-create', 'calendar.token-revoke', 'calendar.token-revoke']);
    const secret = (url: string) => url.slice(url.lastIndexOf('/') + 1, -'.ics'.length);
    const dump = JSON.stringify(audit);
    for (const url of [links.a!, old, rotated]) expect(dump).not.toContain(secret(url));
    links.a = await newLink('officer-a');
  });

  it('marks the occurrences of a cancelled schedule CANCELLED with a higher SEQUENCE, and answers 304 until something changes', async () => {
    const first = await feed(links.a!);
    const etag = first.headers.get('etag')!;
    const before = events(await first.text()).find((e) => e.uid === `${ids.meeting}:${MEETING_START}@loa`)!;
    expect(before.get('STATUS')).toBe('CONFIRMED');
    expect(before.get('DESCRIPTION')).toContain('Loa chợ');

    const same = await feed(links.a!, { 'if-none-match': etag });
    expect(same.status).toBe(304);
    expect(await same.text()).toBe('');

    await settled(await ok('POST', `/api/v1/schedules/${ids.meeting}/cancel`));
    const changed = await feed(links.a!, { 'if-none-match': etag });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).not.toBe(etag);
    const after = events(await changed.text()).find((e) => e.uid === before.uid)!;
    expect(after.get('STATUS')).toBe('CANCELLED');
    expect(after.get('SUMMARY')).toBe('[Đã hủy] Thông báo họp dân');
    expect(Number(after.get('SEQUENCE'))).toBeGreaterThan(Number(before.get('SEQUENCE')));
    expect(after.get('LAST-MODIFIED')! >= before.get('LAST-MODIFIED')!).toBe(true);
  });

  it('answers 404, never 500, for any token it does not serve', async () => {
    const base = `${t.baseUrl}/api/v1/calendar/`;
    const token = links.a!.slice(base.length, -'.ics'.length);
    for (const path of ['nope.ics', `${'A'.repeat(43)}.ics`, token, `${token}.ICS`, `${token}x.ics`, `${'x'.repeat(190)}.ics`, '%00.ics', `${token.slice(0, 42)}%2F.ics`, '..%2F..%2Fetc%2Fpasswd']) {
      const r = await fetch(base + path);
      expect([path, r.status]).toEqual([path, 404]);
      expect(await r.text()).not.toContain('stack');
    }
    expect((await fetch(`${links.a}?areaCode=${'x'.repeat(40)}`)).status).toBe(400);
    // The token routes still need a session.
    expect((await fetch(`${base}token`)).status).toBe(401);
  });
});
