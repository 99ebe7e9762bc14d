/**
 * Backup and restore as an operator does it: `loa-server backup` (the real CLI process) while the server runs and
 * a real agent talks to it, the server stopped, `loa-server restore` into an empty new data dir, a new server on it
 * on the same ports. The same agent, which pinned the server's signing key at provisioning and was never touched,
 * reconnects, accepts a new schedule (signed with the restored key: another key would be refused), plays it, and
 * its report is recorded.
 */
import { jest } from '@jest/globals';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import {
  artifactsDir,
  childEnv,
  fetchSigningKey,
  loa,
  makeTone,
  ManagedProcess,
  REPO_ROOT,
  spawnAgent,
  spawnServer,
  stopAll,
  tempDir,
  waitFor,
  type TestServer,
} from './support/index.js';

jest.setTimeout(300_000);

const SUITE = 'backup-restore';
const LOA_SERVER = path.join(REPO_ROOT, 'server/bin/loa-server.js');

/** Runs the `loa-server` command to its end. */
async function loaServer(name: string, args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const proc = new ManagedProcess(name, process.execPath, [LOA_SERVER, ...args], { env: childEnv(env), logDir: artifactsDir(SUITE) });
  const exit = await proc.exited;
  return { code: exit.code, stdout: proc.stdout(), stderr: proc.stderr() };
}

async function finished(server: TestServer, scheduleId: string, deviceId: string, what: string) {
  return waitFor(
    async () => {
      const ds = await loa.deliveries(server.api, scheduleId);
      const mine = ds.filter((d) => d.deviceId === deviceId);
      return mine.length > 0 && mine.every((d) => d.state === 'finished') ? mine : undefined;
    },
    90_000,
    { what, intervalMs: 500 },
  );
}

describe('backup and restore of a running server', () => {
  const work = tempDir(SUITE);

  afterAll(stopAll);

  it('restores into a new data dir and the same agent, key pinned, keeps playing and reporting', async () => {
    const server = await spawnServer({ suite: SUITE, name: 'server-original' });
    const { api } = server;
    await loa.createArea(api, { code: '01', name: 'Thành phố Hà Nội', level: 'province' });
    await loa.createArea(api, { code: '09955', name: 'Xã Tây Đằng', level: 'commune', parentCode: '01' });
    const spk = await loa.createDevice(api, { id: 'spk-taydang-07', name: 'Cụm loa thôn Yên Thịnh', kind: 'speaker', areaCode: '09955' });
    const pinned = await fetchSigningKey(server.baseUrl);
    const agent = await spawnAgent({
      suite: SUITE,
      serverUrl: server.baseUrl,
      mqttUrl: server.mqttUrl,
      deviceId: spk.device.id,
      secret: spk.secret,
      serverPublicKey: pinned,
      kind: 'speaker',
      audioOutput: `file:${work}/out-{occurrenceId}.wav`,
    });
    const media = await loa.uploadAudio(api, await makeTone(path.join(work, 'ban-tin-sang.mp3'), 2, 550));
    const content = await loa.createAudioContent(api, 'Bản tin sáng thôn Yên Thịnh', media.sha256);
    const first = await loa.createSchedule(api, { contentId: content.id, startAt: new Date(Date.now() + 6000).toISOString(), targets: { devices: [spk.device.id] } });
    await finished(server, first.id, spk.device.id, 'the first schedule to be played and reported');

    // Backup while the server runs and the agent is connected to it.
    const archive = path.join(work, 'backups', 'loa-backup.tar.gz');
    const backup = await loaServer('backup', ['backup', '--out', archive], { LOA_DATA_DIR: server.dataDir, LOA_HTTP_PORT: String(server.httpPort), LOA_MQTT_PORT: String(server.mqttPort) });
    expect(backup.stderr).not.toContain('loa-server backup:');
    expect(backup.code).toBe(0);
    expect(backup.stdout).toContain(`backup written: ${archive}`);
    expect(backup.stdout).toMatch(/sqlite database, latest migration \w+\d{13}/);
    expect(statSync(archive).mode & 0o777).toBe(0o600);
    expect((await server.health()).status).toBe('ok');

    const { options } = server;
    await server.stop();
    expect(server.proc.exit).not.toBeNull();

    // A new, empty data dir: nothing of the old one is used from here on.
    const restoredDir = path.join(tempDir(`${SUITE}-new`), 'data');
    const restore = await loaServer('restore', ['restore', archive, '--data-dir', restoredDir], {});
    expect(restore.stderr).not.toContain('loa-server restore:');
    expect(restore.code).toBe(0);
    expect(restore.stdout).toContain('every file matched its sha256');
    expect(restore.stdout).toContain(`device signing key: ${path.join(restoredDir, 'signing-key.pem')}`);
    expect(restore.stdout).toContain(`LOA_HTTP_PORT=${options.httpPort}`);
    expect(readdirSync(path.join(restoredDir, 'media'))).toContain(media.sha256);
    // Restoring over it again is refused: it is not empty any more.
    const again = await loaServer('restore-again', ['restore', archive, '--data-dir', restoredDir], {});
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('is not empty');

    const restored = await spawnServer({ ...options, dataDir: restoredDir, name: 'server-restored' });
    expect(await fetchSigningKey(restored.baseUrl)).toBe(pinned);
    // The restored database remembers what happened before the backup.
    expect((await loa.deliveries(restored.api, first.id)).map((d) => d.state)).toEqual(['finished']);
    // The agent, untouched since, reconnects to the new server by itself.
    await waitFor(async () => (await loa.getDevice(restored.api, spk.device.id)).online, 90_000, { what: 'the agent to reconnect to the restored server', intervalMs: 500 });

    const second = await loa.createSchedule(restored.api, { contentId: content.id, startAt: new Date(Date.now() + 8000).toISOString(), targets: { devices: [spk.device.id] } });
    const occurrenceId = second.occurrences[0]!.id;
    const reports = await finished(restored, second.id, spk.device.id, 'the schedule made on the restored server to be played and reported');
    expect(reports).toEqual([expect.objectContaining({ occurrenceId, state: 'finished' })]);
    expect(existsSync(path.join(work, `out-${occurrenceId}.wav`))).toBe(true);
    // It verified the new timeline with its pinned key: no rejected signature in its log.
    expect(agent.proc.stdout()).not.toMatch(/signature|untrusted|unknown key/i);
    expect(agent.proc.exit).toBeNull();
  });
});
