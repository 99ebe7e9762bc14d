import { request as httpRequest } from 'node:http';
import mqtt from 'mqtt';
import { ENROLL_PATH, enrollmentStatusPath, enrollmentStatusSchema, enrollResponseSchema, type EnrollResponse } from '@loa/shared';
import { startTestServerOn, type TestServer } from './support/server.js';

const serverOn = startTestServerOn;

/** Resolves 'connected' or the CONNACK code that refused the login. */
function mqttLogin(url: string, id: string, password: string): Promise<'connected' | number | string> {
  return new Promise((resolve) => {
    const c = mqtt.connect(url, { clientId: id, username: id, password, reconnectPeriod: 0, connectTimeout: 5000, protocolVersion: 4 });
    c.once('connect', () => {
      c.end(true);
      resolve('connected');
    });
    c.once('error', (err) => {
      c.end(true);
      resolve((err as { code?: number }).code ?? err.message);
    });
  });
}

/** POST JSON from a chosen local address (127.0.0.0/8 is all loopback on Linux); resolves the status. */
function postFrom(url: string, localAddress: string, body: unknown): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', localAddress, headers: { 'content-type': 'application/json' } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

describe.each(['sqlite', 'postgres'])('zero-touch provisioning over HTTP on %s', (dbName) => {
  let t: TestServer;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ t, close } = await serverOn(dbName, { LOA_DEVICE_LOGIN_MAX_FAILURES: '3' }));
    await t.api('POST', '/api/v1/areas', { code: '01', name: 'Hà Nội', level: 'province' });
    await t.api('POST', '/api/v1/areas', { code: '09955', name: 'Xã Tây Đằng', level: 'commune', parentCode: '01' });
  });

  afterAll(() => close());

  const post = async <T>(path: string, body: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${t.baseUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
  };
  const statusOf = async (deviceId: string, secret: string) => {
    const res = await fetch(`${t.baseUrl}${enrollmentStatusPath(deviceId)}`, { headers: { authorization: `Basic ${Buffer.from(`${deviceId}:${secret}`).toString('base64')}` } });
    return { status: res.status, body: (await res.json()) as unknown };
  };
  const createKey = async (body: Record<string, unknown>) => t.api<{ provisioningKey: { id: string; uses: number }; key: string }>('POST', '/api/v1/provisioning-keys', body);
  const inAnHour = () => new Date(Date.now() + 3_600_000).toISOString();

  it('operators manage keys; the key string never appears again', async () => {
    const created = await createKey({ label: 'Tây Đằng batch', areaCode: '09955', expiresAt: inAnHour(), maxUses: 5 });
    expect(created.status).toBe(201);
    const listed = await t.api<Array<{ id: string }>>('GET', '/api/v1/provisioning-keys');
    expect(listed.body.map((k) => k.id)).toContain(created.body.provisioningKey.id);
    expect(JSON.stringify(listed.body)).not.toContain(created.body.key);
    expect((await t.api('DELETE', `/api/v1/provisioning-keys/${created.body.provisioningKey.id}`)).status).toBe(204);
    expect((await t.api('DELETE', `/api/v1/provisioning-keys/${created.body.provisioningKey.id}`)).status).toBe(404);
    expect((await fetch(`${t.baseUrl}/api/v1/provisioning-keys`)).status).toBe(401);
  });

  it('validates key requests', async () => {
    expect((await createKey({ label: 'x', expiresAt: 'tomorrow', maxUses: 1 })).status).toBe(400);
    expect((await createKey({ label: 'x', expiresAt: inAnHour(), maxUses: 0 })).status).toBe(400);
    expect((await createKey({ label: 'x', expiresAt: new Date(Date.now() - 1000).toISOString(), maxUses: 1 })).status).toBe(400);
  });

  it('a device enrols, cannot log in until claimed, learns it was claimed, then logs in with the same secret', async () => {
    const { key } = (await createKey({ label: 'batch', areaCode: '09955', expiresAt: inAnHour(), maxUses: 5 })).body;
    const enrolled = await post<EnrollResponse>(ENROLL_PATH, { provisioningKey: key, hardwareId: 'SN-HTTP-1', kind: 'speaker', deviceId: 'spk-http-1' });
    expect(enrolled.status).toBe(201);
    const me = enrollResponseSchema.parse(enrolled.body);
    expect(me.deviceId).toBe('spk-http-1');
    expect(me.serverPublicKey).toBe((await t.api<{ publicKey: string }>('GET', '/api/v1/signing-key')).body.publicKey);

    expect(await mqttLogin(t.mqttUrl, me.deviceId, me.secret)).toBe(4);
    expect(enrollmentStatusSchema.parse((await statusOf(me.deviceId, me.secret)).body)).toEqual({ deviceId: me.deviceId, state: 'pending', areaCode: null });
    expect((await statusOf(me.deviceId, 'wrong')).status).toBe(401);

    const pending = await t.api<Array<{ deviceId: string; hardwareId: string; proposedAreaCode: string }>>('GET', '/api/v1/provisioning/enrollments?state=pending');
    expect(pending.body.find((e) => e.deviceId === me.deviceId)).toMatchObject({ hardwareId: 'SN-HTTP-1', proposedAreaCode: '09955' });

    const claimed = await t.api<{ device: { id: string; areaCode: string; revokedAt: unknown } }>('POST', `/api/v1/provisioning/enrollments/${me.deviceId}/claim`, { areaCode: '09955', name: 'Cụm loa thôn Đông Phú' });
    expect(claimed.status).toBe(201);
    expect(claimed.body.device).toMatchObject({ id: me.deviceId, areaCode: '09955' });
    expect((await statusOf(me.deviceId, me.secret)).body).toEqual({ deviceId: me.deviceId, state: 'claimed', areaCode: '09955' });
    expect(await mqttLogin(t.mqttUrl, me.deviceId, me.secret)).toBe('connected');
    expect((await t.api<{ name: string }>('GET', `/api/v1/devices/${me.deviceId}`)).body.name).toBe('Cụm loa thôn Đông Phú');
    const stillPending = await t.api<Array<{ deviceId: string }>>('GET', '/api/v1/provisioning/enrollments?state=pending');
    expect(stillPending.body.map((e) => e.deviceId)).not.toContain(me.deviceId);
  });

  it('refuses enrolment without a valid key, and the status without the device\'s own credentials', async () => {
    expect((await post(ENROLL_PATH, { provisioningKey: 'lpk_0123456789abcdef0123', hardwareId: 'SN-1', kind: 'speaker' })).status).toBe(401);
    expect((await post(ENROLL_PATH, { hardwareId: 'SN-1', kind: 'speaker' })).status).toBe(400);
    expect((await fetch(`${t.baseUrl}${enrollmentStatusPath('spk-http-1')}`)).status).toBe(401);
    expect((await fetch(`${t.baseUrl}/api/v1/provisioning/enrollments`)).status).toBe(401);
    expect((await t.api('POST', '/api/v1/provisioning/enrollments/nobody/claim', { areaCode: '01' })).status).toBe(404);
  });

  it('slows down a bad key tried again from one address, and still enrols a good key from there', async () => {
    const { key } = (await createKey({ label: 'limited', expiresAt: inAnHour(), maxUses: 5 })).body;
    const enrolFrom = (localAddress: string, provisioningKey: string) => postFrom(`${t.baseUrl}${ENROLL_PATH}`, localAddress, { provisioningKey, hardwareId: 'SN-B', kind: 'speaker' });
    const delayed = async () => (await t.api<{ counters: Record<string, number> }>('GET', '/api/health')).body.counters.device_login_delayed ?? 0;
    const before = await delayed();
    // LOA_DEVICE_LOGIN_MAX_FAILURES=3: the fourth try of the same bad key is answered late.
    for (let i = 0; i < 4; i++) expect(await enrolFrom('127.0.0.5', 'lpk_bad-key-guess-xxxxxxxx')).toBe(401);
    expect(await delayed()).toBe(before + 1);
    // A good key is never refused for the failures of others behind the same address.
    expect(await enrolFrom('127.0.0.5', key)).toBe(201);
  });
});
