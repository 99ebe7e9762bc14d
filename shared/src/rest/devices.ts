import { z } from 'zod';
import { DEVICE_KINDS } from '../constants.js';
import { areaCodeSchema, deviceIdSchema } from '../ids.js';
import { deviceKindSchema } from '../enums.js';
import { instantSchema, tagsSchema } from './common.js';

/** POST /api/v1/devices */
export const registerDeviceRequestSchema = z.object({
  id: deviceIdSchema,
  name: z.string().trim().min(1).max(200),
  kind: deviceKindSchema,
  areaCode: areaCodeSchema,
  tags: tagsSchema.optional(),
});
export type RegisterDeviceRequest = z.infer<typeof registerDeviceRequestSchema>;

/** PATCH /api/v1/devices/:id */
export const updateDeviceRequestSchema = z
  .object({
    name: z.string().trim().min(1).max(200).optional(),
    areaCode: areaCodeSchema.optional(),
    tags: tagsSchema.optional(),
    /** Board profile id (boards only), or null to remove it. */
    profileId: z.string().min(1).max(36).nullable().optional(),
  })
  .refine((b) => b.name !== undefined || b.areaCode !== undefined || b.tags !== undefined || b.profileId !== undefined, 'give name, areaCode, tags or profileId');
export type UpdateDeviceRequest = z.infer<typeof updateDeviceRequestSchema>;

/** GET /api/v1/devices */
export const listDevicesQuerySchema = z.object({ areaCode: areaCodeSchema.optional() });
/** GET /api/v1/devices/:id/connections */
export const deviceConnectionsQuerySchema = z.object({ limit: z.coerce.number().int().min(1).max(5000).default(100) });
/** POST /api/v1/devices/bulk */
export const MAX_BULK_DEVICES = 20_000;
export const bulkRegisterRequestSchema = z.object({ devices: z.array(registerDeviceRequestSchema).min(1).max(MAX_BULK_DEVICES) });
/** POST /api/v1/devices/import (the body is the CSV) */
export const importDevicesQuerySchema = z.object({ format: z.enum(['json', 'csv']).default('json') });

/** A telemetry sample as the API shows it: ISO instants, absent measurements as null. */
export const telemetryViewSchema = z.object({
  at: z.string(),
  receivedAt: z.string(),
  uptimeS: z.number(),
  timelineVersion: z.number().nullable(),
  playing: z.string().nullable(),
  volume: z.number().nullable(),
  muted: z.boolean().nullable(),
  freeDiskBytes: z.number().nullable(),
  rssBytes: z.number().nullable(),
  clockOffsetMs: z.number().nullable(),
  outboxSize: z.number().nullable(),
  agentVersion: z.string().nullable(),
  outputLevelLufs: z.number().nullable(),
  signalDbm: z.number().nullable(),
  temperatureC: z.number().nullable(),
});
export type TelemetryView = z.infer<typeof telemetryViewSchema>;

export const deviceViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  kind: z.enum(DEVICE_KINDS),
  areaCode: z.string(),
  tags: z.array(z.string()),
  online: z.boolean(),
  lastSeenAt: z.string().nullable(),
  /** When `online` last changed and why (connect, shutdown, will, heartbeat-timeout, resumed, revoked). */
  presenceChangedAt: z.string().nullable(),
  presenceReason: z.string().nullable(),
  agentVersion: z.string().nullable(),
  timelineVersion: z.number(),
  ackedTimelineVersion: z.number(),
  createdAt: z.string(),
  /** The latest telemetry sample, if any. */
  telemetry: telemetryViewSchema.nullable(),
  /** Set when an operator revoked the device: it may not log in until its credentials are rotated. */
  revokedAt: z.string().nullable(),
  /** Board profile, null when none. */
  profileId: z.string().nullable(),
});
export type DeviceView = z.infer<typeof deviceViewSchema>;

/** GET /api/v1/devices/:id/telemetry */
export const telemetryQuerySchema = z
  .object({
    from: instantSchema.optional().describe('samples taken at or after; with it, the first `limit` samples from there'),
    to: instantSchema.optional().describe('samples taken before; without `from`, the latest `limit` samples before it'),
    limit: z.coerce.number().int().min(1).max(10_000).default(1000),
  })
  .refine((q) => q.from === undefined || q.to === undefined || Date.parse(q.from) < Date.parse(q.to), 'from must be before to');

/** GET /api/v1/devices/:id/connections: presence transitions, newest first. */
export const connectionViewSchema = z.object({ at: z.string(), state: z.enum(['online', 'offline']), reason: z.string() });
export type ConnectionView = z.infer<typeof connectionViewSchema>;
