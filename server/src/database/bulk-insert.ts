import type { EntityManager } from 'typeorm';

/** Rows per INSERT statement: well under SQLite's and PostgreSQL's parameter limits for our widest table. */
export const INSERT_CHUNK = 500;

/**
 * Multi-row INSERT … ON CONFLICT DO NOTHING in chunks, in plain SQL (both SQLite ≥ 3.24 and PostgreSQL accept it).
 * It skips TypeORM's per-entity work, which dominates when a change touches 10,000 devices, and makes re-running
 * a materialisation idempotent (rows are keyed by deterministic ids).
 */
export async function insertIgnoring(tx: EntityManager, table: string, columns: readonly string[], rows: ReadonlyArray<ReadonlyArray<unknown>>): Promise<void> {
  const pg = tx.connection.driver.options.type === 'postgres';
  for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
    const chunk = rows.slice(i, i + INSERT_CHUNK);
    const params: unknown[] = [];
    const tuples = chunk.map((r) => {
      const marks = r.map((v) => {
        params.push(typeof v === 'boolean' && !pg ? Number(v) : v);
        return pg ? `$${params.length}` : '?';
      });
      return `(${marks.join(', ')})`;
    });
    await tx.query(`INSERT INTO ${table} (${columns.join(', ')}) VALUES ${tuples.join(', ')} ON CONFLICT DO NOTHING`, params);
  }
}

/**
 * insertIgnoring that also says which rows went in: `RETURNING` the given columns of the rows inserted (a row that
 * hit a conflict is not returned). SQLite ≥ 3.35 and PostgreSQL both take it.
 */
export async function insertIgnoringReturning<R>(
  tx: EntityManager,
  table: string,
  columns: readonly string[],
  rows: ReadonlyArray<ReadonlyArray<unknown>>,
  returning: readonly string[],
): Promise<R[]> {
  const pg = tx.connection.driver.options.type === 'postgres';
  const out: R[] = [];
  for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
    const chunk = rows.slice(i, i + INSERT_CHUNK);
    const params: unknown[] = [];
    const tuples = chunk.map((r) => {
      const marks = r.map((v) => {
        params.push(typeof v === 'boolean' && !pg ? Number(v) : v);
        return pg ? `$${params.length}` : '?';
      });
      return `(${marks.join(', ')})`;
    });
    out.push(...((await tx.query(`INSERT INTO ${table} (${columns.join(', ')}) VALUES ${tuples.join(', ')} ON CONFLICT DO NOTHING RETURNING ${returning.join(', ')}`, params)) as R[]));
  }
  return out;
}
