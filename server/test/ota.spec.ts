/**
 * Issue 20, agent updates over the air, server side, on a whole server (real database, real embedded broker, real
 * MQTT devices): release uploads are verified before anything is kept; rollouts offer the update stage by stage
 * through the commands feature (signed `update` commands), follow the devices' `ota` reports, stop themselves at the
 * error threshold, respect the maintenance window and the alert / slot guards; the package is served only to a
 * device with an offer, resumably.
 */
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { create as createTar } from 'tar';
import { DataSource } from 'typeorm';
import {
  commandMessageSchema,
  deviceTopic,
  openSigned,
  PROTOCOL_VERSION,
  signRelease,
  verifyKeyFromBase64,
  type CommandMessage,
  type OtaReport,
  type ReleaseSignature,
} from '@loa/shared';
import type { OtaDeviceUpdateView, OtaReleaseView, OtaRolloutDetail, Page } from '@loa/shared/rest';
import { Metrics } from '../src/common/metrics.js';
import { AppConfig, ConfigError } from '../src/config/app-config.js';
import { JobScheduler } from '../src/jobs/job-scheduler.js';
import { OTA_ROLLOUTS_JOB } from '../src/ota/ota-rollouts.job.js';
import { inMaintenanceWindow, planStages, stageBounds } from '../src/ota/rollout-plan.js';
import { startTestServer, startTestServerOn, type TestServer } from './support/server.js';
import { until } from './support/until.js';

const keyPair = () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { pem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), pub: publicKey.export({ format: 'jwk' }).x! };
};
const RELEASE_KEY = keyPair();
const OTHER_KEY = keyPair();

const work = mkdtempSync(path.join(tmpdir(), 'loa-ota-spec-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A release package as the release script makes it: manifest.json and its entry, gzip'd tar. */
async function makePackage(version: string, over: Record<string, unknown> = {}): Promise<Buffer> {
  const dir = mkdtempSync(path.join(work, 'pkg-'));
  const main = Buffer.from(`console.log('loa-agent ${version}');\n${randomBytes(2048).toString('hex')}\n`);
  writeFileSync(path.join(dir, 'main.mjs'), main);
  const manifest = {
    format: 1,
    name: 'loa-agent',
    version,
    protocol: PROTOCOL_VERSION,
    node: '>=20.19',
    entry: 'main.mjs',
    builtAt: Date.now(),
    files: [{ path: 'main.mjs', sha256: createHash('sha256').update(main).digest('hex'), size: main.length }],
    ...over,
  };
  writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
  const file = path.join(dir, 'release.tar.gz');
  await createTar({ gzip: true, cwd: dir, file }, ['manifest.json', 'main.mjs']);
  return readFileSync(file);
}

const sign = (bytes: Buffer, version: string, pem = RELEASE_KEY.pem): ReleaseSignature =>
  signRelease(pem, { version, sha256: createHash('sha256').update(bytes).digest('hex'), size: bytes.length });

describe.each(['sqlite', 'postgres'])('agent updates over the air on %s', (dbName) => {
  let t: TestServer;
  let close: () => Promise<void>;
  let serverKey: string;
  const clients: MqttClient[] = [];

  beforeAll(async () => {
    // The job's timer is long: the tests step the rollouts with runNow, as the leader's tick would.
    ({ t, close } = await startTestServerOn(dbName, { LOA_OTA_RELEASE_KEYS: RELEASE_KEY.pub, LOA_OTA_TICK_S: '600', LOA_OTA_SLOT_GUARD_S: '300', LOA_OTA_MAX_PACKAGE_MB: '1' }));
    serverKey = (await t.api<{ publicKey: string }>('GET', '/api/v1/signing-key')).body.publicKey;
    await t.api('POST', '/api/v1/areas', { code: '01', name: 'Tỉnh', level: 'province' });
  }, 120_000);
  afterEach(() => {
    for (const c of clients.splice(0)) c.end(true);
  });
  afterAll(() => close());

  const metrics = () => t.server.app.get(Metrics);
  const db = () => t.server.app.get(DataSource);
  const tick = () => t.server.app.get(JobScheduler).runNow(OTA_ROLLOUTS_JOB);

  const upload = async (pkg: Buffer, sig: unknown): Promise<{ status: number; body: OtaReleaseView & { code?: string } }> => {
    const form = new FormData();
    form.append('package', new Blob([pkg]), 'release.tar.gz');
    form.append('signature', new Blob([JSON.stringify(sig)]), 'release.tar.gz.sig');
    const res = await fetch(`${t.baseUrl}/api/v1/ota/releases`, { method: 'POST', headers: { authorization: `Bearer ${t.token}` }, body: form });
    return { status: res.status, body: (await res.json()) as OtaReleaseView & { code?: string } };
  };
  const release = async (version: string) => {
    const pkg = await makePackage(version);
    const r = await upload(pkg, sign(pkg, version));
    expect(r.status).toBe(201);
    return { ...r.body, bytes: pkg };
  };
  const storedPackages = () => {
    try {
      return readdirSync(path.join(t.dataDir, 'ota')).length;
    } catch {
      return 0;
    }
  };

  const area = async (code: string) => {
    expect((await t.api('POST', '/api/v1/areas', { code, name: `Xã ${code}`, level: 'commune', parentCode: '01' })).status).toBe(201);
  };

  /** A device that is registered, connected and online, listening for its signed commands. */
  interface Device {
    id: string;
    secret: string;
    client: MqttClient;
    commands: CommandMessage[];
    report(r: Partial<OtaReport> & Pick<OtaReport, 'state'>, rollout: OtaRolloutDetail): Promise<void>;
  }
  const device = async (id: string, areaCode: string, agentVersion = '1.0.0'): Promise<Device> => {
    const reg = await t.api<{ secret: string }>('POST', '/api/v1/devices', { id, name: id, kind: 'speaker', areaCode });
    expect(reg.status).toBe(201);
    const client = await mqtt.connectAsync(t.mqttUrl, { clientId: id, username: id, password: reg.body.secret, reconnectPeriod: 0, clean: true, protocolVersion: 4 });
    clients.push(client);
    const commands: CommandMessage[] = [];
    const key = verifyKeyFromBase64(serverKey);
    client.on('message', (_topic, payload) => {
      const opened = openSigned(commandMessageSchema, payload, key);
      if (opened.ok) commands.push(opened.value);
    });
    await client.subscribeAsync(deviceTopic(id, 'req'), { qos: 1 });
    await client.publishAsync(deviceTopic(id, 'status'), JSON.stringify({ v: 1, state: 'online', at: Date.now(), reason: 'connect', kind: 'speaker', agentVersion }), { qos: 1, retain: true });
    await until(`${id} online`, async () => (await t.api<{ online: boolean }>('GET', `/api/v1/devices/${id}`)).body.online, (o) => o === true);
    return {
      id,
      secret: reg.body.secret,
      client,
      commands,
      report: async (r, rollout) => {
        const msg: OtaReport = { v: 1, rolloutId: rollout.id, releaseId: rollout.release.id, version: rollout.release.version, at: Date.now(), running: '1.0.0', ...r };
        await client.publishAsync(deviceTopic(id, 'ota'), JSON.stringify(msg), { qos: 1 });
      },
    };
  };

  const rolloutOf = async (id: string) => (await t.api<OtaRolloutDetail>('GET', `/api/v1/ota/rollouts/${id}`)).body;
  const devicesOf = async (id: string, state?: string) =>
    (await t.api<Page<OtaDeviceUpdateView>>('GET', `/api/v1/ota/rollouts/${id}/devices?limit=1000${state ? `&state=${state}` : ''}`)).body;
  const stateOf = async (rolloutId: string, deviceId: string) => (await devicesOf(rolloutId)).items.find((d) => d.deviceId === deviceId)?.state;
  const create = async (body: Record<string, unknown>) => t.api<OtaRolloutDetail & { code?: string }>('POST', '/api/v1/ota/rollouts', body);

  describe('release uploads', () => {
    it('verifies and stores a signed package; refuses a bad signature, an unknown key, a version mismatch, not a package, a duplicate — storing nothing', async () => {
      const good = await makePackage('2.0.0');
      const ok = await upload(good, sign(good, '2.0.0'));
      expect(ok.status).toBe(201);
      expect(ok.body).toMatchObject({ version: '2.0.0', size: good.length, sha256: createHash('sha256').update(good).digest('hex'), path: `/api/v1/ota/releases/${ok.body.id}/package`, manifest: { protocol: PROTOCOL_VERSION, entry: 'main.mjs', files: 1 }, rollouts: 0 });
      expect(storedPackages()).toBe(1);

      const other = await makePackage('2.0.1');
      const tampered = { ...sign(other, '2.0.1'), sig: sign(good, '2.0.0').sig };
      const mismatch = await makePackage('2.0.2', { version: '2.0.3' });
      const notTar = randomBytes(4096);
      const cases: Array<[string, Buffer, unknown, number, string]> = [
        ['bad signature', other, tampered, 400, 'ota.bad-signature'],
        ['unknown key', other, sign(other, '2.0.1', OTHER_KEY.pem), 400, 'ota.unknown-key'],
        ['signed for other bytes', other, sign(good, '2.0.1'), 400, 'ota.signature-mismatch'],
        ['manifest version ≠ signed version', mismatch, sign(mismatch, '2.0.2'), 400, 'ota.version-mismatch'],
        ['not a tar', notTar, sign(notTar, '2.0.4'), 400, 'ota.not-a-package'],
        ['wrong protocol', await makePackage('2.0.5', { protocol: PROTOCOL_VERSION + 1 }), null, 400, 'ota.protocol-mismatch'],
        ['not a signature file', other, { hello: 'world' }, 400, 'ota.signature-invalid-file'],
        ['duplicate version', good, sign(good, '2.0.0'), 409, 'ota.duplicate-version'],
      ];
      for (const [what, pkg, sig, status, code] of cases) {
        const r = await upload(pkg, sig ?? sign(pkg, '2.0.5'));
        expect({ what, status: r.status, code: r.body.code }).toEqual({ what, status, code });
      }
      const huge = randomBytes(1024 * 1024 + 1);
      const tooLarge = await upload(huge, sign(huge, '2.0.6'));
      expect({ status: tooLarge.status, code: tooLarge.body.code }).toEqual({ status: 413, code: 'ota.package-too-large' });
      const listed = (await t.api<OtaReleaseView[]>('GET', '/api/v1/ota/releases')).body;
      expect(listed.map((r) => r.version)).toEqual(['2.0.0']);
      expect(storedPackages()).toBe(1);
      expect(readdirSync(path.join(t.dataDir, 'tmp')).filter((f) => f.startsWith('ota-'))).toEqual([]);

      // Incomplete upload, and delete of an unused release.
      const form = new FormData();
      form.append('package', new Blob([good]), 'x.tar.gz');
      const incomplete = await fetch(`${t.baseUrl}/api/v1/ota/releases`, { method: 'POST', headers: { authorization: `Bearer ${t.token}` }, body: form });
      expect(((await incomplete.json()) as { code: string }).code).toBe('ota.upload-incomplete');
      expect((await t.api('DELETE', `/api/v1/ota/releases/${ok.body.id}`)).status).toBe(204);
      expect(storedPackages()).toBe(0);
    });

    it('refuses a generic update command: updates go only through rollouts', async () => {
      const r = await t.api<{ code: string }>('POST', '/api/v1/commands', {
        command: { type: 'update', rolloutId: 'x', release: { id: 'x', version: '1.0.0', path: '/api/v1/x', sha256: 'a'.repeat(64), size: 1, signature: {} }, healthTimeoutS: 60 },
        target: { areaCode: '01' },
      });
      expect(r.status).toBe(400);
      expect(r.body.code).toBe('ota.update-via-rollout');
    });
  });

  describe('rollouts', () => {
    it('offers stage by stage through signed update commands, follows reports, completes; serves the package by range to offered devices only', async () => {
      await area('00010');
      const rel = await release('3.0.0');
      const devs = await Promise.all(['a1', 'a2', 'a3', 'a4'].map((id) => device(`${dbName}-st-${id}`, '00010')));
      // Already at the version: not part of the rollout.
      await device(`${dbName}-st-current`, '00010', '3.0.0');
      await until('current version stored', async () => (await t.api<{ agentVersion: string | null }>('GET', `/api/v1/devices/${dbName}-st-current`)).body.agentVersion, (v) => v === '3.0.0');

      const created = await create({ releaseId: rel.id, target: { areaCode: '00010' }, stages: [25, 50, 100], successThreshold: 100, errorThreshold: 50 });
      expect(created.status).toBe(201);
      const r = created.body;
      expect(r).toMatchObject({ state: 'running', devices: 4, currentStage: 0, counts: { pending: 4 } });
      expect(r.stageProgress.map((s) => s.devices)).toEqual([1, 1, 2]);
      // Deterministic membership: the order is the hash order of rollout id + device id.
      const plan = planStages(r.id, devs.map((d) => d.id).sort(), [25, 50, 100]);
      const byStage = (s: number) => plan.filter((p) => p.stage === s).map((p) => p.deviceId);

      await tick();
      const first = devs.find((d) => d.id === byStage(0)[0])!;
      const cmd = await until('the stage-0 device gets its update command', async () => first.commands.find((c) => c.command.type === 'update'), (c) => c !== undefined);
      expect(cmd!.command).toMatchObject({ type: 'update', rolloutId: r.id, release: { id: rel.id, version: '3.0.0', path: rel.path, sha256: rel.sha256, size: rel.size }, healthTimeoutS: 300 });
      expect(devs.filter((d) => d !== first).every((d) => d.commands.length === 0)).toBe(true);
      expect(await stateOf(r.id, first.id)).toBe('offered');

      // Download: the offered device by range (resume), any other device 404.
      const basic = (d: Device) => `Basic ${Buffer.from(`${d.id}:${d.secret}`).toString('base64')}`;
      const part = await fetch(t.baseUrl + rel.path, { headers: { authorization: basic(first), range: 'bytes=100-199' } });
      expect(part.status).toBe(206);
      expect(part.headers.get('content-range')).toBe(`bytes 100-199/${rel.size}`);
      expect(Buffer.from(await part.arrayBuffer())).toEqual(rel.bytes.subarray(100, 200));
      const whole = await fetch(t.baseUrl + rel.path, { headers: { authorization: basic(first) } });
      expect(createHash('sha256').update(Buffer.from(await whole.arrayBuffer())).digest('hex')).toBe(rel.sha256);
      const other = devs.find((d) => d !== first)!;
      expect((await fetch(t.baseUrl + rel.path, { headers: { authorization: basic(other) } })).status).toBe(404);

      for (const state of ['accepted', 'downloading', 'downloaded', 'installing', 'installed'] as const) await first.report({ state }, r);
      await until('installed recorded', () => stateOf(r.id, first.id), (s) => s === 'installed');
      await first.report({ state: 'healthy', running: '3.0.0' }, r);
      await until('healthy recorded', () => stateOf(r.id, first.id), (s) => s === 'healthy');
      // Idempotent: a resent earlier report never moves it back.
      const stale = metrics().get('ota_report_stale');
      await first.report({ state: 'downloading', progress: { bytes: 10, total: rel.size } }, r);
      await until('stale report counted', async () => metrics().get('ota_report_stale'), (n) => n === stale + 1);
      expect(await stateOf(r.id, first.id)).toBe('healthy');
      expect((await devicesOf(r.id, 'healthy')).items[0]).toMatchObject({ deviceId: first.id, runningVersion: '3.0.0' });
      // Once healthy, the package is no longer offered to it.
      expect((await fetch(t.baseUrl + rel.path, { headers: { authorization: basic(first) } })).status).toBe(404);

      await tick();
      expect((await rolloutOf(r.id)).currentStage).toBe(1);
      const second = devs.find((d) => d.id === byStage(1)[0])!;
      await until('stage-1 device offered', async () => second.commands.length, (n) => n === 1);
      await second.report({ state: 'healthy', running: '3.0.0' }, r);
      await until('stage-1 healthy', () => stateOf(r.id, second.id), (s) => s === 'healthy');

      await tick();
      const last = devs.filter((d) => byStage(2).includes(d.id));
      await until('last stage offered', async () => last.map((d) => d.commands.length), (n) => n.every((x) => x === 1));
      for (const d of last) await d.report({ state: 'healthy', running: '3.0.0' }, r);
      await until('all healthy', async () => (await rolloutOf(r.id)).counts.healthy, (n) => n === 4);
      await tick();
      const done = await rolloutOf(r.id);
      expect(done).toMatchObject({ state: 'completed', counts: { healthy: 4, pending: 0 } });
      expect(done.stageProgress.map((s) => s.status)).toEqual(['done', 'done', 'done']);
      // A release in use cannot be deleted.
      expect((await t.api<{ code: string }>('DELETE', `/api/v1/ota/releases/${rel.id}`)).body.code).toBe('ota.release-in-use');
    });

    it('stops by itself at the error threshold, and counts a rejected command and a silent device as failed', async () => {
      await area('00011');
      const rel = await release('3.1.0');
      const devs = await Promise.all(['b1', 'b2', 'b3', 'b4'].map((id) => device(`${dbName}-err-${id}`, '00011')));
      const r = (await create({ releaseId: rel.id, target: { areaCode: '00011' }, stages: [100], errorThreshold: 75, deviceTimeoutS: 60 })).body;
      await tick();
      await until('all offered', async () => devs.map((d) => d.commands.length), (n) => n.every((x) => x === 1));
      const [d1, d2, d3, d4] = devs as [Device, Device, Device, Device];
      await d1.report({ state: 'healthy', running: '3.1.0' }, r);
      await d2.report({ state: 'rolled-back', error: { code: 'health-timeout', message: 'not healthy in 300 s' } }, r);
      await until('two ended', async () => (await rolloutOf(r.id)).counts, (c) => c.healthy === 1 && c['rolled-back'] === 1);
      // The agent refuses the command: answered on `res` like any command.
      const cmd = d3.commands[0]!;
      await d3.client.publishAsync(deviceTopic(d3.id, 'res'), JSON.stringify({ v: 1, id: cmd.id, at: Date.now(), status: 'rejected', message: 'another update in progress' }), { qos: 1 });
      await until('rejected recorded', async () => (await devicesOf(r.id, 'failed')).items, (i) => i.length === 1);
      expect((await devicesOf(r.id, 'failed')).items[0]).toMatchObject({ deviceId: d3.id, errorCode: 'rejected', errorMessage: 'another update in progress' });
      await tick();
      expect((await rolloutOf(r.id)).state).toBe('running'); // 2 of 4 failed: 50% < 75%
      // The fourth never reports: once its offer is older than deviceTimeoutS it counts as failed, and 3 of 4 stops it.
      const p = (n: number) => (dbName === 'sqlite' ? '?' : `$${n}`);
      await db().query(`UPDATE ota_device_updates SET offered_at = ${p(1)} WHERE rollout_id = ${p(2)} AND device_id = ${p(3)}`, [Date.now() - 61_000, r.id, d4.id]);
      await tick();
      expect((await devicesOf(r.id, 'failed')).items.find((i) => i.deviceId === d4.id)).toMatchObject({ errorCode: 'timeout' });
      const stopped = await rolloutOf(r.id);
      expect(stopped).toMatchObject({ state: 'stopped', stopReason: 'error-threshold' });
      expect(stopped.stopDetail).toMatch(/3 of 4/);
      // Stopped for good: it cannot be resumed.
      expect((await t.api<{ code: string }>('POST', `/api/v1/ota/rollouts/${r.id}/resume`)).body.code).toBe('ota.rollout-state');
    });

    it('offers nothing outside the maintenance window, under an alert, or near a slot; pause, resume and stop', async () => {
      await area('00012');
      const rel = await release('3.2.0');
      const [d] = await Promise.all([device(`${dbName}-g-1`, '00012')]);
      // A window that surely excludes now (Vietnam time).
      const vnHour = (new Date(Date.now() + 7 * 3600_000).getUTCHours() + 3) % 24;
      const window = { from: `${String(vnHour).padStart(2, '0')}:00`, to: `${String((vnHour + 1) % 24).padStart(2, '0')}:00` };
      expect(inMaintenanceWindow(window, Date.now())).toBe(false);
      const outside = (await create({ releaseId: rel.id, target: { areaCode: '00012' }, stages: [100], maintenanceWindow: window })).body;
      await tick();
      expect(await stateOf(outside.id, d!.id)).toBe('pending');
      await t.api('POST', `/api/v1/ota/rollouts/${outside.id}/stop`, { reason: 'test over' });
      expect(await rolloutOf(outside.id)).toMatchObject({ state: 'stopped', stopReason: 'operator', stopDetail: 'test over' });

      // An alert in force over the province.
      const now = Date.now();
      await db().query(
        `INSERT INTO alerts (id, area_code, priority, title, status, sent_at, effective_at, expires_at, created_by, source) VALUES ('ota-alert-${dbName}', '01', 'emergency', 'Bão', 'active', ${now}, ${now - 1000}, ${now + 3600_000}, 'admin', 'manual')`,
      );
      const guarded = (await create({ releaseId: rel.id, target: { areaCode: '00012' }, stages: [100] })).body;
      const before = metrics().get('ota_offered');
      await tick();
      expect(await stateOf(guarded.id, d!.id)).toBe('pending');
      expect(metrics().get('ota_offered')).toBe(before);
      await db().query(`UPDATE alerts SET status = 'cancelled', cleared_at = ${now} WHERE id = 'ota-alert-${dbName}'`);

      // A slot starting within the guard time, in the device's stored timeline.
      const slot = { startAt: Date.now() + 60_000, durationMs: 30_000 };
      const payload = JSON.stringify({ v: 1, deviceId: d!.id, version: 99, generatedAt: Date.now(), slots: [slot] });
      const p = (n: number) => (dbName === 'sqlite' ? '?' : `$${n}`);
      await db().query(`DELETE FROM timelines WHERE device_id = ${p(1)}`, [d!.id]);
      await db().query(`INSERT INTO timelines (device_id, version, generated_at, payload) VALUES (${p(1)}, ${p(2)}, ${p(3)}, ${p(4)})`, [d!.id, 99, Date.now(), payload]);
      await tick();
      expect(await stateOf(guarded.id, d!.id)).toBe('pending');

      // Paused: nothing offered either, even once the slot is gone.
      await db().query(`DELETE FROM timelines WHERE device_id = ${p(1)}`, [d!.id]);
      expect((await t.api('POST', `/api/v1/ota/rollouts/${guarded.id}/pause`)).status).toBe(200);
      await tick();
      expect(await stateOf(guarded.id, d!.id)).toBe('pending');
      expect((await t.api<OtaRolloutDetail>('POST', `/api/v1/ota/rollouts/${guarded.id}/resume`)).body.state).toBe('running');
      await tick();
      expect(await stateOf(guarded.id, d!.id)).toBe('offered');
      await until('offered by command', async () => d!.commands.length, (n) => n === 1);
    });

    it('ignores and counts reports for a rollout the device is not part of', async () => {
      await area('00013');
      const rel = await release('3.3.0');
      const [inRollout, outsider] = await Promise.all([device(`${dbName}-w-1`, '00013'), device(`${dbName}-w-out`, '01')]);
      const r = (await create({ releaseId: rel.id, target: { areaCode: '00013' }, stages: [100] })).body;
      const unknown = metrics().get('ota_report_unknown');
      await outsider!.report({ state: 'healthy', running: '3.3.0' }, r);
      await until('unknown report counted', async () => metrics().get('ota_report_unknown'), (n) => n === unknown + 1);
      expect(await stateOf(r.id, inRollout!.id)).toBe('pending');
      expect((await devicesOf(r.id)).items.map((i) => i.deviceId)).toEqual([inRollout!.id]);
    });
  });
});

describe('rollout plan', () => {
  it('stage bounds are cumulative with at least one device first', () => {
    expect(stageBounds(1000, [1, 10, 50, 100])).toEqual([10, 100, 500, 1000]);
    expect(stageBounds(3, [1, 10, 50, 100])).toEqual([1, 1, 2, 3]);
  });

  it('maintenance windows are read in Vietnam time and may cross midnight', () => {
    const at = (utc: string) => Date.parse(utc);
    // 23:30 in Vietnam is 16:30 UTC.
    expect(inMaintenanceWindow({ from: '23:00', to: '05:00' }, at('2026-12-06T16:30:00Z'))).toBe(true);
    expect(inMaintenanceWindow({ from: '23:00', to: '05:00' }, at('2026-12-06T21:59:00Z'))).toBe(true); // 04:59
    expect(inMaintenanceWindow({ from: '23:00', to: '05:00' }, at('2026-12-06T22:00:00Z'))).toBe(false); // 05:00
    expect(inMaintenanceWindow({ from: '01:00', to: '04:00' }, at('2026-12-06T19:00:00Z'))).toBe(true); // 02:00
    expect(inMaintenanceWindow({ from: '01:00', to: '04:00' }, at('2026-12-06T12:00:00Z'))).toBe(false); // 19:00
    expect(inMaintenanceWindow(null, 0)).toBe(true);
  });

  it('membership is deterministic per rollout and differs between rollouts', () => {
    const ids = Array.from({ length: 50 }, (_, i) => `d${i}`);
    expect(planStages('r1', ids, [10, 100])).toEqual(planStages('r1', [...ids].reverse(), [10, 100]));
    expect(planStages('r1', ids, [10, 100]).slice(0, 5)).not.toEqual(planStages('r2', ids, [10, 100]).slice(0, 5));
  });
});

describe('release keys configuration', () => {
  it('validates LOA_OTA_RELEASE_KEYS at start-up, saying which key is wrong', () => {
    const data = mkdtempSync(path.join(work, 'cfg-'));
    expect(AppConfig.load({ LOA_DATA_DIR: data, LOA_OTA_RELEASE_KEYS: ` ${RELEASE_KEY.pub} , ${OTHER_KEY.pub} ` }).ota.releaseKeys).toEqual([RELEASE_KEY.pub, OTHER_KEY.pub]);
    expect(() => AppConfig.load({ LOA_DATA_DIR: data, LOA_OTA_RELEASE_KEYS: `${RELEASE_KEY.pub},not-a-key` })).toThrow(ConfigError);
    expect(() => AppConfig.load({ LOA_DATA_DIR: data, LOA_OTA_RELEASE_KEYS: `${RELEASE_KEY.pub},not-a-key` })).toThrow(/LOA_OTA_RELEASE_KEYS[\s\S]*not-a-key/);
    expect(AppConfig.load({ LOA_DATA_DIR: data }).ota.releaseKeys).toEqual([]);
  });

  it('refuses every upload with a coded error while no release key is configured', async () => {
    const t = await startTestServer();
    try {
      const pkg = await makePackage('4.0.0');
      const form = new FormData();
      form.append('package', new Blob([pkg]), 'release.tar.gz');
      form.append('signature', new Blob([JSON.stringify(sign(pkg, '4.0.0'))]), 'release.tar.gz.sig');
      const res = await fetch(`${t.baseUrl}/api/v1/ota/releases`, { method: 'POST', headers: { authorization: `Bearer ${t.token}` }, body: form });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { code: string }).code).toBe('ota.keys-not-configured');
      expect((await t.api<unknown[]>('GET', '/api/v1/ota/releases')).body).toEqual([]);
    } finally {
      await t.close();
    }
  });
});
