import { Injectable, PayloadTooLargeException } from '@nestjs/common';
import { OTA_UPLOAD_FIELDS } from '@loa/shared/rest';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { Readable } from 'node:stream';
import { badRequest, coded } from '../common/loa-error.js';
import { AppConfig } from '../config/app-config.js';
import { PackageTooLarge, ReleaseStorage, type TempFile } from './release-storage.js';

/** A detached signature is a few hundred bytes of JSON. */
const MAX_SIGNATURE_BYTES = 16 * 1024;

interface MulterIncomingFile {
  fieldname: string;
  stream: Readable;
  path?: string;
}
type Stored = MulterIncomingFile & TempFile;
interface StorageEngine {
  _handleFile(req: IncomingMessage, file: MulterIncomingFile, cb: (err: Error | null, info?: TempFile) => void): void;
  _removeFile(req: IncomingMessage, file: { path?: string }, cb: (err: Error | null) => void): void;
}
type Middleware = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;
interface MulterModule {
  (options: { storage: StorageEngine; limits: Record<string, number> }): { fields(f: Array<{ name: string; maxCount: number }>): Middleware };
  MulterError: new (code: string) => Error & { code: string };
}
const multer = createRequire(import.meta.url)('multer') as MulterModule;

export interface ReceivedRelease {
  package: TempFile;
  signature: TempFile;
}

/**
 * Receives `multipart/form-data` with the package (`package`) and its detached signature (`signature`), each
 * streamed into a temp file and hashed on the way; oversized or incomplete uploads leave no temp file.
 */
@Injectable()
export class ReleaseUploadReceiver {
  private readonly middleware: Middleware;

  constructor(
    private readonly config: AppConfig,
    private readonly storage: ReleaseStorage,
  ) {
    const engine: StorageEngine = {
      _handleFile: (_req, file, cb) => {
        const target = this.storage.newTempPath();
        file.path = target;
        const limit = file.fieldname === OTA_UPLOAD_FIELDS.signature ? MAX_SIGNATURE_BYTES : config.ota.maxPackageBytes;
        this.storage.writeTemp(file.stream, target, limit).then(
          (t) => cb(null, t),
          (err: unknown) => cb(err instanceof Error ? err : new Error(String(err))),
        );
      },
      _removeFile: (_req, file, cb) => {
        if (!file.path) return cb(null);
        void this.storage.discard(file.path).then(() => cb(null));
      },
    };
    this.middleware = multer({ storage: engine, limits: { fileSize: config.ota.maxPackageBytes, files: 2, fields: 5, parts: 8, fieldSize: 16 * 1024 } }).fields([
      { name: OTA_UPLOAD_FIELDS.package, maxCount: 1 },
      { name: OTA_UPLOAD_FIELDS.signature, maxCount: 1 },
    ]);
  }

  async receive(req: IncomingMessage, res: ServerResponse): Promise<ReceivedRelease> {
    try {
      await new Promise<void>((resolve, reject) => this.middleware(req, res, (err) => (err ? reject(err) : resolve())));
    } catch (err) {
      throw this.translate(err);
    }
    const files = (req as IncomingMessage & { files?: Record<string, Stored[] | undefined> }).files ?? {};
    const pkg = files[OTA_UPLOAD_FIELDS.package]?.[0];
    const sig = files[OTA_UPLOAD_FIELDS.signature]?.[0];
    if (!pkg || !sig) {
      for (const f of [pkg, sig]) if (f) await this.storage.discard(f.path);
      throw badRequest('ota.upload-incomplete');
    }
    return { package: { path: pkg.path, size: pkg.size, sha256: pkg.sha256 }, signature: { path: sig.path, size: sig.size, sha256: sig.sha256 } };
  }

  private translate(err: unknown): Error {
    if (err instanceof multer.MulterError && err.code === 'LIMIT_FILE_SIZE') return this.tooLarge();
    if (err instanceof PackageTooLarge) return badRequest('ota.signature-invalid-file', { detail: `larger than ${MAX_SIGNATURE_BYTES} bytes` });
    if (err instanceof multer.MulterError) return badRequest('ota.upload-incomplete');
    const message = err instanceof Error ? err.message : String(err);
    return badRequest('upload.malformed-body', { detail: message });
  }

  private tooLarge(): Error {
    return new PayloadTooLargeException({ statusCode: 413, error: 'Payload Too Large', ...coded('ota.package-too-large', { max: this.config.ota.maxPackageBytes }) });
  }
}
