import { z } from 'zod';

/** Issue 20: where load balancers and Kubernetes-style supervisors ask whether the process lives and may take traffic. */
export const HEALTH_LIVE_PATH = '/api/health/live';
export const HEALTH_READY_PATH = '/api/health/ready';

/** GET /api/health/live: the process answers and its event loop is not stalled (503 with the same shape when it is). */
export const liveViewSchema = z.object({
  status: z.enum(['ok', 'stalled']),
  /** The worst event-loop delay seen over the last few seconds. */
  eventLoopLagMs: z.number().nonnegative(),
  uptimeS: z.number().int().nonnegative(),
});
export type LiveView = z.infer<typeof liveViewSchema>;

export const READY_CHECKS = ['database', 'broker', 'migrations'] as const;
export type ReadyCheckName = (typeof READY_CHECKS)[number];

export const readyCheckSchema = z.object({
  name: z.enum(READY_CHECKS),
  ok: z.boolean(),
  /** Why it failed (an error message), or what was found (e.g. "sqlite", "embedded"). */
  detail: z.string().optional(),
});
export type ReadyCheck = z.infer<typeof readyCheckSchema>;

/** GET /api/health/ready: 200 when every check passes, 503 with the same shape naming the failing ones. */
export const readyViewSchema = z.object({
  status: z.enum(['ready', 'not-ready']),
  /** Whether this instance runs the fleet-wide periodic work; informative, never a reason to be not ready. */
  leader: z.boolean(),
  checks: z.array(readyCheckSchema),
});
export type ReadyView = z.infer<typeof readyViewSchema>;
