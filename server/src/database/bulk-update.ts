import type { EntityManager } from 'typeorm';

/** Rows per UPDATE statement: well under SQLite's (32,766) and PostgreSQL's (65,535) parameter limits. */
export const UPDATE_CHUNK = 500;

/** A column set from the values: its name and its PostgreSQL type (VALUES rows are untyped there). */
export interface UpdateColumn {
  name: string;
  pgType: 'varchar' | 'text' | 'boolean' | 'bigint' | 'integer' | 'real';
}

/**
 * `UPDATE table SET c = v.c … FROM (rows) AS v WHERE table.key = v.key` (a key of one or more columns, first in each
 * row): one statement for a batch of rows that each get their own values (presence of a thousand devices, the
 * deliveries a group of reports moved), where TypeORM would run one UPDATE per row. The rows are named column1…N on
 * both databases.
 *
 * PostgreSQL gets them as one array per column (`unnest($1::varchar[], …)`): a fixed statement of N parameters
 * whatever the number of rows, instead of a VALUES list of rows × N parameters that the server parses, types and
 * plans anew for every batch (the cost that dominated a group commit there). SQLite (≥ 3.33), which has no arrays,
 * gets `(VALUES …)` in chunks under its parameter limit.
 */
export async function updateFromValues(
  tx: EntityManager,
  table: string,
  key: UpdateColumn | readonly UpdateColumn[],
  columns: readonly UpdateColumn[],
  rows: ReadonlyArray<ReadonlyArray<unknown>>,
): Promise<void> {
  const pg = tx.connection.driver.options.type === 'postgres';
  const keys: readonly UpdateColumn[] = Array.isArray(key) ? key : [key as UpdateColumn];
  const all = [...keys, ...columns];
  for (const r of rows) if (r.length !== all.length) throw new Error(`updateFromValues: a row of ${r.length} values for ${all.length} columns`);
  if (rows.length === 0) return;
  const set = columns.map((c, i) => `"${c.name}" = v.column${i + keys.length + 1}`).join(', ');
  const match = keys.map((k, i) => `"${table}"."${k.name}" = v.column${i + 1}`).join(' AND ');
  if (pg) {
    const alias = `v(${all.map((_, i) => `column${i + 1}`).join(', ')})`;
    await tx.query(`UPDATE "${table}" SET ${set} FROM ${unnestArrays(all)} AS ${alias} WHERE ${match}`, columnArrays(all.length, rows));
    return;
  }
  for (let i = 0; i < rows.length; i += UPDATE_CHUNK) {
    const params: unknown[] = [];
    const tuples = rows.slice(i, i + UPDATE_CHUNK).map((r) => {
      for (const v of r) params.push(typeof v === 'boolean' ? Number(v) : v);
      return `(${r.map(() => '?').join(', ')})`;
    });
    await tx.query(`UPDATE "${table}" SET ${set} FROM (VALUES ${tuples.join(', ')}) AS v WHERE ${match}`, params);
  }
}

/** PostgreSQL: `unnest($1::t1[], $2::t2[], …)`, the rows of a bulk statement as one typed array per column. */
export function unnestArrays(columns: readonly UpdateColumn[], first = 1): string {
  return `unnest(${columns.map((c, i) => `$${first + i}::${c.pgType}[]`).join(', ')})`;
}

/** Rows turned into one array per column (the parameters of `unnestArrays`). */
export function columnArrays(width: number, rows: ReadonlyArray<ReadonlyArray<unknown>>): unknown[][] {
  const out: unknown[][] = Array.from({ length: width }, () => new Array<unknown>(rows.length));
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    for (let j = 0; j < width; j++) out[j]![i] = r[j] ?? null;
  }
  return out;
}

/** `?, ?, …` (SQLite) or `$k, $k+1, …` (PostgreSQL) for n parameters, numbering from `first`. */
export function placeholders(pg: boolean, n: number, first = 1): string {
  return Array.from({ length: n }, (_, i) => (pg ? `$${first + i}` : '?')).join(', ');
}

/**
 * Locks these rows (PostgreSQL: NO KEY UPDATE, the lock an UPDATE of non-key columns takes) in key order. Group
 * commits that touch the same rows from several batchers (presence, acks, reports) then always queue in one order
 * and never deadlock; the rows' own UPDATE … FROM VALUES locks in whatever order its join produces. No-op on SQLite,
 * whose single writer serialises transactions.
 */
export async function lockRowsInOrder(tx: EntityManager, table: string, key: string, values: readonly string[]): Promise<void> {
  if (tx.connection.driver.options.type !== 'postgres' || values.length === 0) return;
  const sorted = [...new Set(values)].sort();
  for (let i = 0; i < sorted.length; i += UPDATE_CHUNK) {
    const chunk = sorted.slice(i, i + UPDATE_CHUNK);
    await tx.query(`SELECT 1 FROM "${table}" WHERE "${key}" IN (${placeholders(true, chunk.length)}) ORDER BY "${key}" FOR NO KEY UPDATE`, chunk);
  }
}
