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
/** Issue 18/19: a device's place, WGS 84 degrees; `village` is the thôn/tổ dân phố, `address` free text. */
export const deviceLocationSchema = z.object({
  latitude: z.number().min(-90).max(90),
  longitude: z.number().min(-180).max(180),
  village: z.string().trim().max(120).optional(),
  address: z.string().trim().max(300).optional(),
});
export type DeviceLocation = z.infer<typeof deviceLocationSchema>;

export const updateDeviceRequestSchema = z
  .object({
    name: z.string().trim().min(1).max(200).optional(),
    areaCode: areaCodeSchema.optional(),
    tags: tagsSchema.optional(),
    /** Board profile id (boards only), or null to remove it. */
    profileId: z.string().min(1).max(36).nullable().optional(),
    /** Issue 18/19: where the device stands (WGS 84); null clears it. CAP polygons and circles reach devices by it. */
    location: deviceLocationSchema.nullable().optional(),
  })
  .refine((b) => b.name !== undefined || b.areaCode !== undefined || b.tags !== undefined || b.profileId !== undefined || b.location !== undefined, 'give name, areaCode, tags, profileId or location');
export type UpdateDeviceRequest = z.infer<typeof updateDeviceRequestSchema>;

/** GET /api/v1/devices before issue 14 (area only); the endpoint now parses deviceListQuerySchema, a superset. */
export const listDevicesQuerySchema = z.object({ areaCode: areaCodeSchema.optional() });

/**
 * What a device list can be narrowed to. They overlap on purpose, as the filter chips of an operator do: a revoked
 * device is also offline, an alarm can be on an online or an offline device, `never` is a device never heard from.
 */
export const DEVICE_LIST_STATUSES = ['online', 'offline', 'revoked', 'alarm', 'never'] as const;
export type DeviceListStatus = (typeof DEVICE_LIST_STATUSES)[number];
/** Sort keys; `id` breaks every tie. `name` ignores case and Vietnamese diacritics and orders numbers by value (Loa 2 before Loa 10). */
export const DEVICE_LIST_SORTS = ['name', 'id', 'areaCode', 'lastSeenAt', 'presenceChangedAt', 'createdAt'] as const;
export type DeviceListSort = (typeof DEVICE_LIST_SORTS)[number];
export const DEFAULT_DEVICE_PAGE = 50;
export const MAX_DEVICE_PAGE = 500;

/**
 * GET /api/v1/devices. With `limit`, `cursor` or `offset`: one page (devicePageSchema), sorted by `name` unless told.
 * Without any of them: every matching device as a plain array of DeviceView, sorted by `id` unless told (the shape
 * pickers and exports relied on before paging existed).
 */
export const deviceListQuerySchema = z
  .object({
    areaCode: areaCodeSchema.optional().describe('the area and its whole subtree'),
    status: z.enum(DEVICE_LIST_STATUSES).optional(),
    kind: deviceKindSchema.optional(),
    q: z
      .string()
      .trim()
      .max(100)
      .optional()
      .transform((s) => (s ? s : undefined))
      .describe('words that must all occur in the id, the name or a tag; case and Vietnamese diacritics are ignored'),
    sort: z.enum(DEVICE_LIST_SORTS).optional(),
    order: z.enum(['asc', 'desc']).default('asc'),
    limit: z.coerce.number().int().min(1).max(MAX_DEVICE_PAGE).optional().describe(`page size (default ${DEFAULT_DEVICE_PAGE})`),
    cursor: z.string().min(1).max(1000).optional().describe("the previous page's nextCursor: the page after it, stable while devices are added or change"),
    offset: z.coerce.number().int().min(0).max(10_000_000).optional().describe('rows to skip instead of a cursor (a jump to page n)'),
  })
  .refine((q) => q.cursor === undefined || q.offset === undefined, 'give cursor or offset, not both');
export type DeviceListQuery = z.infer<typeof deviceListQuerySchema>;
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
  /** Issue 18/19: where it stands, null when nobody said. */
  location: deviceLocationSchema.nullable().optional(),
  /** Issue 19: who set `location` (operator | import | agent); null when unset. */
  locationSource: z.enum(['operator', 'import', 'agent']).nullable().optional(),
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

/** A device in a page of GET /api/v1/devices: the device view and how many of its alarms are active. */
export const deviceListItemSchema = deviceViewSchema.extend({ activeAlarms: z.number() });
export type DeviceListItem = z.infer<typeof deviceListItemSchema>;

/** Devices per status under the page's filters except `status` (the counts of the filter chips); `all` ignores status. */
export const deviceStatusCountsSchema = z.object({
  all: z.number(),
  online: z.number(),
  offline: z.number(),
  revoked: z.number(),
  alarm: z.number(),
  never: z.number(),
});
export type DeviceStatusCounts = z.infer<typeof deviceStatusCountsSchema>;

/** GET /api/v1/devices with limit, cursor or offset. */
export const devicePageSchema = z.object({
  items: z.array(deviceListItemSchema),
  /** Devices matching every filter (all pages). */
  total: z.number(),
  limit: z.number(),
  /** The offset of this page when asked by offset; null when asked by cursor. */
  offset: z.number().nullable(),
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: z.string().nullable(),
  counts: deviceStatusCountsSchema,
});
export type DevicePage = z.infer<typeof devicePageSchema>;
