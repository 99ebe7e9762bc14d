import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PROTOCOL_VERSION, type OtaReport, type Slot, type UpdateCommand } from '@loa/shared';
import { ManualClock } from '../src/clock.js';
import { EventBus } from '../src/core/bus.js';
import { deviceCommandHandlers } from '../src/features/commands/command-handlers.js';
import { OtaFeature, type OtaFeatureOptions } from '../src/features/ota/ota.feature.js';
import { silentLogger, tempDir, waitFor } from './helpers.js';

const SHA = 'a'.repeat(64);
const command: UpdateCommand = {
  type: 'update',
  rolloutId: 'ro-1',
  release: {
    id: 'rel-1',
    version: '0.2.0',
    path: '/api/v1/ota/releases/rel-1/package',
    sha256: SHA,
    size: 1000,
    signature: { format: 1, alg: 'Ed25519', kid: '0123456789abcdef', version: '0.2.0', sha256: SHA, size: 1000, sig: 'A'.repeat(86) },
  },
  healthTimeoutS: 60,
};

async function layout(root: string): Promise<string> {
  const dir = join(root, 'install');
  await mkdir(join(dir, 'releases', '0.1.0'), { recursive: true });
  await writeFile(
    join(dir, 'releases', '0.1.0', 'manifest.json'),
    JSON.stringify({ format: 1, name: 'loa-agent', version: '0.1.0', protocol: PROTOCOL_VERSION, node: '>=20', entry: 'cli.mjs', builtAt: 1, files: [{ path: 'cli.mjs', sha256: SHA, size: 1 }] }),
  );
  await symlink('releases/0.1.0', join(dir, 'current'));
  return dir;
}

function feature(installDir: string | undefined, over: Partial<OtaFeatureOptions> = {}) {
  const clock = new ManualClock(1_000_000);
  const published: OtaReport[] = [];
  const fetched: string[] = [];
  const f = new OtaFeature({
    installDir,
    releaseKeys: ['11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo'],
    runningVersion: '0.1.0',
    serverUrl: 'http://server.test',
    deviceId: 'spk-1',
    secret: 's',
    clock,
    localClock: clock,
    logger: silentLogger(),
    bus: new EventBus(),
    uplink: {
      connected: true,
      publish: async (_channel, value) => {
        published.push(value as OtaReport);
        return true;
      },
    },
    playing: () => null,
    slots: () => [],
    probes: { connected: async () => undefined, timeline: async () => undefined, canPlay: async () => undefined },
    restart: () => undefined,
    reserveBytes: 0,
    fetch: async (url) => {
      fetched.push(url);
      throw new Error('offline');
    },
    ...over,
  });
  return { f, clock, published, fetched };
}

describe('OTA feature', () => {
  let root: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir: root, cleanup } = await tempDir('loa-ota-feature-')));
  afterEach(() => cleanup());

  it('is off outside a valid install directory: the update command is rejected as not installable', async () => {
    for (const dir of [undefined, root]) {
      const { f } = feature(dir);
      await f.start();
      expect(f.updateHandler).toBeNull();
      const handlers = deviceCommandHandlers({ update: f.updateHandler } as unknown as Parameters<typeof deviceCommandHandlers>[0]);
      await expect(handlers.update(command)).rejects.toThrow('not-installable');
      await f.stop();
    }
  });

  it('defers an accepted update while a slot starts within the guard time, and downloads once it has passed', async () => {
    const startAt = 1_000_000 + 60_000;
    const slot = { occurrenceId: 'occ-1', startAt, durationMs: 30_000 } as unknown as Slot;
    const { f, clock, published, fetched } = feature(await layout(root), { slots: () => [slot], guardMs: 120_000, tuning: { deferPollMs: 10_000, retryDelaysMs: [] } });
    await f.start();
    expect(await f.updateHandler!(command)).toEqual({ accepted: 'true', state: 'accepted' });
    await waitFor(() => published.some((r) => r.state === 'deferred'), 5000, 'deferred');
    expect(fetched).toEqual([]);
    // Through the slot and past its end: the update goes on (and here fails to download: the server is away).
    for (let t = 0; t < 10 && !published.some((r) => r.state === 'failed'); t++) {
      await waitFor(() => clock.pendingTimers > 0 || published.some((r) => r.state === 'failed'), 5000, 'poll timer');
      clock.advance(10_000);
    }
    await waitFor(() => published.some((r) => r.state === 'failed'), 5000, 'failed');
    expect(fetched).toEqual(['http://server.test/api/v1/ota/releases/rel-1/package']);
    expect(published.find((r) => r.state === 'downloading')!.at).toBeGreaterThanOrEqual(startAt + 30_000);
    expect(published.map((r) => r.state)).toEqual(['accepted', 'deferred', 'downloading', 'failed']);
    expect(published.at(-1)?.error?.code).toBe('download-failed');
    await f.stop();
  });
});
