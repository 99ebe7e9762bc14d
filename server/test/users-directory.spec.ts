import { startTestServerOn, type TestServer } from './support/server.js';

/**
 * GET /api/v1/users/directory: every role may turn the user ids that views carry (createdBy, approvedBy…) into names,
 * and learns nothing else about the accounts.
 */
describe.each(['sqlite', 'postgres'])('user directory on %s', (db) => {
  let t: TestServer;
  let close: () => Promise<void>;
  const tokens: Record<string, string> = {};
  const ids: Record<string, string> = {};
  const PW = 'password-123';

  const call = async <T = unknown>(who: string, method: string, url: string, body?: unknown): Promise<{ status: number; body: T }> => {
    const res = await fetch(t.baseUrl + url, {
      method,
      headers: { authorization: `Bearer ${tokens[who] ?? ''}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
  };

  beforeAll(async () => {
    ({ t, close } = await startTestServerOn(db));
    tokens.admin = t.token;
    expect((await call('admin', 'POST', '/api/v1/areas', { code: '01', name: 'Tỉnh', level: 'province' })).status).toBe(201);
    expect((await call('admin', 'POST', '/api/v1/areas', { code: '00004', name: 'Xã A', level: 'commune', parentCode: '01' })).status).toBe(201);
    for (const role of ['operator', 'approver', 'commune_officer']) {
      const username = role.replace('_', '-');
      const created = await call<{ id: string }>('admin', 'POST', '/api/v1/users', { username, password: PW, role, areaCode: '00004' });
      expect(created.status).toBe(201);
      ids[username] = created.body.id;
      tokens[role] = (await call<{ accessToken: string }>('nobody', 'POST', '/api/v1/auth/login', { username, password: PW })).body.accessToken;
    }
    // A disabled account still authored past records: it keeps its name in the directory.
    const gone = await call<{ id: string }>('admin', 'POST', '/api/v1/users', { username: 'gone', password: PW, role: 'operator', areaCode: '01' });
    ids.gone = gone.body.id;
    expect((await call('admin', 'PATCH', `/api/v1/users/${ids.gone}`, { disabled: true })).status).toBe(200);
  });
  afterAll(() => close());

  it.each(['admin', 'operator', 'approver', 'commune_officer'])('gives %s every id with its username and full name and nothing else', async (who) => {
    const r = await call<Array<Record<string, unknown>>>(who, 'GET', '/api/v1/users/directory');
    expect(r.status).toBe(200);
    const byName = new Map(r.body.map((u) => [u.username, u.id]));
    expect([...byName.keys()].sort()).toEqual(['admin', 'approver', 'commune-officer', 'gone', 'operator']);
    expect(byName.get('operator')).toBe(ids.operator);
    expect(byName.get('gone')).toBe(ids.gone);
    // Issue 19: the person's full name (null when unset) is what views show instead of the login; never the phone.
    for (const u of r.body) expect(Object.keys(u).sort()).toEqual(['fullName', 'id', 'username']);
    expect(JSON.stringify(r.body)).not.toMatch(/password|hash|role|area|disabled|phone|email/i);
  });

  it('is not taken for a user id, and leaves the account routes admin-only', async () => {
    // Were "directory" read as :id, the admin would get a 404 "user directory not found" object.
    expect(Array.isArray((await call('admin', 'GET', '/api/v1/users/directory')).body)).toBe(true);
    expect((await call<{ username: string }>('admin', 'GET', `/api/v1/users/${ids.operator}`)).body.username).toBe('operator');
    expect((await call('operator', 'GET', `/api/v1/users/${ids.operator}`)).status).toBe(403);
    expect((await call('approver', 'GET', '/api/v1/users')).status).toBe(403);
    expect((await call('nobody', 'GET', '/api/v1/users/directory')).status).toBe(401);
  });
});
