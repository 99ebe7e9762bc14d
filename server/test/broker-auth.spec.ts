import { areaTopic, deviceTopic } from '@loa/shared';
import { Metrics } from '../src/common/metrics.js';
import { BrokerHttpClient, type BrokerCall } from './support/broker-auth-client.js';
import { startEmqxApiStandIn, type EmqxApiStandIn } from './support/broker-auth-emqx-api.js';
import { startMosquitto, type RunningMosquitto } from './support/mosquitto.js';
import { startTestServer, type TestServer } from './support/server.js';

const TOKEN = 'broker-token-0123456789abcdef';
const SERVER_USER = 'loa.server';
const SERVER_PASSWORD = 'server-password-123';
const API_KEY = 'loa-api-key';
const API_SECRET = 'loa-api-secret';

const AUTHN = '/api/broker/emqx/authn';
const AUTHZ = '/api/broker/emqx/authz';

/**
 * The HTTP auth endpoint called exactly as EMQX 5 documents it (and as mosquitto-go-auth and VerneMQ call theirs), on a
 * whole server that is a client of an external broker (a real Mosquitto here; only its account mode matters) with
 * LOA_BROKER_ACCOUNTS=http, and the EMQX REST API stood in by a real HTTP server that records what it is asked.
 */
describe('broker HTTP auth endpoint (EMQX, mosquitto-go-auth, VerneMQ)', () => {
  let mosquitto: RunningMosquitto;
  let api: EmqxApiStandIn;
  let t: TestServer;
  let broker: BrokerHttpClient;
  const secrets = new Map<string, string>();

  beforeAll(async () => {
    mosquitto = await startMosquitto();
    api = await startEmqxApiStandIn(API_KEY, API_SECRET);
    t = await startTestServer({
      LOA_MQTT_URL: mosquitto.url,
      LOA_BROKER_ACCOUNTS: 'http',
      LOA_MQTT_USERNAME: SERVER_USER,
      LOA_MQTT_PASSWORD: SERVER_PASSWORD,
      LOA_BROKER_AUTH_TOKEN: TOKEN,
      LOA_EMQX_API_URL: api.url,
      LOA_EMQX_API_KEY: API_KEY,
      LOA_EMQX_API_SECRET: API_SECRET,
      LOA_INSTANCE_ID: 'auth-test',
    });
    broker = new BrokerHttpClient(t.baseUrl);
    await t.api('POST', '/api/v1/areas', { code: '01', name: 'Tỉnh', level: 'province' });
    await t.api('POST', '/api/v1/areas', { code: '001', name: 'Huyện A', level: 'district', parentCode: '01' });
    await t.api('POST', '/api/v1/areas', { code: '002', name: 'Huyện B', level: 'district', parentCode: '01' });
    for (const id of ['spk-a', 'spk-b', 'spk-rev', 'spk-rot', 'spk-move']) {
      const r = await t.api<{ secret: string }>('POST', '/api/v1/devices', { id, name: id, kind: 'speaker', areaCode: '001' });
      if (r.status !== 201) throw new Error(`register ${id}: ${r.status} ${JSON.stringify(r.body)}`);
      secrets.set(id, r.body.secret);
    }
  });

  afterAll(async () => {
    broker?.close();
    await t?.close();
    await api?.close();
    await mosquitto?.stop();
  });

  const secret = (id: string): string => secrets.get(id)!;
  const metric = (name: string): number => t.server.app.get(Metrics).get(name);
  const authn = (clientid: string, username: string, password: string, peerhost = '10.1.2.3'): Promise<BrokerCall> =>
    broker.json(AUTHN, { clientid, username, password, peerhost }, TOKEN);
  const authz = async (clientid: string, topic: string, action: 'publish' | 'subscribe' | 'all', username = clientid): Promise<string> => {
    // As rendered by EMQX: every placeholder a string.
    const r = await broker.json(AUTHZ, { clientid, username, topic, action, qos: '1', retain: 'false', peerhost: '10.1.2.3' }, TOKEN);
    expect({ status: r.status, contentType: r.contentType?.split(';')[0] }).toEqual({ status: 200, contentType: 'application/json' });
    return (r.body as { result: string }).result;
  };

  describe('EMQX authentication', () => {
    it('allows a device with its right secret (client id = id) and answers its own topics as ACL rules', async () => {
      const r = await authn('spk-a', 'spk-a', secret('spk-a'));
      expect(r.status).toBe(200);
      expect(r.contentType).toMatch(/^application\/json/);
      const body = r.body as { result: string; is_superuser: boolean; acl: Array<{ permission: string; action: string; topic: string }> };
      expect(body).toMatchObject({ result: 'allow', is_superuser: false });
      // The EMQX API is configured (sessions can be ended), so the answer carries the device's own topics.
      expect(body.acl).toContainEqual({ permission: 'allow', action: 'publish', topic: deviceTopic('spk-a', 'events') });
      expect(body.acl).toContainEqual({ permission: 'allow', action: 'subscribe', topic: deviceTopic('spk-a', 'timeline') });
      expect(body.acl.some((rule) => rule.topic.includes('spk-b') || rule.topic.startsWith('loa/v1/a/'))).toBe(false);
    });

    it('denies a wrong secret, an unknown device and a client id other than the username', async () => {
      expect((await authn('spk-a', 'spk-a', 'not-the-secret')).body).toEqual({ result: 'deny', is_superuser: false });
      expect((await authn('ghost-1', 'ghost-1', secret('spk-a'))).body).toEqual({ result: 'deny', is_superuser: false });
      // spk-b's right secret, but presented under another client id: it could take over that session.
      expect((await authn('spk-a', 'spk-b', secret('spk-b'))).body).toEqual({ result: 'deny', is_superuser: false });
      expect((await authn('spk-b', 'spk-b', '')).body).toEqual({ result: 'deny', is_superuser: false });
    });

    it('answers repeated failures at once (never holding the broker\'s connection), counting them as throttled', async () => {
      const throttled = metric('device_login_throttled');
      const delayed = metric('device_login_delayed');
      // More wrong secrets from one address than LOA_DEVICE_LOGIN_MAX_FAILURES (5) answers at once on MQTT.
      for (let i = 0; i < 8; i++) expect((await authn('spk-b', 'spk-b', `wrong-${i}`, '10.9.9.9')).body).toEqual({ result: 'deny', is_superuser: false });
      expect(metric('device_login_throttled') - throttled).toBe(3);
      expect(metric('device_login_delayed')).toBe(delayed);
      // The right secret from that same address still passes at once.
      expect((await authn('spk-b', 'spk-b', secret('spk-b'), '10.9.9.9')).body).toMatchObject({ result: 'allow' });
    });

    it('makes the server account (LOA_MQTT_USERNAME/PASSWORD) the superuser, with its own password only', async () => {
      expect((await authn('loa-server-a', SERVER_USER, SERVER_PASSWORD)).body).toEqual({ result: 'allow', is_superuser: true });
      expect((await authn('loa-server-a', SERVER_USER, 'guess')).body).toEqual({ result: 'deny', is_superuser: false });
    });

    it('takes the same request as a form or as a GET query string', async () => {
      const fields = { clientid: 'spk-a', username: 'spk-a', password: secret('spk-a'), peerhost: '10.1.2.3' };
      expect((await broker.form(AUTHN, fields, TOKEN)).body).toMatchObject({ result: 'allow', is_superuser: false });
      expect((await broker.query(AUTHN, fields, TOKEN)).body).toMatchObject({ result: 'allow', is_superuser: false });
      expect((await broker.form(AUTHN, { ...fields, password: 'x' }, TOKEN)).body).toEqual({ result: 'deny', is_superuser: false });
    });
  });

  describe('EMQX authorisation', () => {
    it('allows a device its own topics and denies another device\'s', async () => {
      expect(await authz('spk-a', deviceTopic('spk-a', 'events'), 'publish')).toBe('allow');
      expect(await authz('spk-a', deviceTopic('spk-a', 'status'), 'publish')).toBe('allow');
      expect(await authz('spk-a', deviceTopic('spk-a', 'timeline'), 'subscribe')).toBe('allow');
      expect(await authz('spk-a', deviceTopic('spk-a', 'req'), 'subscribe')).toBe('allow');
      // Direction matters: a device never publishes its own timeline nor reads its own reports.
      expect(await authz('spk-a', deviceTopic('spk-a', 'timeline'), 'publish')).toBe('deny');
      expect(await authz('spk-a', deviceTopic('spk-a', 'events'), 'subscribe')).toBe('deny');
      expect(await authz('spk-a', deviceTopic('spk-b', 'events'), 'publish')).toBe('deny');
      expect(await authz('spk-a', deviceTopic('spk-b', 'timeline'), 'subscribe')).toBe('deny');
      expect(await authz('spk-a', 'loa/v1/d/+/events', 'subscribe')).toBe('deny');
      expect(await authz('spk-a', '#', 'subscribe')).toBe('deny');
      expect(await authz('spk-a', deviceTopic('spk-a', 'events'), 'all')).toBe('deny');
      // The session's username must be its client id here too.
      expect(await authz('spk-a', deviceTopic('spk-b', 'events'), 'publish', 'spk-b')).toBe('deny');
    });

    it('allows alerts of the device\'s current areas only, and follows a move', async () => {
      expect(await authz('spk-move', areaTopic('001', 'alert'), 'subscribe')).toBe('allow');
      expect(await authz('spk-move', areaTopic('01', 'alert'), 'subscribe')).toBe('allow');
      expect(await authz('spk-move', areaTopic('002', 'alert'), 'subscribe')).toBe('deny');
      expect(await authz('spk-move', areaTopic('001', 'alert'), 'publish')).toBe('deny');
      const moved = await t.api('PATCH', '/api/v1/devices/spk-move', { areaCode: '002' });
      expect(moved.status).toBe(200);
      expect(await authz('spk-move', areaTopic('002', 'alert'), 'subscribe')).toBe('allow');
      expect(await authz('spk-move', areaTopic('001', 'alert'), 'subscribe')).toBe('deny');
      expect(await authz('spk-move', areaTopic('01', 'alert'), 'subscribe')).toBe('allow');
    });

    it('lets only the server account use shared subscriptions', async () => {
      expect(await authz('loa-server-a', '$share/loa/loa/v1/d/+/events', 'subscribe', SERVER_USER)).toBe('allow');
      expect(await authz('loa-server-a', deviceTopic('spk-a', 'timeline'), 'publish', SERVER_USER)).toBe('allow');
      expect(await authz('spk-a', '$share/loa/loa/v1/d/+/events', 'subscribe')).toBe('deny');
      expect(await authz('spk-a', `$share/g/${deviceTopic('spk-a', 'timeline')}`, 'subscribe')).toBe('deny');
    });

    it('takes the authoriser request as a form and as a GET query string', async () => {
      const fields = { clientid: 'spk-a', username: 'spk-a', topic: deviceTopic('spk-a', 'events'), action: 'publish', qos: '1', retain: 'false' };
      expect((await broker.form(AUTHZ, fields, TOKEN)).body).toEqual({ result: 'allow' });
      expect((await broker.query(AUTHZ, { ...fields, topic: deviceTopic('spk-b', 'events') }, TOKEN)).body).toEqual({ result: 'deny' });
    });
  });

  describe('revocation and rotation', () => {
    it('a revoked device is refused at login and in its open session, and EMQX is told to end that session', async () => {
      api.connected.add('spk-rev');
      expect((await authn('spk-rev', 'spk-rev', secret('spk-rev'))).body).toMatchObject({ result: 'allow' });
      const revoked = await t.api('POST', '/api/v1/devices/spk-rev/revoke');
      expect(revoked.status).toBe(200);
      const kick = await api.nextCall('/api/v5/clients/spk-rev');
      expect(kick).toEqual({ method: 'DELETE', path: '/api/v5/clients/spk-rev', authorization: `Basic ${Buffer.from(`${API_KEY}:${API_SECRET}`).toString('base64')}` });
      expect(api.connected.has('spk-rev')).toBe(false);
      expect((await authn('spk-rev', 'spk-rev', secret('spk-rev'))).body).toEqual({ result: 'deny', is_superuser: false });
      expect(await authz('spk-rev', deviceTopic('spk-rev', 'events'), 'publish')).toBe('deny');
      expect(await authz('spk-rev', deviceTopic('spk-rev', 'timeline'), 'subscribe')).toBe('deny');
    });

    it('a rotated device is refused with its old secret, allowed with the new one, and its session is ended', async () => {
      const before = api.calls.filter((c) => c.path === '/api/v5/clients/spk-rot').length;
      const rotated = await t.api<{ secret: string }>('POST', '/api/v1/devices/spk-rot/credentials/rotate');
      expect(rotated.status).toBe(201);
      // Not connected at the stand-in: EMQX answers 404 CLIENTID_NOT_FOUND, which is not an error.
      expect(api.calls.filter((c) => c.path === '/api/v5/clients/spk-rot')).toHaveLength(before + 1);
      expect((await authn('spk-rot', 'spk-rot', secret('spk-rot'))).body).toEqual({ result: 'deny', is_superuser: false });
      expect((await authn('spk-rot', 'spk-rot', rotated.body.secret)).body).toMatchObject({ result: 'allow', is_superuser: false });
    });
  });

  describe('the endpoint itself', () => {
    it('refuses a missing or wrong token with 401, and counts it', async () => {
      const before = metric('broker_auth_unauthorized');
      const body = { clientid: 'spk-a', username: 'spk-a', password: secret('spk-a') };
      expect((await broker.json(AUTHN, body, null)).status).toBe(401);
      expect((await broker.json(AUTHN, body, 'wrong-token-0123456789abcdef')).status).toBe(401);
      expect((await broker.send('POST', `${AUTHZ}?token=nope`, { 'content-type': 'application/json' }, '{}')).status).toBe(401);
      expect(metric('broker_auth_unauthorized') - before).toBe(3);
    });

    it('answers malformed bodies with 400 and what is wrong, never 500', async () => {
      const bad = async (path: string, body: string, contentType = 'application/json') => {
        const r = await broker.send('POST', path, { 'content-type': contentType, authorization: `Bearer ${TOKEN}` }, body);
        return { status: r.status, text: JSON.stringify(r.body) };
      };
      expect((await bad(AUTHN, '{"clientid": "spk-a",')).status).toBe(400);
      expect(await bad(AUTHN, '{"username": "spk-a", "password": "x"}')).toEqual({ status: 400, text: expect.stringContaining('clientid') });
      expect(await bad(AUTHN, '{"clientid": 7, "username": "spk-a"}')).toEqual({ status: 400, text: expect.stringContaining('clientid') });
      expect((await bad(AUTHN, '[1, 2]')).status).toBe(400);
      expect(await bad(AUTHN, 'clientid=spk-a', 'text/plain')).toEqual({ status: 400, text: expect.stringContaining('application/x-www-form-urlencoded') });
      expect(await bad(AUTHZ, '{"clientid": "spk-a", "username": "spk-a", "topic": "t", "action": "delete"}')).toEqual({ status: 400, text: expect.stringContaining('action') });
      expect(await bad(AUTHZ, '{"clientid": "spk-a", "username": "spk-a", "action": "publish"}')).toEqual({ status: 400, text: expect.stringContaining('topic') });
      expect(await bad(AUTHZ, '{"clientid": "spk-a", "topic": "t", "action": "publish", "qos": "7"}')).toEqual({ status: 400, text: expect.stringContaining('qos') });
    });

    it('writes no audit entry for broker calls', async () => {
      const total = async () => (await fetch(`${t.baseUrl}/api/v1/audit`, { headers: { authorization: `Bearer ${t.token}` } })).headers.get('x-total-count');
      const before = await total();
      for (let i = 0; i < 5; i++) await authn('spk-a', 'spk-a', i % 2 === 0 ? secret('spk-a') : 'wrong');
      await authz('spk-a', deviceTopic('spk-a', 'events'), 'publish');
      expect(await total()).toBe(before);
    });
  });

  describe('mosquitto-go-auth HTTP backend (token in the URI)', () => {
    const GO = '/api/broker/mosquitto-go-auth';
    const q = `?token=${TOKEN}`;
    const goJson = (path: string, body: unknown) => broker.send('POST', `${GO}/${path}${q}`, { 'content-type': 'application/json', 'user-agent': 'mosquitto-2.0' }, JSON.stringify(body));
    const goForm = (path: string, fields: Record<string, string>) => broker.send('POST', `${GO}/${path}${q}`, { 'content-type': 'application/x-www-form-urlencoded' }, new URLSearchParams(fields).toString());

    it('checks users (JSON and form params), 2xx with ok to grant and 403 to refuse', async () => {
      expect(await goJson('user', { username: 'spk-a', password: secret('spk-a'), clientid: 'spk-a' })).toMatchObject({ status: 200, body: { ok: true, error: '' } });
      expect(await goJson('user', { username: 'spk-a', password: 'wrong', clientid: 'spk-a' })).toMatchObject({ status: 403, body: { ok: false } });
      expect(await goForm('user', { username: 'spk-a', password: secret('spk-a'), clientid: 'spk-a' })).toMatchObject({ status: 200, body: { ok: true } });
      expect(await goForm('user', { username: SERVER_USER, password: SERVER_PASSWORD, clientid: 'loa-server-a' })).toMatchObject({ status: 200 });
    });

    it('knows the server account as the only superuser', async () => {
      expect((await goJson('superuser', { username: SERVER_USER })).status).toBe(200);
      expect((await goJson('superuser', { username: 'spk-a' })).status).toBe(403);
    });

    it('checks ACLs by acc: 1 read, 2 write, 3 both, 4 subscribe', async () => {
      const acl = async (topic: string, acc: number) => (await goJson('acl', { username: 'spk-a', clientid: 'spk-a', topic, acc })).status;
      expect(await acl(deviceTopic('spk-a', 'events'), 2)).toBe(200);
      expect(await acl(deviceTopic('spk-a', 'timeline'), 4)).toBe(200);
      expect(await acl(deviceTopic('spk-a', 'timeline'), 1)).toBe(200);
      expect(await acl(deviceTopic('spk-a', 'timeline'), 3)).toBe(403);
      expect(await acl(deviceTopic('spk-b', 'timeline'), 1)).toBe(403);
      expect(await acl(areaTopic('001', 'alert'), 1)).toBe(200);
      expect(await acl(areaTopic('002', 'alert'), 4)).toBe(403);
      expect((await goForm('acl', { username: 'spk-a', clientid: 'spk-a', topic: deviceTopic('spk-a', 'res'), acc: '2' })).status).toBe(200);
      expect((await goJson('acl', { username: 'spk-a', clientid: 'spk-a', topic: 't', acc: 9 })).status).toBe(400);
    });
  });

  describe('VerneMQ webhooks (token in the URI)', () => {
    const hook = (name: string, body: unknown) => broker.send('POST', `/api/broker/vernemq/${name}?token=${TOKEN}`, { 'content-type': 'application/json', 'vernemq-hook': name }, JSON.stringify(body));

    it('auth_on_register: devices (MQTT 3.1.1) and the server account (MQTT 5)', async () => {
      const register = { peer_addr: '10.1.2.3', peer_port: 50000, mountpoint: '', clean_session: true };
      expect(await hook('auth_on_register', { ...register, client_id: 'spk-a', username: 'spk-a', password: secret('spk-a') })).toMatchObject({ status: 200, body: { result: 'ok' } });
      expect((await hook('auth_on_register', { ...register, client_id: 'spk-a', username: 'spk-a', password: 'x' })).body).toEqual({ result: { error: 'not_allowed' } });
      expect((await hook('auth_on_register', { ...register, client_id: 'spk-a', username: null, password: null })).body).toEqual({ result: { error: 'not_allowed' } });
      const m5 = { peer_addr: '10.0.0.5', peer_port: 40000, mountpoint: '', clean_start: true, properties: {} };
      expect((await hook('auth_on_register_m5', { ...m5, client_id: 'loa-server-a', username: SERVER_USER, password: SERVER_PASSWORD })).body).toEqual({ result: 'ok' });
    });

    it('auth_on_publish and auth_on_subscribe (refused topics per topic, 128 or 135 for MQTT 5)', async () => {
      const pub = (topic: string) => hook('auth_on_publish', { username: 'spk-a', client_id: 'spk-a', mountpoint: '', qos: 1, topic, payload: 'e30=', retain: false });
      expect((await pub(deviceTopic('spk-a', 'events'))).body).toEqual({ result: 'ok' });
      expect((await pub(deviceTopic('spk-b', 'events'))).body).toEqual({ result: { error: 'not_allowed' } });
      const topics = [
        { topic: deviceTopic('spk-a', 'timeline'), qos: 1 },
        { topic: areaTopic('002', 'alert'), qos: 1 },
      ];
      expect((await hook('auth_on_subscribe', { username: 'spk-a', client_id: 'spk-a', mountpoint: '', topics })).body).toEqual({
        result: 'ok',
        topics: [topics[0], { topic: areaTopic('002', 'alert'), qos: 128 }],
      });
      expect((await hook('auth_on_subscribe', { username: 'spk-a', client_id: 'spk-a', mountpoint: '', topics: [topics[0]] })).body).toEqual({ result: 'ok' });
      const server = await hook('auth_on_subscribe_m5', { username: SERVER_USER, client_id: 'loa-server-a', mountpoint: '', topics: [{ topic: '$share/loa/loa/v1/d/+/events', qos: 1 }], properties: {} });
      expect(server.body).toEqual({ result: 'ok' });
      const device = await hook('auth_on_subscribe_m5', { username: 'spk-a', client_id: 'spk-a', mountpoint: '', topics: [{ topic: '$share/loa/loa/v1/d/+/events', qos: 1 }], properties: {} });
      expect(device.body).toEqual({ result: 'ok', modifiers: { topics: [{ topic: '$share/loa/loa/v1/d/+/events', qos: 135 }] } });
    });
  });
});
