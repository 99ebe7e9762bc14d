import { jest } from '@jest/globals';
/**
 * Issue 21: practice sandboxes as real child processes (server/dist/main.js in practice mode, on SQLite), their
 * supervision and the practice instance's boundary. Needs the built server: `npx tsc -b shared server`.
 */
import { WebSocket } from 'ws';
import { AppConfig, ConfigError } from '../src/config/app-config.js';
import { signAssertion } from '../src/auth/practice-assertion.js';
import { PracticeSandboxes } from '../src/practice/practice-sandboxes.js';
import { PRACTICE_SECRET_HEADER, PRACTICE_SEED_PATH } from '@loa/shared/rest';
import { startTestServer, type TestServer } from './support/server.js';
import { until } from './support/until.js';

jest.setTimeout(120_000);

interface AreaRow {
  code: string;
}

const SECRET = 'practice-secret-for-tests-0123456789abcdef';

describe('practice sandboxes (child processes)', () => {
  let main: TestServer;
  let sandboxes: PracticeSandboxes;
  let officerId: string;
  let officerToken: string;
  const sandboxId = () => `user-${officerId}`;
  const seed = () => ({ areaCode: '00001', memberUserIds: [officerId] });

  beforeAll(async () => {
    main = await startTestServer({ LOA_PRACTICE_MAX_SANDBOXES: '1' });
    for (const a of [
      { code: '01', name: 'Tỉnh Một', level: 'province' },
      { code: '001', name: 'Huyện Một', level: 'district', parentCode: '01' },
      { code: '00001', name: 'Xã Một', level: 'commune', parentCode: '001' },
      { code: '00002', name: 'Xã Hai', level: 'commune', parentCode: '001' },
    ]) {
      expect((await main.api('POST', '/api/v1/areas', a)).status).toBe(201);
    }
    const created = await main.api<{ id: string }>('POST', '/api/v1/users', {
      username: 'canbo.xa1',
      password: 'officer-password-1',
      role: 'commune_officer',
      areaCode: '00001',
      fullName: 'Nguyễn Văn Một',
    });
    expect(created.status).toBe(201);
    officerId = created.body.id;
    const login = await fetch(`${main.baseUrl}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'canbo.xa1', password: 'officer-password-1' }),
    });
    officerToken = ((await login.json()) as { accessToken: string }).accessToken;
    sandboxes = main.server.app.get(PracticeSandboxes);
  });

  afterAll(async () => {
    await main?.close();
  });

  it('ensure starts a seeded practice instance; a request runs as the mirrored user', async () => {
    const status = await sandboxes.ensure(sandboxId(), seed());
    expect(status.state).toBe('ready');
    expect(status.httpPort).toEqual(expect.any(Number));
    expect(status.httpPort).not.toBe(main.server.httpPort);

    const me = await sandboxes.request(sandboxId(), { username: 'canbo.xa1' }, 'GET', '/api/v1/auth/me');
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ username: 'canbo.xa1', role: 'commune_officer', areaCode: '00001' });
    // A mirrored user is a user of the sandbox's own database, not the main server's.
    expect((me.body as { userId: string }).userId).not.toBe(officerId);

    // The trainee's subtree with its ancestors, not the neighbouring commune.
    const areas = await sandboxes.request(sandboxId(), { username: 'admin' }, 'GET', '/api/v1/areas');
    expect(areas.status).toBe(200);
    expect((areas.body as AreaRow[]).map((a) => a.code).sort()).toEqual(['00001', '001', '01']);

    // Ensuring again reuses the running instance.
    expect((await sandboxes.ensure(sandboxId(), seed())).httpPort).toBe(status.httpPort);
  });

  it('the /practice/api proxy authenticates the user on the main server and reaches the sandbox', async () => {
    const through = await fetch(`${main.baseUrl}/practice/api/v1/auth/me`, { headers: { authorization: `Bearer ${officerToken}` } });
    expect(through.status).toBe(200);
    expect(await through.json()).toMatchObject({ username: 'canbo.xa1', areaCode: '00001' });

    const anonymous = await fetch(`${main.baseUrl}/practice/api/v1/auth/me`);
    expect(anonymous.status).toBe(401);

    // A JSON body the main server's parser already read is sent on as parsed: the sandbox judges its content.
    const parsed = await fetch(`${main.baseUrl}/practice/api/v1/auth/password`, {
      method: 'POST',
      headers: { authorization: `Bearer ${officerToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ current: 'not-the-password', new: 'another-password-2' }),
    });
    expect(await parsed.json()).toMatchObject({ code: 'password.current-wrong' });

    // What is made in the sandbox stays there.
    const created = await sandboxes.request(sandboxId(), { username: 'admin' }, 'POST', '/api/v1/areas', { code: '0000101', name: 'Thôn Một', level: 'village', parentCode: '00001' });
    expect(created.status).toBe(201);
    expect((await main.api('GET', '/api/v1/areas/0000101')).status).toBe(404);

    const enter = await fetch(`${main.baseUrl}/api/v1/practice/enter`, { method: 'POST', headers: { authorization: `Bearer ${officerToken}` } });
    expect(enter.status).toBe(200);
    expect(await enter.json()).toMatchObject({ sandboxId: sandboxId(), state: 'ready', apiBase: '/practice/api' });
  });

  it('the live event stream is tunnelled to the sandbox', async () => {
    const port = main.server.httpPort;
    const ws = new WebSocket(`ws://127.0.0.1:${port}/practice/api/v1/events`, ['loa.events', `bearer.${officerToken}`]);
    const hello = await new Promise<{ type: string; userId: string }>((resolve, reject) => {
      ws.once('message', (m) => resolve(JSON.parse(String(m)) as { type: string; userId: string }));
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    });
    ws.close();
    expect(hello.type).toBe('hello');
    // The sandbox's mirrored user, not the main server's account.
    expect(hello.userId).not.toBe(officerId);
  });

  it('the practice instance believes no token of its own, only a valid assertion', async () => {
    const { httpPort } = await sandboxes.status(sandboxId());
    const direct = (auth?: string) => fetch(`http://127.0.0.1:${httpPort}/api/v1/auth/me`, { headers: auth ? { authorization: auth } : {} });
    expect((await direct()).status).toBe(401);
    // The main server's own token means nothing there.
    expect((await direct(`Bearer ${officerToken}`)).status).toBe(401);
    // Signed with another secret.
    const forged = await direct(`Bearer ${signAssertion('not-the-sandbox-secret-0123456789abcdef', 'canbo.xa1', Date.now())}`);
    expect(forged.status).toBe(401);
    expect(await forged.json()).toMatchObject({ code: 'practice.identity-refused' });
    // The seed endpoint wants the sandbox secret.
    const seedCall = await fetch(`http://127.0.0.1:${httpPort}${PRACTICE_SEED_PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [PRACTICE_SECRET_HEADER]: 'guess' },
      body: JSON.stringify({ areas: [], users: [{ username: 'intruder', role: 'admin', areaCode: null, fullName: null }], settings: [] }),
    });
    expect(seedCall.status).toBe(401);
  });

  it('at most LOA_PRACTICE_MAX_SANDBOXES run: another is refused with a code', async () => {
    await expect(sandboxes.ensure('user-someone-else', { areaCode: '00002', memberUserIds: [] })).rejects.toMatchObject({
      response: expect.objectContaining({ code: 'practice.too-many-sandboxes', params: { max: 1 } }),
    });
    await expect(sandboxes.ensure('../etc', { areaCode: null, memberUserIds: [] })).rejects.toMatchObject({
      response: expect.objectContaining({ code: 'practice.bad-sandbox-id' }),
    });
  });

  it('reset wipes the sandbox and starts it fresh from the seed', async () => {
    const before = await sandboxes.request(sandboxId(), { username: 'admin' }, 'GET', '/api/v1/areas');
    expect((before.body as AreaRow[]).map((a) => a.code)).toContain('0000101');
    const status = await sandboxes.reset(sandboxId(), seed());
    expect(status.state).toBe('ready');
    const after = await sandboxes.request(sandboxId(), { username: 'admin' }, 'GET', '/api/v1/areas');
    expect((after.body as AreaRow[]).map((a) => a.code).sort()).toEqual(['00001', '001', '01']);
  });

  it('a crashed practice instance is restarted', async () => {
    const { httpPort } = await sandboxes.status(sandboxId());
    // The instance's own process, killed from outside as a crash would.
    const children = (sandboxes as unknown as { sandboxes: Map<string, { child: { pid: number } }> }).sandboxes;
    process.kill(children.get(sandboxId())!.child.pid, 'SIGKILL');
    const now = await until('the sandbox restarted', () => sandboxes.status(sandboxId()), (s) => s.state === 'ready' && s.restarts === 1);
    expect(now.httpPort).not.toBe(httpPort);
    const me = await sandboxes.request(sandboxId(), { username: 'canbo.xa1' }, 'GET', '/api/v1/auth/me');
    expect(me.status).toBe(200);
  });

  it('stop ends the process and frees the slot', async () => {
    await sandboxes.stop(sandboxId());
    expect((await sandboxes.status(sandboxId())).state).toBe('stopped');
    const other = await sandboxes.ensure('user-someone-else', { areaCode: '00002', memberUserIds: [] });
    expect(other.state).toBe('ready');
    await sandboxes.stop('user-someone-else');
  });
});

describe('practice mode (a server started with LOA_PRACTICE_MODE=1)', () => {
  const base = { LOA_PRACTICE_MODE: '1', LOA_PRACTICE_SECRET: SECRET, LOA_DATA_DIR: '/tmp/loa-practice-config' };

  it('config refuses every outward setting, naming it', () => {
    const outward: Record<string, string> = {
      LOA_SMTP_URL: 'smtp://mail.example.gov.vn',
      LOA_NOTIFY_SMS_URL: 'https://sms.example.gov.vn/send',
      LOA_MQTT_URL: 'mqtt://broker.internal:1883',
      LOA_DATABASE_URL: 'postgres://loa@db/loa',
    };
    for (const [key, value] of Object.entries(outward)) {
      const extra = key === 'LOA_MQTT_URL' ? { LOA_BROKER_ACCOUNTS: 'none' } : {};
      expect(() => AppConfig.load({ ...base, ...extra, [key]: value })).toThrow(ConfigError);
      expect(() => AppConfig.load({ ...base, ...extra, [key]: value })).toThrow(new RegExp(key));
    }
    expect(() => AppConfig.load({ LOA_PRACTICE_MODE: '1', LOA_DATA_DIR: '/tmp/x' })).toThrow(/LOA_PRACTICE_SECRET/);
    expect(AppConfig.load(base).practice).toMatchObject({ mode: true, secret: SECRET });
    // Outward settings are fine on a real server.
    expect(AppConfig.load({ LOA_SMTP_URL: 'smtp://mail.example.gov.vn' }).practice.mode).toBe(false);
  });

  describe('its boundary', () => {
    let practice: TestServer;
    const asUser = (username: string, at = Date.now()) => ({ authorization: `Bearer ${signAssertion(SECRET, username, at)}` });

    beforeAll(async () => {
      practice = await startTestServer({ LOA_PRACTICE_MODE: '1', LOA_PRACTICE_SECRET: SECRET });
    });
    afterAll(async () => {
      await practice?.close();
    });

    it('accepts a valid assertion; refuses a session token, an expired or forged assertion', async () => {
      const me = (headers: Record<string, string>) => fetch(`${practice.baseUrl}/api/v1/auth/me`, { headers });
      const ok = await me(asUser('admin'));
      expect(ok.status).toBe(200);
      expect(await ok.json()).toMatchObject({ username: 'admin', role: 'admin' });
      // Its own login still hands out a token, which nothing believes.
      expect((await me({ authorization: `Bearer ${practice.token}` })).status).toBe(401);
      const expired = await me(asUser('admin', Date.now() - 10 * 60_000));
      expect(expired.status).toBe(401);
      expect(await expired.json()).toMatchObject({ code: 'practice.identity-refused' });
      expect((await me({ authorization: `Bearer ${signAssertion(`${SECRET}x`, 'admin', Date.now())}` })).status).toBe(401);
      // A payload changed after signing.
      const [prefix, , mac] = signAssertion(SECRET, 'someone', Date.now()).split('.');
      const swapped = Buffer.from(JSON.stringify({ u: 'admin', exp: Date.now() + 60_000 })).toString('base64url');
      expect((await me({ authorization: `Bearer ${prefix}.${swapped}.${mac}` })).status).toBe(401);
      // Unknown user.
      expect((await me(asUser('nobody'))).status).toBe(401);
    });

    it('seeds with the secret, and the seeded user acts through assertions', async () => {
      const body = {
        areas: [{ code: '79', name: 'Tỉnh', level: 'province', parentCode: null }],
        users: [{ username: 'canbo.79', role: 'operator', areaCode: '79', fullName: 'Trần Thị Bảy' }],
        settings: [],
      };
      const call = (secret: string | null) =>
        fetch(`${practice.baseUrl}${PRACTICE_SEED_PATH}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(secret === null ? {} : { [PRACTICE_SECRET_HEADER]: secret }) },
          body: JSON.stringify(body),
        });
      expect((await call(null)).status).toBe(401);
      expect((await call('wrong')).status).toBe(401);
      const seeded = await call(SECRET);
      expect(seeded.status).toBe(200);
      expect(await seeded.json()).toMatchObject({ areas: 1, users: 1 });
      // Idempotent.
      expect(await (await call(SECRET)).json()).toMatchObject({ areas: 0, users: 0 });
      const me = await fetch(`${practice.baseUrl}/api/v1/auth/me`, { headers: asUser('canbo.79') });
      expect(await me.json()).toMatchObject({ username: 'canbo.79', role: 'operator', areaCode: '79' });
      // A mirrored user has no password anyone knows: signing in is refused (it would be useless anyway).
      const login = await fetch(`${practice.baseUrl}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'canbo.79', password: 'officer-password-1' }),
      });
      expect(login.status).toBe(401);
    });

    it('refuses outward routes and reports practice in the dashboard config', async () => {
      const peers = await fetch(`${practice.baseUrl}/api/v1/source-system/peers`, { headers: asUser('admin') });
      expect(peers.status).toBe(403);
      expect(await peers.json()).toMatchObject({ code: 'practice.outward-disabled' });
      const cap = await fetch(`${practice.baseUrl}/api/v1/cap/sources`, { headers: asUser('admin') });
      expect(cap.status).toBe(403);
      const config = await fetch(`${practice.baseUrl}/api/v1/dashboard/config`, { headers: asUser('admin') });
      expect(await config.json()).toMatchObject({ practice: true });
    });

    it('a real server has no seed endpoint and no practice flag', async () => {
      const real = await startTestServer();
      try {
        const seedCall = await fetch(`${real.baseUrl}${PRACTICE_SEED_PATH}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', [PRACTICE_SECRET_HEADER]: SECRET },
          body: JSON.stringify({ areas: [], users: [], settings: [] }),
        });
        expect(seedCall.status).toBe(404);
        const config = await real.api<Record<string, unknown>>('GET', '/api/v1/dashboard/config');
        expect(config.body.practice).toBeUndefined();
      } finally {
        await real.close();
      }
    });
  });
});
