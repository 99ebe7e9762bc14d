import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { DataSource } from 'typeorm';
import { openAppDatabase as openDatabase } from '../../src/app.database.js';
import { MIGRATIONS } from '../../src/database/migrations/index.js';

export interface TestDatabase {
  readonly name: string;
  readonly dataSource: DataSource;
  close(): Promise<void>;
}

/** The machine's PostgreSQL (trust auth); overridable for other environments. */
export const PG_ADMIN_URL = process.env.LOA_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/**
 * Running every migration per test was most of a database test's cost. Each database is instead cloned from a
 * template migrated once. The template is named by a hash of the migrations' code, so editing or adding a migration
 * builds a new one rather than testing against a stale schema; an unchanged one is reused across runs.
 */
export const MIGRATIONS_HASH = createHash('sha256')
  .update(MIGRATIONS.map((m) => `${m.name}\n${m.toString()}`).join('\n'))
  .digest('hex')
  .slice(0, 16);

const SQLITE_TEMPLATE = path.join(tmpdir(), `loa-template-${MIGRATIONS_HASH}.sqlite`);

/**
 * A migrated SQLite file to copy. Jest workers may build it at once: each builds its own file and renames it into
 * place (atomic), so a reader never sees a half-migrated template.
 */
export async function sqliteTemplate(): Promise<string> {
  if (existsSync(SQLITE_TEMPLATE)) return SQLITE_TEMPLATE;
  const dir = mkdtempSync(path.join(tmpdir(), 'loa-template-'));
  try {
    const file = path.join(dir, 'loa.sqlite');
    // Closing checkpoints the WAL into the main file, so the one file is the whole database.
    await (await openDatabase({ type: 'sqlite', file })).destroy();
    renameSync(file, SQLITE_TEMPLATE);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return SQLITE_TEMPLATE;
}

/** Puts a migrated copy of the template at `file` (a server started on it finds its schema up to date). */
export async function copySqliteTemplate(file: string): Promise<void> {
  copyFileSync(await sqliteTemplate(), file);
}

export async function openSqlite(): Promise<TestDatabase> {
  const dir = mkdtempSync(path.join(tmpdir(), 'loa-db-'));
  const file = path.join(dir, 'loa.sqlite');
  await copySqliteTemplate(file);
  // openDatabase still runs the migrations: on the copy that is the check that finds nothing to do.
  const dataSource = await openDatabase({ type: 'sqlite', file });
  return {
    name: 'sqlite',
    dataSource,
    close: async () => {
      await dataSource.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const PG_TEMPLATE = `loa_template_${MIGRATIONS_HASH}`;
// Any fixed number: serialises template builds across the Jest workers (and runs) sharing this PostgreSQL.
const TEMPLATE_LOCK = 7_013_013;

async function withAdmin<T>(fn: (admin: pg.Client) => Promise<T>): Promise<T> {
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.end();
  }
}

function databaseUrl(db: string): string {
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${db}`;
  return url.toString();
}

let pgTemplate: Promise<string> | null = null;

/** The migrated PostgreSQL template, built once under an advisory lock by whichever worker gets there first. */
function postgresTemplate(): Promise<string> {
  pgTemplate ??= withAdmin(async (admin) => {
    await admin.query('SELECT pg_advisory_lock($1)', [TEMPLATE_LOCK]);
    try {
      const found = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [PG_TEMPLATE]);
      if (found.rowCount) return PG_TEMPLATE;
      // Templates of other migration sets and builds a crash left behind; one still in use elsewhere is kept.
      const stale = await admin.query(`SELECT datname FROM pg_database WHERE datname LIKE 'loa\\_template\\_%'`);
      for (const { datname } of stale.rows as { datname: string }[]) {
        await admin.query(`DROP DATABASE IF EXISTS "${datname}"`).catch(() => undefined);
      }
      // Built under another name and renamed when complete, so no clone is ever taken from a half-migrated one.
      const building = `${PG_TEMPLATE}_${process.pid}`;
      await admin.query(`CREATE DATABASE "${building}"`);
      await (await openDatabase({ type: 'postgres', url: databaseUrl(building) })).destroy();
      await admin.query(`ALTER DATABASE "${building}" RENAME TO "${PG_TEMPLATE}"`);
      return PG_TEMPLATE;
    } finally {
      await admin.query('SELECT pg_advisory_unlock($1)', [TEMPLATE_LOCK]);
    }
  });
  pgTemplate.catch(() => (pgTemplate = null));
  return pgTemplate;
}

/** A fresh PostgreSQL database per call (a clone of the migrated template), dropped on close, so tests never see each other's rows. */
export async function openPostgres(): Promise<TestDatabase> {
  const db = `loa_test_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const template = await postgresTemplate();
  await withAdmin((admin) => admin.query(`CREATE DATABASE ${db} TEMPLATE "${template}"`));
  const dataSource = await openDatabase({ type: 'postgres', url: databaseUrl(db) });
  return {
    name: 'postgres',
    dataSource,
    close: async () => {
      await dataSource.destroy();
      await withAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`));
    },
  };
}

export const DATABASES: ReadonlyArray<[string, () => Promise<TestDatabase>]> = [
  ['sqlite', openSqlite],
  ['postgres', openPostgres],
];
