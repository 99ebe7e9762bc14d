import { z } from 'zod';
import {
  collectLogsCommandSchema,
  COMMAND_TYPES,
  commandSchema,
  MAX_COMMAND_TTL_MS,
  resyncCommandSchema,
  restartCommandSchema,
  selfTestCommandSchema,
  setVolumeCommandSchema,
  stopCommandSchema,
} from '../commands.js';
import { prioritySchema } from '../enums.js';
import { areaCodeSchema, deviceIdSchema } from '../ids.js';
import { fanoutViewSchema } from './fanouts.js';

/** What an operator may send: the device commands, with playNow naming content instead of a compiled slot. */
export const operatorCommandRequestSchema = z.discriminatedUnion('type', [
  setVolumeCommandSchema,
  stopCommandSchema,
  z.object({
    type: z.literal('playNow'),
    contentId: z.string().min(1).max(36),
    priority: prioritySchema.optional(),
    volume: z.number().int().min(0).max(100).optional(),
  }),
  resyncCommandSchema,
  restartCommandSchema,
  collectLogsCommandSchema,
  selfTestCommandSchema,
]);

export const commandTargetRequestSchema = z.union([
  z.strictObject({ deviceId: deviceIdSchema }),
  z.strictObject({ groupId: z.string().min(1).max(36) }),
  z.strictObject({ areaCode: areaCodeSchema }),
]);

/** POST /api/v1/commands */
export const createCommandRequestSchema = z.object({
  command: operatorCommandRequestSchema,
  target: commandTargetRequestSchema.describe('{deviceId} | {groupId} | {areaCode} (the whole subtree)'),
  ttlS: z
    .number()
    .int()
    .min(1)
    .max(MAX_COMMAND_TTL_MS / 1000)
    .optional()
    .describe('how long the command may wait for an offline device; default LOA_COMMAND_TTL_S'),
});
export type CreateCommandRequest = z.infer<typeof createCommandRequestSchema>;

export const COMMAND_STATES = ['queued', 'sent', 'ok', 'error', 'rejected', 'expired'] as const;

/** GET /api/v1/commands, GET /api/v1/devices/:id/commands */
export const commandsPageQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  offset: z.coerce.number().int().min(0).default(0),
});
/** GET /api/v1/commands/:id */
export const commandResultsQuerySchema = commandsPageQuerySchema.extend({ state: z.enum(COMMAND_STATES).optional().describe('only the devices in this state') });

const stateCountsSchema = z.record(z.enum(COMMAND_STATES), z.number());

/** One operator command and how far it got, by device state. */
export const commandViewSchema = z.object({
  id: z.string(),
  type: z.enum(COMMAND_TYPES),
  command: commandSchema,
  target: z.union([z.object({ deviceId: z.string() }), z.object({ groupId: z.string() }), z.object({ areaCode: z.string() })]),
  createdBy: z.string(),
  createdAt: z.string(),
  expiresAt: z.string(),
  devices: z.number(),
  counts: stateCountsSchema,
});
export type CommandView = z.infer<typeof commandViewSchema>;

/** 201 of POST /api/v1/commands: accepted; `fanout` queues it per device and sends it to those online. */
export const commandCreatedSchema = commandViewSchema.extend({ fanout: fanoutViewSchema });
export type CommandCreated = z.infer<typeof commandCreatedSchema>;

/** One device's answer to a command. */
export const commandResultViewSchema = z.object({
  deviceId: z.string(),
  state: z.enum(COMMAND_STATES),
  sentAt: z.string().nullable(),
  attempts: z.number(),
  resultAt: z.string().nullable(),
  message: z.string().nullable(),
  data: z.record(z.string(), z.unknown()).nullable(),
  updatedAt: z.string(),
});
export type CommandResultView = z.infer<typeof commandResultViewSchema>;

/** GET /api/v1/commands/:id */
export const commandDetailSchema = commandViewSchema.extend({
  results: z.object({ total: z.number(), limit: z.number(), offset: z.number(), items: z.array(commandResultViewSchema) }),
});
export type CommandDetail = z.infer<typeof commandDetailSchema>;

/** GET /api/v1/devices/:id/commands (items) */
export const deviceCommandViewSchema = commandResultViewSchema.extend({
  commandId: z.string(),
  type: z.enum(COMMAND_TYPES),
  command: commandSchema,
  createdAt: z.string(),
  expiresAt: z.string(),
});
export type DeviceCommandView = z.infer<typeof deviceCommandViewSchema>;

/** A page of a list with its unpaginated total. */
export interface Page<T> {
  total: number;
  limit: number;
  offset: number;
  items: T[];
}
