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
