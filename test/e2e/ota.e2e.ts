/**
 * Issue 20, agent updates over the air, end to end with every part real: a server process that trusts two release
 * keys, and 4 real `loa-agent` processes, each in its own install directory laid out as the .deb lays it out
 * (releases/0.1.0 made by buildReleaseTree, current → it, boot.mjs), each run by a supervisor that starts it again
 * whenever it exits (systemd's Restart=always). The packages are real release packages (build-release.mjs):
 * (a) a good 0.2.0 rolls through two stages and every agent ends healthy on 0.2.0 (as its online status says);
 * (b) 0.3.0, whose bundle throws at start, crash-loops on the first stage's devices until boot.mjs rolls them back
 *     to 0.2.0, and the rollout stops itself at the error threshold, the other devices never offered;
 * (c) a package signed by a key the server trusts but the agents do not pin is refused (`unknown-key`), nothing
 *     installed.
 * Every wait is on the server's view of the rollout (fed by the agents' `ota` reports) or on the agents' own state.
 */
import { jest } from '@jest/globals';
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, readdirSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import { OTA_UPLOAD_FIELDS, type OtaDeviceUpdateView, type OtaReleaseView, type OtaRolloutDetail } from '@loa/shared/rest';
import { buildReleasePackage, buildReleaseTree, type ReleasePackage } from '../../agent/release/build-release.mjs';
import { REPO_ROOT, childEnv, fetchSigningKey, loa, spawnServer, stopAll, tempDir, waitFor, WaitAborted, type TestServer } from './support/index.js';
import { Supervisor } from './support/supervisor.js';

jest.setTimeout(600_000);

const SUITE = 'ota';
const AREA = '00115';
const BOOT = path.join(REPO_ROOT, 'agent', 'boot', 'boot.mjs');

const keyPair = () => {
  const k = generateKeyPairSync('ed25519');
  return { pem: k.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), pub: k.publicKey.export({ format: 'jwk' }).x as string };
};
/** The project's release key, pinned by the agents. */
const releaseKey = keyPair();
/** Another key the server trusts (say, a second build host) but these agents do not pin. */
const otherKey = keyPair();

/** Debian's ffmpeg is on PATH on a board; here the installer's binary plays that part (a release has no node_modules). */
const ffmpegDir = path.dirname((createRequire(import.meta.url)('@ffmpeg-installer/ffmpeg') as { path: string }).path);

interface Device {
  id: string;
  installDir: string;
  supervisor: Supervisor;
}

describe('Agent updates over the air (real agents under a supervisor)', () => {
  let server: TestServer;
  let work: string;
  const devices: Device[] = [];
  const packages: Record<string, ReleasePackage> = {};

  beforeAll(async () => {
    work = tempDir('ota');
    server = await spawnServer({ suite: SUITE, env: { LOA_OTA_RELEASE_KEYS: `${releaseKey.pub},${otherKey.pub}`, LOA_OTA_TICK_S: '1' } });
    const serverKey = await fetchSigningKey(server.baseUrl);
    await loa.createArea(server.api, { code: '01', name: 'Thành phố Hà Nội', level: 'province' });
    await loa.createArea(server.api, { code: AREA, name: 'Xã Tây Đằng', level: 'commune', parentCode: '01' });

    // Release packages, as `npm run package:agent-release` makes them.
    const out = path.join(work, 'packages');
    packages.good = await buildReleasePackage({ outDir: out, version: '0.2.0', keyPem: releaseKey.pem });
    packages.broken = await buildReleasePackage({
      outDir: out,
      version: '0.3.0',
      keyPem: releaseKey.pem,
      // A real release whose bundle fails at start (the manifest is hashed again: the package itself is sound).
      mutateTree: (dir) => {
        const bundle = path.join(dir, 'loa-agent.mjs');
        writeFileSync(bundle, `throw new Error('release 0.3.0 is broken');\n${readFileSync(bundle, 'utf8')}`);
      },
    });
    packages.foreign = await buildReleasePackage({ outDir: out, version: '0.4.0', keyPem: otherKey.pem });

    // The 0.1.0 every device was installed with (the .deb's releases/0.1.0).
    const base = path.join(work, 'release-0.1.0');
    await buildReleaseTree(base, { version: '0.1.0' });

    for (let i = 1; i <= 4; i++) {
      const id = `ota-spk-0${i}`;
      const { secret } = await loa.createDevice(server.api, { id, name: `Loa OTA ${i}`, kind: 'speaker', areaCode: AREA });
      const installDir = path.join(work, id, 'opt', 'loa-agent');
      mkdirSync(path.join(installDir, 'releases'), { recursive: true });
      cpSync(base, path.join(installDir, 'releases', '0.1.0'), { recursive: true });
      symlinkSync('releases/0.1.0', path.join(installDir, 'current'));
      copyFileSync(BOOT, path.join(installDir, 'boot.mjs'));
      const args = [
        path.join(installDir, 'boot.mjs'),
        `--server-url=${server.baseUrl}`,
        `--mqtt-url=${server.mqttUrl}`,
        `--device-id=${id}`,
        `--secret=${secret}`,
        `--server-public-key=${serverKey}`,
        '--kind=speaker',
        `--data-dir=${path.join(work, id, 'data')}`,
        '--audio-output=null',
        '--log-level=debug',
      ];
      const env = childEnv({ PATH: `${ffmpegDir}${path.delimiter}${process.env.PATH ?? ''}`, LOA_AGENT_RELEASE_KEYS: releaseKey.pub });
      devices.push({ id, installDir, supervisor: new Supervisor({ suite: SUITE, name: `agent-${id}`, command: process.execPath, args, env }) });
    }
    await Promise.all(devices.map((d) => waitForVersion(d, '0.1.0')));
  });

  afterAll(async () => {
    for (const d of devices) await d.supervisor.stop();
    await stopAll();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  /** The server's view of the device: online and running `version` (its status' agentVersion). */
  const waitForVersion = (d: Device, version: string) =>
    waitFor(
      async () => {
        const v = await loa.getDevice(server.api, d.id);
        return v.online && v.agentVersion === version;
      },
      90_000,
      { what: `${d.id} online running ${version}`, intervalMs: 200 },
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n${d.supervisor.tail()}`);
    });

  const upload = async (pkg: ReleasePackage): Promise<OtaReleaseView> => {
    const form = new FormData();
    form.append(OTA_UPLOAD_FIELDS.package, new Blob([readFileSync(pkg.file)], { type: 'application/gzip' }), path.basename(pkg.file));
    form.append(OTA_UPLOAD_FIELDS.signature, new Blob([readFileSync(pkg.signatureFile!)], { type: 'application/json' }), path.basename(pkg.signatureFile!));
    const r = await server.api.request<OtaReleaseView>('POST', '/api/v1/ota/releases', form);
    if (r.status !== 201) throw new Error(`upload of ${pkg.version}: HTTP ${r.status} ${r.text}`);
    return r.body;
  };

  const rollout = (releaseId: string, stages: number[], over: { errorThreshold?: number; successThreshold?: number } = {}) =>
    server.api.post<OtaRolloutDetail>('/api/v1/ota/rollouts', {
      releaseId,
      target: { areaCode: AREA },
      stages,
      successThreshold: over.successThreshold ?? 100,
      errorThreshold: over.errorThreshold ?? 50,
      healthTimeoutS: 90,
      deviceTimeoutS: 600,
    });

  const rolloutDevices = async (id: string) => (await server.api.get<{ items: OtaDeviceUpdateView[] }>(`/api/v1/ota/rollouts/${id}/devices?limit=100`)).items;
  const rolloutDetail = (id: string) => server.api.get<OtaRolloutDetail>(`/api/v1/ota/rollouts/${id}`);

  /** Waits for the rollout's devices to satisfy `done`; a device failing when it should not stops the wait at once. */
  const untilDevices = (id: string, what: string, done: (rows: OtaDeviceUpdateView[]) => boolean, unexpected?: (row: OtaDeviceUpdateView) => boolean) =>
    waitFor(
      async () => {
        const rows = await rolloutDevices(id);
        const bad = unexpected && rows.find(unexpected);
        if (bad) throw new WaitAborted(`${bad.deviceId} ended ${bad.state} (${bad.errorCode}: ${bad.errorMessage})`);
        return done(rows) ? rows : undefined;
      },
      180_000,
      { what, intervalMs: 250 },
    );

  const state = (d: Device) => JSON.parse(readFileSync(path.join(d.installDir, 'ota', 'state.json'), 'utf8')) as Record<string, unknown>;

  it('(a) rolls a good release through two stages: every agent restarts into 0.2.0 and confirms it healthy', async () => {
    const release = await upload(packages.good!);
    expect(release).toMatchObject({ version: '0.2.0', kid: expect.any(String) });
    const r = await rollout(release.id, [50, 100]);
    const rows = await untilDevices(
      r.id,
      'all 4 devices healthy on 0.2.0',
      (rs) => rs.length === 4 && rs.every((x) => x.state === 'healthy'),
      (x) => x.state === 'failed' || x.state === 'rolled-back',
    );
    expect(rows.map((x) => x.stage).sort()).toEqual([0, 0, 1, 1]);
    await waitFor(async () => (await rolloutDetail(r.id)).state === 'completed', 30_000, { what: 'rollout completed' });
    for (const d of devices) {
      await waitForVersion(d, '0.2.0');
      expect(readlinkSync(path.join(d.installDir, 'current'))).toBe('releases/0.2.0');
      expect(readlinkSync(path.join(d.installDir, 'previous'))).toBe('releases/0.1.0');
      expect(state(d)).toMatchObject({ phase: 'healthy', version: '0.2.0', reported: true });
      // The download is deleted once healthy.
      expect(readdirSync(path.join(d.installDir, 'ota', 'downloads'))).toEqual([]);
      // Restarted by the supervisor into the new release: at least the update's own exit.
      expect(d.supervisor.starts).toBeGreaterThanOrEqual(2);
      expect(d.supervisor.stdout()).toContain('"msg":"release confirmed healthy"');
    }
  });

  it('(b) rolls back a release that crashes at start on the first stage, and the rollout stops itself at the error threshold', async () => {
    const release = await upload(packages.broken!);
    const r = await rollout(release.id, [50, 100], { errorThreshold: 50 });
    const rows = await untilDevices(r.id, 'first stage rolled back', (rs) => rs.filter((x) => x.stage === 0).every((x) => x.state === 'rolled-back'));
    const first = rows.filter((x) => x.stage === 0);
    expect(first).toHaveLength(2);
    for (const row of first) {
      expect(row).toMatchObject({ state: 'rolled-back', errorCode: 'crashed' });
      const d = devices.find((x) => x.id === row.deviceId)!;
      await waitForVersion(d, '0.2.0');
      expect(readlinkSync(path.join(d.installDir, 'current'))).toBe('releases/0.2.0');
      expect(state(d)).toMatchObject({ phase: 'rolled-back', version: '0.3.0', error: { code: 'crashed' } });
      // The broken release really ran, and crashed, before the launcher gave up on it.
      expect(d.supervisor.runs.some((p) => p.stderr().includes('release 0.3.0 is broken'))).toBe(true);
    }
    const detail = await waitFor(async () => {
      const v = await rolloutDetail(r.id);
      return v.state === 'stopped' ? v : undefined;
    }, 30_000, { what: 'rollout stopped' });
    expect(detail.stopReason).toBe('error-threshold');
    // The second stage was never offered: its devices still wait, on 0.2.0.
    const later = (await rolloutDevices(r.id)).filter((x) => x.stage === 1);
    expect(later.map((x) => [x.state, x.offeredAt])).toEqual([
      ['pending', null],
      ['pending', null],
    ]);
    for (const row of later) {
      const d = devices.find((x) => x.id === row.deviceId)!;
      expect(readlinkSync(path.join(d.installDir, 'current'))).toBe('releases/0.2.0');
      expect(existsSync(path.join(d.installDir, 'releases', '0.3.0'))).toBe(false);
    }
  });

  it('(c) refuses a package signed by a key the agents do not pin, whatever the server trusts: unknown-key, nothing installed', async () => {
    const release = await upload(packages.foreign!);
    const r = await rollout(release.id, [100], { errorThreshold: 100 });
    const rows = await untilDevices(r.id, 'all 4 refused', (rs) => rs.length === 4 && rs.every((x) => x.state === 'failed'));
    expect(rows.map((x) => x.errorCode)).toEqual(['unknown-key', 'unknown-key', 'unknown-key', 'unknown-key']);
    for (const d of devices) {
      expect(readlinkSync(path.join(d.installDir, 'current'))).toBe('releases/0.2.0');
      expect(existsSync(path.join(d.installDir, 'releases', '0.4.0'))).toBe(false);
      expect(state(d)).toMatchObject({ phase: 'failed', version: '0.4.0', error: { code: 'unknown-key' } });
      await waitForVersion(d, '0.2.0');
    }
  });
});
