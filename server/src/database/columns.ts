import type { ValueTransformer } from 'typeorm';

/**
 * Instants are stored as epoch milliseconds in BIGINT columns: one representation on SQLite and PostgreSQL, no
 * time-zone conversion by drivers. PostgreSQL returns BIGINT as a string, hence the transformer.
 */
export const epochMs: ValueTransformer = {
  to: (v: number | null | undefined) => v,
  from: (v: string | number | null) => (v === null || v === undefined ? v : Number(v)),
};
