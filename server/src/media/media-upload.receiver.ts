import { Inject, Injectable, PayloadTooLargeException } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { Readable } from 'node:stream';
import { Metrics } from '../common/metrics.js';
import { StorageFull } from '../common/storage-full.filter.js';
import { AppConfig } from '../config/app-config.js';
import type { AppLogger } from '../logging/logger.js';
import { LOGGER } from '../logging/logging.module.js';
import { cleanOriginalName, describeMegabytes } from './media-formats.js';
import type { ReceivedUpload } from './media-types.js';
import { MediaStorage } from './media.storage.js';
import { badRequest, coded } from '../common/loa-error.js';

/** The multipart field that carries the audio. */
export const UPLOAD_FIELD = 'file';

// multer ships no types (and @types/multer would pull @types/express into the whole server): the little used
// here is typed locally.
interface MulterIncomingFile {
  fieldname: string;
  originalname: string;
  stream: Readable;
  path?: string;
}
interface StoredInfo {
  path: string;
  size: number;
  sha256: string;
}
interface StorageEngine {
  _handleFile(req: IncomingMessage, file: MulterIncomingFile, cb: (err: Error | null, info?: StoredInfo) => void): void;
  _removeFile(req: IncomingMessage, file: { path?: string }, cb: (err: Error | null) => void): void;
}
type Middleware = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;
interface MulterOptions {
  storage: StorageEngine;
  limits: { fileSize: number; files: number; fields: number; fieldSize: number; parts: number };
  defParamCharset: string;
}
interface MulterModule {
  (options: MulterOptions): { single(field: string): Middleware };
  MulterError: new (code: string) => Error & { code: string };
}
const multer = createRequire(import.meta.url)('multer') as MulterModule;

/** Where a request carries its progress callback to the storage engine. */
const ON_BYTES = Symbol('loa.media.onBytes');

type RequestWithFile = IncomingMessage & { file?: MulterIncomingFile & StoredInfo; [ON_BYTES]?: (bytes: number) => void };

/** A disk failure while receiving: the server's fault (500), unlike a malformed or oversized request. */
class TempWriteError extends Error {}

/**
 * Receives `multipart/form-data` with one file in field `file`, streaming it into a temp file while hashing it.
 * Oversized bodies are cut off at the limit; aborted or refused requests leave no temp file (multer removes what
 * the storage engine wrote, and the engine waits for its own writes before removing).
 */
@Injectable()
export class MediaUploadReceiver {
  private readonly middleware: Middleware;
  private readonly log: AppLogger;

  constructor(
    private readonly config: AppConfig,
    private readonly storage: MediaStorage,
    private readonly metrics: Metrics,
    private readonly storageFull: StorageFull,
    @Inject(LOGGER) logger: AppLogger,
  ) {
    this.log = logger.child({ ctx: 'media' });
    this.middleware = multer({
      storage: new HashingTempStorage(storage),
      limits: { fileSize: config.maxUploadBytes, files: 1, fields: 10, fieldSize: 64 * 1024, parts: 12 },
      // Browsers send file names as raw UTF-8 (Vietnamese names included); busboy's default is latin1.
      defParamCharset: 'utf8',
    }).single(UPLOAD_FIELD);
  }

  /** `onBytes` is told the file bytes received so far, as they arrive. */
  async receive(req: IncomingMessage, res: ServerResponse, onBytes?: (bytes: number) => void): Promise<ReceivedUpload> {
    const withFile = req as RequestWithFile;
    if (onBytes) withFile[ON_BYTES] = onBytes;
    try {
      await new Promise<void>((resolve, reject) => this.middleware(req, res, (err) => (err ? reject(err) : resolve())));
    } catch (err) {
      throw this.translate(err, req);
    }
    const file = withFile.file;
    if (!file) {
      this.metrics.inc('media_upload_malformed');
      throw badRequest('upload.field', { field: UPLOAD_FIELD });
    }
    return { tempPath: file.path, bytes: file.size, sha256: file.sha256, originalName: cleanOriginalName(file.originalname) };
  }

  private translate(err: unknown, req: IncomingMessage): Error {
    // First: a full disk also tears the request down, and must not read as the client's abort (issue 12).
    const full = this.storageFull.explain(err);
    if (full) {
      this.metrics.inc('media_upload_disk_full');
      return full;
    }
    if (err instanceof multer.MulterError) {
      if (err.code === 'LIMIT_FILE_SIZE') {
        this.metrics.inc('media_upload_refused');
        this.metrics.inc('media_upload_refused_too_large');
        this.log.info({ limitBytes: this.config.maxUploadBytes }, 'media upload refused: too large');
        return new PayloadTooLargeException({ statusCode: 413, error: 'Payload Too Large', ...coded('upload.too-large', { limit: describeMegabytes(this.config.maxUploadBytes) }) });
      }
      this.metrics.inc('media_upload_malformed');
      if (err.code === 'LIMIT_FILE_COUNT' || err.code === 'LIMIT_UNEXPECTED_FILE') {
        return badRequest('upload.one-file', { field: UPLOAD_FIELD });
      }
      return badRequest('upload.malformed', { detail: err.message });
    }
    if (err instanceof TempWriteError) {
      this.log.error({ err: err.cause }, 'cannot write an upload to the temp directory');
      return err;
    }
    const message = err instanceof Error ? err.message : String(err);
    if (req.destroyed || /^Request (aborted|closed)$/.test(message)) {
      // Nobody is left to read an answer; what matters is that the temp file is gone (multer saw to it).
      this.metrics.inc('media_upload_aborted');
      this.log.info({ detail: message }, 'media upload aborted by the client');
      return badRequest('upload.aborted');
    }
    this.metrics.inc('media_upload_malformed');
    return badRequest('upload.malformed-body', { detail: message });
  }
}

/** multer storage engine: temp file under `${dataDir}/tmp`, sha256 and size computed while streaming. */
class HashingTempStorage implements StorageEngine {
  /** Writes in progress by path, so a removal never races the creation of the file it removes. */
  private readonly writing = new Map<string, Promise<unknown>>();

  constructor(private readonly storage: MediaStorage) {}

  _handleFile(req: IncomingMessage, file: MulterIncomingFile, cb: (err: Error | null, info?: StoredInfo) => void): void {
    const target = this.storage.newTempPath();
    // multer's abort clean-up removes pending files that have a path.
    file.path = target;
    const write = this.storage.writeTemp(file.stream, target, (req as RequestWithFile)[ON_BYTES]);
    const settled = write.then(
      () => undefined,
      () => undefined,
    );
    this.writing.set(target, settled);
    void settled.then(() => this.writing.delete(target));
    write.then(
      (written) => cb(null, { path: target, size: written.bytes, sha256: written.sha256 }),
      (err: unknown) => cb(isFsError(err) ? new TempWriteError('cannot store the upload', { cause: err }) : toError(err)),
    );
  }

  _removeFile(_req: IncomingMessage, file: { path?: string }, cb: (err: Error | null) => void): void {
    const target = file.path;
    if (!target) return cb(null);
    void (this.writing.get(target) ?? Promise.resolve())
      .then(() => this.storage.removeTemp(target))
      .then(
        () => cb(null),
        (err: unknown) => cb(toError(err)),
      );
  }
}

const isFsError = (err: unknown): boolean => {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' && /^E[A-Z]+$/.test(code) && (err as NodeJS.ErrnoException).syscall !== undefined;
};

const toError = (err: unknown): Error => (err instanceof Error ? err : new Error(String(err)));
