import { createServer } from 'node:net';
import { TIME_PATH, timeResponseSchema } from '@loa/shared';
import { createScheduleRequestSchema } from '@loa/shared/rest';
import { AppConfig } from '../src/config/app-config.js';
import { startServer } from '../src/bootstrap.js';
import { ListenError } from '../src/common/listen.js';
import { silentLogger } from './support/fixtures.js';
import { ADMIN_PASSWORD, startTestServer, type TestServer } from './support/server.js';

describe('HTTP API', () => {
  let t: TestServer;

  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(() => t.close());

  type Json = { message?: unknown; accessToken?: string; paths: Record<string, unknown> } & Record<string, unknown>;
  const json = async (res: Response): Promise<Json> => (await res.json()) as Json;
  const anon = (method: string, url: string, body?: unknown, headers: Record<string, string> = {}) =>
    fetch(t.baseUrl + url, { method, headers: { 'content-type': 'application/json', ...headers }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });

  it('serves health without a token', async () => {
    const res = await anon('GET', '/api/health');
    expect(res.status).toBe(200);
    expect(await json(res)).toMatchObject({ status: 'ok', protocol: 1, mqttPort: t.server.mqttPort });
  });

  it.each(['/api/v1/areas', '/api/v1/devices', '/api/v1/contents', '/api/v1/schedules', '/api/v1/auth/me'])('refuses %s without a token', async (url) => {
    const res = await anon('GET', url);
    expect(res.status).toBe(401);
    expect((await json(res)).message).toMatch(/Authorization/);
  });

  it('refuses a forged token', async () => {
    const res = await anon('GET', '/api/v1/areas', undefined, { authorization: 'Bearer not-a-token' });
    expect(res.status).toBe(401);
  });

  it('refuses a wrong password with the same message as an unknown user', async () => {
    const a = await anon('POST', '/api/v1/auth/login', { username: 'admin', password: 'wrong-password' });
    const b = await anon('POST', '/api/v1/auth/login', { username: 'nobody', password: 'wrong-password' });
    expect([a.status, b.status]).toEqual([401, 401]);
    expect((await json(a)).message).toBe((await json(b)).message);
  });

  it('logs out: the token stops working', async () => {
    const login = await json(await anon('POST', '/api/v1/auth/login', { username: 'admin', password: ADMIN_PASSWORD }));
    const auth = { authorization: `Bearer ${login.accessToken}` };
    expect((await anon('GET', '/api/v1/auth/me', undefined, auth)).status).toBe(200);
    expect((await anon('POST', '/api/v1/auth/logout', undefined, auth)).status).toBe(204);
    expect((await anon('GET', '/api/v1/auth/me', undefined, auth)).status).toBe(401);
  });

  it('builds an area tree and rejects a dangling parent', async () => {
    expect((await t.api('POST', '/api/v1/areas', { code: '01', name: 'Thành phố Hà Nội', level: 'province' })).status).toBe(201);
    const commune = await t.api<{ path: string }>('POST', '/api/v1/areas', { code: '00004', name: 'Xã Tây Đằng', level: 'commune', parentCode: '01' });
    expect(commune.body.path).toBe('/01/00004/');
    const orphan = await t.api<{ message: string }>('POST', '/api/v1/areas', { code: '00005', name: 'x', level: 'commune', parentCode: '99' });
    expect(orphan.status).toBe(400);
    expect(orphan.body.message).toMatch(/parent area 99 does not exist/);
    expect((await t.api('POST', '/api/v1/areas', { code: '01', name: 'dup', level: 'province' })).status).toBe(409);
  });

  it('registers a device, shows the secret once and never again', async () => {
    const r = await t.api<{ secret: string; device: Record<string, unknown> }>('POST', '/api/v1/devices', { id: 'spk-01', name: 'Cụm loa thôn 1', kind: 'speaker', areaCode: '00004' });
    expect(r.status).toBe(201);
    expect(r.body.secret).toMatch(/^[A-Za-z0-9_-]{32}$/);
    const g = await t.api<Record<string, unknown>>('GET', '/api/v1/devices/spk-01');
    expect(g.body).toMatchObject({ id: 'spk-01', online: false, timelineVersion: 1 });
    expect(JSON.stringify(g.body)).not.toContain(r.body.secret);
    expect(Object.keys(g.body)).not.toContain('secretHash');
  });

  it.each([
    [{ id: 'Bad Id!', name: 'x', kind: 'speaker', areaCode: '00004' }, /id/],
    [{ id: 'spk-02', name: 'x', kind: 'radio', areaCode: '00004' }, /kind/],
    [{ id: 'spk-02', name: 'x', kind: 'speaker', areaCode: '77777' }, /area 77777 does not exist/],
  ])('refuses an invalid device %j', async (body, message) => {
    const r = await t.api<{ message: string | string[] }>('POST', '/api/v1/devices', body);
    expect(r.status).toBe(400);
    expect(String(r.body.message)).toMatch(message);
  });

  it('refuses a schedule with an invalid start time format', async () => {
    const r = await t.api<{ message: string[] }>('POST', '/api/v1/schedules', { contentId: 'x', startAt: 'tomorrow morning', targets: { areas: ['01'] } });
    expect(r.status).toBe(400);
    expect(String(r.body.message)).toMatch(/startAt/);
  });

  it('serves its clock without a token, for the agents\' offset estimate', async () => {
    const before = Date.now();
    const body = await json(await anon('GET', TIME_PATH));
    expect(timeResponseSchema.parse(body).receivedAt).toBeGreaterThanOrEqual(before);
    expect(Number(body.sentAt)).toBeLessThanOrEqual(Date.now());
  });

  it('publishes the OpenAPI document and its UI', async () => {
    const doc = await json(await anon('GET', '/api/docs-json'));
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v1/schedules', '/api/v1/devices', '/api/v1/auth/login', '/api/health']));
    // Request bodies come from the REST contract's zod schemas (@loa/shared/rest), not from hand-written decorators.
    type Schema = { $ref?: string; properties?: Record<string, unknown>; required?: string[] };
    const openapi = doc as { components: { schemas: Record<string, Schema> }; paths: Record<string, { post: { requestBody: { content: Record<string, { schema: Schema }> } } }> };
    const deref = (x: Schema): Schema => (x.$ref ? (openapi.components.schemas[x.$ref.split('/').pop() as string] as Schema) : x);
    const body = deref(openapi.paths['/api/v1/schedules']!.post.requestBody.content['application/json']!.schema);
    expect(Object.keys(body.properties ?? {})).toEqual(expect.arrayContaining(Object.keys(createScheduleRequestSchema.shape)));
    expect(body.required).toEqual(expect.arrayContaining(['contentId', 'startAt', 'targets']));
    const ui = await anon('GET', '/api/docs');
    expect(ui.status).toBe(200);
    expect(await ui.text()).toContain('swagger');
  });

  it('refuses a JSON body over the limit with 413 and keeps serving', async () => {
    const res = await fetch(`${t.baseUrl}/api/v1/areas`, {
      method: 'POST',
      headers: { authorization: `Bearer ${t.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ code: '09', name: 'x'.repeat(9 * 1024 * 1024), level: 'province' }),
    });
    expect(res.status).toBe(413);
    expect((await anon('GET', '/api/health')).status).toBe(200);
  });

  it('refuses an anonymous 2 MB JSON body at once (1 MB outside bulk registration) and takes a 2 MB bulk registration', async () => {
    // Bodies are parsed before authentication: an 8 MB limit everywhere let anyone make the server parse megabytes.
    const flood = `[${Array.from({ length: 700_000 }, () => '{}').join(',')}]`;
    expect(Buffer.byteLength(flood)).toBeGreaterThan(2 * 1024 * 1024 - 1);
    const login = await fetch(`${t.baseUrl}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: flood });
    expect(login.status).toBe(413);
    const devices = Array.from({ length: 10_000 }, (_, i) => ({ id: `bulk-big-${i}`, name: `Cụm loa ${i} ${'x'.repeat(170)}`, kind: 'speaker', areaCode: '00004' }));
    const body = JSON.stringify({ devices });
    expect(Buffer.byteLength(body)).toBeGreaterThan(2 * 1024 * 1024);
    const bulk = await fetch(`${t.baseUrl}/api/v1/devices/bulk`, { method: 'POST', headers: { authorization: `Bearer ${t.token}`, 'content-type': 'application/json' }, body });
    expect(bulk.status).toBe(201);
    expect(((await bulk.json()) as { devices: unknown[] }).devices).toHaveLength(10_000);
  });
});

describe('start-up on a busy port', () => {
  it.each([
    ['LOA_MQTT_PORT', 'MQTT'],
    ['LOA_HTTP_PORT', 'HTTP'],
  ])('names the port and %s', async (setting, what) => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as { port: number }).port;
    const config = AppConfig.load({
      LOA_DATA_DIR: `/tmp/loa-busy-${process.pid}-${what}`,
      LOA_HTTP_HOST: '127.0.0.1',
      LOA_MQTT_HOST: '127.0.0.1',
      LOA_HTTP_PORT: '0',
      LOA_MQTT_PORT: '0',
      LOA_LOG_LEVEL: 'silent',
      [setting]: String(port),
    });
    try {
      const err = await startServer(config, silentLogger).then(
        (s) => s.close().then(() => null),
        (e: Error) => e,
      );
      expect(err).toBeInstanceOf(ListenError);
      expect(err?.message).toContain(`${what} port ${port}`);
      expect(err?.message).toContain(setting);
    } finally {
      blocker.close();
    }
  });
});
