/**
 * `items` lengthened to the next power of two (at least 8) by repeating its last element, for `IN (…)` lists and
 * `UPDATE … FROM (VALUES …)` rows whose repeats change nothing. A storm's batches then take one of a few statement
 * shapes whose SQL text repeats, so the driver's statement cache answers instead of SQLite compiling a statement of
 * hundreds of parameters for every batch (as costly as running it). PostgreSQL plans anew anyway: callers pad for
 * SQLite only.
 */
export function padToShape<T>(items: readonly T[]): T[] {
  if (items.length === 0) return [];
  let size = 8;
  while (size < items.length) size *= 2;
  const out = [...items];
  const last = items[items.length - 1] as T;
  while (out.length < size) out.push(last);
  return out;
}
