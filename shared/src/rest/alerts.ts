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
});
export type CreateAlertRequest = z.infer<typeof createAlertRequestSchema>;

export const ALERT_STATUSES = ['pending', 'active', 'superseded', 'cancelled'] as const;
export type AlertStatus = (typeof ALERT_STATUSES)[number];

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
});
export type AlertView = z.infer<typeof alertViewSchema>;

/** POST /api/v1/alerts, …/confirm, …/cancel: the alert and the job publishing it (null when nothing is published: held for a second person). */
export const alertChangeResultSchema = alertViewSchema.extend({ fanout: fanoutViewSchema.nullable() });
export type AlertChangeResult = z.infer<typeof alertChangeResultSchema>;
