import { startTestServer, type TestServer } from './support/server.js';
import { fanoutDone } from './support/fanouts.js';

/**
 * Issue 7: roles scoped by area, enforced on every group of endpoints. Communes A (00004) and B (00005) under
 * province 01; an operator, an approver and a commune officer of A; a board in each commune. Outside the subtree:
 * 404 for reads (existence not revealed), 403 for writes; above the role: 403.
 */
describe('roles and area scope', () => {
  let t: TestServer;
  const tokens: Record<string, string> = {};
  const ids: Record<string, string> = {};
  const PW = 'password-123';
  const future = () => new Date(Date.now() + 3 * 86_400_000).toISOString();

  const call = async <T = unknown>(who: string, method: string, url: string, body?: unknown): Promise<{ status: number; body: T }> => {
    const res = await fetch(t.baseUrl + url, {
      method,
      headers: { authorization: `Bearer ${tokens[who] ?? ''}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      /* html preview */
    }
    return { status: res.status, body: parsed as T };
  };
  const login = async (username: string, password = PW) => call<{ accessToken: string; message?: string }>('nobody', 'POST', '/api/v1/auth/login', { username, password });

  beforeAll(async () => {
    t = await startTestServer();
    tokens.admin = t.token;
    /** A successful call; a save answering with a fan-out job is awaited until the job has reached the devices. */
    const ok = async <T>(method: string, url: string, body?: unknown): Promise<T> => {
      const r = await call<T>('admin', method, url, body);
      if (r.status >= 300) throw new Error(`${method} ${url}: ${r.status} ${JSON.stringify(r.body)}`);
      const job = (r.body as { fanout?: { id: string } | null } | undefined)?.fanout;
      if (job) await fanoutDone(t.api, job.id);
      return r.body;
    };
    await ok('POST', '/api/v1/areas', { code: '01', name: 'Tỉnh', level: 'province' });
    await ok('POST', '/api/v1/areas', { code: '00004', name: 'Xã A', level: 'commune', parentCode: '01' });
    await ok('POST', '/api/v1/areas', { code: '00005', name: 'Xã B', level: 'commune', parentCode: '01' });
    await ok('POST', '/api/v1/devices', { id: 'brd-a', name: 'A', kind: 'board', areaCode: '00004' });
    await ok('POST', '/api/v1/devices', { id: 'brd-b', name: 'B', kind: 'board', areaCode: '00005' });
    for (const role of ['operator', 'approver', 'commune_officer']) {
      await ok('POST', '/api/v1/users', { username: role.replace('_', '-'), password: PW, role, areaCode: '00004' });
      tokens[role] = (await login(role.replace('_', '-'))).body.accessToken;
    }
    ids.content = (await ok<{ id: string }>('POST', '/api/v1/contents', { type: 'text', title: 'Tin', text: 'Xin chào', approve: true })).id;
    ids.submitted = (await ok<{ id: string }>('POST', '/api/v1/contents', { type: 'text', title: 'Chờ duyệt', text: 'Chờ', submit: true })).id;
    ids.schedA = (await ok<{ id: string }>('POST', '/api/v1/schedules', { contentId: ids.content, startAt: future(), targets: { areas: ['00004'] } })).id;
    ids.schedB = (await ok<{ id: string }>('POST', '/api/v1/schedules', { contentId: ids.content, startAt: future(), targets: { devices: ['brd-b'] } })).id;
    ids.groupA = (await ok<{ id: string }>('POST', '/api/v1/groups', { name: 'gA', deviceIds: ['brd-a'] })).id;
    ids.groupB = (await ok<{ id: string }>('POST', '/api/v1/groups', { name: 'gB', deviceIds: ['brd-b'] })).id;
    ids.alertB = (await ok<{ id: string }>('POST', '/api/v1/alerts', { areaCode: '00005', title: 'Bão', text: 'Bão' })).id;
    ids.cmdB = (await ok<{ id: string }>('POST', '/api/v1/commands', { command: { type: 'resync' }, target: { deviceId: 'brd-b' } })).id;
    ids.profile = (await ok<{ id: string }>('POST', '/api/v1/board-profiles', { name: 'LED', width: 192, height: 96 })).id;
  });
  afterAll(() => t.close());

  type Row = [who: string, method: string, url: () => string, body: (() => unknown) | undefined, expected: number | 'ok'];
  const O = 'operator';
  const A = 'approver';
  const C = 'commune_officer';
  const rows: Row[] = [
    // areas
    [O, 'GET', () => '/api/v1/areas/00004', undefined, 'ok'],
    [C, 'GET', () => '/api/v1/areas/00005', undefined, 404],
    [O, 'GET', () => '/api/v1/areas/01', undefined, 404],
    [O, 'POST', () => '/api/v1/areas', () => ({ code: '00006', name: 'x', level: 'commune', parentCode: '00004' }), 403],
    [C, 'GET', () => '/api/v1/areas/00004/deliveries/summary', undefined, 'ok'],
    [C, 'GET', () => '/api/v1/areas/00005/deliveries/summary', undefined, 404],
    // devices, connections, telemetry, commands, credentials
    [C, 'GET', () => '/api/v1/devices/brd-a', undefined, 'ok'],
    [C, 'GET', () => '/api/v1/devices/brd-b', undefined, 404],
    [A, 'GET', () => '/api/v1/devices/brd-b', undefined, 404],
    [O, 'GET', () => '/api/v1/devices?areaCode=00005', undefined, 404],
    [O, 'POST', () => '/api/v1/devices', () => ({ id: 'brd-c', name: 'C', kind: 'board', areaCode: '00004' }), 403],
    [O, 'PATCH', () => '/api/v1/devices/brd-a', () => ({ name: 'A2' }), 'ok'],
    [O, 'PATCH', () => '/api/v1/devices/brd-b', () => ({ name: 'B2' }), 403],
    [O, 'PATCH', () => '/api/v1/devices/brd-a', () => ({ areaCode: '00005' }), 403],
    [C, 'PATCH', () => '/api/v1/devices/brd-a', () => ({ name: 'A3' }), 403],
    [C, 'GET', () => '/api/v1/devices/brd-a/connections', undefined, 'ok'],
    [C, 'GET', () => '/api/v1/devices/brd-b/connections', undefined, 404],
    [C, 'GET', () => '/api/v1/devices/brd-a/telemetry', undefined, 'ok'],
    [O, 'GET', () => '/api/v1/devices/brd-b/telemetry', undefined, 404],
    [O, 'GET', () => '/api/v1/devices/brd-a/commands', undefined, 'ok'],
    [O, 'GET', () => '/api/v1/devices/brd-b/commands', undefined, 404],
    [C, 'GET', () => '/api/v1/devices/brd-a/commands', undefined, 403],
    [O, 'GET', () => '/api/v1/devices/brd-a/credentials', undefined, 'ok'],
    [O, 'GET', () => '/api/v1/devices/brd-b/credentials', undefined, 404],
    [A, 'GET', () => '/api/v1/devices/brd-a/credentials', undefined, 403],
    [O, 'POST', () => '/api/v1/devices/brd-b/credentials/rotate', undefined, 403],
    [O, 'POST', () => '/api/v1/devices/brd-b/revoke', undefined, 403],
    [C, 'POST', () => '/api/v1/devices/brd-a/credentials/rotate', undefined, 403],
    // media and tts
    [O, 'GET', () => '/api/v1/media', undefined, 'ok'],
    [A, 'GET', () => '/api/v1/media/jobs', undefined, 'ok'],
    [C, 'GET', () => '/api/v1/media', undefined, 403],
    [A, 'POST', () => '/api/v1/media', undefined, 403],
    [C, 'POST', () => '/api/v1/tts/preview-text', () => ({ text: 'xin chào' }), 403],
    // contents and approval
    [O, 'POST', () => '/api/v1/contents', () => ({ type: 'text', title: 'op', text: 'op' }), 'ok'],
    [O, 'POST', () => '/api/v1/contents', () => ({ type: 'text', title: 'op', text: 'op', approve: true }), 403],
    [A, 'POST', () => '/api/v1/contents', () => ({ type: 'text', title: 'ap', text: 'ap' }), 403],
    [C, 'GET', () => '/api/v1/contents', undefined, 403],
    [A, 'GET', () => `/api/v1/contents/${ids.content}`, undefined, 'ok'],
    [O, 'POST', () => `/api/v1/contents/${ids.submitted}/approve`, undefined, 403],
    [O, 'POST', () => `/api/v1/contents/${ids.submitted}/reject`, () => ({ reason: 'no' }), 403],
    [A, 'POST', () => `/api/v1/contents/${ids.submitted}/approve`, undefined, 'ok'],
    // schedules, deliveries, summary
    [C, 'GET', () => `/api/v1/schedules/${ids.schedA}`, undefined, 'ok'],
    [C, 'GET', () => `/api/v1/schedules/${ids.schedB}`, undefined, 404],
    [O, 'GET', () => `/api/v1/schedules/${ids.schedB}/deliveries`, undefined, 404],
    [C, 'GET', () => `/api/v1/schedules/${ids.schedA}/deliveries`, undefined, 'ok'],
    [O, 'GET', () => `/api/v1/schedules/${ids.schedB}/summary`, undefined, 404],
    [A, 'GET', () => `/api/v1/schedules/${ids.schedA}/summary`, undefined, 'ok'],
    [O, 'POST', () => '/api/v1/schedules', () => ({ contentId: ids.content, startAt: future(), targets: { areas: ['00004'] }, acceptConflicts: true }), 'ok'],
    [O, 'POST', () => '/api/v1/schedules', () => ({ contentId: ids.content, startAt: future(), targets: { areas: ['00005'] } }), 403],
    [O, 'POST', () => '/api/v1/schedules', () => ({ contentId: ids.content, startAt: future(), targets: { areas: ['01'] } }), 403],
    [O, 'POST', () => '/api/v1/schedules', () => ({ contentId: ids.content, startAt: future(), targets: { groups: [ids.groupB] } }), 403],
    [O, 'POST', () => '/api/v1/schedules', () => ({ contentId: ids.content, startAt: future(), targets: { devices: ['brd-b'] } }), 403],
    [A, 'POST', () => '/api/v1/schedules', () => ({ contentId: ids.content, startAt: future(), targets: { areas: ['00004'] } }), 403],
    [C, 'POST', () => '/api/v1/schedules', () => ({ contentId: ids.content, startAt: future(), targets: { areas: ['00004'] } }), 403],
    [O, 'POST', () => `/api/v1/schedules/${ids.schedB}/cancel`, undefined, 404],
    [O, 'PATCH', () => `/api/v1/schedules/${ids.schedA}`, () => ({ targets: { areas: ['00005'] } }), 403],
    // groups
    [O, 'GET', () => `/api/v1/groups/${ids.groupA}`, undefined, 'ok'],
    [O, 'GET', () => `/api/v1/groups/${ids.groupB}`, undefined, 404],
    [C, 'GET', () => '/api/v1/groups', undefined, 403],
    [O, 'POST', () => '/api/v1/groups', () => ({ name: 'x', deviceIds: ['brd-b'] }), 403],
    [O, 'POST', () => '/api/v1/groups', () => ({ name: 'y', deviceIds: ['brd-a'] }), 'ok'],
    [O, 'PATCH', () => `/api/v1/groups/${ids.groupA}`, () => ({ deviceIds: ['brd-a', 'brd-b'] }), 403],
    // alerts
    [O, 'POST', () => '/api/v1/alerts', () => ({ areaCode: '00005', title: 'x', text: 'x' }), 403],
    [O, 'GET', () => `/api/v1/alerts/${ids.alertB}`, undefined, 404],
    [O, 'POST', () => `/api/v1/alerts/${ids.alertB}/cancel`, undefined, 404],
    [C, 'GET', () => '/api/v1/alerts', undefined, 403],
    [A, 'POST', () => '/api/v1/alerts', () => ({ areaCode: '00004', title: 'x', text: 'x' }), 403],
    // commands
    [O, 'POST', () => '/api/v1/commands', () => ({ command: { type: 'resync' }, target: { deviceId: 'brd-b' } }), 403],
    [O, 'POST', () => '/api/v1/commands', () => ({ command: { type: 'resync' }, target: { areaCode: '01' } }), 403],
    [O, 'POST', () => '/api/v1/commands', () => ({ command: { type: 'resync' }, target: { areaCode: '00004' } }), 'ok'],
    [O, 'GET', () => `/api/v1/commands/${ids.cmdB}`, undefined, 404],
    [C, 'GET', () => '/api/v1/commands', undefined, 403],
    // alarms
    [C, 'GET', () => '/api/v1/alarms', undefined, 'ok'],
    [C, 'GET', () => '/api/v1/alarms?deviceId=brd-b', undefined, 404],
    [O, 'GET', () => '/api/v1/alarms?areaCode=00005', undefined, 404],
    // security events, timelines
    [O, 'GET', () => '/api/v1/security-events', undefined, 'ok'],
    [O, 'GET', () => '/api/v1/security-events?deviceId=brd-b', undefined, 404],
    [C, 'GET', () => '/api/v1/security-events', undefined, 403],
    [C, 'GET', () => '/api/v1/timelines/behind', undefined, 403],
    // board profiles, provisioning, users: admin only (profiles readable by operators and approvers)
    [O, 'GET', () => `/api/v1/board-profiles/${ids.profile}`, undefined, 'ok'],
    [C, 'GET', () => '/api/v1/board-profiles', undefined, 403],
    [O, 'POST', () => '/api/v1/board-profiles', () => ({ name: 'LCD', width: 1920, height: 1080 }), 403],
    [O, 'GET', () => '/api/v1/provisioning-keys', undefined, 403],
    [O, 'POST', () => '/api/v1/provisioning-keys', () => ({ label: 'k', expiresAt: future(), maxUses: 1 }), 403],
    [O, 'GET', () => '/api/v1/provisioning/enrollments', undefined, 403],
    [O, 'GET', () => '/api/v1/users', undefined, 403],
    [A, 'POST', () => '/api/v1/users', () => ({ username: 'evil', password: PW, role: 'admin' }), 403],
  ];

  const labelled = rows.map((r) => [`${r[0]} ${r[1]} ${r[2].toString().replace(/^\(\) => /, '')} → ${r[4]}`, ...r] as const);
  it.each(labelled)('%s', async (_label, who, method, url, body, expected) => {
    const r = await call(who, method, url(), body?.());
    if (expected === 'ok') expect({ status: r.status < 300 ? 'ok' : r.status, body: r.body }).toMatchObject({ status: 'ok' });
    else expect({ status: r.status, body: r.body }).toMatchObject({ status: expected });
  });

  it('lists only what lies inside the subtree', async () => {
    const codes = (await call<Array<{ code: string }>>(C, 'GET', '/api/v1/areas')).body.map((a) => a.code);
    expect(codes).toEqual(['00004']);
    expect((await call<Array<{ id: string }>>(C, 'GET', '/api/v1/devices')).body.map((d) => d.id)).toEqual(['brd-a']);
    const schedules = (await call<Array<{ id: string }>>(O, 'GET', '/api/v1/schedules')).body.map((s) => s.id);
    expect(schedules).toContain(ids.schedA);
    expect(schedules).not.toContain(ids.schedB);
    expect((await call<Array<{ id: string }>>(O, 'GET', '/api/v1/groups')).body.map((g) => g.id)).not.toContain(ids.groupB);
    expect((await call<Array<{ id: string }>>(A, 'GET', '/api/v1/alerts')).body.map((a) => a.id)).not.toContain(ids.alertB);
    expect((await call<{ items: Array<{ id: string }> }>(O, 'GET', '/api/v1/commands')).body.items.map((c) => c.id)).not.toContain(ids.cmdB);
    const behind = (await call<{ devices: Array<{ deviceId: string }> }>(O, 'GET', '/api/v1/timelines/behind')).body.devices.map((d) => d.deviceId);
    expect(behind).not.toContain('brd-b');
    // The admin still sees everything.
    expect((await call<Array<{ id: string }>>('admin', 'GET', '/api/v1/devices')).body.map((d) => d.id).sort()).toEqual(['brd-a', 'brd-b']);
  });

  it('manages users: areaCode required except for admins, unique names, disabling ends sessions', async () => {
    expect((await call('admin', 'POST', '/api/v1/users', { username: 'no-area', password: PW, role: 'operator' })).status).toBe(400);
    expect((await call('admin', 'POST', '/api/v1/users', { username: 'bad-area', password: PW, role: 'operator', areaCode: '99999' })).status).toBe(400);
    expect((await call('admin', 'POST', '/api/v1/users', { username: 'operator', password: PW, role: 'operator', areaCode: '00004' })).status).toBe(409);
    const u = await call<{ id: string }>('admin', 'POST', '/api/v1/users', { username: 'temp', password: PW, role: 'approver', areaCode: '00005' });
    expect(u.status).toBe(201);
    tokens.temp = (await login('temp')).body.accessToken;
    expect((await call('temp', 'GET', '/api/v1/auth/me')).status).toBe(200);
    const list = await call<Array<{ username: string }>>('admin', 'GET', '/api/v1/users');
    expect(list.body.map((x) => x.username)).toEqual(expect.arrayContaining(['admin', 'operator', 'temp']));
    expect((await call('admin', 'PATCH', `/api/v1/users/${u.body.id}`, { disabled: true })).status).toBe(200);
    expect((await call('temp', 'GET', '/api/v1/auth/me')).status).toBe(401);
    expect((await login('temp')).status).toBe(401);
  });

  it('changes one’s own password; logout revokes the session', async () => {
    await call('admin', 'POST', '/api/v1/users', { username: 'pw-user', password: PW, role: 'operator', areaCode: '00004' });
    tokens.pw = (await login('pw-user')).body.accessToken;
    tokens.pw2 = (await login('pw-user')).body.accessToken;
    expect((await call('pw', 'POST', '/api/v1/auth/password', { current: 'wrong-one', new: 'new-password-1' })).status).toBe(400);
    expect((await call('pw', 'POST', '/api/v1/auth/password', { current: PW, new: 'short' })).status).toBe(400);
    expect((await call('pw', 'POST', '/api/v1/auth/password', { current: PW, new: 'new-password-1' })).status).toBe(204);
    expect((await call('pw2', 'GET', '/api/v1/auth/me')).status).toBe(401); // other sessions end
    expect((await call('pw', 'GET', '/api/v1/auth/me')).status).toBe(200);
    expect((await login('pw-user')).status).toBe(401);
    expect((await login('pw-user', 'new-password-1')).status).toBe(200);
    expect((await call('pw', 'POST', '/api/v1/auth/logout')).status).toBe(204);
    expect((await call('pw', 'GET', '/api/v1/auth/me')).status).toBe(401);
  });

  it('locks a username after 5 failed logins in 15 minutes (429), even with the right password', async () => {
    await call('admin', 'POST', '/api/v1/users', { username: 'lock-me', password: PW, role: 'operator', areaCode: '00004' });
    for (let i = 0; i < 5; i++) expect((await login('lock-me', 'wrong-password')).status).toBe(401);
    const locked = await login('lock-me');
    expect(locked.status).toBe(429);
    expect(locked.body.message).toMatch(/too many failed logins/);
    // Other accounts are not affected.
    expect((await login('operator')).status).toBe(200);
  });
});
