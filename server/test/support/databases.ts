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
  }).then(async (template) => {
    await dropOrphans().catch(() => undefined);
    return template;
  });
  pgTemplate.catch(() => (pgTemplate = null));
  return pgTemplate;
}

/** Names carry the pid, so a later run can tell the databases of processes that are gone (see dropOrphans). */
const TEST_DB_PREFIX = 'loa_test_';

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Emptied databases outlive their process (a Jest worker exits without a last hook), as did those of tests that
 * crashed: each process drops the ones of processes no longer running. Only on a PostgreSQL of this machine, where a
 * pid in a name is one of this machine's processes.
 */
async function dropOrphans(): Promise<void> {
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(new URL(PG_ADMIN_URL).hostname)) return;
  const names = await withAdmin((admin) => admin.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE 'loa\\_test\\_%'`));
  for (const { datname } of names.rows) {
    const pid = Number(/^loa_test_(\d+)_[a-z0-9]+$/.exec(datname)?.[1]);
    if (pid && !isRunning(pid)) await dropDatabase(datname).catch(() => undefined);
  }
}

async function createFromTemplate(template: string): Promise<string> {
  const db = `${TEST_DB_PREFIX}${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  await withAdmin((admin) => admin.query(`CREATE DATABASE ${db} TEMPLATE "${template}"`));
  return db;
}

async function dropDatabase(db: string): Promise<void> {
  await withAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`));
}

/**
 * Creating a database from the template and dropping it cost 0.4 s per test on a quiet machine and 1–2 s under the
 * suite's load (both write and sync whole files): most of a PostgreSQL test's time. A database a test closed is instead emptied back to the
 * template's rows and handed to this process's next openPostgres. It is only reused when its schema is still the
 * template's (a test that altered it gets its database dropped, as before), after every session left on it is
 * ended (as DROP … WITH (FORCE) would), so the next test sees exactly what a fresh clone holds: the template's
 * rows, sequences at the template's values, no sessions, no locks.
 */
const idle: string[] = [];

interface TemplateState {
  /** The schema, to tell a database a test altered (kept out of reuse). */
  schema: string;
  /** Every table with the template's rows (JSON), in one list so a reset is one round trip. */
  tables: Array<{ name: string; rows: string | null }>;
  sequences: Array<{ name: string; value: string; called: boolean }>;
}

// Tables, columns, constraints, indexes, types, functions and triggers of the public schema.
const SCHEMA_FINGERPRINT = `
  SELECT md5(concat_ws('|',
    (SELECT string_agg(c.relname || ':' || c.relkind::text, ',' ORDER BY c.relname) FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace),
    (SELECT string_agg(a.attrelid::regclass::text || '.' || a.attname || ':' || format_type(a.atttypid, a.atttypmod) || ':' || a.attnotnull::text || ':' || coalesce(pg_get_expr(d.adbin, d.adrelid), ''), ',' ORDER BY a.attrelid::regclass::text, a.attnum)
       FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
       WHERE c.relnamespace = 'public'::regnamespace AND a.attnum > 0 AND NOT a.attisdropped),
    (SELECT string_agg(conrelid::regclass::text || '.' || conname || ':' || pg_get_constraintdef(oid), ',' ORDER BY conrelid::regclass::text, conname) FROM pg_constraint WHERE connamespace = 'public'::regnamespace),
    (SELECT string_agg(indexrelid::regclass::text || ':' || pg_get_indexdef(indexrelid), ',' ORDER BY indexrelid::regclass::text) FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid WHERE c.relnamespace = 'public'::regnamespace),
    (SELECT string_agg(t.typname || ':' || coalesce((SELECT string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid), ''), ',' ORDER BY t.typname) FROM pg_type t WHERE t.typnamespace = 'public'::regnamespace),
    (SELECT string_agg(p.proname || ':' || md5(p.prosrc), ',' ORDER BY p.proname) FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace),
    (SELECT string_agg(tgrelid::regclass::text || '.' || tgname, ',' ORDER BY tgrelid::regclass::text, tgname) FROM pg_trigger WHERE NOT tgisinternal)
  )) AS schema`;

async function readTemplateState(template: string): Promise<TemplateState> {
  const client = new pg.Client({ connectionString: databaseUrl(template) });
  await client.connect();
  try {
    const schema = (await client.query<{ schema: string }>(SCHEMA_FINGERPRINT)).rows[0]!.schema;
    const names = (await client.query<{ name: string }>(`SELECT format('%I', tablename) AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`)).rows;
    const tables: TemplateState['tables'] = [];
    for (const { name } of names) {
      const { rows } = await client.query<{ rows: string | null }>(`SELECT json_agg(t)::text AS rows FROM ${name} t`);
      tables.push({ name, rows: rows[0]!.rows });
    }
    const seqNames = (await client.query<{ name: string }>(`SELECT format('%I', sequencename) AS name FROM pg_sequences WHERE schemaname = 'public'`)).rows;
    const sequences: TemplateState['sequences'] = [];
    for (const { name } of seqNames) {
      const { rows } = await client.query<{ last_value: string; is_called: boolean }>(`SELECT last_value::text, is_called FROM ${name}`);
      sequences.push({ name, value: rows[0]!.last_value, called: rows[0]!.is_called });
    }
    return { schema, tables, sequences };
  } finally {
    await client.end();
  }
}

let templateState: Promise<TemplateState> | null = null;

/**
 * Empties `db` back to the template's rows in one transaction (replica role: no foreign-key order, no triggers) and
 * puts its sequences back; false when it cannot be reused (altered schema, or a role that may not do this).
 */
async function resetToTemplate(db: string, template: string): Promise<boolean> {
  templateState ??= readTemplateState(template);
  const state = await templateState.catch(() => null);
  if (!state) return false;
  const client = new pg.Client({ connectionString: databaseUrl(db) });
  await client.connect();
  try {
    // What DROP … WITH (FORCE) did: sessions a test left behind (a killed instance, a leaked pool) end, with their locks.
    await client.query('SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()');
    if ((await client.query<{ schema: string }>(SCHEMA_FINGERPRINT)).rows[0]!.schema !== state.schema) return false;
    const lit = (s: string) => client.escapeLiteral(s);
    await client.query(
      [
        'BEGIN',
        'SET LOCAL session_replication_role = replica',
        ...state.tables.map((t) => `DELETE FROM ${t.name}`),
        ...state.tables.filter((t) => t.rows !== null).map((t) => `INSERT INTO ${t.name} OVERRIDING SYSTEM VALUE SELECT * FROM json_populate_recordset(NULL::${t.name}, ${lit(t.rows!)})`),
        ...state.sequences.map((q) => `SELECT setval(${lit(q.name)}, ${q.value}, ${q.called})`),
        'COMMIT',
      ].join(';\n'),
    );
    return true;
  } catch {
    return false;
  } finally {
    await client.end();
  }
}

/**
 * A PostgreSQL database per call holding exactly what a fresh clone of the migrated template holds, so tests never
 * see each other's rows; on close it is emptied for this process's next call (or dropped when it cannot be).
 */
export async function openPostgres(): Promise<TestDatabase> {
  const template = await postgresTemplate();
  const db = idle.pop() ?? (await createFromTemplate(template));
  const dataSource = await openDatabase({ type: 'postgres', url: databaseUrl(db) }).catch(async (err: unknown) => {
    await dropDatabase(db);
    throw err;
  });
  let closed: Promise<void> | null = null;
  return {
    name: 'postgres',
    dataSource,
    close: () =>
      (closed ??= (async () => {
        await dataSource.destroy();
        if (await resetToTemplate(db, template)) idle.push(db);
        else await dropDatabase(db);
      })()),
  };
}

export const DATABASES: ReadonlyArray<[string, () => Promise<TestDatabase>]> = [
  ['sqlite', openSqlite],
  ['postgres', openPostgres],
];
