import { mkdtempSync, rmSync } from 'node:fs';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { ENROLL_PATH, enrollmentStatusPath, generateSigningKey, type EnrollRequest } from '@loa/shared';
import { Backoff } from '../src/backoff.js';
import { ConfigError, loadConfig, redactConfig, type AgentSettings } from '../src/config.js';
import { IdentityError, identityPath, readIdentity, writeIdentity } from '../src/identity.js';
import { ProvisioningError, resolveIdentity } from '../src/provisioning.js';
import type { HttpFetch } from '../src/tls.js';
import { waitFor } from './helpers.js';

const serverKey = generateSigningKey().publicKeyB64;
const logger = pino({ level: 'silent' });
const fastBackoff = () => new Backoff({ baseMs: 1, capMs: 5 });

/** A scripted server: each call answers from the route's queue (the last answer repeats). */
function fakeServer(routes: Record<string, Array<{ status: number; body: unknown }>>) {
  const calls: Array<{ url: string; method: string; body?: unknown; authorization?: string }> = [];
  const fetch: HttpFetch = async (url, init = {}) => {
    const path = new URL(url).pathname;
    calls.push({ url: path, method: init.method ?? 'GET', ...(init.body ? { body: JSON.parse(init.body) as unknown } : {}), ...(init.headers?.authorization ? { authorization: init.headers.authorization } : {}) });
    const queue = routes[path];
    if (!queue || queue.length === 0) return new Response('{"message":"not found"}', { status: 404 });
    const answer = queue.length > 1 ? queue.shift()! : queue[0]!;
    return new Response(JSON.stringify(answer.body), { status: answer.status, headers: { 'content-type': 'application/json' } });
  };
  return { fetch, calls };
}

async function settings(extra: Record<string, string>, dataDir: string): Promise<AgentSettings> {
  const r = await loadConfig({
    argv: [],
    env: { LOA_AGENT_SERVER_URL: 'http://loa.test', LOA_AGENT_MQTT_URL: 'mqtt://loa.test:1883', LOA_AGENT_KIND: 'speaker', LOA_AGENT_DATA_DIR: dataDir, ...extra },
  });
  if (r.help) throw new Error('help');
  return r.config;
}

describe('agent settings for zero-touch provisioning', () => {
  const dir = mkdtempSync(join(tmpdir(), 'loa-prov-cfg-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('accepts a provisioning key instead of an identity', async () => {
    const s = await settings({ LOA_AGENT_PROVISIONING_KEY: 'lpk_0123456789abcdefghij', LOA_AGENT_HARDWARE_ID: 'SN-1' }, dir);
    expect(s).toMatchObject({ provisioningKey: 'lpk_0123456789abcdefghij', hardwareId: 'SN-1' });
    expect(s.deviceId).toBeUndefined();
  });

  it('names what is missing when there is neither an identity nor a key', async () => {
    const err = await settings({ LOA_AGENT_DEVICE_ID: 'spk-1' }, dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(/invalid setting secret \(--secret \/ LOA_AGENT_SECRET\): is required \(or give provisioningKey/);
    expect((err as Error).message).toMatch(/invalid setting serverPublicKey/);
    expect((err as Error).message).not.toMatch(/invalid setting deviceId/);
  });

  it('refuses a secret without the rest of the identity even with a key', async () => {
    const err = await settings({ LOA_AGENT_PROVISIONING_KEY: 'lpk_0123456789abcdefghij', LOA_AGENT_SECRET: 'x' }, dir).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/invalid setting deviceId.*drop the secret/);
  });

  it('reports missing identity together with other bad settings', async () => {
    const err = await settings({ LOA_AGENT_KIND: 'radio' }, dir).catch((e: unknown) => e);
    expect((err as Error).message).toContain('invalid setting kind');
    expect((err as Error).message).toContain('invalid setting deviceId');
  });

  it('never shows the provisioning key or the secret in the loggable config', async () => {
    const s = await settings({ LOA_AGENT_PROVISIONING_KEY: 'lpk_0123456789abcdefghij' }, dir);
    expect(JSON.stringify(redactConfig({ ...s, secret: 'top-secret' }))).not.toMatch(/lpk_0123|top-secret/);
  });
});

describe('identity.json', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'loa-identity-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const identity = { v: 1 as const, deviceId: 'spk-1', secret: 's3cret', serverPublicKey: serverKey, claimed: false, serverUrl: 'http://x', hardwareId: 'SN', enrolledAt: '2025-01-01T00:00:00.000Z' };

  it('is written readable by its owner only and read back', async () => {
    await writeIdentity(dir, identity);
    expect((await stat(identityPath(dir))).mode & 0o777).toBe(0o600);
    expect(await readIdentity(dir)).toEqual(identity);
    await writeIdentity(dir, { ...identity, claimed: true });
    expect((await readIdentity(dir))?.claimed).toBe(true);
  });

  it('is absent before enrolment, and a damaged file is an error rather than a silent re-enrolment', async () => {
    expect(await readIdentity(dir)).toBeUndefined();
    await writeFile(identityPath(dir), '{"v":1,"deviceId":');
    await expect(readIdentity(dir)).rejects.toBeInstanceOf(IdentityError);
  });
});

describe(resolveIdentity.name, () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'loa-resolve-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const keyEnv = { LOA_AGENT_PROVISIONING_KEY: 'lpk_0123456789abcdefghij', LOA_AGENT_HARDWARE_ID: 'SN-42', LOA_AGENT_DEVICE_ID: 'spk-wanted' };
  const enrolled = { deviceId: 'spk-wanted', secret: 'enrolment-secret', serverPublicKey: serverKey, state: 'pending' };
  const status = (state: string, areaCode: string | null = null) => ({ status: 200, body: { deviceId: 'spk-wanted', state, areaCode } });

  it('uses a configured identity as it is, without calling the server', async () => {
    const server = fakeServer({});
    const s = await settings({ LOA_AGENT_DEVICE_ID: 'spk-1', LOA_AGENT_SECRET: 'x', LOA_AGENT_SERVER_PUBLIC_KEY: serverKey }, dir);
    expect(await resolveIdentity(s, { logger, fetch: server.fetch })).toMatchObject({ deviceId: 'spk-1', secret: 'x' });
    expect(server.calls).toEqual([]);
  });

  it('enrols, stores the identity at once, retries a failing server, waits until claimed, then starts', async () => {
    const server = fakeServer({
      [ENROLL_PATH]: [{ status: 503, body: {} }, { status: 201, body: enrolled }],
      [enrollmentStatusPath('spk-wanted')]: [status('pending'), { status: 502, body: {} }, status('pending'), status('claimed', '09955')],
    });
    const s = await settings(keyEnv, dir);
    const config = await resolveIdentity(s, { logger, fetch: server.fetch, backoff: fastBackoff() });
    expect(config).toMatchObject({ deviceId: 'spk-wanted', secret: 'enrolment-secret', serverPublicKey: serverKey });
    const enrolments = server.calls.filter((c) => c.url === ENROLL_PATH);
    expect(enrolments).toHaveLength(2);
    expect(enrolments[0]!.body).toEqual({ provisioningKey: 'lpk_0123456789abcdefghij', hardwareId: 'SN-42', kind: 'speaker', deviceId: 'spk-wanted' } satisfies EnrollRequest);
    const polls = server.calls.filter((c) => c.url !== ENROLL_PATH);
    expect(polls).toHaveLength(4);
    expect(polls[0]!.authorization).toBe(`Basic ${Buffer.from('spk-wanted:enrolment-secret').toString('base64')}`);
    expect(await readIdentity(dir)).toMatchObject({ deviceId: 'spk-wanted', secret: 'enrolment-secret', claimed: true, hardwareId: 'SN-42' });
  });

  it('on a later start uses identity.json and does not enrol again', async () => {
    await writeIdentity(dir, { v: 1, deviceId: 'spk-wanted', secret: 'stored', serverPublicKey: serverKey, claimed: true, serverUrl: 'http://loa.test', hardwareId: 'SN-42', enrolledAt: 'x' });
    const server = fakeServer({});
    const config = await resolveIdentity(await settings(keyEnv, dir), { logger, fetch: server.fetch });
    expect(config.secret).toBe('stored');
    expect(server.calls).toEqual([]);
  });

  it('resumes waiting after a restart before the claim', async () => {
    await writeIdentity(dir, { v: 1, deviceId: 'spk-wanted', secret: 'stored', serverPublicKey: serverKey, claimed: false, serverUrl: 'http://loa.test', hardwareId: 'SN-42', enrolledAt: 'x' });
    const server = fakeServer({ [enrollmentStatusPath('spk-wanted')]: [status('claimed', '01')] });
    await resolveIdentity(await settings(keyEnv, dir), { logger, fetch: server.fetch, backoff: fastBackoff() });
    expect(server.calls.map((c) => c.url)).toEqual([enrollmentStatusPath('spk-wanted')]);
    expect((await readIdentity(dir))?.claimed).toBe(true);
  });

  it('stops with a clear error when the key is refused or the enrolment rejected', async () => {
    const refused = fakeServer({ [ENROLL_PATH]: [{ status: 401, body: { message: 'invalid provisioning key' } }] });
    await expect(resolveIdentity(await settings(keyEnv, dir), { logger, fetch: refused.fetch, backoff: fastBackoff() })).rejects.toThrow(/enrolment refused \(HTTP 401\): invalid provisioning key/);
    expect(await readIdentity(dir)).toBeUndefined();

    const rejected = fakeServer({ [ENROLL_PATH]: [{ status: 201, body: enrolled }], [enrollmentStatusPath('spk-wanted')]: [status('rejected')] });
    await expect(resolveIdentity(await settings(keyEnv, dir), { logger, fetch: rejected.fetch, backoff: fastBackoff() })).rejects.toBeInstanceOf(ProvisioningError);
  });

  it('refuses a server whose key differs from the one configured to pin', async () => {
    const other = generateSigningKey().publicKeyB64;
    const server = fakeServer({ [ENROLL_PATH]: [{ status: 201, body: enrolled }] });
    await expect(resolveIdentity(await settings({ ...keyEnv, LOA_AGENT_SERVER_PUBLIC_KEY: other }, dir), { logger, fetch: server.fetch })).rejects.toThrow(/other than the configured serverPublicKey/);
    expect(await readIdentity(dir)).toBeUndefined();
    // An identity stored earlier is checked against the configured key too.
    await writeIdentity(dir, { v: 1, deviceId: 'spk-wanted', secret: 'stored', serverPublicKey: serverKey, claimed: true, serverUrl: 'http://loa.test', hardwareId: 'SN-42', enrolledAt: 'x' });
    await expect(resolveIdentity(await settings({ ...keyEnv, LOA_AGENT_SERVER_PUBLIC_KEY: other }, dir), { logger, fetch: server.fetch })).rejects.toThrow(/differs from the configured serverPublicKey/);
  });

  it('stops waiting when asked to shut down', async () => {
    const server = fakeServer({ [ENROLL_PATH]: [{ status: 201, body: enrolled }], [enrollmentStatusPath('spk-wanted')]: [status('pending')] });
    const stop = new AbortController();
    const waiting = resolveIdentity(await settings(keyEnv, dir), { logger, fetch: server.fetch, signal: stop.signal, backoff: new Backoff({ baseMs: 50, capMs: 50 }) });
    // Shut down once it is waiting for the claim (it has asked for its status twice), not after a guessed delay.
    await waitFor(() => server.calls.filter((c) => c.url === enrollmentStatusPath('spk-wanted')).length >= 2, 10_000, 'two status polls');
    stop.abort(new Error('shutdown'));
    await expect(waiting).rejects.toThrow('shutdown');
    expect(JSON.parse(await readFile(identityPath(dir), 'utf8'))).toMatchObject({ claimed: false });
  });
});
