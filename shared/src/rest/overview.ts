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

/** One occurrence of today with its delivery counts (overview, deliveries page). */
export const todayBroadcastSchema = z.object({
  ...occurrenceFacts,
  total: z.number(),
  counts: countsSchema,
});
export type TodayBroadcast = z.infer<typeof todayBroadcastSchema>;

/** GET /api/v1/overview */
export const overviewSchema = z.object({
  devices: z.object({ total: z.number(), online: z.number(), offline: z.number(), byArea: z.array(areaDevicesSchema) }),
  today: z.object({ from: z.string(), to: z.string(), broadcasts: z.array(todayBroadcastSchema) }),
  alarms: z.object({ active: z.number(), byKind: countsSchema, latest: z.array(alarmViewSchema) }),
});
export type Overview = z.infer<typeof overviewSchema>;
