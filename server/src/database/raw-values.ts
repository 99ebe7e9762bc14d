/**
 * Values of raw query rows (`getRawMany`): PostgreSQL returns bigint and numeric columns as strings and SQLite as
 * numbers, so raw rows are read through these rather than cast.
 */
export const rawNum = (v: unknown): number => Number(v);
export const rawNumOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
export const rawStrOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
