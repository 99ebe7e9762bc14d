/** API views show instants as ISO-8601; the database keeps epoch milliseconds (see database/columns.ts). */
export const isoOrNull = (ms: number | null | undefined): string | null => (ms === null || ms === undefined ? null : new Date(ms).toISOString());
