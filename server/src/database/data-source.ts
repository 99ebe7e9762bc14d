import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { DataSource, type DataSourceOptions, type EntitySchema } from 'typeorm';

/** The entity classes the DataSource maps; the composition root (app.database.ts) owns the list, beside its features. */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export type EntityList = readonly (Function | EntitySchema)[];
import type { DatabaseTarget } from '../config/app-config.js';
import { MIGRATIONS } from './migrations/index.js';

export function dataSourceOptions(target: DatabaseTarget, entities: EntityList): DataSourceOptions {
  const common = { migrations: MIGRATIONS, migrationsRun: false, synchronize: false, logging: false } as const;
  const mapped = { ...common, entities: [...entities] };
  if (target.type === 'sqlite') {
    return {
      ...mapped,
      type: 'better-sqlite3',
      database: target.file,
      // WAL lets the API read while event ingestion writes. FULL: every commit syncs the WAL to the disk before it
      // returns, so a report acknowledged to a device (and any answer given after a commit) survives a power cut or a
      // kernel crash too; in WAL mode NORMAL survives only a crash of the process, and its last commits roll back
      // after a power loss, while the devices have already deleted the acknowledged reports. Commits are grouped
      // (reports, presence, telemetry: one per batch), so the sync is paid per batch, not per row: replaying the
      // bench's 100,000 reports (20 group commits) on a 10,000-device database, the commits took 175–220 ms with
      // either setting on the development machine's disk (an fsync there: 0.2 ms).
      enableWAL: true,
      prepareDatabase: (db: { pragma: (s: string) => unknown }) => {
        db.pragma('synchronous = FULL');
        db.pragma('foreign_keys = ON');
        db.pragma('busy_timeout = 5000');
      },
    };
  }
  return { ...mapped, type: 'postgres', url: target.url, extra: { max: 10 } };
}

/** Opens the database and brings its schema up to date; the server refuses to start on a failed migration. */
export async function openDatabase(target: DatabaseTarget, entities: EntityList): Promise<DataSource> {
  if (target.type === 'sqlite') mkdirSync(path.dirname(target.file), { recursive: true });
  const ds = new DataSource(dataSourceOptions(target, entities));
  await ds.initialize();
  if (target.type === 'postgres') await migrateExclusively(ds);
  else await ds.runMigrations({ transaction: 'each' });
  if (target.type === 'sqlite') serializeTransactions(ds);
  return ds;
}

/**
 * Several instances may start at once on one PostgreSQL database (a cluster restarted together): without a lock two
 * of them run the same migration and one fails on a duplicate type or table. The first takes this advisory lock and
 * migrates; the others wait for it on their own connection, then find nothing left to run. Held on one session, so a
 * process that dies while migrating releases it with its connection (its migration transaction rolls back).
 */
export const MIGRATION_LOCK_KEY = '7339153820915402861';

async function migrateExclusively(ds: DataSource): Promise<void> {
  const runner = ds.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1::bigint)', [MIGRATION_LOCK_KEY]);
    try {
      await ds.runMigrations({ transaction: 'each' });
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1::bigint)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await runner.release();
  }
}

/**
 * better-sqlite3 is one connection, so two transactions open at once fail ("cannot start a transaction within a
 * transaction"): e.g. a device batch registered while a group commit of reports runs. Transactions are queued
 * instead, in arrival order. Nested calls go through the transaction's own EntityManager and are not queued.
 */
export function serializeTransactions(ds: DataSource): void {
  const manager = ds.manager;
  const original = manager.transaction.bind(manager) as (...args: unknown[]) => Promise<unknown>;
  let tail: Promise<unknown> = Promise.resolve();
  manager.transaction = ((...args: unknown[]) => {
    const run = tail.then(() => original(...args));
    tail = run.catch(() => undefined);
    return run;
  }) as typeof manager.transaction;
}
