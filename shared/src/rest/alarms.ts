import { z } from 'zod';
import { areaCodeSchema, deviceIdSchema } from '../ids.js';

/** GET /api/v1/alarms */
export const listAlarmsQuerySchema = z.object({
  active: z
    .enum(['true', 'false'])
    .optional()
    .transform((v) => (v === undefined ? undefined : v === 'true'))
    .describe('true: only active alarms; false: only cleared ones; absent: both'),
  deviceId: deviceIdSchema.optional(),
  areaCode: areaCodeSchema.optional().describe('devices of this area and every area below it'),
  limit: z.coerce.number().int().min(1).max(5000).default(500),
});

export const ALARM_KINDS = ['offline', 'low-disk', 'playback-failures', 'silence'] as const;
export type AlarmKind = (typeof ALARM_KINDS)[number];

export const alarmViewSchema = z.object({
  id: z.string(),
  deviceId: z.string(),
  kind: z.enum(ALARM_KINDS),
  active: z.boolean(),
  detail: z.string(),
  raisedAt: z.string(),
  clearedAt: z.string().nullable(),
  clearedDetail: z.string().nullable(),
  ackedAt: z.string().nullable(),
  /** Username of whoever acknowledged it, and their user id. */
  ackedBy: z.string().nullable(),
  ackedByUserId: z.string().nullable(),
});
export type AlarmView = z.infer<typeof alarmViewSchema>;
