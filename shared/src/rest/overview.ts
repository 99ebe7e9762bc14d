import { z } from 'zod';
import { alarmViewSchema } from './alarms.js';
import { countsSchema } from './common.js';
import { occurrenceFacts } from './schedules.js';

export const areaDevicesSchema = z.object({
  areaCode: z.string(),
  name: z.string(),
  level: z.string(),
  total: z.number(),
  online: z.number(),
  offline: z.number(),
});
export type AreaDevices = z.infer<typeof areaDevicesSchema>;

/**
 * Issue 19: one area of the reader's subtree down to communes (villages' devices count in their commune), with its
 * whole subtree's devices; `parentCode` groups communes under their district.
 */
export const overviewAreaSchema = areaDevicesSchema.extend({ parentCode: z.string().nullable(), depth: z.number() });
export type OverviewArea = z.infer<typeof overviewAreaSchema>;

/** One occurrence of today with its delivery counts (overview, deliveries page). */
export const todayBroadcastSchema = z.object({
  ...occurrenceFacts,
  total: z.number(),
  counts: countsSchema,
});
export type TodayBroadcast = z.infer<typeof todayBroadcastSchema>;

/** GET /api/v1/overview */
export const overviewSchema = z.object({
  devices: z.object({
    total: z.number(),
    online: z.number(),
    offline: z.number(),
    /** One row per child of the reader's root area (for a nationwide admin: the provinces). */
    byArea: z.array(areaDevicesSchema),
    /** Issue 19 (additive): every area down to communes, in tree order. */
    areas: z.array(overviewAreaSchema).optional(),
  }),
  today: z.object({ from: z.string(), to: z.string(), broadcasts: z.array(todayBroadcastSchema) }),
  alarms: z.object({ active: z.number(), byKind: countsSchema, latest: z.array(alarmViewSchema) }),
});
export type Overview = z.infer<typeof overviewSchema>;
