import { z } from 'zod';
import { DELIVERY_STATES, PRIORITIES } from '../constants.js';
import { CONTENT_TYPES } from './contents.js';
import { countsSchema, instantSchema } from './common.js';
import { AREA_LEVELS } from './areas.js';

/** GET /api/v1/areas/:code/deliveries/summary */
export const areaSummaryQuerySchema = z.object({
  from: instantSchema.optional().describe('occurrences starting at or after; default: 7 days ago'),
  to: instantSchema.optional().describe('occurrences starting before; default: now + 7 days'),
});

/** GET /api/v1/devices/:id/deliveries */
export const deviceDeliveriesQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  before: instantSchema.optional().describe('occurrences starting before this instant (paging: the last item’s occurrenceStartAt)'),
  /**
   * Issue 19: `past` — occurrences that have started (server clock), latest first; `upcoming` — those still to
   * come, soonest first (`after` pages them). Absent: every occurrence, newest first, as before.
   */
  when: z.enum(['past', 'upcoming']).optional(),
  after: instantSchema.optional().describe('with when=upcoming: occurrences starting after this instant (paging: the last item’s occurrenceStartAt)'),
});

/** What a device reported of one occurrence, as every delivery view shows it. */
const proofOfPlay = {
  state: z.enum(DELIVERY_STATES),
  queuedAt: z.string(),
  deliveredAt: z.string().nullable(),
  startedAt: z.string().nullable(),
  endedAt: z.string().nullable(),
  playedMs: z.number().nullable(),
  /** How much of the item was heard, of `itemMs` (null when the agent did not say). */
  heardMs: z.number().nullable(),
  itemMs: z.number().nullable(),
  reason: z.string().nullable(),
};

/** One device's proof of play for one occurrence. */
export const deliveryViewSchema = z.object({ occurrenceId: z.string(), deviceId: z.string(), ...proofOfPlay });
export type DeliveryView = z.infer<typeof deliveryViewSchema>;

export const areaSummarySchema = z.object({
  areaCode: z.string(),
  from: z.string(),
  to: z.string(),
  totals: countsSchema,
  deliveries: z.number(),
  devices: z.number(),
  occurrences: z.number(),
});
export type AreaSummary = z.infer<typeof areaSummarySchema>;

/** GET /api/v1/devices/:id/deliveries: one device's history, newest occurrence first. */
export const deviceDeliveryViewSchema = z.object({
  scheduleId: z.string(),
  occurrenceId: z.string(),
  occurrenceStartAt: z.string(),
  contentId: z.string(),
  contentTitle: z.string().nullable(),
  contentType: z.enum(CONTENT_TYPES).nullable(),
  priority: z.enum(PRIORITIES),
  ...proofOfPlay,
});
export type DeviceDeliveryView = z.infer<typeof deviceDeliveryViewSchema>;

/*
 * Issue 19: a schedule's results by area — a province-wide bulletin as one row per commune (or any level) with its
 * % played and failures first, instead of a flat list of every device.
 */

/** Delivery states that count as a failure in results by area (the device did not play it and will not). */
export const RESULT_FAILED_STATES = ['failed', 'expired'] as const;
/** Delivery states that count as played ("played on N of M"), as for alerts. */
export const RESULT_PLAYED_STATES = ['started', 'finished'] as const;

/** GET /api/v1/schedules/:id/results */
export const scheduleResultsQuerySchema = z.object({
  occurrenceId: z.string().min(1).max(128).optional().describe('one occurrence; default: every occurrence of the schedule'),
  areaCode: z.string().min(1).max(32).optional().describe("the area whose parts are listed; default: the smallest area holding all of the caller's deliveries"),
  level: z.enum(AREA_LEVELS).optional().describe('rows are the areas of this level under areaCode; default: commune, or the level below areaCode when that is a commune or lower'),
});
export type ScheduleResultsQuery = z.infer<typeof scheduleResultsQuerySchema>;

const areaRefSchema = z.object({ code: z.string(), name: z.string(), level: z.enum(AREA_LEVELS) });
export type AreaRef = z.infer<typeof areaRefSchema>;

/** One row of results by area: the devices of an area (and everything below it) for the schedule. */
export const areaResultSchema = z.object({
  areaCode: z.string(),
  name: z.string(),
  level: z.enum(AREA_LEVELS),
  /** Deliveries (device × occurrence) in the area. */
  total: z.number(),
  /** Reached the device: every state but queued. */
  delivered: z.number(),
  /** Started or finished (RESULT_PLAYED_STATES). */
  played: z.number(),
  /** Failed or expired (RESULT_FAILED_STATES). */
  failed: z.number(),
  /** Whole percent played of total (0 for an empty area). */
  pct: z.number(),
  byState: countsSchema,
  /** Devices sit in areas below this one: asking again with areaCode = this area lists them. */
  drillable: z.boolean(),
  /** The row holds devices placed in this area itself, above the grouping level (e.g. a loudspeaker at the district office). */
  own: z.boolean(),
});
export type AreaResult = z.infer<typeof areaResultSchema>;

export const scheduleResultsSchema = z.object({
  scheduleId: z.string(),
  occurrenceId: z.string().nullable(),
  /** The area listed (null: the caller has no delivery of this schedule and no area). */
  area: areaRefSchema.nullable(),
  /** Its ancestors within the caller's reach, outermost first (a breadcrumb to go back up). */
  path: z.array(areaRefSchema),
  /** The level the rows are grouped at. */
  level: z.enum(AREA_LEVELS),
  total: z.number(),
  delivered: z.number(),
  played: z.number(),
  failed: z.number(),
  pct: z.number(),
  byState: countsSchema,
  /** Failures first (most first), then the least played, then by name. */
  areas: z.array(areaResultSchema),
});
export type ScheduleResults = z.infer<typeof scheduleResultsSchema>;

/** GET /api/v1/schedules/:id/results/deliveries: the devices behind the rows, problems first. */
export const scheduleResultDeliveriesQuerySchema = z.object({
  occurrenceId: z.string().min(1).max(128).optional(),
  areaCode: z.string().min(1).max(32).optional().describe('devices of this area and everything below it'),
  state: z.enum(DELIVERY_STATES).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  offset: z.coerce.number().int().min(0).default(0),
});
export type ScheduleResultDeliveriesQuery = z.infer<typeof scheduleResultDeliveriesQuerySchema>;

export const scheduleResultDeliverySchema = deliveryViewSchema.extend({
  occurrenceStartAt: z.string(),
  deviceName: z.string().nullable(),
  areaCode: z.string().nullable(),
  areaName: z.string().nullable(),
});
export type ScheduleResultDelivery = z.infer<typeof scheduleResultDeliverySchema>;
export const scheduleResultDeliveryPageSchema = z.object({ items: z.array(scheduleResultDeliverySchema), total: z.number() });
export type ScheduleResultDeliveryPage = z.infer<typeof scheduleResultDeliveryPageSchema>;
