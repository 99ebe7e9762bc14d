import { Injectable } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AppConfig } from '../config/app-config.js';

/** A package received into a temp file, measured while streaming. */
export interface TempFile {
  path: string;
  size: number;
  sha256: string;
}

/** An open stored package: size and reads from the same descriptor. */
export interface OpenPackage {
  readonly size: number;
  stream(range: { start: number; end: number }): Readable;
  close(): Promise<void>;
}

/**
 * The file-system side of releases: uploads land in `${dataDir}/tmp`, accepted packages are renamed into
 * `${dataDir}/ota/<sha256>.tar.gz` (same file system: a file there is always complete).
 */
@Injectable()
export class ReleaseStorage {
  readonly tmpDir: string;
  readonly dir: string;

  constructor(config: AppConfig) {
    this.tmpDir = path.join(config.dataDir, 'tmp');
    this.dir = path.join(config.dataDir, 'ota');
  }

  newTempPath(): string {
    return path.join(this.tmpDir, `ota-${randomBytes(8).toString('hex')}.part`);
  }

  /** Streams into a temp file, hashing; fails with `tooLarge` past `limit` bytes. */
  async writeTemp(input: Readable, target: string, limit: number): Promise<TempFile> {
    await mkdir(this.tmpDir, { recursive: true });
    const hash = createHash('sha256');
    let size = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        size += chunk.length;
        if (size > limit) return cb(new PackageTooLarge());
        hash.update(chunk);
        cb(null, chunk);
      },
    });
    try {
      await pipeline(input, meter, createWriteStream(target));
    } catch (err) {
      await unlink(target).catch(() => undefined);
      throw err;
    }
    return { path: target, size, sha256: hash.digest('hex') };
  }

  pathOf(sha256: string): string {
    return path.join(this.dir, `${sha256}.tar.gz`);
  }

  /** Moves a verified temp file into place (a package with the same bytes already there is kept). */
  async keep(temp: TempFile): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await rename(temp.path, this.pathOf(temp.sha256));
  }

  async remove(sha256: string): Promise<void> {
    await unlink(this.pathOf(sha256)).catch(() => undefined);
  }

  async discard(p: string): Promise<void> {
    await unlink(p).catch(() => undefined);
  }

  async exists(sha256: string): Promise<boolean> {
    return stat(this.pathOf(sha256)).then(
      () => true,
      () => false,
    );
  }

  async open(sha256: string): Promise<OpenPackage> {
    const handle = await open(this.pathOf(sha256), 'r');
    const { size } = await handle.stat();
    return {
      size,
      stream: (range) => createReadStream('', { fd: handle, start: range.start, end: range.end, autoClose: true }),
      close: () => handle.close(),
    };
  }
}

export class PackageTooLarge extends Error {
  constructor() {
    super('package too large');
  }
}
