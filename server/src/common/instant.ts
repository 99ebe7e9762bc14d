import { hasUtcOffset } from '@loa/shared/rest';
import { zonedToUtc } from '@loa/shared';

// The request schemas (instantSchema, wallClockSchema) are in the REST contract; this reads what they let through.

const LOCAL = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?$/;

/**
 * Epoch ms of a wallClockSchema value: as given when it has an offset, else the instant the zone's wall clock shows
 * that time (a time skipped by a DST jump moves forward by the jump; an ambiguous one takes the earlier instant).
 */
export function instantIn(text: string, zone: string): number {
  if (hasUtcOffset(text)) return Date.parse(text);
  const m = LOCAL.exec(text);
  if (!m) return Number.NaN; // unreachable after the schema
  const ms = m[7] ? Math.round(Number(m[7]) * 1000) : 0;
  return zonedToUtc(Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6] ?? 0), zone) + ms;
}
