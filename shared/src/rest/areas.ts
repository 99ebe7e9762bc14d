import { z } from 'zod';
import { areaCodeSchema } from '../ids.js';
import { queryFlagSchema } from './common.js';

/**
 * Levels are labels, not fixed depths: the same tree holds the pre-2025 province → district → commune units and
 * the two-tier province → commune → village ones.
 */
export const AREA_LEVELS = ['country', 'province', 'district', 'commune', 'village'] as const;
export type AreaLevel = (typeof AREA_LEVELS)[number];

/** POST /api/v1/areas */
export const createAreaRequestSchema = z.object({
  code: areaCodeSchema,
  name: z.string().trim().min(1).max(200),
  level: z.enum(AREA_LEVELS),
  parentCode: areaCodeSchema.nullish(),
});
export type CreateAreaRequest = z.infer<typeof createAreaRequestSchema>;

/** POST /api/v1/areas/import (the body is the CSV) */
export const importAreasQuerySchema = z.object({ dryRun: queryFlagSchema, allowMove: queryFlagSchema });
export type ImportAreasQuery = z.infer<typeof importAreasQuerySchema>;

export const areaViewSchema = z.object({
  code: z.string(),
  name: z.string(),
  level: z.string(),
  parentCode: z.string().nullable(),
  path: z.string(),
});
export type AreaView = z.infer<typeof areaViewSchema>;

/** POST /api/v1/areas/import */
export const areaImportResultSchema = z.object({
  dryRun: z.boolean(),
  created: z.number(),
  updated: z.number(),
  unchanged: z.number(),
  moved: z.number(),
  codes: z.object({ created: z.array(z.string()), updated: z.array(z.string()), unchanged: z.array(z.string()), moved: z.array(z.string()) }),
});
export type AreaImportResult = z.infer<typeof areaImportResultSchema>;
