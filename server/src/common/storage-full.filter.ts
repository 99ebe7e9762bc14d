import { ArgumentsHost, Catch, HttpException, Inject, Injectable } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import { AppConfig } from '../config/app-config.js';
import type { AppLogger } from '../logging/logger.js';
import { LOGGER } from '../logging/logging.module.js';
import { withErrorCode } from './loa-error.js';
import { Metrics } from './metrics.js';
import { InsufficientStorageException, storageFullKind, storageFullMessage } from './storage-full.js';

/** Turns a disk-full error from any write (files, SQLite, PostgreSQL) into a named 507 Insufficient Storage. */
@Injectable()
export class StorageFull {
  constructor(
    private readonly config: AppConfig,
    private readonly metrics: Metrics,
    @Inject(LOGGER) private readonly logger: AppLogger,
  ) {}

  /** The 507 for a disk-full error (logged and counted once), or null for any other error. */
  explain(err: unknown): InsufficientStorageException | null {
    if (err instanceof InsufficientStorageException) return err;
    const kind = storageFullKind(err);
    if (kind === null) return null;
    const message = storageFullMessage(kind, this.config.dataDir, this.config.database);
    this.metrics.inc(kind === 'database' ? 'storage_full_database' : 'storage_full_files');
    this.logger.error({ ctx: 'storage', kind, dataDir: this.config.dataDir, err: err instanceof Error ? err.message : String(err) }, message);
    return new InsufficientStorageException(message, kind);
  }
}

/**
 * Global: every HTTP error gets its code (issue 19), and whichever write ran out of space, the client is told 507 with what to free, instead of a bare 500 (or
 * a misleading 4xx).
 */
@Catch()
export class StorageFullFilter extends BaseExceptionFilter {
  constructor(private readonly storageFull: StorageFull) {
    super();
  }

  override catch(exception: unknown, host: ArgumentsHost): void {
    const e = this.storageFull.explain(exception) ?? exception;
    // Issue 19: every refusal leaves with a stable code and its parameters (see loa-error.ts).
    super.catch(e instanceof HttpException ? withErrorCode(e) : e, host);
  }
}
