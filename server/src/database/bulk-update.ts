import type { EntityManager } from 'typeorm';

/** Rows per UPDATE statement: well under SQLite's (32,766) and PostgreSQL's (65,535) parameter limits. */
export const UPDATE_CHUNK = 500;

/** A column set from the values: its name and its PostgreSQL type (VALUES rows are untyped there). */
export interface UpdateColumn {
  name: string;
  pgType: 'varchar' | 'text' | 'boolean' | 'bigint' | 'integer';
}

/**
 * `UPDATE table SET c = v.c … FROM (VALUES …) WHERE table.key = v.key` (a key of one or more columns, first in each row), in chunks: one statement for a batch of
 * rows that each get their own values (presence of a thousand devices), where TypeORM would run one UPDATE per row.
 * SQLite (≥ 3.33) and PostgreSQL both take it; SQLite names VALUES columns column1…N, so both dialects use those.
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
  const set = columns.map((c, i) => `"${c.name}" = v.column${i + keys.length + 1}`).join(', ');
  const match = keys.map((k, i) => `"${table}"."${k.name}" = v.column${i + 1}`).join(' AND ');
  const alias = pg ? `v(${all.map((_, i) => `column${i + 1}`).join(', ')})` : 'v';
  for (let i = 0; i < rows.length; i += UPDATE_CHUNK) {
    const params: unknown[] = [];
    const tuples = rows.slice(i, i + UPDATE_CHUNK).map((r) => {
      if (r.length !== all.length) throw new Error(`updateFromValues: a row of ${r.length} values for ${all.length} columns`);
      const marks = r.map((v, j) => {
        params.push(typeof v === 'boolean' && !pg ? Number(v) : v);
        return pg ? `$${params.length}::${all[j]?.pgType ?? 'text'}` : '?';
      });
      return `(${marks.join(', ')})`;
    });
    await tx.query(`UPDATE "${table}" SET ${set} FROM (VALUES ${tuples.join(', ')}) AS ${alias} WHERE ${match}`, params);
  }
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
