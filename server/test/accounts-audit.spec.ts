import { jest } from '@jest/globals';
import type { AuditEntryView } from '../src/audit/audit.service.js';
import { AuditNamesRepository } from '../src/audit/audit-names.repository.js';
import { DATABASES } from './support/databases.js';
import { startTestServerOn, type TestServer } from './support/server.js';

/**
 * Issue 19, items 8 and 10 on a real server: audit entries that say what happened (approvals with the object and
 * before/after, dry runs not logged as writes, names resolved) and accounts (full name and phone, the forced password
 * change after an administrator set one, the admin's overview down to communes). Province 01 → district 001 →
 * communes 00004 and 00005; a board in each commune; the standard approval rules (district-wide schedules wait).
 */
describe.each(DATABASES.map(([name]) => name))('accounts and audit entries (%s)', (db) => {
  let t: TestServer;
  let close: () => Promise<void>;
  const tokens: Record<string, string> = {};
  const userIds: Record<string, string> = {};
  const ids: Record<string, string> = {};
  const PW = 'pass-word-123';
  const future = (min = 60) => new Date(Date.now() + min * 60_000).toISOString();

  const call = async <T = unknown>(who: string, method: string, url: string, body?: unknown): Promise<{ status: number; body: T; text: string }> => {
    const res = await fetch(t.baseUrl + url, {
      method,
      headers: { authorization: `Bearer ${tokens[who] ?? ''}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T, text };
  };
  const ok = async <T>(who: string, method: string, url: string, body?: unknown): Promise<T> => {
    const r = await call<T>(who, method, url, body);
    if (r.status >= 300) throw new Error(`${method} ${url}: ${r.status} ${r.text}`);
    return r.body;
  };
  const audit = (query: string) => ok<AuditEntryView[]>('admin', 'GET', `/api/v1/audit?${query}`);
  const login = (username: string, password: string) =>
    call<{ accessToken: string; user: { mustChangePassword?: boolean; fullName?: string | null } }>('nobody', 'POST', '/api/v1/auth/login', { username, password });

  beforeAll(async () => {
    ({ t, close } = await startTestServerOn(db, { LOA_APPROVAL_RULES_DEFAULT: 'standard' }));
    tokens.admin = t.token;
    await ok('admin', 'POST', '/api/v1/areas', { code: '01', name: 'Tỉnh Một', level: 'province' });
    await ok('admin', 'POST', '/api/v1/areas', { code: '001', name: 'Huyện Một', level: 'district', parentCode: '01' });
    await ok('admin', 'POST', '/api/v1/areas', { code: '00004', name: 'Xã A', level: 'commune', parentCode: '001' });
    await ok('admin', 'POST', '/api/v1/areas', { code: '00005', name: 'Xã B', level: 'commune', parentCode: '001' });
    for (const [id, area] of [['brd-a', '00004'], ['brd-b', '00005']] as const) {
      await ok('admin', 'POST', '/api/v1/devices', { id, name: `Bảng tin ${area}`, kind: 'board', areaCode: area });
    }
    for (const [username, role, fullName] of [
      ['operator', 'operator', 'Nguyễn Văn Vận'],
      ['approver', 'approver', 'Trần Thị Duyệt'],
    ] as const) {
      userIds[username] = (await ok<{ id: string }>('admin', 'POST', '/api/v1/users', { username, password: PW, role, areaCode: '01', fullName })).id;
      tokens[username] = (await login(username, PW)).body.accessToken;
    }
    ids.content = (await ok<{ id: string }>('admin', 'POST', '/api/v1/contents', { type: 'text', title: 'Bản tin sáng', text: 'Xin chào', approve: true })).id;
  });
  afterAll(async () => {
    await close();
  });

  let slot = 0;
  /** A district-wide schedule (held for an approver), each at its own hour so they do not conflict. */
  const pendingSchedule = async (): Promise<string> => {
    slot += 1;
    const created = await ok<{ id: string; approval: string }>('operator', 'POST', '/api/v1/schedules', { contentId: ids.content, startAt: future(120 * slot), targets: { areas: ['001'] } });
    expect(created.approval).toBe('pending');
    return created.id;
  };

  it('logs approving a schedule with the object, its name and its approval before and after', async () => {
    const id = await pendingSchedule();
    await ok('approver', 'POST', `/api/v1/schedules/${id}/approve`);
    const [entry] = await audit(`action=schedules.approve&resourceId=${id}`);
    expect(entry).toMatchObject({
      actor: { id: userIds.approver, name: 'approver', fullName: 'Trần Thị Duyệt' },
      resourceType: 'schedule',
      resourceId: id,
      resourceName: 'Bản tin sáng',
      areaCode: '001',
      areaName: 'Huyện Một',
      outcome: 'ok',
      before: { id, approval: 'pending', approvedBy: null, contentId: ids.content, targets: { areas: ['001'] } },
      after: { id, approval: 'approved', approvedBy: userIds.approver, contentId: ids.content },
    });
    // Every id the entry mentions comes with its name; the ids themselves stay.
    expect(entry!.names).toMatchObject({ [ids.content!]: 'Bản tin sáng', '001': 'Huyện Một', [userIds.approver!]: 'Trần Thị Duyệt', [userIds.operator!]: 'Nguyễn Văn Vận' });
  });

  it('logs rejecting a schedule with the reason in after', async () => {
    const id = await pendingSchedule();
    await ok('approver', 'POST', `/api/v1/schedules/${id}/reject`, { reason: 'Sai giờ' });
    const [entry] = await audit(`action=schedules.reject&resourceId=${id}`);
    expect(entry).toMatchObject({ resourceType: 'schedule', resourceName: 'Bản tin sáng', before: { approval: 'pending' }, after: { approval: 'rejected', rejectedReason: 'Sai giờ', rejectedBy: userIds.approver } });
  });

  it('does not log a dry-run conflict check as a create, while the save that follows is logged once', async () => {
    const creates = async () => (await audit('action=schedules.create&limit=500')).length;
    const n = await creates();
    const body = { contentId: ids.content, startAt: future(90), targets: { areas: ['00004'] } };
    const dry = await call<{ dryRun: boolean }>('operator', 'POST', '/api/v1/schedules', { ...body, dryRun: true });
    expect(dry.status).toBe(200);
    expect(dry.body.dryRun).toBe(true);
    // The area import's check (?dryRun=true) changes nothing either.
    const check = await fetch(`${t.baseUrl}/api/v1/areas/import?dryRun=true`, { method: 'POST', headers: { authorization: `Bearer ${t.token}`, 'content-type': 'text/csv' }, body: 'code,name,level,parentCode\n00006,Xã C,commune,001\n' });
    expect(check.status).toBeLessThan(300);
    // Entries are written before the answer goes out, so the save's entry is there when it returns.
    const saved = await ok<{ id: string }>('operator', 'POST', '/api/v1/schedules', body);
    const entries = await audit('action=schedules.create&limit=500');
    expect(entries).toHaveLength(n + 1);
    expect(entries[0]).toMatchObject({ resourceId: saved.id, actor: { fullName: 'Nguyễn Văn Vận' }, resourceName: 'Bản tin sáng', areaName: 'Xã A' });
    expect(entries.some((e) => JSON.stringify(e.detail).includes('"dryRun":true'))).toBe(false);
    expect(await audit('action=areas.importCsv')).toEqual([]);
  });

  it('resolves the names of a whole page with one lookup per kind of object', async () => {
    const repo = t.server.app.get(AuditNamesRepository);
    const spies = [jest.spyOn(repo, 'areas'), jest.spyOn(repo, 'users'), jest.spyOn(repo, 'contents'), jest.spyOn(repo, 'scheduleContents'), jest.spyOn(repo, 'devices')];
    try {
      const page = await audit('limit=200');
      expect(page.length).toBeGreaterThan(10);
      for (const s of spies) expect(s).toHaveBeenCalledTimes(1);
      const device = page.find((e) => e.action === 'devices.register' && e.resourceId === 'brd-a');
      expect(device).toMatchObject({ resourceName: 'Bảng tin 00004', areaName: 'Xã A' });
      const content = page.find((e) => e.action === 'contents.create' && e.resourceId === ids.content);
      expect(content).toMatchObject({ resourceType: 'content', resourceName: 'Bản tin sáng', actor: { name: 'admin', fullName: null } });
    } finally {
      for (const s of spies) s.mockRestore();
    }
  });

  it('stores full name and a Vietnamese phone in normal form and refuses other numbers with a code', async () => {
    const u = await ok<{ id: string; fullName: string; phone: string; mustChangePassword: boolean }>('admin', 'POST', '/api/v1/users', {
      username: 'officer-phone',
      password: PW,
      role: 'commune_officer',
      areaCode: '00004',
      fullName: '  Lê Thị Xã ',
      phone: '+84 912.345.678',
    });
    expect(u).toMatchObject({ fullName: 'Lê Thị Xã', phone: '0912345678', mustChangePassword: false });
    const bad = await call<{ code: string; params: Record<string, string> }>('admin', 'POST', '/api/v1/users', { username: 'officer-bad', password: PW, role: 'commune_officer', areaCode: '00004', phone: '12345' });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: 'user.phone-invalid', params: { phone: '12345' } });
    expect((await call('admin', 'GET', '/api/v1/users')).text).not.toContain('officer-bad');
    const patched = await call<{ code: string }>('admin', 'PATCH', `/api/v1/users/${u.id}`, { phone: '0912 34' });
    expect(patched.body.code).toBe('user.phone-invalid');
    // A name or phone change keeps the user's sessions (a role, area or password change ends them).
    const token = (await login('officer-phone', PW)).body.accessToken;
    expect(await ok('admin', 'PATCH', `/api/v1/users/${u.id}`, { fullName: 'Lê Thị Xã Mới', phone: '0987654321' })).toMatchObject({ fullName: 'Lê Thị Xã Mới', phone: '0987654321' });
    tokens.officerPhone = token;
    expect((await call('officerPhone', 'GET', '/api/v1/auth/me')).status).toBe(200);
    expect(await ok<Array<{ username: string; fullName: string | null }>>('operator', 'GET', '/api/v1/users/directory')).toContainEqual({ id: u.id, username: 'officer-phone', fullName: 'Lê Thị Xã Mới' });
    const [entry] = await audit(`action=users.update&resourceId=${u.id}`);
    expect(entry).toMatchObject({ before: { fullName: 'Lê Thị Xã', phone: '0912345678' }, after: { fullName: 'Lê Thị Xã Mới', phone: '0987654321' }, resourceName: 'Lê Thị Xã Mới' });
  });

  it('keeps an e-mail address for notifications in one case, refuses what is not one, and clears it', async () => {
    const u = await ok<{ id: string; email: string | null }>('admin', 'POST', '/api/v1/users', { username: 'officer-mail', password: PW, role: 'commune_officer', areaCode: '00004', email: ' Can.Bo@Xa.gov.VN ' });
    expect(u.email).toBe('can.bo@xa.gov.vn');
    const bad = await call<{ code: string }>('admin', 'PATCH', `/api/v1/users/${u.id}`, { email: 'not-an-address' });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('request.invalid');
    expect((await ok<{ email: string | null }>('admin', 'GET', `/api/v1/users/${u.id}`)).email).toBe('can.bo@xa.gov.vn');
    expect((await ok<{ email: string | null }>('admin', 'PATCH', `/api/v1/users/${u.id}`, { email: null })).email).toBeNull();
  });

  it('forces a password change after an administrator set the password: the server refuses everything else with a code until then', async () => {
    const u = await ok<{ id: string; mustChangePassword: boolean }>('admin', 'POST', '/api/v1/users', { username: 'forced', password: PW, role: 'operator', areaCode: '001', fullName: 'Phạm Văn Đổi', mustChangePassword: true });
    expect(u.mustChangePassword).toBe(true);
    const first = await login('forced', PW);
    expect(first.status).toBe(200);
    expect(first.body.user).toMatchObject({ mustChangePassword: true, fullName: 'Phạm Văn Đổi' });
    tokens.forced = first.body.accessToken;
    for (const [method, url, body] of [
      ['GET', '/api/v1/overview', undefined],
      ['GET', '/api/v1/devices', undefined],
      ['PATCH', '/api/v1/devices/brd-a', { name: 'x' }],
      ['POST', '/api/v1/schedules', { contentId: ids.content, startAt: future(), targets: { areas: ['00004'] } }],
    ] as const) {
      const r = await call<{ code: string }>('forced', method, url, body);
      expect([url, r.status, r.body.code]).toEqual([url, 403, 'password.change-required']);
    }
    expect((await call('forced', 'GET', '/api/v1/auth/me')).status).toBe(200);
    const wrong = await call<{ code: string }>('forced', 'POST', '/api/v1/auth/password', { current: 'not-it-123', new: 'mine-own-456' });
    expect([wrong.status, wrong.body.code]).toEqual([400, 'password.current-wrong']);
    expect((await call('forced', 'POST', '/api/v1/auth/password', { current: PW, new: 'mine-own-456' })).status).toBe(204);
    // The same session now works everywhere its role allows, and the next sign-in no longer asks.
    expect((await call('forced', 'GET', '/api/v1/overview')).status).toBe(200);
    expect((await call('forced', 'GET', '/api/v1/devices')).status).toBe(200);
    expect((await login('forced', 'mine-own-456')).body.user.mustChangePassword).toBe(false);
    expect((await ok<{ mustChangePassword: boolean }>('admin', 'GET', `/api/v1/users/${u.id}`)).mustChangePassword).toBe(false);

    // An administrator's reset asks again; handing over a final password (mustChangePassword: false) does not.
    await ok('admin', 'PATCH', `/api/v1/users/${u.id}`, { password: 'reset-by-admin-1' });
    const reset = await login('forced', 'reset-by-admin-1');
    expect(reset.body.user.mustChangePassword).toBe(true);
    tokens.forced = reset.body.accessToken;
    expect((await call<{ code: string }>('forced', 'GET', '/api/v1/devices')).body.code).toBe('password.change-required');
    await ok('admin', 'PATCH', `/api/v1/users/${u.id}`, { password: 'final-by-admin-2', mustChangePassword: false });
    const final = await login('forced', 'final-by-admin-2');
    expect(final.body.user.mustChangePassword).toBe(false);
    // Asking for a change without a new password applies to the session the user already has.
    tokens.forced = final.body.accessToken;
    expect((await call('forced', 'GET', '/api/v1/devices')).status).toBe(200);
    expect(await ok('admin', 'PATCH', `/api/v1/users/${u.id}`, { mustChangePassword: true })).toMatchObject({ mustChangePassword: true });
    expect((await call<{ code: string }>('forced', 'GET', '/api/v1/devices')).body.code).toBe('password.change-required');
    // The admin setting its own password is changing it.
    const adminId = (await ok<Array<{ id: string; username: string }>>('admin', 'GET', '/api/v1/users')).find((x) => x.username === 'admin')!.id;
    expect(await ok('admin', 'PATCH', `/api/v1/users/${adminId}`, { password: 'admin-own-pass-9' })).toMatchObject({ mustChangePassword: false });
    const again = await login('admin', 'admin-own-pass-9');
    expect(again.body.user.mustChangePassword).toBe(false);
    tokens.admin = again.body.accessToken;
    expect((await call('admin', 'GET', '/api/v1/overview')).status).toBe(200);
  });

  it('lists every area down to communes in the admin’s overview, not only the province row', async () => {
    const overview = await ok<{ devices: { byArea: Array<{ areaCode: string }>; areas: Array<{ areaCode: string; level: string; parentCode: string | null; total: number }> } }>('admin', 'GET', '/api/v1/overview');
    expect(overview.devices.byArea.map((a) => a.areaCode)).toEqual(['01']);
    expect(overview.devices.areas.map((a) => [a.areaCode, a.level, a.parentCode, a.total])).toEqual([
      ['01', 'province', null, 2],
      ['001', 'district', '01', 2],
      ['00004', 'commune', '001', 1],
      ['00005', 'commune', '001', 1],
    ]);
    // A province-level operator sees the same tree.
    const operator = await ok<{ devices: { areas: Array<{ areaCode: string }> } }>('operator', 'GET', '/api/v1/overview');
    expect(operator.devices.areas.map((a) => a.areaCode)).toEqual(['01', '001', '00004', '00005']);
  });
});
