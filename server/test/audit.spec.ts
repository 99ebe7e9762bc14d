import { DataSource } from 'typeorm';
import { AuditService, AUDIT_CSV_COLUMNS, AUDIT_CSV_HEADERS_VI, type AuditEntryView } from '../src/audit/audit.service.js';
import { AuditEntryEntity } from '../src/audit/audit-entry.entity.js';
import { DATABASES } from './support/databases.js';
import { ADMIN_PASSWORD, startTestServerOn, type TestServer } from './support/server.js';

/**
 * Issue 7: the audit log on a real server. Communes A (00004) and B (00005) under province 01; an operator and an
 * approver of A; a board in each commune.
 */
describe.each(DATABASES.map(([name]) => name))('audit log (%s)', (db) => {
  let t: TestServer;
  let close: () => Promise<void>;
  const tokens: Record<string, string> = {};
  const secrets: string[] = [];
  const PW = 'pass-word-123';
  const WRONG = 'wrong-guess-987';

  const call = async <T = unknown>(who: string, method: string, url: string, body?: unknown): Promise<{ status: number; body: T; text: string; headers: Headers }> => {
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
      /* CSV */
    }
    return { status: res.status, body: parsed as T, text, headers: res.headers };
  };
  const ok = async <T>(who: string, method: string, url: string, body?: unknown): Promise<T> => {
    const r = await call<T>(who, method, url, body);
    if (r.status >= 300) throw new Error(`${method} ${url}: ${r.status} ${r.text}`);
    return r.body;
  };
  const audit = (who: string, query: string) => ok<AuditEntryView[]>(who, 'GET', `/api/v1/audit?${query}`);
  /** Guard refusals are recorded just after the answer is sent. */
  const eventually = async (who: string, query: string): Promise<AuditEntryView[]> => {
    for (let i = 0; ; i++) {
      const entries = await audit(who, query);
      if (entries.length > 0 || i === 40) return entries;
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  beforeAll(async () => {
    ({ t, close } = await startTestServerOn(db));
    tokens.admin = t.token;
    await ok('admin', 'POST', '/api/v1/areas', { code: '01', name: 'Tỉnh', level: 'province' });
    await ok('admin', 'POST', '/api/v1/areas', { code: '00004', name: 'Xã A', level: 'commune', parentCode: '01' });
    await ok('admin', 'POST', '/api/v1/areas', { code: '00005', name: 'Xã B', level: 'commune', parentCode: '01' });
    for (const [id, area] of [['brd-a', '00004'], ['brd-b', '00005']] as const) {
      secrets.push((await ok<{ secret: string }>('admin', 'POST', '/api/v1/devices', { id, name: `Board ${id}`, kind: 'board', areaCode: area })).secret);
    }
    for (const role of ['operator', 'approver', 'commune_officer']) {
      await ok('admin', 'POST', '/api/v1/users', { username: role, password: PW, role, areaCode: '00004' });
      tokens[role] = (await ok<{ accessToken: string }>('nobody', 'POST', '/api/v1/auth/login', { username: role, password: PW })).accessToken;
    }
  });
  afterAll(() => close());

  it('records a device PATCH with who, when, and the changed field before and after', async () => {
    const t0 = Date.now();
    await ok('operator', 'PATCH', '/api/v1/devices/brd-a', { name: 'Bảng tin thôn Đông' });
    const [entry, ...rest] = await audit('admin', 'action=devices.update&resourceId=brd-a');
    expect(rest).toEqual([]);
    expect(entry).toMatchObject({
      actor: { name: 'operator', role: 'operator', areaCode: '00004' },
      action: 'devices.update',
      resourceType: 'device',
      resourceId: 'brd-a',
      areaCode: '00004',
      outcome: 'ok',
      status: 200,
      before: { id: 'brd-a', name: 'Board brd-a', areaCode: '00004', revoked: false },
      after: { id: 'brd-a', name: 'Bảng tin thôn Đông', areaCode: '00004', revoked: false },
      detail: { body: { name: 'Bảng tin thôn Đông' } },
    });
    expect(typeof entry!.actor.id).toBe('string');
    expect(Date.parse(entry!.at)).toBeGreaterThanOrEqual(t0 - 1000);
    expect(entry!.ip).toMatch(/127\.0\.0\.1/);
  });

  it('records a content approval with the approver and the state change', async () => {
    const content = await ok<{ id: string }>('operator', 'POST', '/api/v1/contents', { type: 'text', title: 'Tin', text: 'Xin chào', submit: true });
    await ok('approver', 'POST', `/api/v1/contents/${content.id}/approve`);
    const [entry] = await audit('admin', `action=contents.approve&resourceId=${content.id}`);
    expect(entry).toMatchObject({
      actor: { name: 'approver', role: 'approver', areaCode: '00004' },
      resourceType: 'content',
      outcome: 'ok',
      status: 200,
      before: { id: content.id, state: 'submitted' },
      after: { id: content.id, state: 'approved' },
    });
    // The create is recorded with its response as `after`.
    const [created] = await audit('admin', `action=contents.create&resourceId=${content.id}`);
    expect(created).toMatchObject({ actor: { name: 'operator' }, status: 201, before: null, after: { id: content.id, title: 'Tin' } });
  });

  it('records a write outside the caller\'s area as refused, without the resource\'s state', async () => {
    expect((await call('operator', 'PATCH', '/api/v1/devices/brd-b', { name: 'hijack' })).status).toBe(403);
    const [entry] = await audit('admin', 'action=devices.update&resourceId=brd-b&outcome=refused');
    expect(entry).toMatchObject({ actor: { name: 'operator' }, outcome: 'refused', status: 403, areaCode: '00005', before: null, after: null, detail: { body: { name: 'hijack' } } });
    expect((entry!.detail as { error: string }).error).toMatch(/outside your area/);
  });

  it('records a call the role guard refuses under the route\'s action', async () => {
    expect((await call('operator', 'POST', '/api/v1/users', { username: 'sneaky', password: 'whatever-pass', role: 'admin' })).status).toBe(403);
    const [entry] = await eventually('admin', 'action=users.create&outcome=refused');
    expect(entry).toMatchObject({ actor: { name: 'operator', role: 'operator' }, status: 403, resourceType: 'user', detail: { body: { username: 'sneaky', role: 'admin' } } });
    expect(JSON.stringify(entry)).not.toContain('whatever-pass');
  });

  it('records logins, and failed ones under the username tried without the password', async () => {
    expect((await call('nobody', 'POST', '/api/v1/auth/login', { username: 'operator', password: WRONG })).status).toBe(401);
    const [failed] = await audit('admin', 'action=auth.login-failed&actor=operator');
    expect(failed).toMatchObject({ actor: { id: null, name: 'operator', role: 'operator', areaCode: '00004' }, outcome: 'refused', status: 401, detail: { body: { username: 'operator' } } });
    expect(JSON.stringify(failed)).not.toContain(WRONG);
    const logins = await audit('admin', 'action=auth.login&actor=approver');
    expect(logins.map((e) => [e.outcome, e.status, e.actor.role, e.resourceType])).toEqual([['ok', 200, 'approver', 'user']]);
  });

  it('never stores device secrets, passwords or their hashes anywhere in the table', async () => {
    secrets.push((await ok<{ secret: string }>('admin', 'POST', '/api/v1/devices/brd-a/credentials/rotate')).secret);
    const officer = (await ok<Array<{ id: string; username: string }>>('admin', 'GET', '/api/v1/users')).find((u) => u.username === 'commune_officer')!;
    await ok('admin', 'PATCH', `/api/v1/users/${officer.id}`, { password: 'another-pass-456' });
    tokens.commune_officer = (await ok<{ accessToken: string }>('nobody', 'POST', '/api/v1/auth/login', { username: 'commune_officer', password: 'another-pass-456' })).accessToken;
    const ds = t.server.app.get(DataSource);
    const dump = JSON.stringify(await ds.getRepository(AuditEntryEntity).find());
    const hashes = (await ds.query('SELECT secret_hash AS h FROM devices UNION ALL SELECT password_hash AS h FROM users')) as Array<{ h: string }>;
    expect(secrets).toHaveLength(3);
    for (const s of [...secrets, ...hashes.map((r) => r.h), PW, ADMIN_PASSWORD, WRONG, 'another-pass-456', 'whatever-pass']) expect(dump).not.toContain(s);
    // …while the calls themselves are there.
    expect(dump).toContain('devices.rotate-credentials');
    expect(dump).toContain('users.update');
    expect(dump).toContain('devices.register');
  });

  it('shows an approver with an area only the entries of its subtree', async () => {
    await ok('admin', 'PATCH', '/api/v1/devices/brd-b', { name: 'Board B2' });
    const mine = await audit('approver', 'limit=500');
    expect(mine.length).toBeGreaterThan(0);
    for (const e of mine) expect([e.areaCode, e.actor.areaCode]).toContain('00004');
    expect(mine.some((e) => e.action === 'devices.update' && e.resourceId === 'brd-b' && e.actor.name === 'admin')).toBe(false);
    // The operator's refused attempt on commune B is its own area's business too.
    expect(mine.some((e) => e.action === 'devices.update' && e.resourceId === 'brd-b' && e.actor.name === 'operator')).toBe(true);
    const all = await audit('admin', 'action=devices.update&resourceId=brd-b');
    expect(all.map((e) => e.actor.name)).toEqual(['admin', 'operator']);
  });

  it('refuses the log to operators and commune officers', async () => {
    expect((await call('operator', 'GET', '/api/v1/audit')).status).toBe(403);
    expect((await call('operator', 'GET', '/api/v1/audit.csv')).status).toBe(403);
    expect((await call('commune_officer', 'GET', '/api/v1/audit')).status).toBe(403);
  });

  it('pages newest first with a cursor and counts the matches', async () => {
    const first = await call<AuditEntryView[]>('admin', 'GET', '/api/v1/audit?limit=2');
    const total = Number(first.headers.get('x-total-count'));
    expect(first.body).toHaveLength(2);
    expect(total).toBeGreaterThan(4);
    const next = await audit('admin', `limit=500&before=${first.body[1]!.id}`);
    expect(next).toHaveLength(total - 2);
    const all = [...first.body, ...next];
    expect(new Set(all.map((e) => e.id)).size).toBe(total);
    const times = all.map((e) => Date.parse(e.at));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    expect((await call('admin', 'GET', '/api/v1/audit?limit=501')).status).toBe(400);
    expect(await audit('admin', 'from=2999-01-01T00:00:00Z')).toEqual([]);
    expect((await audit('admin', `to=${encodeURIComponent(all[0]!.at)}&limit=500`)).map((e) => e.id)).toEqual(all.slice(1).filter((e) => e.at < all[0]!.at).map((e) => e.id));
  });

  it('exports the selection as CSV with a BOM, Vietnamese headers and outcomes, Vietnam time and a named file', async () => {
    const res = await fetch(`${t.baseUrl}/api/v1/audit.csv?action=devices.*`, { headers: { authorization: `Bearer ${tokens.admin}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="nhat-ky-thao-tac-\d{4}-\d\d-\d\d\.csv"; filename\*=UTF-8''Nh%E1%BA%ADt%20k%C3%BD%20thao%20t%C3%A1c%20\d{4}-\d\d-\d\d\.csv$/);
    // Read as bytes: fetch's text() would silently drop the BOM.
    const raw = Buffer.from(await res.arrayBuffer());
    expect([...raw.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const lines = raw.subarray(3).toString('utf8').trimEnd().split('\r\n');
    expect(lines[0]).toBe(AUDIT_CSV_HEADERS_VI.join(','));
    const rows = lines.slice(1);
    expect(rows.length).toBeGreaterThanOrEqual(4);
    expect(rows.every((r) => /^[^,]+,\d\d\/\d\d\/\d{4} \d\d:\d\d,/.test(r))).toBe(true);
    expect(rows.every((r) => /,devices\.[a-z-]+,device,/.test(r))).toBe(true);
    expect(rows.some((r) => r.includes('brd-a') && r.includes('""Bảng tin thôn Đông""') && r.includes(',Thành công,200,'))).toBe(true);
  });

  it('keeps the machine format of the audit export behind format=iso', async () => {
    const res = await fetch(`${t.baseUrl}/api/v1/audit.csv?action=devices.*&format=iso&from=2020-01-01T00:00:00Z&to=2999-01-01T00:00:00Z`, { headers: { authorization: `Bearer ${tokens.admin}` } });
    expect(res.headers.get('content-disposition')).toMatch(/filename="nhat-ky-thao-tac-2020-01-01-2999-01-01\.csv"/);
    const lines = (await res.text()).trimEnd().split('\r\n');
    expect(lines[0]).toBe(AUDIT_CSV_COLUMNS.join(','));
    expect(lines.slice(1).every((r) => /^[^,]+,\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z,/.test(r) && /,(ok|refused|error),\d{3},/.test(r))).toBe(true);
    expect(lines.some((r) => r.includes(',ok,200,'))).toBe(true);
  });

  it('deletes entries older than the retention period in its sweep', async () => {
    const repo = t.server.app.get(DataSource).getRepository(AuditEntryEntity);
    const old = { id: 'old-entry', at: Date.now() - 731 * 86_400_000, actorId: null, actorName: 'x', actorRole: 'admin', actorAreaCode: null, action: 'x.y', resourceType: null, resourceId: null, areaCode: null, outcome: 'ok' as const, status: 200, before: null, after: null, detail: null, ip: null };
    await repo.insert(old);
    const before = await repo.count();
    expect(await t.server.app.get(AuditService).sweep()).toBe(1);
    expect(await repo.existsBy({ id: 'old-entry' })).toBe(false);
    expect(await repo.count()).toBe(before - 1);
  });
});
