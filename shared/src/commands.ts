import { z } from 'zod';
import { updateCommandSchema } from './ota.js';
import { deviceIdSchema, epochMsSchema, opaqueIdSchema } from './ids.js';
import { slotSchema } from './messages.js';
import { PROTOCOL_VERSION } from './version.js';

const v = z.literal(PROTOCOL_VERSION);

/** Longest a command may wait for an offline device; also how long an agent must remember ids it has run. */
export const MAX_COMMAND_TTL_MS = 7 * 24 * 3_600_000;

export const setVolumeCommandSchema = z
  .object({ type: z.literal('setVolume'), volume: z.number().int().min(0).max(100).optional(), muted: z.boolean().optional() })
  .refine((c) => c.volume !== undefined || c.muted !== undefined, 'setVolume needs volume or muted');
export const stopCommandSchema = z.object({ type: z.literal('stop') });
/** The server resolves the content into a slot, so the agent plays it exactly as it would a scheduled one. */
export const playNowCommandSchema = z.object({ type: z.literal('playNow'), slot: slotSchema });
export const resyncCommandSchema = z.object({ type: z.literal('resync') });
export const restartCommandSchema = z.object({ type: z.literal('restart') });
export const collectLogsCommandSchema = z.object({ type: z.literal('collectLogs'), lines: z.number().int().min(1).max(2000).optional() });
export const selfTestCommandSchema = z.object({
  type: z.literal('selfTest'),
  durationMs: z.number().int().min(500).max(10_000).optional(),
  frequencyHz: z.number().int().min(100).max(8000).optional(),
});

export const commandSchema = z.discriminatedUnion('type', [
  setVolumeCommandSchema,
  stopCommandSchema,
  playNowCommandSchema,
  resyncCommandSchema,
  restartCommandSchema,
  collectLogsCommandSchema,
  selfTestCommandSchema,
  updateCommandSchema,
]);
export type Command = z.infer<typeof commandSchema>;
export type CommandType = Command['type'];
export const COMMAND_TYPES = ['setVolume', 'stop', 'playNow', 'resync', 'restart', 'collectLogs', 'selfTest', 'update'] as const satisfies readonly CommandType[];

/**
 * Server → device on `req`, inside a signed envelope. `sentAt` changes on every (re)send, so a byte-for-byte copy
 * of an earlier send is recognisably a replay while a genuine resend (the server never saw the result) is not.
 */
export const commandMessageSchema = z.object({
  v,
  id: opaqueIdSchema,
  deviceId: deviceIdSchema,
  sentAt: epochMsSchema,
  expiresAt: epochMsSchema,
  command: commandSchema,
});
export type CommandMessage = z.infer<typeof commandMessageSchema>;

/**
 * Device → server on `res`. `rejected` means the command was refused before running (expired, not for this
 * device, unsupported on this kind); `error` means it ran and failed.
 */
export const COMMAND_RESULT_STATUSES = ['ok', 'error', 'rejected'] as const;
export const commandResultMessageSchema = z.object({
  v,
  id: opaqueIdSchema,
  at: epochMsSchema,
  status: z.enum(COMMAND_RESULT_STATUSES),
  message: z.string().max(1000).optional(),
  /** Command-specific output (self-test level, collected log lines); JSON only, bounded by the payload limit. */
  data: z.record(z.string(), z.json()).optional(),
});
export type CommandResultMessage = z.infer<typeof commandResultMessageSchema>;

/** Why an agent refused a server message; sent on `security` so an operator sees injection attempts. */
export const SECURITY_REASONS = ['unsigned', 'bad-signature', 'unknown-key', 'wrong-device', 'wrong-area', 'expired', 'replay', 'invalid'] as const;
export const securityReasonSchema = z.enum(SECURITY_REASONS);
export type SecurityReason = z.infer<typeof securityReasonSchema>;

export const securityReportSchema = z.object({
  v,
  at: epochMsSchema,
  topic: z.string().max(300),
  reason: securityReasonSchema,
  detail: z.string().max(500).optional(),
  /** The id or version the message claimed, when it could be read. */
  claimed: z.string().max(128).optional(),
});
export type SecurityReport = z.infer<typeof securityReportSchema>;
