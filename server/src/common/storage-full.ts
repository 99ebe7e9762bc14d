import { HttpException, HttpStatus } from '@nestjs/common';
import type { DatabaseTarget } from '../config/app-config.js';

/** Where a write failed for lack of space: the server's own files, or the database. */
export type StorageFullKind = 'files' | 'database';

/** errno codes of a full file system or an exhausted quota. */
const FS_FULL_CODES = new Set(['ENOSPC', 'EDQUOT']);
/** SQLite (better-sqlite3 error code) and PostgreSQL (SQLSTATE 53100 disk_full) ways of saying the same. */
const DB_FULL_CODES = new Set(['SQLITE_FULL', '53100']);
/** What child tools (ffmpeg, the TTS engine) print on stderr when their output cannot be written. */
const TOOL_FULL_TEXT = /No space left on device|Disk quota exceeded/i;

/**
 * Whether an error (or anything in its `cause`/`driverError` chain: TypeORM wraps driver errors) says the disk is
 * full; which store it was. Null for every other error.
 */
export function storageFullKind(err: unknown): StorageFullKind | null {
  for (let e: unknown = err, depth = 0; e !== null && typeof e === 'object' && depth < 6; depth++) {
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && FS_FULL_CODES.has(code)) return 'files';
    if (typeof code === 'string' && DB_FULL_CODES.has(code)) return 'database';
    if (e instanceof InsufficientStorageException) return e.kind;
    if (e instanceof HttpException) return null;
    if (typeof message === 'string' && TOOL_FULL_TEXT.test(message)) return 'files';
    e = (e as { driverError?: unknown }).driverError ?? (e as { cause?: unknown }).cause;
  }
  return null;
}

export const isStorageFull = (err: unknown): boolean => storageFullKind(err) !== null;

/** What an operator must free, named by the setting that places it. */
export function storageFullMessage(kind: StorageFullKind, dataDir: string, database: DatabaseTarget): string {
  if (kind === 'database') {
    return database.type === 'postgres'
      ? "the database server's disk is full (PostgreSQL disk_full): free space on the PostgreSQL server and try again"
      : `the disk is full: the database ${database.file} cannot grow (data directory ${dataDir}, LOA_DATA_DIR); free space there and try again`;
  }
  return `the disk is full: no space left in the data directory ${dataDir} (LOA_DATA_DIR); free space there and try again`;
}

/** 507 Insufficient Storage: the request was fine, the server has no room to keep what it asked for. */
export class InsufficientStorageException extends HttpException {
  constructor(
    message: string,
    readonly kind: StorageFullKind = 'files',
  ) {
    super(message, HttpStatus.INSUFFICIENT_STORAGE);
  }
}
