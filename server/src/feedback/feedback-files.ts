import { Injectable } from '@nestjs/common';
import { createReadStream, type ReadStream } from 'node:fs';
import { mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { AppConfig } from '../config/app-config.js';

/** Storage keys are made by the service ("<item id>/<attachment id>"); anything else is refused, so no key escapes the directory. */
const KEY = /^[A-Za-z0-9][A-Za-z0-9_-]*(\/[A-Za-z0-9][A-Za-z0-9_.-]*)*$/;

/**
 * Where feedback attachments live (issue 17): a port, so the service's "nothing half-stored" rule can be tested with
 * a store that fails, and so a shared volume or an object store can replace the directory. Keys are relative paths.
 */
export abstract class FeedbackFiles {
  abstract put(key: string, bytes: Buffer): Promise<void>;
  abstract read(key: string): Promise<Buffer>;
  abstract stream(key: string): ReadStream;
  /** Removing a file that is not there is not an error (a clean-up may run twice). */
  abstract remove(key: string): Promise<void>;
}

/** Files under `<LOA_DATA_DIR>/feedback/`, shared by every instance like the media directory. */
@Injectable()
export class LocalFeedbackFiles extends FeedbackFiles {
  readonly root: string;

  constructor(config: AppConfig) {
    super();
    this.root = path.join(config.dataDir, 'feedback');
  }

  /** Written to a temp name and renamed: a reader (or a crash) never sees half a file under the key. */
  async put(key: string, bytes: Buffer): Promise<void> {
    const target = this.pathOf(key);
    await mkdir(path.dirname(target), { recursive: true });
    const temp = `${target}.${randomBytes(6).toString('hex')}.part`;
    try {
      await writeFile(temp, bytes, { mode: 0o640 });
      await rename(temp, target);
    } catch (err) {
      await unlink(temp).catch(() => undefined);
      throw err;
    }
  }

  read(key: string): Promise<Buffer> {
    return readFile(this.pathOf(key));
  }

  stream(key: string): ReadStream {
    return createReadStream(this.pathOf(key));
  }

  async remove(key: string): Promise<void> {
    try {
      await unlink(this.pathOf(key));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }

  private pathOf(key: string): string {
    if (!KEY.test(key) || key.includes('..')) throw new Error(`invalid feedback storage key: ${key}`);
    return path.join(this.root, ...key.split('/'));
  }
}
