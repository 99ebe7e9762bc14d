import { DATABASES } from './support/databases.js';
import { startTestServerOn, type TestServer } from './support/server.js';
import { fanoutDone } from './support/fanouts.js';

/**
 * Issue 12 item 5: an operator scoped to commune A never learns ids or counts from commune B, through any endpoint
 * that echoes devices, members or counts. Found: a group's tag rule answered every device in the country carrying
 * the tag; a command's target check looked at its group's members now, not at the devices it went to; paginated
 * totals (commands, timelines behind) counted the whole fleet; a schedule reaching A listed B's device targets; an
 * approval refused naming B's device. On SQLite and PostgreSQL.
 */
describe.each(DATABASES)('area scope holds on every echo (%s)', (db) => {
  let t: TestServer;
  let close: () => Promise<void>;
  const ids: Record<string, string> = {};
  const tokens: Record<string, string> = {};
  const PW = 'password-123';
  const future = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();

  const call = async (who: string, method: string, url: string, body?: unknown): Promise<{ status: number; text: string; json: any }> => {
    const res = await fetch(t.baseUrl + url, {
      method,
      headers: { authorization: `Bearer ${tokens[who]}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    let json: unknown = null;
    try {
      json = JSON.parse(text);
    } catch {
      /* CSV */
    }
    return { status: res.status, text, json };
  };
  /** A successful call; a save answering with a fan-out job is awaited until the job has reached the devices. */
  const ok = async (method: string, url: string, body?: unknown): Promise<any> => {
    const r = await call('admin', method, url, body);
    if (r.status >= 300) throw new Error(`${method} ${url}: ${r.status} ${r.text}`);
    if (r.json?.fanout?.id) await fanoutDone(t.api, r.json.fanout.id);
    return r.json;
  };

  beforeAll(async () => {
    ({ t, close } = await startTestServerOn(db));
    tokens.admin = t.token;
    await ok('POST', '/api/v1/areas', { code: '01', name: 'Tỉnh', level: 'province' });
    await ok('POST', '/api/v1/areas', { code: '00004', name: 'Xã A', level: 'commune', parentCode: '01' });
    await ok('POST', '/api/v1/areas', { code: '00005', name: 'Xã B', level: 'commune', parentCode: '01' });
    await ok('POST', '/api/v1/devices', { id: 'spk-a', name: 'Loa A', kind: 'speaker', areaCode: '00004', tags: ['school', 'a-only'] });
    await ok('POST', '/api/v1/devices', { id: 'spk-b', name: 'Loa B', kind: 'speaker', areaCode: '00005', tags: ['school'] });
    await ok('POST', '/api/v1/devices', { id: 'brd-a', name: 'Bảng A', kind: 'board', areaCode: '00004' });
    await ok('POST', '/api/v1/devices', { id: 'brd-b', name: 'Bảng B', kind: 'board', areaCode: '00005' });
    for (const [user, role] of [
      ['op-a', 'operator'],
      ['appr-a', 'approver'],
    ]) {
      await ok('POST', '/api/v1/users', { username: user, password: PW, role, areaCode: '00004' });
      tokens[user!] = (await call('nobody', 'POST', '/api/v1/auth/login', { username: user, password: PW })).json.accessToken;
    }
    ids.content = (await ok('POST', '/api/v1/contents', { type: 'text', title: 'Tin', text: 'Xin chào', approve: true })).id;
    // The admin's bulletin on both communes' boards reaches A, so A reads it; B's board is none of A's business.
    const schedAB = await ok('POST', '/api/v1/schedules', { contentId: ids.content, startAt: future(2), targets: { devices: ['brd-a', 'brd-b'] } });
    const schedB = await ok('POST', '/api/v1/schedules', { contentId: ids.content, startAt: future(3), targets: { devices: ['brd-b'] } });
    [ids.schedAB, ids.fanoutAB, ids.schedB, ids.fanoutB] = [schedAB.id, schedAB.fanout.id, schedB.id, schedB.fanout.id];
    ids.groupA = (await ok('POST', '/api/v1/groups', { name: 'gA', deviceIds: ['spk-a'] })).id;
    // A command to a group that then shrinks into A: it still went to B's speaker.
    ids.groupAB = (await ok('POST', '/api/v1/groups', { name: 'gAB', deviceIds: ['spk-a', 'spk-b'] })).id;
    ids.cmdGroup = (await ok('POST', '/api/v1/commands', { command: { type: 'resync' }, target: { groupId: ids.groupAB } })).id;
    await ok('PATCH', `/api/v1/groups/${ids.groupAB}`, { deviceIds: ['spk-a'] });
    const cmdB = await ok('POST', '/api/v1/commands', { command: { type: 'resync' }, target: { areaCode: '00005' } });
    [ids.cmdB, ids.fanoutCmdB] = [cmdB.id, cmdB.fanout.id];
    ids.cmdProvince = (await ok('POST', '/api/v1/commands', { command: { type: 'resync' }, target: { areaCode: '01' } })).id;
    ids.cmdA = (await ok('POST', '/api/v1/commands', { command: { type: 'resync' }, target: { areaCode: '00004' } })).id;
  });
  afterAll(() => close());

  /** What A must never see: B's devices and area, and what only concerns B. */
  const fromB = () => ['spk-b', 'brd-b', '00005', 'Loa B', 'Bảng B', ids.schedB!, ids.cmdB!, ids.cmdProvince!, ids.cmdGroup!];

  type Row = {
    what: string;
    who?: string;
    method?: string;
    url: () => string;
    body?: () => unknown;
    status: number;
    /** Counts (and the like) the answer must carry: A's own. */
    expect?: (json: any) => unknown;
    /** The value, or a thunk for values known only once beforeAll ran. */
    expected?: unknown;
    /** Ids the caller named itself, so the answer may repeat them. */
    named?: () => string[];
  };
  const rows: Row[] = [
    // groups: create, edit, read, list
    { what: 'group create with a tag rule reaching B', method: 'POST', url: () => '/api/v1/groups', body: () => ({ name: 'schools', tagRule: { any: ['school'] } }), status: 403 },
    { what: 'group edit to a tag rule reaching B', method: 'PATCH', url: () => `/api/v1/groups/${ids.groupA}`, body: () => ({ tagRule: { any: ['school'] } }), status: 403 },
    {
      what: 'group create with a tag rule inside A',
      method: 'POST',
      url: () => '/api/v1/groups',
      body: () => ({ name: 'my schools', tagRule: { all: ['school', 'a-only'] } }),
      status: 201,
      expect: (j) => ({ members: j.members, memberCount: j.memberCount }),
      expected: { members: ['spk-a'], memberCount: 1 },
    },
    { what: 'group get', url: () => `/api/v1/groups/${ids.groupAB}`, status: 200, expect: (j) => j.members, expected: ['spk-a'] },
    { what: 'group list', url: () => '/api/v1/groups', status: 200 },
    // schedules: list, get, summary, matrix, CSV, calendar, dry run
    { what: 'schedule list', url: () => '/api/v1/schedules', status: 200, expect: (j) => j.map((s: any) => [s.id, s.deviceCount]), expected: () => [[ids.schedAB, 1]] },
    {
      what: 'schedule get',
      url: () => `/api/v1/schedules/${ids.schedAB}`,
      status: 200,
      expect: (j) => ({ devices: j.targets.devices, deviceCount: j.deviceCount, queued: j.summary.queued }),
      expected: { devices: ['brd-a'], deviceCount: 1, queued: 1 },
    },
    { what: 'schedule summary', url: () => `/api/v1/schedules/${ids.schedAB}/summary`, status: 200, expect: (j) => j.deviceCount, expected: 1 },
    { what: 'schedule deliveries', url: () => `/api/v1/schedules/${ids.schedAB}/deliveries`, status: 200, expect: (j) => j.map((d: any) => d.deviceId), expected: ['brd-a'] },
    { what: 'schedule deliveries CSV', url: () => `/api/v1/schedules/${ids.schedAB}/deliveries.csv`, status: 200 },
    { what: 'calendar', url: () => `/api/v1/schedules/occurrences?from=${future(0)}&to=${future(10)}`, status: 200, expect: (j) => j.map((o: any) => o.scheduleId), expected: () => [ids.schedAB] },
    {
      what: 'schedule dry run',
      method: 'POST',
      url: () => '/api/v1/schedules',
      body: () => ({ contentId: ids.content, startAt: future(2), targets: { areas: ['00004'] }, dryRun: true }),
      status: 200,
      expect: (j) => j.deviceCount,
      expected: 1,
    },
    // commands: list (page and total), detail, a device's commands
    {
      what: 'command list',
      url: () => '/api/v1/commands',
      status: 200,
      expect: (j) => ({ total: j.total, ids: j.items.map((c: any) => c.id) }),
      expected: () => ({ total: 1, ids: [ids.cmdA] }),
    },
    { what: 'command list, one per page', url: () => '/api/v1/commands?limit=1', status: 200, expect: (j) => j.total, expected: 1 },
    { what: 'command sent to B through a group now inside A', url: () => `/api/v1/commands/${ids.cmdGroup}`, status: 404, named: () => [ids.cmdGroup!] },
    { what: 'command to the province', url: () => `/api/v1/commands/${ids.cmdProvince}`, status: 404, named: () => [ids.cmdProvince!] },
    {
      what: 'command detail',
      url: () => `/api/v1/commands/${ids.cmdA}`,
      status: 200,
      expect: (j) => ({ devices: j.devices, results: j.results.items.map((r: any) => r.deviceId) }),
      expected: { devices: 2, results: ['brd-a', 'spk-a'] },
    },
    // fleet: devices, timelines behind, overview
    { what: 'device list', url: () => '/api/v1/devices', status: 200, expect: (j) => j.map((d: any) => d.id), expected: ['brd-a', 'spk-a'] },
    {
      what: 'timelines behind, one per page',
      url: () => '/api/v1/timelines/behind?limit=1',
      status: 200,
      expect: (j) => ({ total: j.total, devices: j.devices.map((d: any) => d.deviceId) }),
      expected: { total: 2, devices: ['brd-a'] },
    },
    { what: 'overview', url: () => '/api/v1/overview', status: 200, expect: (j) => j.devices.total, expected: 2 },
    { what: 'area delivery summary', url: () => '/api/v1/areas/00004/deliveries/summary', status: 200 },
    { what: 'alarms', url: () => '/api/v1/alarms', status: 200 },
    { what: 'security events', url: () => '/api/v1/security-events', status: 200 },
    // fan-out jobs (issue 14): readable exactly as the schedule or command they send
    { what: 'fan-out of a schedule reaching A', url: () => `/api/v1/fanouts/${ids.fanoutAB}`, status: 200, expect: (j) => [j.ref, j.state], expected: () => [ids.schedAB, 'done'] },
    { what: 'fan-out of a schedule on B only', url: () => `/api/v1/fanouts/${ids.fanoutB}`, status: 404, named: () => [ids.fanoutB!] },
    { what: 'fan-out of a command to B', url: () => `/api/v1/fanouts/${ids.fanoutCmdB}`, status: 404, named: () => [ids.fanoutCmdB!] },
    { what: 'fan-out of a command to B, for an approver of A', who: 'appr-a', url: () => `/api/v1/fanouts/${ids.fanoutCmdB}`, status: 404, named: () => [ids.fanoutCmdB!] },
    // approvals: the queue, and a refusal that must not name B's targets
    { what: 'approval queue', who: 'appr-a', url: () => '/api/v1/approvals', status: 200 },
    { what: 'approving a schedule on B', who: 'appr-a', method: 'POST', url: () => `/api/v1/schedules/${ids.schedB}/approve`, status: 403, named: () => [ids.schedB!] },
  ];

  it.each(rows.map((r) => [r.what, r] as const))('%s', async (_what, row) => {
    const r = await call(row.who ?? 'op-a', row.method ?? 'GET', row.url(), row.body?.());
    const named = new Set(row.named?.() ?? []);
    // The ids the caller named itself are cut out first: a random id may contain "00005" (B's area code) by chance.
    const text = [...named].reduce((t, id) => t.split(id).join(' '), r.text);
    const leaked = fromB().filter((id) => !named.has(id) && text.includes(id));
    expect({ status: r.status, leaked }).toEqual({ status: row.status, leaked: [] });
    if (row.expect) expect(row.expect(r.json)).toEqual(typeof row.expected === 'function' ? row.expected() : row.expected);
  });
});
