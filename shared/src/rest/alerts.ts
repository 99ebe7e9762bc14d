import { z } from 'zod';
import { PRIORITIES } from '../constants.js';
import { prioritySchema } from '../enums.js';
import { areaCodeSchema, sha256Schema } from '../ids.js';
import { instantSchema } from './common.js';
import { fanoutViewSchema } from './fanouts.js';

/** POST /api/v1/alerts */
export const createAlertRequestSchema = z.object({
  areaCode: areaCodeSchema,
  title: z.string().trim().min(1).max(200),
  text: z.string().trim().min(1).max(5000).optional(),
  mediaSha256: sha256Schema.optional(),
  volume: z.number().int().min(0).max(100).optional(),
  priority: prioritySchema.default('emergency'),
  effectiveAt: instantSchema.optional(),
  expiresInS: z.number().int().min(10).max(7 * 86_400).default(3600),
  /**
   * Issue 18, one message for every channel: read `text` aloud with the server's TTS and send the speech to the
   * speakers in the same step (boards show the text). Refused together with `mediaSha256`.
   */
  speakText: z.boolean().optional(),
});
export type CreateAlertRequest = z.infer<typeof createAlertRequestSchema>;

export const ALERT_STATUSES = ['pending', 'active', 'superseded', 'cancelled'] as const;
export type AlertStatus = (typeof ALERT_STATUSES)[number];

/**
 * Issue 18: where an alert came from. `manual`: the alert form; `cap`: a CAP 1.2 message from a source
 * (server/src/cap); `live`: a live microphone session; `relay`: an upstream stream relayed on demand.
 */
export const ALERT_SOURCES = ['manual', 'cap', 'live', 'relay'] as const;
export type AlertSource = (typeof ALERT_SOURCES)[number];

export const alertViewSchema = z.object({
  id: z.string(),
  areaCode: z.string(),
  priority: z.enum(PRIORITIES),
  title: z.string(),
  text: z.string().nullable(),
  mediaSha256: z.string().nullable(),
  volume: z.number().nullable(),
  status: z.enum(ALERT_STATUSES),
  replaces: z.string().nullable(),
  sentAt: z.string(),
  effectiveAt: z.string(),
  expiresAt: z.string(),
  cancelledAt: z.string().nullable(),
  createdBy: z.string(),
  /** Two-person rule: when the creator asked for the alert, who confirmed it and when. */
  requestedAt: z.string().nullable(),
  confirmedBy: z.string().nullable(),
  confirmedAt: z.string().nullable(),
  /** Issue 18 (absent from older servers' answers). */
  source: z.enum(ALERT_SOURCES).optional(),
  /** A live or relayed stream the speakers play instead of a file. */
  streamUrl: z.string().nullable().optional(),
  /** The audio's title and length, so an approver sees and hears what they confirm. */
  media: z.object({ sha256: z.string(), title: z.string().nullable(), durationMs: z.number(), mime: z.string() }).nullable().optional(),
  /** Devices under the alert's area now (the "M" of "played on N of M"). */
  deviceCount: z.number().optional(),
});
export type AlertView = z.infer<typeof alertViewSchema>;

/**
 * Issue 18, proof of play for alerts: one record per device the alert was meant for, from the agent's reports on
 * the alert's occurrence (`alert:<id>`). `expected`: meant for it, nothing heard yet; `withdrawn`: the alert was
 * cancelled or expired before the device played it.
 */
export const ALERT_DELIVERY_STATES = ['expected', 'delivered', 'started', 'finished', 'failed', 'withdrawn'] as const;
export type AlertDeliveryState = (typeof ALERT_DELIVERY_STATES)[number];

/** GET /api/v1/alerts/:id/deliveries (paged, failures first by default) */
export const alertDeliveryQuerySchema = z.object({
  state: z.enum(ALERT_DELIVERY_STATES).optional(),
  areaCode: areaCodeSchema.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  offset: z.coerce.number().int().min(0).default(0),
});
export type AlertDeliveryQuery = z.infer<typeof alertDeliveryQuerySchema>;

export const alertDeliveryViewSchema = z.object({
  deviceId: z.string(),
  deviceName: z.string(),
  kind: z.string(),
  areaCode: z.string(),
  online: z.boolean(),
  state: z.enum(ALERT_DELIVERY_STATES),
  deliveredAt: z.string().nullable(),
  startedAt: z.string().nullable(),
  endedAt: z.string().nullable(),
  reason: z.string().nullable(),
});
export type AlertDeliveryView = z.infer<typeof alertDeliveryViewSchema>;
export const alertDeliveryPageSchema = z.object({ items: z.array(alertDeliveryViewSchema), total: z.number() });
export type AlertDeliveryPage = z.infer<typeof alertDeliveryPageSchema>;

/** Counts of one area (the alert's area and each child area below it): "played on N of M". */
export const alertAreaCountsSchema = z.object({
  areaCode: z.string(),
  name: z.string(),
  /** Devices meant to get it (M). */
  total: z.number(),
  delivered: z.number(),
  /** Started or finished (N). */
  played: z.number(),
  failed: z.number(),
});
export type AlertAreaCounts = z.infer<typeof alertAreaCountsSchema>;

/** GET /api/v1/alerts/:id/summary; also sent live as `alert.progress` events. */
export const alertSummarySchema = z.object({
  alertId: z.string(),
  total: z.number(),
  byState: z.record(z.enum(ALERT_DELIVERY_STATES), z.number()),
  /** The alert's area first, then its child areas, failures first. */
  areas: z.array(alertAreaCountsSchema),
  updatedAt: z.string(),
});
export type AlertSummary = z.infer<typeof alertSummarySchema>;

/** GET /api/v1/alerts/banner: the active alerts covering the user's areas (the red banner on every page). */
export const alertBannerItemSchema = z.object({
  id: z.string(),
  areaCode: z.string(),
  areaName: z.string(),
  title: z.string(),
  priority: z.enum(PRIORITIES),
  source: z.enum(ALERT_SOURCES),
  effectiveAt: z.string(),
  expiresAt: z.string(),
  total: z.number(),
  played: z.number(),
});
export type AlertBannerItem = z.infer<typeof alertBannerItemSchema>;

/** POST /api/v1/alerts, …/confirm, …/cancel: the alert and the job publishing it (null when nothing is published: held for a second person). */
export const alertChangeResultSchema = alertViewSchema.extend({ fanout: fanoutViewSchema.nullable() });
export type AlertChangeResult = z.infer<typeof alertChangeResultSchema>;

/**
 * The live event (dashboard stream, /api/v1/events) sent when an alert's delivery records change: its summary,
 * at most about once a second per alert, scoped to the alert's area.
 */
export const ALERT_PROGRESS_EVENT = 'alert.progress';
export const alertProgressEventSchema = alertSummarySchema.extend({ type: z.literal(ALERT_PROGRESS_EVENT), areaCode: z.string() });
export type AlertProgressEvent = z.infer<typeof alertProgressEventSchema>;
