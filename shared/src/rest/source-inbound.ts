/**
 * Issue 16, the receiving side of the source-system connector: what a Loa server shows about exchanges it received
 * (bulletins from above, results from below). The wire contract between peers is `source-system.ts`.
 */
import { z } from 'zod';
import { bulletinResultPayloadSchema } from './source-system.js';

export const INBOUND_STATES = ['received', 'fetching', 'queued', 'failed', 'stored'] as const;
export type InboundStateName = (typeof INBOUND_STATES)[number];

/** One exchange received in the inbox, with what became of it. */
export const inboundExchangeViewSchema = z.object({
  id: z.string(),
  peerId: z.string(),
  peerName: z.string().nullable(),
  kind: z.string(),
  idempotencyKey: z.string(),
  originId: z.string().nullable(),
  /** bulletin: received → fetching (audio) → queued (in the approval queue) | failed; other kinds: stored. */
  state: z.enum(INBOUND_STATES),
  contentId: z.string().nullable(),
  attempts: z.number().int(),
  nextAttemptAt: z.string().nullable(),
  error: z.string().nullable(),
  receivedAt: z.string(),
  updatedAt: z.string(),
});
export type InboundExchangeView = z.infer<typeof inboundExchangeViewSchema>;

export const inboundListQuerySchema = z.object({
  peerId: z.string().max(64).optional(),
  state: z.enum(INBOUND_STATES).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
export type InboundListQuery = z.infer<typeof inboundListQuerySchema>;

/** At an upper Loa: what a lower peer reported about one of our bulletins ("Played on N of M devices at <peer>"). */
export const remoteResultViewSchema = z.object({
  peerId: z.string(),
  peerName: z.string().nullable(),
  originId: z.string(),
  status: bulletinResultPayloadSchema.shape.status,
  due: z.number().int(),
  played: z.number().int(),
  failed: z.number().int(),
  rows: bulletinResultPayloadSchema.shape.rows,
  /** When the lower peer produced these results, and when they arrived here. */
  sentAt: z.string(),
  receivedAt: z.string(),
});
export type RemoteResultView = z.infer<typeof remoteResultViewSchema>;

export const remoteResultsQuerySchema = z.object({
  originId: z.string().min(1).max(120).optional(),
  /** Leave out the per-device rows (the counts only). */
  rows: z.enum(['true', 'false']).default('true'),
});
export type RemoteResultsQuery = z.infer<typeof remoteResultsQuerySchema>;

/**
 * The "lower levels" section of a bulletin's reach: one line per lower peer that reported on it, kept apart from
 * the coverage rollups (those count this server's own devices only).
 */
export const lowerLevelsViewSchema = z.object({
  originId: z.string(),
  due: z.number().int(),
  played: z.number().int(),
  failed: z.number().int(),
  peers: z.array(remoteResultViewSchema.omit({ rows: true })),
});
export type LowerLevelsView = z.infer<typeof lowerLevelsViewSchema>;

export const lowerLevelsQuerySchema = z.object({ originId: z.string().min(1).max(120) });
export type LowerLevelsQuery = z.infer<typeof lowerLevelsQuerySchema>;
