import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readFile, rename, stat, statfs, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { mediaPath, sha256Schema } from '@loa/shared';
import type { Logger } from 'pino';
import { Backoff } from '../../backoff.js';
import type { Clock } from '../../clock.js';
import { errorMessage, fsyncDir } from '../../fsutil.js';
import { defaultHttpFetch, type HttpResponse } from '../../http.js';

export type FetchFn = (url: string, init: { headers: Record<string, string>; signal?: AbortSignal }) => Promise<HttpResponse>;

/** Bytes this process may still write on the file system holding `dir` (a port: tests and odd platforms swap it). */
export type FreeSpaceFn = (dir: string) => Promise<number>;

export const statfsFreeSpace: FreeSpaceFn = async (dir) => {
  const s = await statfs(dir);
  return Number(s.bavail) * Number(s.bsize);
};

/** Default free space a download must leave: the outbox, timeline and logs need room too. */
export const DEFAULT_MEDIA_RESERVE_BYTES = 32 * 1024 * 1024;
/** A download without a Content-Length re-checks free space this often. */
const RECHECK_EVERY_BYTES = 1024 * 1024;

/** A download refused (or stopped) because it would not fit. */
export interface DiskShortage {
  sha256: string;
  /** What the download still needed (its announced length, or what was written when it had none). */
  neededBytes: number;
  freeBytes: number;
  reserveBytes: number;
}

export interface MediaCacheOptions {
  dir: string;
  serverUrl: string;
  deviceId: string;
  secret: string;
  clock: Clock;
  logger: Logger;
  fetch?: FetchFn;
  backoff?: Backoff;
  freeSpace?: FreeSpaceFn;
  /** Free space every download must leave (default DEFAULT_MEDIA_RESERVE_BYTES). */
  reserveBytes?: number;
  /** Told when a download does not fit, so the low-disk alarm can be raised at once (telemetry). */
  onDiskShort?: (shortage: DiskShortage) => void;
}

export class MediaError extends Error {
  constructor(
    message: string,
    /** false: retrying the same request cannot help (e.g. 404), true: transient */
    readonly retryable = true,
  ) {
    super(message);
    this.name = 'MediaError';
  }
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

const mb = (bytes: number): string => `${(bytes / 1048576).toFixed(1)} MB`;

/**
 * Content-addressed media store: `media/<sha>` exists only after its hash was verified, so its presence
 * means "playable". Downloads go to `<sha>.part` (ETag kept in `<sha>.etag`) and resume with Range/If-Range.
 * A download starts only when its announced length fits in the free space less a reserve: a device whose disk
 * fills to zero can no longer keep its outbox or timeline.
 */
export class MediaCache {
  private readonly inflight = new Map<string, Promise<string>>();
  /** Downloads refused for lack of space (sha → bytes needed), until they succeed. */
  private readonly shortages = new Map<string, number>();
  private readonly retryTimers = new Map<string, ReturnType<Clock['setTimer']>>();
  private stopped = false;
  private readonly fetchFn: FetchFn;
  private readonly abort = new AbortController();

  constructor(private readonly opts: MediaCacheOptions) {
    this.fetchFn = opts.fetch ?? defaultHttpFetch;
  }

  get dir(): string {
    return this.opts.dir;
  }

  /** Bytes of media this device needs but cannot store (0: none refused); telemetry reports it. */
  get blockedBytes(): number {
    let sum = 0;
    for (const n of this.shortages.values()) sum += n;
    return sum;
  }

  private get reserveBytes(): number {
    return this.opts.reserveBytes ?? DEFAULT_MEDIA_RESERVE_BYTES;
  }

  /** Infinity where the platform cannot tell: the download then goes ahead as before, guarded by ENOSPC only. */
  private freeSpace(): Promise<number> {
    return (this.opts.freeSpace ?? statfsFreeSpace)(this.opts.dir).catch(() => Number.POSITIVE_INFINITY);
  }

  /** Records a shortage and throws the MediaError that says it (retryable: space may be freed). */
  private async refuse(sha256: string, neededBytes: number, freeBytes: number): Promise<never> {
    const shortage: DiskShortage = { sha256, neededBytes, freeBytes, reserveBytes: this.reserveBytes };
    this.shortages.set(sha256, neededBytes);
    this.opts.logger.error(shortage, 'media does not fit on the disk');
    this.opts.onDiskShort?.(shortage);
    throw new MediaError(
      `not enough disk space for media ${sha256}: it needs ${mb(neededBytes)}, ${mb(freeBytes)} free in ${this.opts.dir}, ${mb(this.reserveBytes)} kept in reserve`,
    );
  }

  pathFor(sha256: string): string {
    if (!sha256Schema.safeParse(sha256).success) throw new MediaError(`invalid sha256 ${sha256}`, false);
    return join(this.opts.dir, sha256);
  }

  async has(sha256: string): Promise<boolean> {
    return stat(this.pathFor(sha256)).then(
      (s) => s.isFile(),
      () => false,
    );
  }

  /**
   * The verified path of a cached file, re-hashed now so a file corrupted on disk since download is not
   * played. Throws MediaError with a readable reason otherwise.
   */
  async verifiedPath(sha256: string): Promise<string> {
    const path = this.pathFor(sha256);
    if (!(await this.has(sha256))) {
      throw new MediaError(this.inflight.has(sha256) ? `media ${sha256} still downloading` : `media ${sha256} missing`);
    }
    const actual = await sha256File(path);
    if (actual !== sha256) {
      await unlink(path).catch(() => undefined);
      throw new MediaError(`media ${sha256} hash mismatch on disk (got ${actual}); deleted`);
    }
    return path;
  }

  /** One download attempt (deduplicated per sha); resolves to the verified path. */
  ensure(sha256: string): Promise<string> {
    const existing = this.inflight.get(sha256);
    if (existing) return existing;
    const p = (async () => {
      if (await this.has(sha256)) return this.pathFor(sha256);
      return this.download(sha256);
    })().finally(() => this.inflight.delete(sha256));
    this.inflight.set(sha256, p);
    return p;
  }

  /**
   * Fetches in the background with jittered back-off until the file is cached or the cache stops.
   * Errors are logged, never thrown: playback later reports the missing file as `failed`.
   */
  prefetch(sha256: string, onReady?: (path: string) => void): void {
    if (this.stopped || this.retryTimers.has(sha256)) return;
    const backoff = this.opts.backoff ?? new Backoff({ baseMs: 1000, capMs: 5 * 60_000 });
    const attempt = (): void => {
      this.retryTimers.delete(sha256);
      if (this.stopped) return;
      this.ensure(sha256).then(
        (path) => onReady?.(path),
        (err: unknown) => {
          if (this.stopped) return;
          const delay = err instanceof MediaError && !err.retryable ? backoff.atCap() : backoff.next();
          this.opts.logger.warn({ sha256, err: errorMessage(err), retryInMs: delay }, 'media download failed; will retry');
          this.retryTimers.set(sha256, this.opts.clock.setTimer(attempt, delay));
        },
      );
    };
    attempt();
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.retryTimers.values()) this.opts.clock.clearTimer(t);
    this.retryTimers.clear();
    this.abort.abort();
  }

  private async download(sha256: string): Promise<string> {
    const { dir, serverUrl, deviceId, secret, logger } = this.opts;
    await mkdir(dir, { recursive: true });
    const final = this.pathFor(sha256);
    const part = `${final}.part`;
    const etagFile = `${final}.etag`;
    const have = await stat(part).then(
      (s) => s.size,
      () => 0,
    );
    const etag = have > 0 ? await readFile(etagFile, 'utf8').catch(() => '') : '';
    const headers: Record<string, string> = {
      authorization: `Basic ${Buffer.from(`${deviceId}:${secret}`).toString('base64')}`,
    };
    if (have > 0) {
      headers.range = `bytes=${have}-`;
      // Content is addressed by hash so it cannot change under us; If-Range still guards a mis-served file.
      if (etag) headers['if-range'] = etag;
    }
    const url = `${serverUrl}${mediaPath(sha256)}`;
    const res = await this.fetchFn(url, { headers, signal: this.abort.signal });

    if (res.status === 416 && have > 0) {
      // The part may already be whole (crash between last write and rename); the hash decides.
      await res.body?.cancel();
      return this.finish(sha256, part, final, etagFile);
    }
    if (res.status !== 200 && res.status !== 206) {
      await res.body?.cancel();
      throw new MediaError(`GET ${mediaPath(sha256)} answered ${res.status}`, res.status >= 500 || res.status === 408 || res.status === 429);
    }
    const append = res.status === 206;
    if (append) {
      const start = /^bytes (\d+)-/.exec(res.headers.get('content-range') ?? '')?.[1];
      if (start === undefined || Number(start) !== have) {
        await res.body?.cancel();
        await unlink(part).catch(() => undefined);
        throw new MediaError(`unexpected Content-Range "${res.headers.get('content-range')}" for a resume at ${have}`);
      }
    }
    const lengthHeader = res.headers.get('content-length');
    const announced = lengthHeader === null ? NaN : Number(lengthHeader);
    /** Bytes whose room was checked before the first write. */
    let checkedUpTo = 0;
    if (Number.isSafeInteger(announced) && announced >= 0) {
      checkedUpTo = announced;
      const free = await this.freeSpace();
      if (announced + this.reserveBytes > free) {
        await res.body?.cancel();
        return this.refuse(sha256, announced, free);
      }
    }
    const newEtag = res.headers.get('etag');
    if (newEtag) await writeFile(etagFile, newEtag);
    else if (!append) await unlink(etagFile).catch(() => undefined);
    logger.debug({ sha256, status: res.status, resumeFrom: append ? have : 0 }, 'downloading media');

    const fh = await open(part, append ? 'a' : 'w');
    let written = 0;
    let shortOf: { needed: number; free: number } | null = null;
    try {
      if (res.body) {
        const reader = res.body.getReader();
        let sinceCheck = 0;
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          // No announced length (or a server sending more than it said): keep checking, never eat into the reserve.
          if (written + value.length > checkedUpTo && (sinceCheck += value.length) >= RECHECK_EVERY_BYTES) {
            sinceCheck = 0;
            const free = await this.freeSpace();
            if (free - value.length < this.reserveBytes) {
              shortOf = { needed: written + value.length, free };
              await reader.cancel();
              break;
            }
          }
          try {
            await fh.write(value);
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code !== 'ENOSPC' && (err as NodeJS.ErrnoException).code !== 'EDQUOT') throw err;
            shortOf = { needed: written + value.length, free: 0 };
            await reader.cancel().catch(() => undefined);
            break;
          }
          written += value.length;
        }
      }
      if (!shortOf) await fh.sync();
    } finally {
      await fh.close();
    }
    if (shortOf) {
      // A partial file on a full disk only takes room the device needs: start over once there is space.
      await unlink(part).catch(() => undefined);
      await unlink(etagFile).catch(() => undefined);
      const free = await this.freeSpace();
      return this.refuse(sha256, shortOf.needed, Number.isFinite(free) ? free : shortOf.free);
    }
    return this.finish(sha256, part, final, etagFile);
  }

  private async finish(sha256: string, part: string, final: string, etagFile: string): Promise<string> {
    const actual = await sha256File(part);
    if (actual !== sha256) {
      // Never rename a bad file into place; start from zero next time.
      await unlink(part).catch(() => undefined);
      await unlink(etagFile).catch(() => undefined);
      throw new MediaError(`hash mismatch for ${sha256}: downloaded file hashes to ${actual}`);
    }
    await rename(part, final);
    await unlink(etagFile).catch(() => undefined);
    await fsyncDir(this.opts.dir);
    this.shortages.delete(sha256);
    this.opts.logger.info({ sha256 }, 'media cached');
    return final;
  }
}
