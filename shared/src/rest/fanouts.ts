import { z } from 'zod';

/**
 * Issue 14: a save that reaches many devices (a schedule, a command, an alert) is accepted at once and fanned out
 * in the background as a job; its answer carries the job, GET /api/v1/fanouts/:id reads it again, and the live
 * stream sends `fanout.progress` as it advances.
 */
export const FANOUT_KINDS = ['schedule', 'command', 'alert'] as const;
export type FanoutKind = (typeof FANOUT_KINDS)[number];

/**
 * `queued`: accepted, not started yet; `materialising`: the schedule's occurrences and deliveries are being written;
 * `sending`: the devices are being sent their timeline, command or alert; `done`; `failed` (`error` says why).
 */
export const FANOUT_STATES = ['queued', 'materialising', 'sending', 'done', 'failed'] as const;
export type FanoutState = (typeof FANOUT_STATES)[number];

/** GET /api/v1/fanouts/:id */
export const fanoutIdSchema = z.uuid();

export const fanoutViewSchema = z.object({
  id: z.string(),
  kind: z.enum(FANOUT_KINDS),
  /** The schedule, command or alert the job belongs to. */
  ref: z.string(),
  state: z.enum(FANOUT_STATES),
  /** Devices the job reaches (an estimate until the schedule's deliveries are written). */
  total: z.number(),
  /** Devices handled so far: sent their timeline, command or alert (offline ones included, see `deferred`). */
  done: z.number(),
  /** Of `done`, the devices offline now that get it when they next connect (commands). */
  deferred: z.number(),
  error: z.string().nullable(),
  /** ISO 8601 */
  createdAt: z.string(),
  updatedAt: z.string(),
  finishedAt: z.string().nullable(),
});
export type FanoutView = z.infer<typeof fanoutViewSchema>;

/** What a save answers with beside its resource: the job, or null when nothing was sent (e.g. held for approval). */
export const fanoutFieldSchema = z.object({ fanout: fanoutViewSchema.nullable() });
