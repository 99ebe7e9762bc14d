import { z } from 'zod';
import { alertViewSchema } from './alerts.js';
import { rejectRequestSchema } from './common.js';
import { contentViewSchema } from './contents.js';
import { scheduleViewSchema } from './schedules.js';

/** POST /api/v1/schedules/:id/reject */
export const rejectScheduleRequestSchema = rejectRequestSchema;
/** POST /api/v1/contents/:id/reject */
export const rejectContentRequestSchema = rejectRequestSchema;

/** GET /api/v1/approvals: what waits for an approver. */
export const approvalQueueSchema = z.object({
  contents: z.array(contentViewSchema),
  schedules: z.array(scheduleViewSchema),
  alerts: z.array(alertViewSchema),
  counts: z.object({ contents: z.number(), schedules: z.number(), alerts: z.number() }),
});
export type ApprovalQueue = z.infer<typeof approvalQueueSchema>;
