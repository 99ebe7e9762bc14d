import pg from 'pg';
import type { DataSource } from 'typeorm';
import { openAppDatabase } from '../src/app.database.js';
import { PG_ADMIN_URL } from './support/databases.js';

/**
 * A cluster restarted together: several instances migrate one empty PostgreSQL database at the same moment. Without
 * the migration lock one of them failed on a duplicate type ("pg_type_typname_nsp_index").
 */
describe('migrations on PostgreSQL', () => {
  const db = `loa_mig_lock_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = async <T>(fn: (c: pg.Client) => Promise<T>): Promise<T> => {
    const c = new pg.Client({ connectionString: PG_ADMIN_URL });
    await c.connect();
    try {
      return await fn(c);
    } finally {
      await c.end();
    }
  };
  const url = (): string => {
    const u = new URL(PG_ADMIN_URL);
    u.pathname = `/${db}`;
    return u.toString();
  };
  const opened: DataSource[] = [];

  beforeAll(() => admin((c) => c.query(`CREATE DATABASE ${db}`)));
  afterAll(async () => {
    await Promise.all(opened.map((ds) => ds.destroy()));
    await admin((c) => c.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`));
  });

  it('three instances starting at once on an empty database all start, and every migration ran once', async () => {
    const results = await Promise.allSettled([0, 1, 2].map(() => openAppDatabase({ type: 'postgres', url: url() })));
    for (const r of results) if (r.status === 'fulfilled') opened.push(r.value);
    expect(results.map((r) => (r.status === 'rejected' ? String(r.reason) : 'ok'))).toEqual(['ok', 'ok', 'ok']);
    const ran = (await opened[0]!.query('SELECT name, count(*)::int AS n FROM migrations GROUP BY name')) as Array<{ name: string; n: number }>;
    expect(ran.length).toBe(opened[0]!.migrations.length);
    expect(ran.every((m) => m.n === 1)).toBe(true);
    expect(await opened[0]!.showMigrations()).toBe(false);
  });
});
