import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { DataSource, type DataSourceOptions } from 'typeorm';
import type { DatabaseTarget } from '../config/app-config.js';
import { ENTITIES } from './entities.js';
import { MIGRATIONS } from './migrations/index.js';

export function dataSourceOptions(target: DatabaseTarget): DataSourceOptions {
  const common = { entities: ENTITIES, migrations: MIGRATIONS, migrationsRun: false, synchronize: false, logging: false } as const;
  if (target.type === 'sqlite') {
    return {
      ...common,
      type: 'better-sqlite3',
      database: target.file,
      // WAL lets the API read while event ingestion writes; NORMAL sync is durable across process crashes in WAL
      // mode, which is the failure the "ack after commit" promise is about.
      enableWAL: true,
      prepareDatabase: (db: { pragma: (s: string) => unknown }) => {
        db.pragma('synchronous = NORMAL');
        db.pragma('foreign_keys = ON');
        db.pragma('busy_timeout = 5000');
      },
    };
  }
  return { ...common, type: 'postgres', url: target.url, extra: { max: 10 } };
}

/** Opens the database and brings its schema up to date; the server refuses to start on a failed migration. */
export async function openDatabase(target: DatabaseTarget): Promise<DataSource> {
  if (target.type === 'sqlite') mkdirSync(path.dirname(target.file), { recursive: true });
  const ds = new DataSource(dataSourceOptions(target));
  await ds.initialize();
  await ds.runMigrations({ transaction: 'each' });
  if (target.type === 'sqlite') serializeTransactions(ds);
  return ds;
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
