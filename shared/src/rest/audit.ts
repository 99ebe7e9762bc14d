import { z } from 'zod';
import { instantSchema } from './common.js';
import { exportFormatSchema } from './reports.js';

const filters = {
  actor: z.string().min(1).max(64).optional().describe('user id or username'),
  action: z.string().min(1).max(100).optional().describe('exact action, or a prefix ending in * (devices.*)'),
  resourceType: z.string().min(1).max(32).optional(),
  resourceId: z.string().min(1).max(100).optional(),
  outcome: z.enum(['ok', 'refused', 'error']).optional(),
  from: instantSchema.optional().describe('inclusive'),
  to: instantSchema.optional().describe('exclusive'),
  before: z.string().min(1).max(64).optional().describe('cursor: id of the last entry of the previous page, epoch ms or an ISO instant'),
};
/** GET /api/v1/audit */
export const auditListQuerySchema = z.object({ ...filters, limit: z.coerce.number().int().min(1).max(500).default(100) });
export type AuditListQuery = z.infer<typeof auditListQuerySchema>;
/** GET /api/v1/audit.csv: an export is meant to be complete for the chosen period, hence the larger page. */
/** `format=iso` gives the machine format (English keys, codes, ISO-8601 UTC) instead of the Vietnamese one. */
export const auditCsvQuerySchema = z.object({ ...filters, limit: z.coerce.number().int().min(1).max(10_000).default(10_000), format: exportFormatSchema });

/**
 * One entry of GET /api/v1/audit. Issue 19: names are resolved on the server for what the entry mentions — the
 * actor's full name, the object's name (a schedule's content title, a device's or area's name…), the area's name,
 * and `names`, id → name for every id in before/after/request (areas, devices, contents, schedules, users, groups);
 * the ids stay as they were.
 */
export const auditEntryViewSchema = z.object({
  id: z.string(),
  at: z.string(),
  actor: z.object({ id: z.string().nullable(), name: z.string(), role: z.string(), areaCode: z.string().nullable(), fullName: z.string().nullable().optional() }),
  action: z.string(),
  resourceType: z.string().nullable(),
  resourceId: z.string().nullable(),
  resourceName: z.string().nullable().optional(),
  areaCode: z.string().nullable(),
  areaName: z.string().nullable().optional(),
  outcome: z.enum(['ok', 'refused', 'error']),
  status: z.number(),
  before: z.unknown(),
  after: z.unknown(),
  detail: z.unknown(),
  ip: z.string().nullable(),
  names: z.record(z.string(), z.string()).optional(),
});
export type AuditEntryViewDto = z.infer<typeof auditEntryViewSchema>;
