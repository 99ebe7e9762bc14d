import type { ValueTransformer } from 'typeorm';

/**
 * Instants are stored as epoch milliseconds in BIGINT columns: one representation on SQLite and PostgreSQL, no
 * time-zone conversion by drivers. PostgreSQL returns BIGINT as a string, hence the transformer.
 */
export const epochMs: ValueTransformer = {
  to: (v: number | null | undefined) => v,
  from: (v: string | number | null) => (v === null || v === undefined ? v : Number(v)),
};

/** A JSON array in a TEXT column (portable; the arrays are small and never queried inside by the database). */
export const jsonArray: ValueTransformer = {
  to: (v: unknown[] | null | undefined) => (v === undefined ? v : JSON.stringify(v ?? [])),
  from: (v: string | null) => (v === null || v === undefined || v === '' ? [] : (JSON.parse(v) as unknown[])),
};

/** Any JSON value or SQL NULL in a TEXT column. */
export const jsonOrNull: ValueTransformer = {
  to: (v: unknown) => (v === undefined ? v : v === null ? null : JSON.stringify(v)),
  from: (v: string | null) => (v === null || v === undefined ? null : (JSON.parse(v) as unknown)),
};
