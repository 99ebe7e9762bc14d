/**
 * Device security with real processes: a real server (embedded broker) and real agents.
 * (a) device A's credentials give no access to device B's topics; (b) a revoked device is cut off at once and stays
 * out; (c) an agent with only a provisioning key enrols, is claimed through the API and comes online; (d) TLS with a
 * private CA made by the openssl CLI: the agent uses mqtts:// and https:// (clock sync, media download) with caFile.
 * Throughout, the server logs at trace level and no secret or key may ever appear in its output.
 */
import { jest } from '@jest/globals';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import path from 'node:path';
import { promisify } from 'node:util';
import type { MqttClient, Packet } from 'mqtt';
import { deviceTopic, encodeMessage } from '@loa/shared';
import {
  AGENT_CLI,
  artifactsDir,
  childEnv,
  closesWithin,
  freePorts,
  launchServer,
  loa,
  makeTone,
  ManagedProcess,
  spawnServer,
  stopAll,
  tempDir,
  tryConnect,
  waitFor,
  type TestServer,
} from './support/index.js';

jest.setTimeout(240_000);

const SUITE = 'device-security';
const run = promisify(execFile);

interface AgentRun {
  proc: ManagedProcess;
  dataDir: string;
  /** Log text after `mark` (a length of stdout taken earlier). */
  since(mark: number): string;
  mark(): number;
}

/** Starts the agent CLI with exactly these flags (plus a data dir and null audio output). */
function startAgent(name: string, flags: string[], dataDir = tempDir(name)): AgentRun {
  const args = [AGENT_CLI, ...flags, `--data-dir=${dataDir}`, '--audio-output=null', '--log-level=debug'];
  const proc = new ManagedProcess(name, process.execPath, args, { env: childEnv({}), logDir: artifactsDir(SUITE), stopFirst: true });
  return { proc, dataDir, mark: () => proc.stdout().length, since: (mark) => proc.stdout().slice(mark) };
}

async function waitLog(agent: AgentRun, text: string, timeoutMs: number, from = 0): Promise<void> {
  await waitFor(
    () => {
      if (agent.proc.exit) throw new Error(`${agent.proc.name} exited: ${JSON.stringify(agent.proc.exit)}\n${agent.proc.tail()}`);
      return agent.since(from).includes(text);
    },
    timeoutMs,
    { what: `${agent.proc.name} to log ${JSON.stringify(text)}` },
  ).catch((err: Error) => {
    throw new Error(`${err.message}\n${agent.proc.tail()}`);
  });
}

/** Grants of the next SUBACK the client receives (128 = refused). */
const nextSubackGrants = (c: MqttClient) =>
  new Promise<number[]>((resolve) => {
    const onPacket = (p: Packet) => {
      if (p.cmd !== 'suback') return;
      c.off('packetreceive', onPacket);
      resolve((p.granted as Array<number | { qos: number }>).map((g) => (typeof g === 'number' ? g : g.qos)));
    };
    c.on('packetreceive', onPacket);
  });

describe('device security with real server and agents', () => {
  let server: TestServer;
  /** Everything that must never appear in a log line. */
  const secrets: string[] = [];
  let publicKey = '';

  beforeAll(async () => {
    server = await spawnServer({ suite: SUITE, env: { LOA_LOG_LEVEL: 'trace', LOA_DEVICE_LOGIN_MAX_FAILURES: '3' } });
    await loa.createArea(server.api, { code: '01', name: 'Thành phố Hà Nội', level: 'province' });
    await loa.createArea(server.api, { code: '09955', name: 'Xã Tây Đằng', level: 'commune', parentCode: '01' });
    publicKey = (await server.api.get<{ publicKey: string }>('/api/v1/signing-key')).publicKey;
  });

  afterAll(async () => {
    await stopAll();
  });

  const register = async (id: string, kind: 'speaker' | 'board' = 'speaker') => {
    const created = await server.api.post<{ device: { id: string }; secret: string; serverPublicKey: string }>('/api/v1/devices', { id, name: id, kind, areaCode: '09955' });
    expect(created.serverPublicKey).toBe(publicKey);
    secrets.push(created.secret);
    return created.secret;
  };
  const identityFlags = (id: string, secret: string) => [`--server-url=${server.baseUrl}`, `--mqtt-url=${server.mqttUrl}`, `--device-id=${id}`, `--secret=${secret}`, `--server-public-key=${publicKey}`, '--kind=speaker'];
  const view = (id: string) => server.api.get<{ online: boolean; lastSeenAt: string | null; revokedAt: string | null; presenceReason?: string | null }>(`/api/v1/devices/${id}`);

  it('(a) a client with device A\'s credentials can neither subscribe to nor publish on device B\'s topics', async () => {
    const secretA = await register('spk-sec-a');
    const secretB = await register('spk-sec-b');
    const agentB = startAgent('agent-spk-sec-b', identityFlags('spk-sec-b', secretB));
    await waitLog(agentB, '"msg":"connected to broker"', 30_000);
    await waitFor(async () => (await view('spk-sec-b')).online, 15_000, { what: 'B online' });

    // Logging in as A under B's client id is refused outright.
    const asB = await tryConnect(server.mqttUrl, { clientId: 'spk-sec-b', username: 'spk-sec-a', password: secretA });
    expect(asB).toMatchObject({ connected: false, code: 4 });

    const foreign = await tryConnect(server.mqttUrl, { clientId: 'spk-sec-a', username: 'spk-sec-a', password: secretA, clean: true });
    if (!foreign.connected) throw new Error(`A's own login failed: ${foreign.message}`);
    const grants = nextSubackGrants(foreign.client);
    foreign.client.subscribe([deviceTopic('spk-sec-b', 'timeline'), deviceTopic('spk-sec-b', 'events/ack')], { qos: 1 }, () => undefined);
    expect(await grants).toEqual([128, 128]);

    // Forging B's presence: the broker drops the connection instead of delivering it.
    const gone = closesWithin(foreign.client, 5000);
    foreign.client.publish(deviceTopic('spk-sec-b', 'status'), encodeMessage({ v: 1, state: 'offline', reason: 'shutdown', at: Date.now() }), { qos: 1, retain: true });
    expect(await gone).toBe(true);
    foreign.client.end(true);

    // And forged playback reports for B, on a second connection.
    const again = await tryConnect(server.mqttUrl, { clientId: 'spk-sec-a', username: 'spk-sec-a', password: secretA, clean: true });
    if (!again.connected) throw new Error(`A's second login failed: ${again.message}`);
    const gone2 = closesWithin(again.client, 5000);
    again.client.publish(deviceTopic('spk-sec-b', 'events'), encodeMessage({ v: 1, events: [{ id: 'forged-1', occurrenceId: 'o:1', type: 'finished', at: Date.now() }] }), { qos: 1 });
    expect(await gone2).toBe(true);
    again.client.end(true);

    // Nothing forged reached the server's view of B. Sentinel on the same path (broker → server presence), sent
    // after the forgeries: A's own, legitimate status. Once the server shows A online, a forged B status would
    // have been taken in before it.
    const own = await tryConnect(server.mqttUrl, { clientId: 'spk-sec-a', username: 'spk-sec-a', password: secretA, clean: true });
    if (!own.connected) throw new Error(`A's third login failed: ${own.message}`);
    await own.client.publishAsync(deviceTopic('spk-sec-a', 'status'), encodeMessage({ v: 1, state: 'online', reason: 'connect', at: Date.now(), kind: 'speaker', agentVersion: '1.0.0' }), { qos: 1, retain: true });
    await waitFor(async () => (await view('spk-sec-a')).online, 15_000, { what: "A's own status to reach the server" });
    own.client.end(true);
    // B: still online, no offline in its connection log, its real agent still connected.
    expect((await view('spk-sec-b')).online).toBe(true);
    const connectionsOfB = await server.api.get<Array<{ state: string; reason: string }>>('/api/v1/devices/spk-sec-b/connections?limit=20');
    expect(connectionsOfB.filter((r) => r.state === 'offline')).toEqual([]);
    expect(agentB.proc.stdout()).not.toContain('"msg":"disconnected from broker"');
    const health = await server.health();
    expect(health.counters.mqtt_publish_refused).toBeGreaterThanOrEqual(2);
    expect(health.counters.mqtt_subscribe_refused).toBeGreaterThanOrEqual(2);

    // A rotated secret is a secret too; the old one stops working for the agent-less device A.
    const rotated = await server.api.post<{ secret: string }>('/api/v1/devices/spk-sec-a/credentials/rotate', {});
    secrets.push(rotated.secret);
    expect(await tryConnect(server.mqttUrl, { clientId: 'spk-sec-a', username: 'spk-sec-a', password: secretA })).toMatchObject({ connected: false, code: 4 });
    // A failed login with a wrong password: the password it tried must not be logged either.
    const wrong = 'wrong-password-that-must-not-be-logged';
    secrets.push(wrong);
    expect(await tryConnect(server.mqttUrl, { clientId: 'spk-sec-b', username: 'spk-sec-b', password: wrong })).toMatchObject({ connected: false, code: 4 });
    await agentB.proc.stop();
  });

  it('(b) a revoked device is disconnected at once and cannot come back', async () => {
    const secret = await register('spk-sec-revoked');
    const agent = startAgent('agent-spk-sec-revoked', identityFlags('spk-sec-revoked', secret));
    await waitLog(agent, '"msg":"connected to broker"', 30_000);
    await waitFor(async () => (await view('spk-sec-revoked')).online, 15_000, { what: 'online before revocation' });

    const mark = agent.mark();
    const cutBefore = (await server.health()).counters.mqtt_disconnected_by_server ?? 0;
    const revoked = await server.api.request<{ revokedAt: string }>('POST', '/api/v1/devices/spk-sec-revoked/revoke');
    expect(revoked.status).toBe(200);
    // At once: the server had cut the session before it answered (not left to a keepalive timeout)...
    expect((await server.health()).counters.mqtt_disconnected_by_server).toBe(cutBefore + 1);
    // ...and the agent sees it (a generous deadline, not the claim).
    await waitLog(agent, '"msg":"disconnected from broker"', 30_000, mark);

    // The agent tries again and is refused; it never gets back in.
    await waitLog(agent, 'broker refused the device credentials', 10_000, mark);
    expect(agent.since(mark)).not.toContain('"msg":"connected to broker"');
    const v = await waitFor(async () => {
      const d = await view('spk-sec-revoked');
      return d.online ? undefined : d;
    }, 5000, { what: 'offline after revocation' });
    expect(v.revokedAt).toBe(revoked.body.revokedAt);
    expect(v.presenceReason).toBe('revoked');
    expect(await tryConnect(server.mqttUrl, { clientId: 'spk-sec-revoked', username: 'spk-sec-revoked', password: secret })).toMatchObject({ connected: false, code: 5 });
    const media = await fetch(`${server.baseUrl}/api/v1/media/${'0'.repeat(64)}`, { headers: { authorization: `Basic ${Buffer.from(`spk-sec-revoked:${secret}`).toString('base64')}` } });
    expect(media.status).toBe(401);
    expect(agent.proc.exit).toBeNull();
    await agent.proc.stop();
  });

  it('(c) an agent with a provisioning key enrols, is claimed through the API, then connects and comes online', async () => {
    const created = await server.api.post<{ provisioningKey: { id: string }; key: string }>('/api/v1/provisioning-keys', {
      label: 'Lô loa Tây Đằng',
      areaCode: '09955',
      expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
      maxUses: 10,
    });
    secrets.push(created.key);
    const agent = startAgent('agent-zero-touch', [
      `--server-url=${server.baseUrl}`,
      `--mqtt-url=${server.mqttUrl}`,
      `--provisioning-key=${created.key}`,
      '--hardware-id=SN-E2E-0001',
      '--device-id=spk-zero-touch',
      '--kind=speaker',
    ]);
    await waitLog(agent, 'waiting for an operator to claim this device', 30_000);
    const pending = await server.api.get<Array<{ deviceId: string; hardwareId: string }>>('/api/v1/provisioning/enrollments?state=pending');
    expect(pending).toContainEqual(expect.objectContaining({ deviceId: 'spk-zero-touch', hardwareId: 'SN-E2E-0001' }));
    // Pending: not a device yet, and the agent has not tried to connect.
    expect((await server.api.request('GET', '/api/v1/devices/spk-zero-touch')).status).toBe(404);
    expect(agent.proc.stdout()).not.toContain('"msg":"connected to broker"');

    const identityFile = path.join(agent.dataDir, 'identity.json');
    expect(statSync(identityFile).mode & 0o777).toBe(0o600);
    const identity = JSON.parse(readFileSync(identityFile, 'utf8')) as { deviceId: string; secret: string; serverPublicKey: string; claimed: boolean };
    expect(identity).toMatchObject({ deviceId: 'spk-zero-touch', serverPublicKey: publicKey, claimed: false });
    secrets.push(identity.secret);

    await server.api.post('/api/v1/provisioning/enrollments/spk-zero-touch/claim', { name: 'Cụm loa thôn Đông Phú' });
    await waitLog(agent, '"msg":"connected to broker"', 60_000);
    await waitFor(async () => (await view('spk-zero-touch')).online, 15_000, { what: 'the claimed device online' });
    expect(JSON.parse(readFileSync(identityFile, 'utf8'))).toMatchObject({ claimed: true });
    for (const s of [identity.secret, created.key]) expect(agent.proc.stdout() + agent.proc.stderr()).not.toContain(s);

    // A restart uses identity.json: no second enrolment.
    await agent.proc.stop();
    const restarted = startAgent('agent-zero-touch-restart', [`--server-url=${server.baseUrl}`, `--mqtt-url=${server.mqttUrl}`, `--provisioning-key=${created.key}`, '--kind=speaker'], agent.dataDir);
    await waitLog(restarted, '"msg":"connected to broker"', 30_000);
    expect(restarted.proc.stdout()).toContain('using the stored device identity');
    const keys = await server.api.get<Array<{ id: string; uses: number }>>('/api/v1/provisioning-keys');
    expect(keys.find((k) => k.id === created.provisioningKey.id)?.uses).toBe(1);
    await restarted.proc.stop();
  });

  it('(e) wrong secrets hammered at a device id from its own address keep neither it nor its neighbour off the air', async () => {
    const secret = await register('spk-sec-hammered');
    const neighbourSecret = await register('spk-sec-neighbour');
    // Everything here comes from 127.0.0.1, like devices behind one commune router: twelve wrong secrets at once.
    const guesses = Array.from({ length: 12 }, (_, i) => `hammer-guess-${i}-${Date.now()}`);
    secrets.push(...guesses);
    let answered = 0;
    const wrong = guesses.map((password) =>
      tryConnect(server.mqttUrl, { clientId: 'spk-sec-hammered', username: 'spk-sec-hammered', password }, 60_000).then((o) => (answered++, o)),
    );
    // Each attempt has been checked: answered at once (the first 3) or held back.
    await waitFor(async () => answered + ((await server.health()).counters.device_login_pending ?? 0) === 12, 15_000, { what: 'all wrong attempts checked' });

    const agent = startAgent('agent-spk-sec-hammered', identityFlags('spk-sec-hammered', secret));
    const neighbour = startAgent('agent-spk-sec-neighbour', identityFlags('spk-sec-neighbour', neighbourSecret));
    await waitLog(agent, '"msg":"connected to broker"', 30_000);
    await waitLog(neighbour, '"msg":"connected to broker"', 30_000);
    await waitFor(async () => (await view('spk-sec-hammered')).online && (await view('spk-sec-neighbour')).online, 15_000, { what: 'both online' });
    expect(agent.proc.stdout()).not.toContain('broker refused the device credentials');

    // The wrong ones were slowed down, and all are refused as plain wrong secrets in the end.
    const outcomes = await Promise.all(wrong);
    expect(outcomes.map((o) => (o.connected ? 'connected' : o.code))).toEqual(guesses.map(() => 4));
    expect((await server.health()).counters.device_login_delayed).toBeGreaterThanOrEqual(9);
    await agent.proc.stop();
    await neighbour.proc.stop();
  });

  it('never writes a secret, a provisioning key or a tried password into the server log', () => {
    expect(secrets.length).toBeGreaterThanOrEqual(7);
    const log = server.proc.stdout() + server.proc.stderr();
    // The log is verbose (trace) and did record the events whose secrets it must not show.
    expect(log).toContain('device credentials rotated');
    expect(log).toContain('device enrolled; waiting to be claimed');
    expect(log).toContain('MQTT login refused: unknown device or wrong secret');
    for (const s of secrets) expect(log).not.toContain(s);
  });
});

describe('TLS with a private CA (openssl)', () => {
  const dir = tempDir('tls');
  const ca = path.join(dir, 'ca.pem');

  afterAll(async () => {
    await stopAll();
  });

  /** JSON over HTTPS trusting only our CA (the test process's fetch cannot take a CA). */
  const https = (method: string, url: string, opts: { token?: string; json?: unknown; body?: Buffer; contentType?: string } = {}) =>
    new Promise<{ status: number; body: unknown }>((resolve, reject) => {
      const payload = opts.json !== undefined ? Buffer.from(JSON.stringify(opts.json)) : opts.body;
      const headers: Record<string, string> = { accept: 'application/json' };
      if (opts.token) headers.authorization = `Bearer ${opts.token}`;
      if (payload) headers['content-type'] = opts.contentType ?? 'application/json';
      const req = httpsRequest(url, { method, headers, ca: readFileSync(ca) }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, body: text && (res.headers['content-type'] ?? '').includes('json') ? JSON.parse(text) : text });
        });
      });
      req.on('error', reject);
      req.end(payload);
    });

  it('(d) the agent connects over mqtts://, syncs its clock and downloads media over https:// with caFile', async () => {
    // A private CA and a server certificate for 127.0.0.1, the way docs/tls.md does it.
    const sh = (args: string[]) => run('openssl', args, { cwd: dir });
    await sh(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=Loa e2e CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
    await sh(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1']);
    writeFileSync(path.join(dir, 'server.ext'), 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n');
    await sh(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'server.ext']);

    const [httpPort, mqttPort, mqttsPort] = (await freePorts(3)) as [number, number, number];
    const proc = launchServer({
      suite: SUITE,
      name: 'server-tls',
      dataDir: tempDir('server-tls'),
      httpPort,
      mqttPort,
      env: { LOA_TLS_CERT_FILE: path.join(dir, 'server.pem'), LOA_TLS_KEY_FILE: path.join(dir, 'server.key'), LOA_MQTTS_PORT: String(mqttsPort), LOA_MQTT_PLAIN: 'false' },
    });
    const base = `https://127.0.0.1:${httpPort}`;
    await waitFor(
      async () => {
        if (proc.exit) throw new Error(`server exited\n${proc.tail()}`);
        return (await https('GET', `${base}/api/health`)).status === 200;
      },
      60_000,
      { what: 'HTTPS health' },
    );
    const login = await https('POST', `${base}/api/v1/auth/login`, { json: { username: 'admin', password: 'e2e-admin-password' } });
    const token = (login.body as { accessToken: string }).accessToken;
    const api = async <T>(method: string, p: string, json?: unknown, expected = method === 'POST' ? 201 : 200): Promise<T> => {
      const r = await https(method, `${base}${p}`, { token, json });
      if (r.status !== expected) throw new Error(`${method} ${p} → ${r.status}: ${JSON.stringify(r.body)}`);
      return r.body as T;
    };

    // Plain MQTT is off; the TLS port refuses a client that does not trust our CA.
    expect(await tryConnect(`mqtt://127.0.0.1:${mqttPort}`, { clientId: 'x', username: 'x', password: 'x' }, 3000)).toMatchObject({ connected: false });
    const untrusted = await tryConnect(`mqtts://127.0.0.1:${mqttsPort}`, { clientId: 'x', username: 'x', password: 'x' }, 3000);
    expect(untrusted.connected).toBe(false);

    await api('POST', '/api/v1/areas', { code: '01', name: 'Thành phố Hà Nội', level: 'province' });
    const device = await api<{ secret: string; serverPublicKey: string }>('POST', '/api/v1/devices', { id: 'spk-tls-01', name: 'Cụm loa TLS', kind: 'speaker', areaCode: '01' });

    // Media scheduled for later is fetched ahead of time over HTTPS.
    const tone = await makeTone(path.join(dir, 'tone.mp3'), 2);
    const boundary = `----loa${Date.now()}`;
    const multipart = Buffer.concat([
      Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="tone.mp3"\r\ncontent-type: audio/mpeg\r\n\r\n`),
      await readFile(tone),
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const uploaded = await https('POST', `${base}/api/v1/media`, { token, body: multipart, contentType: `multipart/form-data; boundary=${boundary}` });
    expect(uploaded.status).toBe(201);
    const sha256 = (uploaded.body as { sha256: string }).sha256;
    const content = await api<{ id: string }>('POST', '/api/v1/contents', { type: 'audio', title: 'Bản tin TLS', mediaSha256: sha256, approve: true });
    await api('POST', '/api/v1/schedules', { contentId: content.id, startAt: new Date(Date.now() + 10 * 60_000).toISOString(), targets: { devices: ['spk-tls-01'] } });

    const agent = startAgent('agent-spk-tls-01', [
      `--server-url=${base}`,
      `--mqtt-url=mqtts://127.0.0.1:${mqttsPort}`,
      '--device-id=spk-tls-01',
      `--secret=${device.secret}`,
      `--server-public-key=${device.serverPublicKey}`,
      '--kind=speaker',
      `--ca-file=${ca}`,
    ]);
    await waitLog(agent, '"msg":"connected to broker"', 30_000);
    await waitLog(agent, '"msg":"clock synchronised with the server"', 30_000);
    await waitFor(async () => ((await api<{ online: boolean }>('GET', '/api/v1/devices/spk-tls-01')).online ? true : undefined), 15_000, { what: 'online over mqtts' });
    const cached = path.join(agent.dataDir, 'media', sha256);
    await waitFor(() => existsSync(cached), 30_000, { what: 'media downloaded over https' });
    expect(agent.proc.stdout()).toContain('"msg":"media cached"');
    await agent.proc.stop();
  });
});
