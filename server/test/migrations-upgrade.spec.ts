import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { DataSource } from 'typeorm';
import { openAppDatabase } from '../src/app.database.js';
import { MIGRATIONS } from '../src/database/migrations/index.js';
import { openPostgres, openSqlite, PG_ADMIN_URL, type TestDatabase } from './support/databases.js';

/**
 * Upgrading a database written by the previous release (fixtures/release-0.1, made by that release's own code: see
 * its README): the current migrations run forward over real data, keep it, and leave exactly a fresh database's
 * schema; every newer migration's `down` brings the schema back to the release's, and forward works again after.
 */
const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'release-0.1');

type Snapshot = Record<string, unknown>;

async function sqliteSchema(ds: DataSource): Promise<Snapshot> {
  const tables = ((await ds.query(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`)) as { name: string }[]).map((t) => t.name);
  const out: Snapshot = {};
  for (const t of tables) {
    const columns = ((await ds.query(`PRAGMA table_xinfo("${t}")`)) as Array<{ name: string; type: string; notnull: number; dflt_value: string | null; pk: number }>)
      .map((c) => `${c.name} ${c.type.toLowerCase()}${c.notnull ? ' not null' : ''}${c.dflt_value !== null ? ` default ${c.dflt_value}` : ''}${c.pk ? ` pk${c.pk}` : ''}`)
      .sort();
    const indexes: string[] = [];
    for (const i of (await ds.query(`PRAGMA index_list("${t}")`)) as Array<{ name: string; unique: number; partial: number }>) {
      const cols = ((await ds.query(`PRAGMA index_info("${i.name}")`)) as Array<{ name: string }>).map((c) => c.name);
      // Auto-index names number the table's constraints; what they cover is what matters.
      const name = i.name.startsWith('sqlite_autoindex_') ? 'auto' : i.name;
      indexes.push(`${name}${i.unique ? ' unique' : ''}${i.partial ? ' partial' : ''} (${cols.join(', ')})`);
    }
    const fks = ((await ds.query(`PRAGMA foreign_key_list("${t}")`)) as Array<{ table: string; from: string; to: string; on_update: string; on_delete: string }>)
      .map((f) => `${f.from} → ${f.table}.${f.to} on update ${f.on_update} on delete ${f.on_delete}`)
      .sort();
    out[t] = { columns, indexes: indexes.sort(), fks };
  }
  return out;
}

async function postgresSchema(ds: DataSource): Promise<Snapshot> {
  const columns = (await ds.query(
    `SELECT table_name, column_name, data_type, udt_name, is_nullable, column_default, character_maximum_length
       FROM information_schema.columns WHERE table_schema = 'public' ORDER BY table_name, column_name`,
  )) as Array<Record<string, unknown>>;
  const indexes = await ds.query(`SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY tablename, indexname`);
  const constraints = await ds.query(
    `SELECT conrelid::regclass::text AS table, conname, pg_get_constraintdef(oid) AS def FROM pg_constraint
      WHERE connamespace = 'public'::regnamespace ORDER BY 1, 2`,
  );
  const enums = await ds.query(
    `SELECT t.typname, string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) AS labels FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid
      JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = 'public' GROUP BY t.typname ORDER BY t.typname`,
  );
  return { columns, indexes, constraints, enums };
}

async function counts(ds: DataSource, kind: 'sqlite' | 'postgres'): Promise<Record<string, number>> {
  const sql =
    kind === 'sqlite'
      ? `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`
      : `SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`;
  const out: Record<string, number> = {};
  for (const { name } of (await ds.query(sql)) as { name: string }[]) out[name] = Number(((await ds.query(`SELECT count(*) AS n FROM "${name}"`)) as { n: number | string }[])[0]!.n);
  return out;
}

/** Rows the release wrote that the upgrade must keep as they were. */
async function samples(ds: DataSource): Promise<unknown> {
  return {
    areas: await ds.query(`SELECT code, name, level, parent_code, path FROM areas ORDER BY code`),
    users: await ds.query(`SELECT username, role, area_code FROM users ORDER BY username`),
    devices: await ds.query(`SELECT id, name, kind, area_code FROM devices ORDER BY id`),
    contents: await ds.query(`SELECT title, type FROM contents ORDER BY title`),
    deliveries: await ds.query(`SELECT device_id, state FROM deliveries ORDER BY device_id, state`),
    alerts: await ds.query(`SELECT title, area_code FROM alerts ORDER BY title`),
    feedback: await ds.query(`SELECT title, area_code FROM feedback_items ORDER BY title`),
  };
}

interface Opened {
  ds: DataSource;
  close(): Promise<void>;
  /** The fixture as the release left it, before any current migration (read through a bare connection). */
  before: { schema: Snapshot; counts: Record<string, number>; samples: unknown; migrations: string[] };
}

/** Opens a DataSource on the fixture without migrating, snapshots it, then lets `openAppDatabase` migrate it. */
async function openFixture(kind: 'sqlite' | 'postgres'): Promise<Opened> {
  const { DataSource: Ds } = await import('typeorm');
  if (kind === 'sqlite') {
    const dir = mkdtempSync(path.join(tmpdir(), 'loa-upgrade-'));
    const file = path.join(dir, 'loa.sqlite');
    copyFileSync(path.join(FIXTURES, 'loa.sqlite'), file);
    const bare = new Ds({ type: 'better-sqlite3', database: file });
    await bare.initialize();
    const before = await snapshotBefore(bare, kind);
    await bare.destroy();
    const ds = await openAppDatabase({ type: 'sqlite', file });
    return { ds, before, close: async () => (await ds.destroy(), rmSync(dir, { recursive: true, force: true })) };
  }
  const db = `loa_upgrade_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${db}`);
  await admin.end();
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${db}`;
  // The plain dump is psql's input (COPY … FROM stdin, \restrict), not a driver's.
  const psql = spawnSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', url.toString(), '-f', path.join(FIXTURES, 'postgres.sql')], { encoding: 'utf8' });
  if (psql.error || psql.status !== 0) throw new Error(`loading postgres.sql with psql failed (install postgresql-client): ${psql.error?.message ?? psql.stderr}`);
  const bare = new Ds({ type: 'postgres', url: url.toString() });
  await bare.initialize();
  const before = await snapshotBefore(bare, kind);
  await bare.destroy();
  const ds = await openAppDatabase({ type: 'postgres', url: url.toString() });
  return {
    ds,
    before,
    close: async () => {
      await ds.destroy();
      const a = new pg.Client({ connectionString: PG_ADMIN_URL });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
      await a.end();
    },
  };
}

async function snapshotBefore(ds: DataSource, kind: 'sqlite' | 'postgres'): Promise<Opened['before']> {
  return {
    schema: kind === 'sqlite' ? await sqliteSchema(ds) : await postgresSchema(ds),
    counts: await counts(ds, kind),
    samples: await samples(ds),
    migrations: ((await ds.query(`SELECT name FROM migrations ORDER BY id`)) as { name: string }[]).map((m) => m.name),
  };
}

const cases: Array<['sqlite' | 'postgres', () => Promise<TestDatabase>]> = [
  ['sqlite', openSqlite],
  ['postgres', openPostgres],
];

describe.each(cases)('upgrade from release 0.1 on %s', (kind, openFresh) => {
  let fixture: Opened;
  let fresh: Snapshot;
  const schema = (ds: DataSource) => (kind === 'sqlite' ? sqliteSchema(ds) : postgresSchema(ds));

  beforeAll(async () => {
    const f = await openFresh();
    try {
      fresh = await schema(f.dataSource);
    } finally {
      await f.close();
    }
    fixture = await openFixture(kind);
  }, 120_000);

  afterAll(async () => {
    await fixture?.close();
  });

  it('runs the newer migrations forward and keeps every row the release wrote', async () => {
    const { ds, before } = fixture;
    // The fixture is the release before issue 19: it has data in the main tables, and newer migrations to run.
    expect(before.counts).toEqual(expect.objectContaining({ areas: 5, users: 3, devices: 3, contents: 2, schedules: 2, deliveries: 2, alerts: 1, alert_deliveries: 2, feedback_items: 2 }));
    expect(before.migrations).toHaveLength(25);
    const newer = MIGRATIONS.map((m) => (new m() as { name: string }).name).filter((n) => !before.migrations.includes(n));
    expect(newer.length).toBeGreaterThan(0);

    const after = await counts(ds, kind);
    for (const [table, n] of Object.entries(before.counts)) {
      if (table === 'migrations') expect(after[table]).toBe(n + newer.length);
      else expect([table, after[table]]).toEqual([table, n]);
    }
    expect(await samples(ds)).toEqual(before.samples);
    expect((await samples(ds) as { deliveries: Array<{ state: string }> }).deliveries.map((d) => d.state)).toContain('finished');
    // Columns added since: the release's rows get their defaults.
    const users = (await ds.query(`SELECT must_change_password AS m, email, full_name, phone FROM users`)) as Array<{ m: unknown; email: unknown; full_name: unknown; phone: unknown }>;
    expect(users).toHaveLength(3);
    for (const u of users) expect([Boolean(u.m), u.email, u.full_name, u.phone]).toEqual([false, null, null, null]);
    expect(await ds.query(`SELECT DISTINCT location_source AS s FROM devices`)).toEqual([{ s: null }]);
    expect(await ds.query(`SELECT DISTINCT times_of_day AS t, rdates AS r FROM schedules`)).toEqual([{ t: null, r: null }]);
  });

  it('leaves exactly the schema a fresh database gets', async () => {
    // The comparison can see a difference: the release's own schema is not the current one.
    expect(fixture.before.schema).not.toEqual(fresh);
    expect(Object.keys(kind === 'sqlite' ? fresh : (fresh.indexes as unknown[])).length).toBeGreaterThan(40);
    expect(await schema(fixture.ds)).toEqual(fresh);
  });

  it('undoes every newer migration back to the release’s schema, then migrates forward again', async () => {
    const { ds, before } = fixture;
    const newer = MIGRATIONS.filter((m) => !before.migrations.includes((new m() as { name: string }).name));
    for (const m of newer) expect([m.name, typeof m.prototype.down]).toEqual([m.name, 'function']);
    for (let i = 0; i < newer.length; i++) await ds.undoLastMigration({ transaction: 'each' });
    expect(((await ds.query(`SELECT name FROM migrations ORDER BY id`)) as { name: string }[]).map((m) => m.name)).toEqual(before.migrations);
    expect(await schema(ds)).toEqual(before.schema);
    expect(await samples(ds)).toEqual(before.samples);

    await ds.runMigrations({ transaction: 'each' });
    expect(await schema(ds)).toEqual(fresh);
    expect(await samples(ds)).toEqual(before.samples);
  }, 60_000);
});
