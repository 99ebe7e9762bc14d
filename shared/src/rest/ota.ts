import { z } from 'zod';
import { DEVICE_KINDS } from '../constants.js';
import { areaCodeSchema } from '../ids.js';
import type { OtaDeviceState } from '../ota.js';
import { OTA_ERROR_CODES, releaseSignatureSchema, releaseVersionSchema } from '../ota.js';

/**
 * Issue 20, agent updates over the air: the REST shapes of `/api/v1/ota` (releases and staged rollouts). The device
 * side of the protocol (release manifest and signature, the `update` command, `ota` reports) is in `../ota.ts`;
 * see docs/ota.md.
 */

/** Multipart field names of POST /api/v1/ota/releases: the `.tar.gz` package and its detached `.sig` JSON. */
export const OTA_UPLOAD_FIELDS = { package: 'package', signature: 'signature' } as const;

/** GET /api/v1/ota/releases/:id, and items of GET /api/v1/ota/releases */
export const otaReleaseViewSchema = z.object({
  id: z.string(),
  version: z.string(),
  sha256: z.string(),
  size: z.number(),
  /** Id of the release key that signed it. */
  kid: z.string(),
  signature: releaseSignatureSchema,
  /** The package's manifest.json, as validated on upload. */
  manifest: z.object({
    protocol: z.number(),
    node: z.string(),
    entry: z.string(),
    builtAt: z.number(),
    commit: z.string().nullable(),
    files: z.number(),
  }),
  /** Device kinds the release applies to (the agent is the same program on speakers and boards). */
  kinds: z.array(z.enum(DEVICE_KINDS)),
  /** Server-relative path devices download the package from (HTTP Basic, byte ranges). */
  path: z.string(),
  uploadedBy: z.string(),
  uploadedAt: z.string(),
  /** Rollouts that use it; a release with rollouts cannot be deleted. */
  rollouts: z.number(),
});
export type OtaReleaseView = z.infer<typeof otaReleaseViewSchema>;

/** A daily maintenance window, HH:MM–HH:MM in Vietnam time (Asia/Ho_Chi_Minh); `to` before `from` crosses midnight. */
const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time of day HH:MM');
export const otaMaintenanceWindowSchema = z
  .object({ from: hhmm, to: hhmm })
  .refine((w) => w.from !== w.to, 'the window must not be empty (from = to)');
export type OtaMaintenanceWindow = z.infer<typeof otaMaintenanceWindowSchema>;

export const otaRolloutTargetSchema = z.union([z.strictObject({ areaCode: areaCodeSchema }), z.strictObject({ groupId: z.string().min(1).max(36) })]);
export type OtaRolloutTarget = z.infer<typeof otaRolloutTargetSchema>;

export const OTA_DEFAULT_STAGES = [1, 10, 50, 100] as const;

/** POST /api/v1/ota/rollouts */
export const createOtaRolloutRequestSchema = z.object({
  releaseId: z.string().min(1).max(36),
  target: otaRolloutTargetSchema.describe('{areaCode} (the whole subtree) | {groupId}; within the creator\'s area'),
  /** Cumulative percentages of the target's devices, strictly increasing, ending at 100. */
  stages: z
    .array(z.number().int().min(1).max(100))
    .min(1)
    .max(10)
    .default([...OTA_DEFAULT_STAGES])
    .refine((s) => s.every((p, i) => i === 0 || p > s[i - 1]!), 'stages must increase strictly')
    .refine((s) => s[s.length - 1] === 100, 'the last stage must be 100 (%)'),
  /** % of a stage's devices that must be healthy before the next stage starts. */
  successThreshold: z.number().int().min(1).max(100).default(90),
  /** % failed or rolled back (of the devices offered so far) that stops the rollout by itself. */
  errorThreshold: z.number().int().min(1).max(100).default(20),
  /** Sent in the update command: the device must be healthy this long after restarting, or it rolls back. */
  healthTimeoutS: z.number().int().min(10).max(3600).default(300),
  /** A device not terminal (healthy, failed, rolled back) this long after the offer counts as failed (`timeout`). */
  deviceTimeoutS: z.number().int().min(60).max(7 * 24 * 3600).default(6 * 3600),
  maintenanceWindow: otaMaintenanceWindowSchema.nullish(),
  /** Device kinds to update; default: the kinds the release applies to. */
  kinds: z.array(z.enum(DEVICE_KINDS)).min(1).optional(),
});
export type CreateOtaRolloutRequest = z.input<typeof createOtaRolloutRequestSchema>;

/** POST /api/v1/ota/rollouts/:id/stop */
export const stopOtaRolloutRequestSchema = z.object({ reason: z.string().trim().max(500).optional() });
export type StopOtaRolloutRequest = z.infer<typeof stopOtaRolloutRequestSchema>;

export const OTA_ROLLOUT_STATES = ['running', 'paused', 'stopped', 'completed'] as const;
export type OtaRolloutState = (typeof OTA_ROLLOUT_STATES)[number];

/** Why a rollout stopped: by an operator, or by itself when the error threshold was reached. */
export const OTA_STOP_REASONS = ['operator', 'error-threshold'] as const;
export type OtaStopReason = (typeof OTA_STOP_REASONS)[number];

/**
 * A device's place in a rollout: `pending` (in a later stage, or not offered yet: offline, outside the window,
 * guarded by an alert or a slot), `offered` (the update command is queued or sent), then what the device reports.
 */
export const OTA_ROLLOUT_DEVICE_STATES = [
  'pending',
  'offered',
  'accepted',
  'deferred',
  'downloading',
  'downloaded',
  'installing',
  'installed',
  'healthy',
  'failed',
  'rolled-back',
] as const satisfies readonly ('pending' | 'offered' | OtaDeviceState)[];
export type OtaRolloutDeviceState = (typeof OTA_ROLLOUT_DEVICE_STATES)[number];

/** Why a device failed: the device's codes, plus `timeout` (never terminal in time) and `rejected` (refused the command). */
export const OTA_FAILURE_CODES = [...OTA_ERROR_CODES, 'timeout', 'rejected', 'expired'] as const;
export type OtaFailureCode = (typeof OTA_FAILURE_CODES)[number];

const stateCounts = z.record(z.enum(OTA_ROLLOUT_DEVICE_STATES), z.number());

export const otaStageProgressSchema = z.object({
  index: z.number(),
  percent: z.number(),
  /** Devices in this stage (not cumulative). */
  devices: z.number(),
  offered: z.number(),
  healthy: z.number(),
  failed: z.number(),
  /** done: passed the success threshold; active: being offered now; waiting: not started. */
  status: z.enum(['done', 'active', 'waiting']),
});
export type OtaStageProgress = z.infer<typeof otaStageProgressSchema>;

/** Items of GET /api/v1/ota/rollouts */
export const otaRolloutViewSchema = z.object({
  id: z.string(),
  release: z.object({ id: z.string(), version: z.string() }),
  target: z.union([z.object({ areaCode: z.string() }), z.object({ groupId: z.string() })]),
  kinds: z.array(z.enum(DEVICE_KINDS)),
  stages: z.array(z.number()),
  /** Index into `stages` of the stage being offered (the last one once completed). */
  currentStage: z.number(),
  successThreshold: z.number(),
  errorThreshold: z.number(),
  healthTimeoutS: z.number(),
  deviceTimeoutS: z.number(),
  maintenanceWindow: z.object({ from: z.string(), to: z.string() }).nullable(),
  state: z.enum(OTA_ROLLOUT_STATES),
  stopReason: z.enum(OTA_STOP_REASONS).nullable(),
  /** Operator's words, or e.g. "3 of 10 failed (30% ≥ 20%)". */
  stopDetail: z.string().nullable(),
  createdBy: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  endedAt: z.string().nullable(),
  /** Devices in the rollout (fixed when it is created) and how many are in each state. */
  devices: z.number(),
  counts: stateCounts,
});
export type OtaRolloutView = z.infer<typeof otaRolloutViewSchema>;

/** GET /api/v1/ota/rollouts/:id */
export const otaRolloutDetailSchema = otaRolloutViewSchema.extend({ stageProgress: z.array(otaStageProgressSchema) });
export type OtaRolloutDetail = z.infer<typeof otaRolloutDetailSchema>;

/** GET /api/v1/ota/rollouts */
export const otaRolloutsQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  offset: z.coerce.number().int().min(0).default(0),
  state: z.enum(OTA_ROLLOUT_STATES).optional(),
});

/** GET /api/v1/ota/rollouts/:id/devices */
export const otaRolloutDevicesQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  offset: z.coerce.number().int().min(0).default(0),
  state: z.enum(OTA_ROLLOUT_DEVICE_STATES).optional(),
});

/** Items of GET /api/v1/ota/rollouts/:id/devices */
export const otaDeviceUpdateViewSchema = z.object({
  deviceId: z.string(),
  deviceName: z.string().nullable(),
  areaCode: z.string().nullable(),
  stage: z.number(),
  state: z.enum(OTA_ROLLOUT_DEVICE_STATES),
  /** Version the device last said it runs (reports, or its status). */
  runningVersion: z.string().nullable(),
  progress: z.object({ bytes: z.number(), total: z.number() }).nullable(),
  errorCode: z.enum(OTA_FAILURE_CODES).nullable(),
  errorMessage: z.string().nullable(),
  commandId: z.string().nullable(),
  offeredAt: z.string().nullable(),
  reportedAt: z.string().nullable(),
  updatedAt: z.string(),
});
export type OtaDeviceUpdateView = z.infer<typeof otaDeviceUpdateViewSchema>;

/** Release version in a path or query (e.g. for the agent's end-to-end test). */
export const otaReleaseVersionSchema = releaseVersionSchema;
