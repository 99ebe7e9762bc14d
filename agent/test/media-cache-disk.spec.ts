import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SystemClock } from '../src/clock.js';
import { MediaCache, type DiskShortage, type FetchFn } from '../src/features/media/media-cache.js';
import { silentLogger } from './helpers.js';
import { sha256, startMediaServer, type MediaServer } from './media-server.js';
import { mountSmallDisk, type SmallDisk } from '../../test/support/small-disk.js';

const MB = 1024 * 1024;

// Issue 12, item 3: the media directory on a real 4 MB file system (tmpfs), so "full" is the kernel's ENOSPC.
describe('MediaCache on a small disk', () => {
  let disk: SmallDisk;
  let server: MediaServer;
  let shortages: DiskShortage[];
  const big = randomBytes(3.5 * MB); // + the 1 MB reserve is more than the 4 MB disk
  const small = randomBytes(512 * 1024);

  const cacheWith = (fetchFn?: FetchFn) =>
    new MediaCache({
      dir: join(disk.dir, 'media'),
      serverUrl: server.url,
      deviceId: 'spk-01',
      secret: 'pw',
      clock: new SystemClock(),
      logger: silentLogger(),
      reserveBytes: MB,
      onDiskShort: (s) => shortages.push(s),
      ...(fetchFn ? { fetch: fetchFn } : {}),
    });

  beforeEach(async () => {
    disk = mountSmallDisk(4 * MB, 'loa-agent-disk-');
    server = await startMediaServer({ user: 'spk-01', pass: 'pw' });
    shortages = [];
  });
  afterEach(async () => {
    await server.close();
    disk.close();
  });

  it('refuses a download whose announced length does not fit before writing a byte, and says how much it lacks', async () => {
    const cache = cacheWith();
    const freeBefore = await disk.free();
    const sha = server.add(big);
    await expect(cache.ensure(sha)).rejects.toThrow(/not enough disk space for media .*needs 3\.5 MB, .* MB free .*1\.0 MB kept in reserve/);
    expect(await readdir(join(disk.dir, 'media'))).toEqual([]); // no partial file, no ETag file
    expect(await disk.free()).toBe(freeBefore);
    expect(shortages).toEqual([{ sha256: sha, neededBytes: big.length, freeBytes: freeBefore, reserveBytes: MB }]);
    expect(cache.blockedBytes).toBe(big.length);

    // What fits still downloads; the refused file stays counted until it is stored.
    const ok = server.add(small);
    expect(sha256(await readFile(await cache.ensure(ok)))).toBe(ok);
    expect(cache.blockedBytes).toBe(big.length);
    cache.stop();
  });

  it('stops a download without Content-Length before it eats into the reserve, and removes the partial file', async () => {
    // The real response, re-wrapped without its length (as a chunked answer from a proxy would come).
    const unannounced: FetchFn = async (url, init) => {
      const res = await fetch(url, init);
      const headers = new Headers(res.headers);
      headers.delete('content-length');
      return new Response(res.body, { status: res.status, headers });
    };
    const cache = cacheWith(unannounced);
    const sha = server.add(big);
    await expect(cache.ensure(sha)).rejects.toThrow(/not enough disk space for media/);
    expect(await readdir(join(disk.dir, 'media'))).toEqual([]);
    expect(await disk.free()).toBeGreaterThanOrEqual(3 * MB);
    expect(shortages).toHaveLength(1);
    expect(shortages[0]?.neededBytes).toBeGreaterThan(2 * MB);
    expect(cache.blockedBytes).toBeGreaterThan(0);
    cache.stop();
  });

  it('clears the shortage once the file is stored', async () => {
    const cache = cacheWith();
    const sha = server.add(small);
    await disk.fill(MB + 256 * 1024); // 512 KB + 1 MB reserve does not fit in 1.25 MB
    await expect(cache.ensure(sha)).rejects.toThrow(/not enough disk space/);
    expect(cache.blockedBytes).toBe(small.length);
    await disk.unfill();
    await cache.ensure(sha);
    expect(cache.blockedBytes).toBe(0);
    cache.stop();
  });
});
