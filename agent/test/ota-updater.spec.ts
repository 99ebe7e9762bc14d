import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { lstat, mkdir, readFile, readdir, readlink, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PROTOCOL_VERSION, signRelease, type OtaReport, type ReleaseSignature, type UpdateCommand } from '@loa/shared';
import * as tar from 'tar';
import { decide } from '../boot/boot.mjs';
import { ManualClock } from '../src/clock.js';
import type { HttpResponse } from '../src/http.js';
import type { OtaFetch } from '../src/features/ota/download.js';
import { InstallLayout } from '../src/features/ota/layout.js';
import { nodeSatisfies } from '../src/features/ota/release-package.js';
import { Updater, type UpdaterOptions } from '../src/features/ota/updater.js';
import { silentLogger, tempDir, waitFor } from './helpers.js';

const key = () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { pem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), pub: publicKey.export({ format: 'jwk' }).x as string };
};
const trusted = key();
const stranger = key();
const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/** A release tree as build-release.mjs lays it out (a tiny entry instead of the bundle). */
async function releaseTree(dir: string, version: string, over: { protocol?: number; node?: string } = {}): Promise<void> {
  await mkdir(dir, { recursive: true });
  // Large enough that a cut download and its resume are real: 64 kB of incompressible bytes.
  const filler = randomBytes(64 * 1024);
  const files: Record<string, Buffer> = { 'cli.mjs': Buffer.from(`console.log(${JSON.stringify(version)});\n`), 'loa-agent.mjs': filler, 'package.json': Buffer.from('{"type":"module"}\n') };
  for (const [name, bytes] of Object.entries(files)) await writeFile(join(dir, name), bytes);
  const manifest = {
    format: 1,
    name: 'loa-agent',
    version,
    protocol: over.protocol ?? PROTOCOL_VERSION,
    node: over.node ?? '>=20',
    entry: 'cli.mjs',
    builtAt: 1,
    files: Object.entries(files).map(([path, bytes]) => ({ path, sha256: sha(bytes), size: bytes.length })),
  };
  await writeFile(join(dir, 'manifest.json'), JSON.stringify(manifest));
}

async function packageOf(work: string, version: string, over: { protocol?: number; extra?: string } = {}): Promise<Buffer> {
  const tree = join(work, `tree-${version}-${over.protocol ?? 'p'}`);
  await releaseTree(tree, version, over);
  const entries = ['manifest.json', 'cli.mjs', 'loa-agent.mjs', 'package.json'];
  if (over.extra) entries.push(over.extra);
  const file = join(work, `pkg-${version}.tar.gz`);
  await tar.c({ gzip: true, file, cwd: tree, portable: true, preservePaths: true }, entries);
  return readFile(file);
}

function command(version: string, bytes: Buffer, signature: ReleaseSignature = signRelease(trusted.pem, { version, sha256: sha(bytes), size: bytes.length })): UpdateCommand {
  return {
    type: 'update',
    rolloutId: 'ro-1',
    release: { id: `rel-${version}`, version, path: `/api/v1/ota/releases/rel-${version}/package`, sha256: sha(bytes), size: bytes.length, signature },
    healthTimeoutS: 60,
  };
}

/** Serves `bytes` with Range; `cutAfter` ends the first response's body with an error after that many bytes. */
function server(bytes: Buffer, opts: { cutAfter?: number; corrupt?: boolean } = {}) {
  const requests: Record<string, string>[] = [];
  let cut = opts.cutAfter;
  const served = opts.corrupt ? Buffer.from(bytes.map((b, i) => (i === 100 ? b ^ 0xff : b))) : bytes;
  const fetch: OtaFetch = async (_url, init) => {
    requests.push(init.headers);
    const m = /^bytes=(\d+)-$/.exec(init.headers.range ?? '');
    const from = m ? Number(m[1]) : 0;
    const part = served.subarray(from);
    const limit = cut;
    cut = undefined;
    let pulls = 0;
    // Erroring a stream drops what it still queues: the cut comes at the read after the bytes that got through.
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        if (pulls++ > 0) {
          if (limit !== undefined) c.error(new Error('connection reset'));
          else c.close();
          return;
        }
        c.enqueue(new Uint8Array(limit !== undefined ? part.subarray(0, limit) : part));
      },
    });
    const status = m ? 206 : 200;
    const res: HttpResponse = { status, ok: true, headers: { get: () => null }, body, text: async () => '' };
    return res;
  };
  return { fetch, requests };
}

async function installDir(root: string): Promise<InstallLayout> {
  const dir = join(root, 'install');
  await releaseTree(join(dir, 'releases', '0.1.0'), '0.1.0');
  await releaseTree(join(dir, 'releases', '0.0.9'), '0.0.9');
  await symlink('releases/0.1.0', join(dir, 'current'));
  await symlink('releases/0.0.9', join(dir, 'previous'));
  const layout = new InstallLayout(dir);
  expect(await layout.problem()).toBeNull();
  return layout;
}

interface Harness {
  updater: Updater;
  reports: OtaReport[];
  restarts: number;
  clock: ManualClock;
  layout: InstallLayout;
  busy: { why: string | null };
  online: { value: boolean };
}

function harness(layout: InstallLayout, fetch: OtaFetch, over: Partial<UpdaterOptions> = {}): Harness {
  const clock = new ManualClock(1_000_000);
  const h: Harness = { reports: [], restarts: 0, clock, layout, busy: { why: null }, online: { value: true } } as unknown as Harness;
  h.updater = new Updater({
    layout,
    releaseKeys: [trusted.pub],
    runningVersion: '0.1.0',
    serverUrl: 'http://server.test',
    authorization: 'Basic ZGV2OnNlY3JldA==',
    clock,
    localClock: clock,
    logger: silentLogger(),
    fetch,
    freeSpace: async () => 1e12,
    reserveBytes: 1024,
    publish: async (r) => {
      if (!h.online.value) return false;
      h.reports.push(r);
      return true;
    },
    busy: () => h.busy.why,
    restart: () => void h.restarts++,
    retryDelaysMs: [1000, 1000],
    deferPollMs: 1000,
    ...over,
  });
  return h;
}

const states = (h: Harness) => h.reports.map((r) => r.state).filter((s, i, a) => s !== a[i - 1]);
const lastReport = (h: Harness) => h.reports[h.reports.length - 1];

describe('OTA updater', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await tempDir('loa-ota-')));
  afterEach(() => cleanup());

  it('installs a signed release: reports each step, switches current and previous atomically, restarts', async () => {
    const layout = await installDir(dir);
    const bytes = await packageOf(dir, '0.2.0');
    const srv = server(bytes);
    const h = harness(layout, srv.fetch);
    await h.updater.start();
    expect(await h.updater.offer(command('0.2.0', bytes))).toEqual({ accepted: 'true', state: 'accepted' });
    await waitFor(() => h.restarts === 1, 10_000, 'restart');
    expect(states(h)).toEqual(['accepted', 'downloading', 'downloaded', 'installing', 'installed']);
    expect(srv.requests[0]?.authorization).toBe('Basic ZGV2OnNlY3JldA==');
    expect(await readlink(join(layout.dir, 'current'))).toBe('releases/0.2.0');
    expect(await readlink(join(layout.dir, 'previous'))).toBe('releases/0.1.0');
    expect((await lstat(join(layout.dir, 'current'))).isSymbolicLink()).toBe(true);
    // No temporary link or unpacked directory is left behind.
    expect((await readdir(layout.dir)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    expect((await readdir(layout.releasesDir)).sort()).toEqual(['0.0.9', '0.1.0', '0.2.0']);
    const state = await layout.readState();
    expect(state).toMatchObject({ phase: 'pending', version: '0.2.0', fromVersion: '0.1.0', boots: 0, deadline: 1_000_000 + 60_000 });
    expect(lastReport(h)).toMatchObject({ state: 'installed', running: '0.1.0', rolloutId: 'ro-1', releaseId: 'rel-0.2.0' });
  });

  it('resumes a cut download with a byte range', async () => {
    const layout = await installDir(dir);
    const bytes = await packageOf(dir, '0.2.0');
    const srv = server(bytes, { cutAfter: 20_000 });
    const h = harness(layout, srv.fetch);
    await h.updater.start();
    await h.updater.offer(command('0.2.0', bytes));
    // The first attempt breaks; the retry waits on the clock.
    await waitFor(() => h.clock.pendingTimers > 0, 10_000, 'retry timer');
    h.clock.advance(1000);
    await waitFor(() => h.restarts === 1, 10_000, 'restart');
    expect(srv.requests).toHaveLength(2);
    expect(srv.requests[0]?.range).toBeUndefined();
    expect(srv.requests[1]?.range).toBe('bytes=20000-');
    expect(await readlink(join(layout.dir, 'current'))).toBe('releases/0.2.0');
  });

  it('refuses a package whose bytes do not hash to the release: hash-mismatch, nothing installed', async () => {
    const layout = await installDir(dir);
    const bytes = await packageOf(dir, '0.2.0');
    const h = harness(layout, server(bytes, { corrupt: true }).fetch);
    await h.updater.start();
    await h.updater.offer(command('0.2.0', bytes));
    await waitFor(() => lastReport(h)?.state === 'failed', 10_000, 'failed report');
    expect(lastReport(h)?.error?.code).toBe('hash-mismatch');
    expect(await readlink(join(layout.dir, 'current'))).toBe('releases/0.1.0');
    expect(await readdir(layout.releasesDir)).not.toContain('0.2.0');
    expect(h.restarts).toBe(0);
    // The corrupt partial download is not kept for a resume.
    expect(await readdir(layout.downloadsDir)).toEqual([]);
  });

  it.each([
    ['bad-signature', (bytes: Buffer) => ({ ...signRelease(trusted.pem, { version: '0.2.0', sha256: sha(bytes), size: bytes.length }), sig: signRelease(trusted.pem, { version: '0.2.1', sha256: sha(bytes), size: bytes.length }).sig })],
    ['unknown-key', (bytes: Buffer) => signRelease(stranger.pem, { version: '0.2.0', sha256: sha(bytes), size: bytes.length })],
  ] as const)('refuses a package with a signature the pinned keys do not vouch for: %s', async (code, signature) => {
    const layout = await installDir(dir);
    const bytes = await packageOf(dir, '0.2.0');
    const h = harness(layout, server(bytes).fetch);
    await h.updater.start();
    await h.updater.offer(command('0.2.0', bytes, signature(bytes)));
    await waitFor(() => lastReport(h)?.state === 'failed', 10_000, 'failed report');
    expect(lastReport(h)?.error?.code).toBe(code);
    expect(await readlink(join(layout.dir, 'current'))).toBe('releases/0.1.0');
    expect(await readdir(layout.releasesDir)).not.toContain('0.2.0');
  });

  it('refuses a release of another protocol (incompatible) and one with a path outside it (bad-package)', async () => {
    const layout = await installDir(dir);
    const other = await packageOf(dir, '0.2.0', { protocol: PROTOCOL_VERSION + 1 });
    const h = harness(layout, server(other).fetch);
    await h.updater.start();
    await h.updater.offer(command('0.2.0', other));
    await waitFor(() => lastReport(h)?.state === 'failed', 10_000, 'failed report');
    expect(lastReport(h)?.error?.code).toBe('incompatible');

    await writeFile(join(dir, 'evil'), 'x');
    const evil = await packageOf(dir, '0.3.0', { extra: '../evil' });
    const h2 = harness(layout, server(evil).fetch);
    await h2.updater.start();
    await h2.updater.offer({ ...command('0.3.0', evil), rolloutId: 'ro-2' });
    await waitFor(() => lastReport(h2)?.state === 'failed', 10_000, 'failed report');
    expect(lastReport(h2)?.error?.code).toBe('bad-package');
    expect(await readdir(layout.releasesDir)).not.toContain('0.3.0');
    expect(await readlink(join(layout.dir, 'current'))).toBe('releases/0.1.0');
  });

  it('refuses a package that would not fit on the disk (disk-full)', async () => {
    const layout = await installDir(dir);
    const bytes = await packageOf(dir, '0.2.0');
    const srv = server(bytes);
    const h = harness(layout, srv.fetch, { freeSpace: async () => 2048 });
    await h.updater.start();
    await h.updater.offer(command('0.2.0', bytes));
    await waitFor(() => lastReport(h)?.state === 'failed', 10_000, 'failed report');
    expect(lastReport(h)?.error?.code).toBe('disk-full');
    expect(srv.requests).toHaveLength(0);
  });

  it('defers while a slot plays and goes on in the gap', async () => {
    const layout = await installDir(dir);
    const bytes = await packageOf(dir, '0.2.0');
    const srv = server(bytes);
    const h = harness(layout, srv.fetch);
    h.busy.why = 'occ-1 is playing';
    await h.updater.start();
    await h.updater.offer(command('0.2.0', bytes));
    await waitFor(() => lastReport(h)?.state === 'deferred', 10_000, 'deferred report');
    // Still playing at the next look: nothing downloaded, nothing switched.
    await waitFor(() => h.clock.pendingTimers > 0, 10_000, 'poll timer');
    h.clock.advance(1000);
    await waitFor(() => h.clock.pendingTimers > 0, 10_000, 'poll timer');
    expect(srv.requests).toHaveLength(0);
    expect(h.reports.filter((r) => r.state === 'deferred')).toHaveLength(1);
    h.busy.why = null;
    h.clock.advance(1000);
    await waitFor(() => h.restarts === 1, 10_000, 'restart');
    expect(states(h)).toEqual(['accepted', 'deferred', 'downloading', 'downloaded', 'installing', 'installed']);
  });

  it('answers offers: rejects the running version, a second update, and any update with no key pinned', async () => {
    const layout = await installDir(dir);
    const bytes = await packageOf(dir, '0.2.0');
    const h = harness(layout, server(bytes).fetch);
    h.busy.why = 'occ-1 is playing';
    await h.updater.start();
    await expect(h.updater.offer(command('0.1.0', bytes))).rejects.toThrow('already running');
    await h.updater.offer(command('0.2.0', bytes));
    // The same offer again (the server resends): accepted, nothing started twice.
    await expect(h.updater.offer(command('0.2.0', bytes))).resolves.toMatchObject({ accepted: 'true' });
    await expect(h.updater.offer({ ...command('0.3.0', bytes), rolloutId: 'ro-9' })).rejects.toThrow('another update is in progress');
    await h.updater.stop();
    const none = harness(layout, server(bytes).fetch, { releaseKeys: [] });
    await expect(none.updater.offer({ ...command('0.2.0', bytes), rolloutId: 'ro-3' })).rejects.toThrow('no release keys');
  });

  it('a release that fails its health check is rolled back by boot.mjs and the previous release reports it until it is said', async () => {
    const layout = await installDir(dir);
    const bytes = await packageOf(dir, '0.2.0');
    const h = harness(layout, server(bytes).fetch);
    await h.updater.start();
    await h.updater.offer(command('0.2.0', bytes));
    await waitFor(() => h.restarts === 1, 10_000, 'restart');

    // The new release starts, and gives up.
    const next = harness(layout, server(bytes).fetch, { runningVersion: '0.2.0' });
    await next.updater.start();
    expect(next.updater.pendingHealth).toEqual({ version: '0.2.0', deadline: 1_060_000 });
    await next.updater.giveUp('health-timeout', 'the output did not play');
    expect(next.restarts).toBe(1);

    // The launcher, at the restart that follows.
    const booted = decide(layout.dir);
    expect(booted.state).toMatchObject({ phase: 'rolled-back', error: { code: 'health-timeout', message: 'the output did not play' } });
    expect(await readlink(join(layout.dir, 'current'))).toBe('releases/0.1.0');

    // The previous release runs again and reports; offline first, so it is said after the reconnect.
    const back = harness(layout, server(bytes).fetch);
    back.online.value = false;
    await back.updater.start();
    expect(back.reports).toEqual([]);
    back.online.value = true;
    await back.updater.resend();
    expect(back.reports.map((r) => [r.state, r.error?.code, r.running])).toEqual([['rolled-back', 'health-timeout', '0.1.0']]);
    await back.updater.resend();
    expect(back.reports).toHaveLength(1);
    expect((await layout.readState())?.reported).toBe(true);
  });

  it('confirms a healthy release: deletes the download and releases older than previous', async () => {
    const layout = await installDir(dir);
    const bytes = await packageOf(dir, '0.2.0');
    const h = harness(layout, server(bytes).fetch);
    await h.updater.start();
    await h.updater.offer(command('0.2.0', bytes));
    await waitFor(() => h.restarts === 1, 10_000, 'restart');
    expect(await readdir(layout.downloadsDir)).toHaveLength(1);
    const next = harness(layout, server(bytes).fetch, { runningVersion: '0.2.0' });
    await next.updater.start();
    await next.updater.confirmHealthy();
    expect(lastReport(next)).toMatchObject({ state: 'healthy', running: '0.2.0', version: '0.2.0' });
    expect(await layout.readState()).toMatchObject({ phase: 'healthy', reported: true });
    expect(await readdir(layout.downloadsDir)).toEqual([]);
    expect((await readdir(layout.releasesDir)).sort()).toEqual(['0.1.0', '0.2.0']);
    // A confirmed release is left alone by the launcher.
    expect(decide(layout.dir).state).toMatchObject({ phase: 'healthy' });
    expect(await readlink(join(layout.dir, 'current'))).toBe('releases/0.2.0');
  });

  it('reads Node ranges as releases declare them', () => {
    expect(nodeSatisfies('20.19.0', '>=20.19')).toBe(true);
    expect(nodeSatisfies('20.18.3', '>=20.19')).toBe(false);
    expect(nodeSatisfies('22.1.0', '>=20')).toBe(true);
    expect(nodeSatisfies('22.1.0', '^20')).toBe(false);
  });
});
