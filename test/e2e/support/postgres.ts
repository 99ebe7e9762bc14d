import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The machine's PostgreSQL (trust auth, user postgres), as the server's own tests use it; overridable. */
export const PG_ADMIN_URL = process.env.LOA_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestPostgres {
  readonly name: string;
  /** What LOA_DATABASE_URL is set to. */
  readonly url: string;
  /** A read on the database, for assertions (one short-lived pool). */
  query<T extends pg.QueryResultRow = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Closes the pool and drops the database (FORCE: processes killed mid-test may leave sessions behind). */
  drop(): Promise<void>;
}

function withDatabase(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

/**
 * A new, empty database on the machine's PostgreSQL: the servers under test migrate it themselves, as an
 * installation's first start does.
 */
export async function freshPostgres(prefix = 'loa_e2e'): Promise<TestPostgres> {
  const name = `${prefix}_${process.pid}_${randomBytes(3).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = withDatabase(PG_ADMIN_URL, name);
  let pool: pg.Pool | null = null;
  return {
    name,
    url,
    query: async <T extends pg.QueryResultRow>(sql: string, params: unknown[] = []) => {
      pool ??= new pg.Pool({ connectionString: url, max: 2 });
      return (await pool.query<T>(sql, params)).rows;
    },
    drop: async () => {
      await pool?.end();
      pool = null;
      const c = new pg.Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}
