import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { DataSource } from 'typeorm';
import { openDatabase } from '../../src/database/data-source.js';

export interface TestDatabase {
  readonly name: string;
  readonly dataSource: DataSource;
  close(): Promise<void>;
}

/** The machine's PostgreSQL (trust auth); overridable for other environments. */
export const PG_ADMIN_URL = process.env.LOA_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export async function openSqlite(): Promise<TestDatabase> {
  const dir = mkdtempSync(path.join(tmpdir(), 'loa-db-'));
  const dataSource = await openDatabase({ type: 'sqlite', file: path.join(dir, 'loa.sqlite') });
  return {
    name: 'sqlite',
    dataSource,
    close: async () => {
      await dataSource.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A fresh, empty PostgreSQL database per call, dropped on close, so tests never see each other's rows. */
export async function openPostgres(): Promise<TestDatabase> {
  const db = `loa_test_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${db}`);
  await admin.end();
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${db}`;
  const dataSource = await openDatabase({ type: 'postgres', url: url.toString() });
  return {
    name: 'postgres',
    dataSource,
    close: async () => {
      await dataSource.destroy();
      const c = new pg.Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
      await c.end();
    },
  };
}

export const DATABASES: ReadonlyArray<[string, () => Promise<TestDatabase>]> = [
  ['sqlite', openSqlite],
  ['postgres', openPostgres],
];
