import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { copyFile, mkdir, open, readdir, readFile, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Clock } from '../common/clock.js';
import { AppConfig } from '../config/app-config.js';
import type { AppLogger } from '../logging/logger.js';
import { LOGGER } from '../logging/logging.module.js';

export interface WrittenTemp {
  bytes: number;
  sha256: string;
}

/** A stored media file opened for reading: size and reads come from the same descriptor. */
export interface OpenMedia {
  readonly size: number;
  /** Inclusive byte positions. The stream owns the descriptor and closes it. */
  stream(range: { start: number; end: number }): Readable;
  close(): Promise<void>;
}

const TEMP_PREFIX = 'upload-';
/** Sources of pending processing jobs: kept across restarts (MediaJobService resumes or removes them). */
const JOB_PREFIX = 'job-';
const JOB_SUFFIX = '.src';
const TEMP_SUFFIX = '.part';
/** Temp files older than this at start-up are leftovers of a crash, not uploads in progress. */
const STALE_TEMP_MS = 24 * 3_600_000;

/**
 * Every file-system effect of the media feature: uploads land in `${dataDir}/tmp`, accepted files are renamed
 * into `${mediaDir}/<sha256>` (same file system, so the move is atomic: a file there is always complete).
 */
@Injectable()
export class MediaStorage implements OnModuleInit {
  readonly tmpDir: string;
  readonly mediaDir: string;
  private readonly log: AppLogger;

  constructor(
    config: AppConfig,
    @Inject(LOGGER) logger: AppLogger,
    private readonly clock: Clock,
  ) {
    this.tmpDir = path.join(config.dataDir, 'tmp');
    this.mediaDir = config.mediaDir;
    this.log = logger.child({ ctx: 'media' });
  }

  async onModuleInit(): Promise<void> {
    await this.ensureDirs();
    await this.sweepStaleTemps();
  }

  async ensureDirs(): Promise<void> {
    await mkdir(this.tmpDir, { recursive: true });
    await mkdir(this.mediaDir, { recursive: true });
  }

  newTempPath(): string {
    return path.join(this.tmpDir, `${TEMP_PREFIX}${randomBytes(12).toString('hex')}${TEMP_SUFFIX}`);
  }

  /**
   * Streams `source` into a new file at `target`, hashing and counting on the way. On any failure the partial
   * file is gone before the promise rejects.
   */
  async writeTemp(source: Readable, target: string, onBytes?: (bytes: number) => void): Promise<WrittenTemp> {
    const hash = createHash('sha256');
    let bytes = 0;
    const tap = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        hash.update(chunk);
        bytes += chunk.length;
        onBytes?.(bytes);
        cb(null, chunk);
      },
    });
    const out = createWriteStream(target, { flags: 'wx' });
    try {
      await pipeline(source, tap, out);
    } catch (err) {
      if (!out.closed) await new Promise<void>((resolve) => out.once('close', () => resolve()));
      await this.removeTemp(target);
      throw err;
    }
    return { bytes, sha256: hash.digest('hex') };
  }

  /** A copy of a file the server made itself (e.g. synthesised speech) as a new temp file; the original stays. */
  async copyToTemp(file: string): Promise<WrittenTemp & { tempPath: string }> {
    const tempPath = this.newTempPath();
    return { tempPath, ...(await this.writeTemp(createReadStream(file), tempPath)) };
  }

  /** A stored file's bytes (small files only: images for data URIs). */
  read(sha256: string): Promise<Buffer> {
    return readFile(this.pathOf(sha256));
  }

  /** Removes a temp file; a file already moved or removed is fine. */
  async removeTemp(file: string): Promise<void> {
    await unlinkIfPresent(file);
  }

  /** Where a job keeps its source until it is done (same file system as tmp and mediaDir). */
  jobSourcePath(jobId: string): string {
    return path.join(this.tmpDir, `${JOB_PREFIX}${jobId}${JOB_SUFFIX}`);
  }

  /** Moves a received temp file to a job's source path. */
  async adoptAsJobSource(tempPath: string, jobId: string): Promise<string> {
    const target = this.jobSourcePath(jobId);
    await rename(tempPath, target);
    return target;
  }

  async fileExists(file: string): Promise<boolean> {
    try {
      return (await stat(file)).isFile();
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  /** The one way the server hashes a file it already has (a rendered output, an image variant). */
  async sha256OfFile(file: string): Promise<WrittenTemp> {
    const hash = createHash('sha256');
    let bytes = 0;
    for await (const chunk of createReadStream(file)) {
      hash.update(chunk as Buffer);
      bytes += (chunk as Buffer).length;
    }
    return { bytes, sha256: hash.digest('hex') };
  }

  /** Job sources whose job is no longer pending (`keep` holds the paths still needed). */
  async sweepJobSources(keep: ReadonlySet<string>): Promise<number> {
    let removed = 0;
    for (const name of await readdir(this.tmpDir)) {
      if (!name.startsWith(JOB_PREFIX) || !name.endsWith(JOB_SUFFIX)) continue;
      const file = path.join(this.tmpDir, name);
      if (keep.has(file)) continue;
      await unlinkIfPresent(file);
      removed++;
    }
    return removed;
  }

  pathOf(sha256: string): string {
    return path.join(this.mediaDir, sha256);
  }

  async hasFile(sha256: string): Promise<boolean> {
    try {
      return (await stat(this.pathOf(sha256))).isFile();
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  /** Moves a complete temp file to its content address. Replacing an existing file is harmless: same bytes. */
  async commit(tempPath: string, sha256: string): Promise<void> {
    const target = this.pathOf(sha256);
    try {
      await rename(tempPath, target);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
      // mediaDir mounted elsewhere: copy next to the target, then rename there, so readers never see half a file.
      const staging = path.join(this.mediaDir, `.${sha256}.${randomBytes(4).toString('hex')}${TEMP_SUFFIX}`);
      try {
        await copyFile(tempPath, staging);
        await rename(staging, target);
      } catch (copyErr) {
        await unlinkIfPresent(staging);
        throw copyErr;
      }
      await unlinkIfPresent(tempPath);
    }
  }

  async remove(sha256: string): Promise<void> {
    await unlinkIfPresent(this.pathOf(sha256));
  }

  /** Opens a stored file, or null if it is not on disk. */
  async open(sha256: string): Promise<OpenMedia | null> {
    let handle: FileHandle;
    try {
      handle = await open(this.pathOf(sha256), 'r');
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
    try {
      const { size } = await handle.stat();
      return {
        size,
        stream: (range) => handle.createReadStream({ start: range.start, end: range.end, autoClose: true }),
        close: () => handle.close(),
      };
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  /**
   * Upload temp files left by a crash (never those of uploads in progress: they are recent), and staging copies a
   * crash left in mediaDir (commit across file systems). mediaDir may be shared by several instances: another
   * instance's copy in progress is recent too, so the same age rule keeps it.
   */
  private async sweepStaleTemps(): Promise<void> {
    const cutoff = this.clock.now() - STALE_TEMP_MS;
    const stale = async (dir: string, match: (name: string) => boolean): Promise<void> => {
      for (const name of await readdir(dir)) {
        if (!match(name)) continue;
        const file = path.join(dir, name);
        try {
          if ((await stat(file)).mtimeMs < cutoff) {
            await unlinkIfPresent(file);
            this.log.info({ file }, 'removed a stale upload temp file');
          }
        } catch (err) {
          this.log.warn({ file, err: (err as Error).message }, 'could not remove a stale upload temp file');
        }
      }
    };
    await stale(this.tmpDir, (name) => name.startsWith(TEMP_PREFIX) && name.endsWith(TEMP_SUFFIX));
    await stale(this.mediaDir, (name) => name.startsWith('.') && name.endsWith(TEMP_SUFFIX));
  }
}

const isNotFound = (err: unknown): boolean => (err as NodeJS.ErrnoException).code === 'ENOENT';

async function unlinkIfPresent(file: string): Promise<void> {
  try {
    await unlink(file);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}
