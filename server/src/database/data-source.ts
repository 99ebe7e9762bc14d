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
  return ds;
}
