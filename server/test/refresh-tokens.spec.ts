import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AuthRepository } from '../src/auth/auth.repository.js';
import { AuthService, FAIL_WINDOW_MS, type LoginResult } from '../src/auth/auth.service.js';
import { TypeOrmTransactionRunner } from '../src/database/transaction-runner.js';
import { PasswordHasher } from '../src/common/password-hasher.js';
import { RefreshTokenEntity } from '../src/auth/refresh-token.entity.js';
import { DATABASES, openPostgres, type TestDatabase } from './support/databases.js';
import { FixedClock, silentLogger, testConfig } from './support/fixtures.js';
import { ADMIN_PASSWORD, startTestServer, type TestServer } from './support/server.js';

describe('token lifetimes in the configuration', () => {
  it('defaults to 15 minutes and 30 days; LOA_SESSION_TTL_HOURS still sets the refresh lifetime when alone', () => {
    expect(testConfig()).toMatchObject({ accessTokenTtlMs: 15 * 60_000, refreshTokenTtlMs: 30 * 86_400_000 });
    expect(testConfig({ LOA_SESSION_TTL_HOURS: '12' }).refreshTokenTtlMs).toBe(12 * 3_600_000);
    expect(testConfig({ LOA_SESSION_TTL_HOURS: '12', LOA_REFRESH_TOKEN_TTL_DAYS: '7', LOA_ACCESS_TOKEN_TTL_MINUTES: '5' })).toMatchObject({ accessTokenTtlMs: 5 * 60_000, refreshTokenTtlMs: 7 * 86_400_000 });
  });
});

/**
 * Issue 7: short-lived access tokens renewed by rotating refresh tokens; a refresh token presented twice revokes
 * the whole login; lockout counters live in the database.
 */
describe.each(DATABASES)('%s', (_name, open) => {
  describe(AuthService.name, () => {
    let db: TestDatabase;
    let clock: FixedClock;
    let sut: AuthService;
    const T0 = Date.UTC(2026, 0, 5, 1, 0, 0);

    beforeAll(async () => {
      db = await open();
      clock = new FixedClock(T0);
      const config = testConfig({ LOA_ADMIN_PASSWORD: 'admin-password', LOA_ACCESS_TOKEN_TTL_MINUTES: '15', LOA_REFRESH_TOKEN_TTL_DAYS: '30' });
      sut = new AuthService(new AuthRepository(db.dataSource), new PasswordHasher({ N: 1024, r: 8, p: 1 }), clock, config, silentLogger, new TypeOrmTransactionRunner(db.dataSource));
      await sut.ensureFirstAdmin();
    });
    afterAll(() => db.close());

    it('issues a 15-minute access token and a 30-day refresh token, stored only as hashes with their family', async () => {
      clock.t = T0;
      const r = await sut.login('admin', 'admin-password');
      expect(r).toMatchObject({ tokenType: 'Bearer', expiresAt: new Date(T0 + 15 * 60_000).toISOString(), refreshExpiresAt: new Date(T0 + 30 * 86_400_000).toISOString() });
      const rows = await db.dataSource.getRepository(RefreshTokenEntity).find();
      expect(rows.map((x) => x.tokenHash)).not.toContain(r.refreshToken);
      const row = rows.find((x) => x.parentHash === null && x.usedAt === null)!;
      expect(row.familyId).toMatch(/^[0-9a-f-]{36}$/);
      clock.t = T0 + 15 * 60_000 - 1;
      expect(await sut.authenticate(r.accessToken)).toMatchObject({ username: 'admin' });
      clock.t = T0 + 15 * 60_000;
      expect(await sut.authenticate(r.accessToken)).toBeNull();
    });

    it('refreshes until the refresh token expires, then answers 401', async () => {
      clock.t = T0;
      const first = await sut.login('admin', 'admin-password');
      clock.t = T0 + 20 * 60_000; // access token expired, refresh token still good
      const second = await sut.refresh(first.refreshToken);
      expect(await sut.authenticate(second.accessToken)).not.toBeNull();
      const row = await db.dataSource.getRepository(RefreshTokenEntity).findOneByOrFail({ usedAt: T0 + 20 * 60_000 });
      const child = await db.dataSource.getRepository(RefreshTokenEntity).findOneByOrFail({ parentHash: row.tokenHash });
      expect(child.familyId).toBe(row.familyId);
      clock.t = T0 + 20 * 60_000 + 30 * 86_400_000;
      await expect(sut.refresh(second.refreshToken)).rejects.toMatchObject({ status: 401, message: expect.stringMatching(/expired/) });
    });

    it('of two refreshes racing with the same token one wins, and the loser revokes the family', async () => {
      clock.t = T0;
      const s = await sut.login('admin', 'admin-password');
      const results = await Promise.allSettled([sut.refresh(s.refreshToken), sut.refresh(s.refreshToken)]);
      const won = results.filter((r): r is PromiseFulfilledResult<LoginResult> => r.status === 'fulfilled');
      expect(won).toHaveLength(1);
      expect(results.find((r) => r.status === 'rejected')).toMatchObject({ reason: { status: 401 } });
      expect(await sut.authenticate(won[0]!.value.accessToken)).toBeNull();
    });

    it('locks after 5 failures within 15 minutes, not after 5 spread over longer, and unlocks 15 minutes later', async () => {
      clock.t = T0;
      const fail = async () => expect(sut.login('ghost', 'wrong-password')).rejects.toMatchObject({ status: 401 });
      for (let i = 0; i < 4; i++) await fail();
      clock.t = T0 + FAIL_WINDOW_MS + 1; // the first four fall out of the window
      await fail();
      await fail();
      clock.t += 60_000;
      for (let i = 0; i < 3; i++) await fail();
      await expect(sut.login('ghost', 'wrong-password')).rejects.toMatchObject({ status: 429, message: expect.stringMatching(/try again in 15 min/) });
      clock.t += 14 * 60_000 + 1;
      await expect(sut.login('ghost', 'x')).rejects.toMatchObject({ status: 429, message: expect.stringMatching(/1 min/) });
      clock.t += 60_000;
      await fail(); // unlocked, and the count starts again
    });
  });

  /** The whole server, twice on the same database: lockout must survive the restart. */
  describe('refresh tokens over HTTP', () => {
    let dir: string;
    let pg: TestDatabase | null = null;
    let dbEnv: Record<string, string>;
    let t: TestServer;
    const PW = 'password-123';

    const call = async <T = Record<string, unknown>>(method: string, url: string, body?: unknown, token?: string): Promise<{ status: number; body: T }> => {
      const res = await fetch(t.baseUrl + url, {
        method,
        headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
    };
    const login = (username: string, password = PW) => call<LoginResult & { message?: string }>('POST', '/api/v1/auth/login', { username, password });
    const refresh = (refreshToken: string) => call<LoginResult & { message?: string }>('POST', '/api/v1/auth/refresh', { refreshToken });
    const me = async (token: string) => (await call('GET', '/api/v1/auth/me', undefined, token)).status;

    beforeAll(async () => {
      dir = mkdtempSync(path.join(tmpdir(), 'loa-refresh-'));
      if (_name === 'postgres') {
        pg = await openPostgres();
        dbEnv = { LOA_DATABASE_URL: (pg.dataSource.options as { url: string }).url };
      } else dbEnv = { LOA_DATABASE_URL: `sqlite:${path.join(dir, 'loa.sqlite')}` };
      t = await startTestServer(dbEnv);
      await call('POST', '/api/v1/areas', { code: '01', name: 'Thành phố Hà Nội', level: 'province' }, t.token);
      for (const username of ['op-rotate', 'op-pw', 'op-disabled']) {
        const r = await call('POST', '/api/v1/users', { username, password: PW, role: 'operator', areaCode: '01' }, t.token);
        expect(r.status).toBe(201);
      }
    });
    afterAll(async () => {
      await t.close();
      await pg?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('login answers both tokens; refresh rotates them and spends the old refresh token', async () => {
      const first = await login('op-rotate');
      expect(first.status).toBe(200);
      expect(first.body).toMatchObject({ tokenType: 'Bearer', user: { username: 'op-rotate', role: 'operator', areaCode: '01' } });
      expect(Date.parse(first.body.refreshExpiresAt) - Date.parse(first.body.expiresAt)).toBeGreaterThan(29 * 86_400_000);
      const second = await refresh(first.body.refreshToken);
      expect(second.status).toBe(200);
      expect(second.body.accessToken).not.toBe(first.body.accessToken);
      expect(second.body.refreshToken).not.toBe(first.body.refreshToken);
      expect(await me(second.body.accessToken)).toBe(200);
      expect((await refresh('not-a-token')).status).toBe(401);
      expect((await call('POST', '/api/v1/auth/refresh', {})).status).toBe(400);
    });

    it('a refresh token presented twice revokes the whole family, down to the newest access token', async () => {
      const other = await login('op-rotate'); // another login of the same user, untouched
      const r1 = (await login('op-rotate')).body;
      const r2 = (await refresh(r1.refreshToken)).body;
      const r3 = (await refresh(r2.refreshToken)).body;
      expect(await me(r3.accessToken)).toBe(200);
      const replay = await refresh(r1.refreshToken);
      expect(replay.status).toBe(401);
      expect(replay.body.message).toMatch(/already used/);
      expect(await me(r3.accessToken)).toBe(401);
      expect(await me(r2.accessToken)).toBe(401);
      expect((await refresh(r3.refreshToken)).status).toBe(401);
      expect(await me(other.body.accessToken)).toBe(200);
      expect((await refresh(other.body.refreshToken)).status).toBe(200);
    });

    it('logout ends the login: its refresh token no longer works', async () => {
      const s = (await login('op-rotate')).body;
      const renewed = (await refresh(s.refreshToken)).body;
      expect((await call('POST', '/api/v1/auth/logout', undefined, renewed.accessToken)).status).toBe(204);
      expect(await me(renewed.accessToken)).toBe(401);
      expect((await refresh(renewed.refreshToken)).status).toBe(401);
    });

    it('a password change revokes the other logins of the user; disabling a user ends its logins at once', async () => {
      const mine = (await login('op-pw')).body;
      const elsewhere = (await login('op-pw')).body;
      expect((await call('POST', '/api/v1/auth/password', { current: PW, new: 'new-password-9' }, mine.accessToken)).status).toBe(204);
      expect(await me(elsewhere.accessToken)).toBe(401);
      expect((await refresh(elsewhere.refreshToken)).status).toBe(401);
      expect(await me(mine.accessToken)).toBe(200);
      expect((await refresh(mine.refreshToken)).status).toBe(200);

      const d = (await login('op-disabled')).body;
      expect((await call('PATCH', `/api/v1/users/${d.user.id}`, { disabled: true }, t.token)).status).toBe(200);
      expect(await me(d.accessToken)).toBe(401);
      expect((await refresh(d.refreshToken)).status).toBe(401);
    });

    it('the lockout survives a server restart on the same database', async () => {
      for (let i = 0; i < 5; i++) expect((await login('op-rotate', 'wrong-password')).status).toBe(401);
      for (let i = 0; i < 5; i++) expect((await login('no-such-user', 'wrong-password')).status).toBe(401);
      expect((await login('op-rotate')).status).toBe(429);
      await t.close();
      t = await startTestServer(dbEnv);
      const locked = await login('op-rotate');
      expect(locked.status).toBe(429);
      expect(locked.body.message).toMatch(/too many failed logins.*try again in 1[45] min/);
      expect((await login('no-such-user', 'whatever-1')).status).toBe(429);
      expect((await login('admin', ADMIN_PASSWORD)).status).toBe(200);
    });
  });
});
