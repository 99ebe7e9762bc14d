import { z } from 'zod';
import { DELIVERY_STATES, PRIORITIES } from '../constants.js';
import { CONTENT_TYPES } from './contents.js';
import { countsSchema, instantSchema } from './common.js';

/** GET /api/v1/areas/:code/deliveries/summary */
export const areaSummaryQuerySchema = z.object({
  from: instantSchema.optional().describe('occurrences starting at or after; default: 7 days ago'),
  to: instantSchema.optional().describe('occurrences starting before; default: now + 7 days'),
});

/** GET /api/v1/devices/:id/deliveries */
export const deviceDeliveriesQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  before: instantSchema.optional().describe('occurrences starting before this instant (paging: the last item’s occurrenceStartAt)'),
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
