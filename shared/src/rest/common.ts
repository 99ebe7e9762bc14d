/** Pieces every REST domain builds its requests and views from. */
import { z } from 'zod';

const HAS_OFFSET = /(?:Z|[+-]\d{2}(?::?\d{2})?)$/i;
const EXAMPLE = '2026-12-07T07:00:00+07:00';

/** Does this ISO-8601 text carry a UTC offset (or Z)? Without one it names a wall-clock time, not an instant. */
export const hasUtcOffset = (text: string): boolean => HAS_OFFSET.test(text);

/**
 * An instant in a request: ISO-8601 date-time with a UTC offset (or Z). Without one it names no instant, and the
 * 400 says what is missing instead of zod's bare "Invalid ISO datetime". Every instant of the API uses it, except
 * the schedule fields read on the schedule's zone (wallClockSchema).
 */
export const instantSchema = z.iso
  .datetime({ local: true, offset: true, error: `not an ISO-8601 date-time such as ${EXAMPLE}` })
  .refine((s) => HAS_OFFSET.test(s), { message: `needs a UTC offset, e.g. ${EXAMPLE} (or Z for UTC)` });

/** An instant, or a wall-clock time without offset to be read on a zone (what an operator types). */
export const wallClockSchema = z.iso.datetime({ local: true, offset: true, error: `not an ISO-8601 date-time such as ${EXAMPLE} or 2026-12-07T07:00` });

/** A CSV upload: the request body itself, sent as text/csv. */
export const csvBodySchema = z.string({ error: 'send the CSV as the request body with content-type text/csv' }).min(1, 'the CSV is empty');

/** A yes/no in a query string. */
export const queryBoolSchema = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');
/** A yes/no in a query string that means no when absent. */
export const queryFlagSchema = z.enum(['true', 'false', '1', '0']).default('false').transform((v) => v === 'true' || v === '1');

/** A refusal with its reason (content, schedules). */
export const rejectRequestSchema = z.object({ reason: z.string().trim().min(1).max(1000) });
export type RejectRequest = z.infer<typeof rejectRequestSchema>;

/**
 * Device tags: lower-case labels (e.g. "coastal", "market", "school-zone") that group tag rules match. No quotes or
 * spaces, so the JSON-array column can be pre-filtered with LIKE '%"tag"%' on SQLite and PostgreSQL alike.
 */
export const tagSchema = z.string().regex(/^[a-z0-9][a-z0-9_.:-]{0,63}$/, 'tag: 1-64 chars of a-z, 0-9, "_", ".", ":" or "-", starting with a letter or digit');
export const tagsSchema = z.array(tagSchema).max(50);

/** An ISO-8601 instant in a view. */
export const isoSchema = z.string();
export const isoOrNullSchema = z.string().nullable();
/** Counts by state (delivery states, command states). */
export const countsSchema = z.record(z.string(), z.number());

/** One page of a paginated list. */
export const pageSchema = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), total: z.number() });
