import { z } from 'zod';
import { deviceLocationSchema } from './devices.js';

/**
 * Issue 19 item 5, the map. Who last set a device's location: an operator by hand (the device page), an import
 * (CSV), or the agent (GPS or its config). An agent's report never replaces an operator's choice.
 */
export const LOCATION_SOURCES = ['operator', 'import', 'agent'] as const;
export type LocationSource = (typeof LOCATION_SOURCES)[number];

/** PUT /api/v1/devices/:id/location — null clears it (an agent's next report may then set it). */
export const setDeviceLocationRequestSchema = z.object({ location: deviceLocationSchema.nullable() });
export type SetDeviceLocationRequest = z.infer<typeof setDeviceLocationRequestSchema>;

/** Most rows one POST /api/v1/devices/locations/import takes. */
export const MAX_LOCATION_IMPORT_ROWS = 20_000;

/** One problem of a CSV import: its row (1 = the header), a code of errors/map.ts and its parameters. */
export const csvRowErrorSchema = z.object({
  row: z.number(),
  column: z.string().nullable(),
  code: z.string(),
  params: z.record(z.string(), z.union([z.string(), z.number()])),
  message: z.string(),
});
export type CsvRowError = z.infer<typeof csvRowErrorSchema>;

/** POST /api/v1/devices/locations/import: the body is the CSV (header id,latitude,longitude[,village,address]). */
export const locationImportResultSchema = z.object({ updated: z.number(), skipped: z.number().describe("rows with neither latitude nor longitude: left as they were") });
export type LocationImportResult = z.infer<typeof locationImportResultSchema>;

/** GET /api/v1/dashboard/config: what the dashboard needs before drawing (LOA_MAP_TILE_URL, LOA_MAP_ATTRIBUTION). */
export const dashboardConfigSchema = z.object({
  map: z.object({
    /** Leaflet tile URL template with {z}, {x}, {y} and optionally {s} (subdomains a, b, c). */
    tileUrl: z.string(),
    /** HTML-free attribution text shown in the map's corner (the tile provider's licence asks for it). */
    attribution: z.string(),
  }),
  /** Issue 21: true when this server is a practice instance (the dashboard reached it through /practice/api). */
  practice: z.boolean().optional(),
});
export type DashboardConfig = z.infer<typeof dashboardConfigSchema>;

/**
 * A device's state on the map, worst first: an active alarm, offline (was heard, is not now; revoked counts here),
 * never connected, online. A cluster takes the worst of its devices.
 */
export const MAP_STATUSES = ['alarm', 'offline', 'never', 'online'] as const;
export type MapStatus = (typeof MAP_STATUSES)[number];

/** GET /api/v1/map/devices */
export const mapDevicesQuerySchema = z.object({ areaCode: z.string().min(1).max(32).optional().describe('the area and its whole subtree') });

/** One located device, as small as a map of a whole province (20,000 markers) needs. */
export const mapPointSchema = z.object({
  id: z.string(),
  name: z.string(),
  areaCode: z.string(),
  latitude: z.number(),
  longitude: z.number(),
  village: z.string().nullable(),
  status: z.enum(MAP_STATUSES),
});
export type MapPoint = z.infer<typeof mapPointSchema>;

export const mapDevicesViewSchema = z.object({
  points: z.array(mapPointSchema),
  /** Devices in the same scope without a location (the page says how many are missing from the map). */
  unlocated: z.number(),
});
export type MapDevicesView = z.infer<typeof mapDevicesViewSchema>;
