import { otaErrorCodeSchema, otaReportSchema, updateCommandSchema, type OtaErrorCode, type OtaReport, type UpdateCommand } from '@loa/shared';
import { z } from 'zod';

/**
 * `<installDir>/ota/state.json`: the update in progress, shared by the agent's updater and the launcher (boot.mjs,
 * plain JavaScript, which reads `phase`, `version`, `deadline`, `boots`, `maxBoots` and `failure`, and writes
 * `boots` and a rollback). Phases:
 * - working: accepted, deferred, downloading or installing; the running release is untouched;
 * - pending: `current` points at the new release, which has until `deadline` to prove itself healthy;
 * - healthy | failed | rolled-back: over; `reported` once the last report reached the broker.
 */
export const OTA_PHASES = ['working', 'pending', 'healthy', 'failed', 'rolled-back'] as const;
export type OtaPhase = (typeof OTA_PHASES)[number];

export const otaStateSchema = z.object({
  format: z.literal(1),
  phase: z.enum(OTA_PHASES),
  command: updateCommandSchema,
  version: z.string(),
  /** The release that ran when the update was accepted. */
  fromVersion: z.string(),
  /** Local (device) clock, epoch ms: boot.mjs compares it with Date.now(). */
  deadline: z.number().optional(),
  boots: z.number().int().nonnegative().optional(),
  maxBoots: z.number().int().positive().optional(),
  /** Set by the pending release when its health check fails: boot.mjs rolls back at the next start. */
  failure: z.object({ code: otaErrorCodeSchema, message: z.string() }).optional(),
  /** Why it failed or was rolled back (boot.mjs writes it on a rollback). */
  error: z.object({ code: otaErrorCodeSchema, message: z.string() }).optional(),
  /** The latest report, sent again after every reconnect until `reported`. */
  report: otaReportSchema.optional(),
  reported: z.boolean().optional(),
});
export type OtaState = z.infer<typeof otaStateSchema>;

export const isOver = (s: OtaState): boolean => s.phase === 'healthy' || s.phase === 'failed' || s.phase === 'rolled-back';

/** An update that stops with a stable code (OTA_ERROR_CODES). */
export class OtaError extends Error {
  constructor(
    readonly code: OtaErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'OtaError';
  }
}

export type { OtaReport, UpdateCommand };
