import type { EntityManager } from 'typeorm';
import { columnArrays, unnestArrays, type UpdateColumn } from './bulk-update.js';
import { padToShape } from './statement-shape.js';

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

/**
 * insertIgnoringReturning with typed columns, for the hot paths: on PostgreSQL one statement whatever the number of
 * rows, `INSERT … SELECT * FROM unnest($1::t1[], …)`, whose text is the same for every batch (nothing to parse and
 * type per row: the VALUES form costs the server thousands of parameters per chunk); on SQLite the VALUES chunks
 * (the report ingestion uses insertIgnoringEachSqlite there).
 */
export async function insertIgnoringReturningTyped<R>(
  tx: EntityManager,
  table: string,
  columns: readonly UpdateColumn[],
  rows: ReadonlyArray<ReadonlyArray<unknown>>,
  returning: readonly string[],
): Promise<R[]> {
  if (tx.connection.driver.options.type !== 'postgres') {
    // SQLite: full chunks and the last one padded to one of a few lengths (a repeated row conflicts with its first
    // copy and is ignored), so the statement's text repeats and the driver's statement cache answers: compiling a
    // statement of thousands of parameters costs SQLite about as much as running it.
    const last = rows.length % INSERT_CHUNK;
    const tail = rows.slice(rows.length - last);
    const padded = last === 0 ? rows : [...rows.slice(0, rows.length - last), ...padToShape(tail).slice(0, INSERT_CHUNK)];
    return insertIgnoringReturning<R>(tx, table, columns.map((c) => c.name), padded, returning);
  }
  if (rows.length === 0) return [];
  for (const r of rows) if (r.length !== columns.length) throw new Error(`insertIgnoringReturningTyped: a row of ${r.length} values for ${columns.length} columns`);
  return (await tx.query(
    `INSERT INTO ${table} (${columns.map((c) => c.name).join(', ')}) SELECT * FROM ${unnestArrays(columns)} ON CONFLICT DO NOTHING RETURNING ${returning.join(', ')}`,
    columnArrays(columns.length, rows),
  )) as R[];
}

/** What insertIgnoringEachSqlite needs of better-sqlite3 (the driver TypeORM holds): a prepared statement's run. */
interface SqliteStatement {
  run(...params: unknown[]): { changes: number };
}
interface SqliteConnection {
  prepare(sql: string): SqliteStatement;
}

/** Prepared single-row inserts, per connection (a closed database's statements go with it). */
const sqliteStatements = new WeakMap<SqliteConnection, Map<string, SqliteStatement>>();

/**
 * SQLite (better-sqlite3) only: `INSERT … ON CONFLICT DO NOTHING` of the rows one by one through one prepared
 * single-row statement, on the driver's own (single) connection, so inside the caller's transaction; says for each
 * row whether it went in (it changed a row) or met a stored one.
 *
 * For the report ingestion (10,000 reports/s): measured on a 10,000-device database, 100,000 reports in groups of
 * 5,000, the multi-row `VALUES … RETURNING` form cost SQLite 11 µs a row, 40 % of it RETURNING (rows buffered, then
 * turned into objects), besides the SQL text and the 5,500-parameter spread built for every chunk; the prepared
 * single row costs 5 µs, and nothing is compiled or built per batch. The statements run synchronously, so no other
 * work interleaves with the caller's transaction. Booleans are bound as SQLite stores them (0/1).
 */
export function insertIgnoringEachSqlite(tx: EntityManager, table: string, columns: readonly string[], rows: ReadonlyArray<ReadonlyArray<unknown>>): boolean[] {
  if (tx.connection.driver.options.type !== 'better-sqlite3') throw new Error(`insertIgnoringEachSqlite: for better-sqlite3, not ${tx.connection.driver.options.type}`);
  for (const r of rows) if (r.length !== columns.length) throw new Error(`insertIgnoringEachSqlite: a row of ${r.length} values for ${columns.length} columns`);
  if (rows.length === 0) return [];
  const db = (tx.connection.driver as unknown as { databaseConnection?: SqliteConnection }).databaseConnection;
  if (!db) throw new Error('insertIgnoringEachSqlite: the SQLite connection is not open');
  const sql = `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')}) ON CONFLICT DO NOTHING`;
  let cache = sqliteStatements.get(db);
  if (!cache) sqliteStatements.set(db, (cache = new Map()));
  let stmt = cache.get(sql);
  if (!stmt) cache.set(sql, (stmt = db.prepare(sql)));
  const insert = stmt;
  const params = new Array<unknown>(columns.length);
  return rows.map((r) => {
    for (let j = 0; j < params.length; j++) {
      const v = r[j];
      params[j] = typeof v === 'boolean' ? Number(v) : (v ?? null);
    }
    return insert.run(...params).changes > 0;
  });
}
