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
 * type per row: the VALUES form costs the server thousands of parameters per chunk); on SQLite the VALUES chunks.
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
