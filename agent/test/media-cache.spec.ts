import { randomBytes } from 'node:crypto';
import { readFile, stat, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { SystemClock } from '../src/clock.js';
import { MediaCache, MediaError } from '../src/features/media/media-cache.js';
import { silentLogger, tempDir, waitFor } from './helpers.js';
import { sha256, startMediaServer, type MediaServer } from './media-server.js';

describe('MediaCache', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let server: MediaServer;
  let cache: MediaCache;
  const data = randomBytes(256 * 1024 + 123);

  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir());
    server = await startMediaServer({ user: 'spk-01', pass: 'pw' });
    cache = new MediaCache({ dir: join(dir, 'media'), serverUrl: server.url, deviceId: 'spk-01', secret: 'pw', clock: new SystemClock(), logger: silentLogger() });
  });
  afterEach(async () => {
    cache.stop();
    await server.close();
    await cleanup();
  });

  it('downloads, verifies and renames into place, sending Basic auth', async () => {
    const sha = server.add(data);
    const path = await cache.ensure(sha);
    expect(path).toBe(join(dir, 'media', sha));
    expect(sha256(await readFile(path))).toBe(sha);
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]?.headers.authorization).toBe(`Basic ${Buffer.from('spk-01:pw').toString('base64')}`);
    expect(server.requests[0]?.headers.range).toBeUndefined();
    await expect(stat(`${path}.part`)).rejects.toThrow();
    expect(await cache.verifiedPath(sha)).toBe(path);
  });

  it('resumes a partial download with Range and If-Range', async () => {
    const sha = server.add(data);
    server.cutAfter = 100_000;
    await expect(cache.ensure(sha)).rejects.toThrow();
    const part = join(dir, 'media', `${sha}.part`);
    const partial = (await stat(part)).size;
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(data.length);
    await expect(stat(join(dir, 'media', sha))).rejects.toThrow();

    server.cutAfter = null;
    const path = await cache.ensure(sha);
    const resume = server.requests.at(-1);
    expect(resume?.headers.range).toBe(`bytes=${partial}-`);
    expect(resume?.headers['if-range']).toBe(`"${sha}"`);
    expect(resume?.status).toBe(206);
    expect(sha256(await readFile(path))).toBe(sha);
  });

  it('resumes from a .part left by an earlier run (no ETag known)', async () => {
    const sha = server.add(data);
    await mkdir(join(dir, 'media'), { recursive: true });
    await writeFile(join(dir, 'media', `${sha}.part`), data.subarray(0, 5000));
    const path = await cache.ensure(sha);
    expect(server.requests[0]?.headers.range).toBe('bytes=5000-');
    expect(server.requests[0]?.status).toBe(206);
    expect(sha256(await readFile(path))).toBe(sha);
  });

  it('rejects a hash mismatch and does not rename it into place', async () => {
    const sha = server.add(data);
    server.lies.set(sha, randomBytes(1000));
    await expect(cache.ensure(sha)).rejects.toThrow(/hash mismatch/);
    await expect(stat(join(dir, 'media', sha))).rejects.toThrow();
    await expect(stat(join(dir, 'media', `${sha}.part`))).rejects.toThrow();
    await expect(cache.verifiedPath(sha)).rejects.toThrow(/missing/);
  });

  it('reports wrong credentials and unknown media as errors', async () => {
    const sha = server.add(data);
    const bad = new MediaCache({ dir: join(dir, 'media2'), serverUrl: server.url, deviceId: 'spk-01', secret: 'nope', clock: new SystemClock(), logger: silentLogger() });
    await expect(bad.ensure(sha)).rejects.toThrow(/401/);
    await expect(cache.ensure('0'.repeat(64))).rejects.toBeInstanceOf(MediaError);
  });

  it('detects a file corrupted on disk after download', async () => {
    const sha = server.add(data);
    const path = await cache.ensure(sha);
    await writeFile(path, 'garbage');
    await expect(cache.verifiedPath(sha)).rejects.toThrow(/hash mismatch on disk/);
  });

  it('prefetch retries until the server has the file', async () => {
    const sha = sha256(data);
    const retrying = new MediaCache({
      dir: join(dir, 'media'),
      serverUrl: server.url,
      deviceId: 'spk-01',
      secret: 'pw',
      clock: new SystemClock(),
      logger: silentLogger(),
      backoff: new (await import('../src/backoff.js')).Backoff({ baseMs: 50, capMs: 100 }),
    });
    const ready = new Promise<string>((resolve) => retrying.prefetch(sha, resolve));
    // Refused twice: it did not give up after the first 404.
    await waitFor(() => server.requests.filter((r) => r.status === 404).length >= 2, 10_000, 'two refused attempts');
    server.add(data);
    expect(sha256(await readFile(await ready))).toBe(sha);
    retrying.stop();
  });
});
