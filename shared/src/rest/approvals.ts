import { z } from 'zod';
import { alertViewSchema } from './alerts.js';
import { rejectRequestSchema } from './common.js';
import { contentViewSchema } from './contents.js';
import { scheduleViewSchema } from './schedules.js';
import { approvalReasonSchema } from './error-codes.js';

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
  /**
   * Issue 19: what a TTS bulletin says, as typed, by content id: of the queued contents and of the pending schedules'
   * contents, so the approver reads the text it approves. Contents not made by TTS are absent.
   */
  spokenTexts: z.record(z.string(), z.string()).optional(),
  /** Issue 19: the pending schedules' content titles, by content id (a schedule's content may not be in the queue). */
  contentTitles: z.record(z.string(), z.string()).optional(),
  /** Issue 19: why each pending schedule waits, under the rules now in force, as coded reasons by schedule id. */
  scheduleReasons: z.record(z.string(), z.array(approvalReasonSchema)).optional(),
});
export type ApprovalQueue = z.infer<typeof approvalQueueSchema>;
