/**
 * Issue 16, first slice: what exports a district sends upward share (the `format` switch) and the playout log a
 * regulator reads: one row per occurrence per device, for a period and an area subtree.
 */
import { z } from 'zod';
import { DELIVERY_STATES } from '../constants.js';

/**
 * Every CSV export: `vi` (the default) is for people — Vietnamese headers and state names, `dd/mm/yyyy HH:mm` on
 * LOA_TIMEZONE; `iso` is for API clients — English column keys, state codes, ISO-8601 UTC instants.
 */
export const exportFormatSchema = z.enum(['vi', 'iso']).default('vi');
export type ExportFormat = z.infer<typeof exportFormatSchema>;

const LOCAL_DATE = /^\d{4}-\d{2}-\d{2}$/;
const LOCAL_MONTH = /^\d{4}-\d{2}$/;
const LOCAL_QUARTER = /^\d{4}-Q[1-4]$/;
const LOCAL_YEAR = /^\d{4}$/;

const periodFields = {
  month: z.string().regex(LOCAL_MONTH, 'month: yyyy-mm, e.g. 2026-11').optional(),
  /** A calendar quarter, e.g. 2026-Q4 (October to December). */
  quarter: z.string().regex(LOCAL_QUARTER, 'quarter: yyyy-Qn, e.g. 2026-Q4').optional(),
  /** A calendar year, e.g. 2026. */
  year: z.string().regex(LOCAL_YEAR, 'year: yyyy, e.g. 2026').optional(),
  from: z.string().regex(LOCAL_DATE, 'from: a date yyyy-mm-dd (Vietnam time), e.g. 2026-11-01').optional(),
  to: z.string().regex(LOCAL_DATE, 'to: a date yyyy-mm-dd (Vietnam time, inclusive), e.g. 2026-11-30').optional(),
  /** The subtree to report on; the reader's own area when absent. Outside the reader's area: 404. */
  areaCode: z.string().min(1).max(32).optional(),
};

const onePeriod = (q: { month?: string | undefined; quarter?: string | undefined; year?: string | undefined; from?: string | undefined; to?: string | undefined }, ctx: z.RefinementCtx): void => {
  const named = [q.month, q.quarter, q.year].filter((v) => v !== undefined).length;
  if (named > 1 || (named === 1 && (q.from !== undefined || q.to !== undefined))) ctx.addIssue({ code: 'custom', message: 'give one period: month, quarter, year or from/to', path: ['month'] });
  else if (named === 0 && (q.from === undefined || q.to === undefined)) ctx.addIssue({ code: 'custom', message: 'give a period: month=yyyy-mm, quarter=yyyy-Qn, year=yyyy, or from and to (yyyy-mm-dd, inclusive)', path: ['from'] });
};

/**
 * The period of a report, in calendar terms on LOA_TIMEZONE (Vietnam time): `month=2026-11`, or `from`/`to` as
 * local dates, both inclusive (`from=2026-11-01&to=2026-11-30` is November). The server turns them into instants,
 * so "November" starts at 00:00 in Vietnam (17:00Z the day before), whatever zone the client runs in. Impossible
 * dates and `to` before `from` are refused by the server (400) with the reason.
 */
export const reportPeriodQuerySchema = z.object(periodFields).superRefine(onePeriod);
export type ReportPeriodQuery = z.infer<typeof reportPeriodQuerySchema>;

/**
 * Filters of the playout log only (not of other reports): `deviceId` narrows it to one device, the drill-down from a
 * device's figures to the occurrences behind them. A device outside the reader's area (or unknown) is 404.
 */
const playoutFilterFields = {
  deviceId: z.string().min(1).max(64).optional(),
};

/** GET /api/v1/reports/playout-log: one page of JSON; pass `nextCursor` back as `cursor` for the next. */
export const playoutLogPageQuerySchema = z
  .object({
    ...periodFields,
    ...playoutFilterFields,
    limit: z.coerce.number().int().min(1).max(5_000).default(1_000),
    cursor: z.string().min(1).max(400).optional().describe('nextCursor of the previous page'),
  })
  .superRefine(onePeriod);
export type PlayoutLogPageQuery = z.infer<typeof playoutLogPageQuerySchema>;

/** GET /api/v1/reports/playout-log.csv and .ndjson: the whole period, streamed. */
export const playoutLogExportQuerySchema = z.object({ ...periodFields, ...playoutFilterFields, format: exportFormatSchema }).superRefine(onePeriod);
export type PlayoutLogExportQuery = z.infer<typeof playoutLogExportQuerySchema>;

/** GET /api/v1/reports/playout-log.ndjson: the period and the playout log's filters. */
export const playoutLogStreamQuerySchema = z.object({ ...periodFields, ...playoutFilterFields }).superRefine(onePeriod);
export type PlayoutLogStreamQuery = z.infer<typeof playoutLogStreamQuerySchema>;

/** One row of the playout log: what played (or did not) where, when, for how long, and why not. */
export const playoutLogRowSchema = z.object({
  occurrenceId: z.string(),
  scheduleId: z.string(),
  contentId: z.string(),
  contentTitle: z.string().nullable(),
  priority: z.string(),
  deviceId: z.string(),
  deviceName: z.string().nullable(),
  areaCode: z.string().nullable(),
  areaName: z.string().nullable(),
  /** The commune the device belongs to (its own area when that is a commune, else the parent commune). */
  communeName: z.string().nullable(),
  scheduledStart: z.string().describe('ISO-8601 UTC'),
  startedAt: z.string().nullable(),
  endedAt: z.string().nullable(),
  playedSeconds: z.number().nullable(),
  state: z.enum(DELIVERY_STATES),
  /** The state in Vietnamese (DELIVERY_STATE_LABELS_VI). */
  result: z.string(),
  reason: z.string().nullable(),
});
export type PlayoutLogRow = z.infer<typeof playoutLogRowSchema>;

export const playoutLogPageSchema = z.object({ items: z.array(playoutLogRowSchema), nextCursor: z.string().nullable() });
export type PlayoutLogPage = z.infer<typeof playoutLogPageSchema>;
