import { z } from 'zod';
import { zonedToUtc } from '../schedules/recurrence.js';

const HAS_OFFSET = /(?:Z|[+-]\d{2}(?::?\d{2})?)$/i;
const LOCAL = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?$/;
const EXAMPLE = '2026-12-07T07:00:00+07:00';

/**
 * An instant in a request: ISO-8601 date-time with a UTC offset (or Z). Without one it names no instant, and the
 * 400 says what is missing instead of zod's bare "Invalid ISO datetime". Every instant of the API uses it, except
 * the schedule fields read on the schedule's zone (wallClockSchema).
 */
export const instantSchema = z.iso
  .datetime({ local: true, offset: true, error: `not an ISO-8601 date-time such as ${EXAMPLE}` })
  .refine((s) => HAS_OFFSET.test(s), { message: `needs a UTC offset, e.g. ${EXAMPLE} (or Z for UTC)` });

/** An instant, or a wall-clock time without offset to be read on a zone with `instantIn` (what an operator types). */
export const wallClockSchema = z.iso.datetime({ local: true, offset: true, error: `not an ISO-8601 date-time such as ${EXAMPLE} or 2026-12-07T07:00` });

/**
 * Epoch ms of a wallClockSchema value: as given when it has an offset, else the instant the zone's wall clock shows
 * that time (a time skipped by a DST jump moves forward by the jump; an ambiguous one takes the earlier instant).
 */
export function instantIn(text: string, zone: string): number {
  if (HAS_OFFSET.test(text)) return Date.parse(text);
  const m = LOCAL.exec(text);
  if (!m) return Number.NaN; // unreachable after the schema
  const ms = m[7] ? Math.round(Number(m[7]) * 1000) : 0;
  return zonedToUtc(Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6] ?? 0), zone) + ms;
}
