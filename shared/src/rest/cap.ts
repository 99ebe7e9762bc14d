import { z } from 'zod';
import { PRIORITIES } from '../constants.js';
import { CAP_CERTAINTIES, CAP_MESSAGE_STATES, CAP_SEVERITIES, CAP_SOURCE_KINDS, CAP_URGENCIES, DEFAULT_CAP_GEOCODE_NAMES, DEFAULT_CAP_PRIORITY_RULES } from '../cap-constants.js';

/**
 * Issue 18, CAP 1.2 (OASIS Common Alerting Protocol) in and out. Sources push messages to
 * POST /api/v1/cap/sources/:id/messages or are polled (Atom/RSS feeds of CAP messages); each `info` × target area
 * becomes a Loa alert (source `cap`). Out: GET /api/v1/cap/alerts.atom and /api/v1/cap/alerts/:id.xml.
 */
export * from '../cap-constants.js';

/**
 * One line of a source's priority table: matches when each listed field is one of the values (an absent field
 * matches anything). The first matching line gives the Loa priority; none matching gives `normal`.
 */
export const capPriorityRuleSchema = z.object({
  urgency: z.array(z.enum(CAP_URGENCIES)).min(1).optional(),
  severity: z.array(z.enum(CAP_SEVERITIES)).min(1).optional(),
  certainty: z.array(z.enum(CAP_CERTAINTIES)).min(1).optional(),
  priority: z.enum(PRIORITIES),
});
export type CapPriorityRule = z.infer<typeof capPriorityRuleSchema>;

/** Credentials we send when fetching a feed (and its entries and resources on the same origin). */
export const capFeedAuthSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('none') }),
  z.object({ type: z.literal('bearer'), token: z.string().min(1).max(2000) }),
  z.object({ type: z.literal('basic'), username: z.string().min(1).max(200), password: z.string().max(500) }),
]);
export type CapFeedAuth = z.infer<typeof capFeedAuthSchema>;

const httpUrl = z.url({ protocol: /^https?$/, error: 'an http(s) URL' }).max(2000);
const origin = z
  .string()
  .regex(/^https?:\/\/[^/\s]+$/, 'an origin such as https://example.org (scheme, host, optional port; no path)')
  .max(300);

const sourceFields = {
  name: z.string().trim().min(1).max(200),
  enabled: z.boolean(),
  feedUrl: httpUrl.nullable(),
  pollIntervalS: z.number().int().min(30).max(86_400),
  feedAuth: capFeedAuthSchema,
  /** Publish without the two-person rule (AlertsService skipSecondPerson). */
  trusted: z.boolean(),
  /** Status Test and Exercise reach loudspeakers only when set; otherwise they are recorded (`test-recorded`). */
  allowTest: z.boolean(),
  priorityRules: z.array(capPriorityRuleSchema).max(50),
  geocodeNames: z.array(z.string().trim().min(1).max(100)).max(20),
  /** Read description and instruction aloud (TTS) for the speakers when the message has no audio resource. */
  speakDescription: z.boolean(),
  /** Validity when an `info` has no `expires`. */
  defaultExpiresS: z.number().int().min(60).max(7 * 86_400),
  /**
   * Where `resource` audio may be fetched from (origins). A feed's own origin is always allowed. Empty on a push
   * source: only embedded (`derefUri`) audio is taken, so a sender cannot make us fetch arbitrary URLs.
   */
  resourceOrigins: z.array(origin).max(20),
};

export const createCapSourceSchema = z
  .object({
    name: sourceFields.name,
    kind: z.enum(CAP_SOURCE_KINDS),
    enabled: sourceFields.enabled.default(true),
    feedUrl: sourceFields.feedUrl.optional(),
    pollIntervalS: sourceFields.pollIntervalS.default(300),
    feedAuth: sourceFields.feedAuth.default({ type: 'none' }),
    trusted: sourceFields.trusted.default(false),
    allowTest: sourceFields.allowTest.default(false),
    priorityRules: sourceFields.priorityRules.default(DEFAULT_CAP_PRIORITY_RULES),
    geocodeNames: sourceFields.geocodeNames.default(DEFAULT_CAP_GEOCODE_NAMES),
    speakDescription: sourceFields.speakDescription.default(false),
    defaultExpiresS: sourceFields.defaultExpiresS.default(3600),
    resourceOrigins: sourceFields.resourceOrigins.default([]),
  })
  .refine((s) => s.kind !== 'feed' || !!s.feedUrl, { message: 'a feed source needs feedUrl', path: ['feedUrl'] });
export type CreateCapSource = z.input<typeof createCapSourceSchema>;

export const updateCapSourceSchema = z
  .object({
    name: sourceFields.name.optional(),
    enabled: sourceFields.enabled.optional(),
    feedUrl: sourceFields.feedUrl.optional(),
    pollIntervalS: sourceFields.pollIntervalS.optional(),
    feedAuth: sourceFields.feedAuth.optional(),
    trusted: sourceFields.trusted.optional(),
    allowTest: sourceFields.allowTest.optional(),
    priorityRules: sourceFields.priorityRules.optional(),
    geocodeNames: sourceFields.geocodeNames.optional(),
    speakDescription: sourceFields.speakDescription.optional(),
    defaultExpiresS: sourceFields.defaultExpiresS.optional(),
    resourceOrigins: sourceFields.resourceOrigins.optional(),
    /** Push sources: a new secret, answered once; the old one stops working. */
    rotateSecret: z.boolean().optional(),
  })
  .refine((b) => Object.values(b).some((v) => v !== undefined), 'give at least one field to change');
export type UpdateCapSource = z.input<typeof updateCapSourceSchema>;

export const capSourceIdSchema = z.uuid({ error: 'a CAP source id (uuid)' });

export const capSourceViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  kind: z.enum(CAP_SOURCE_KINDS),
  enabled: z.boolean(),
  feedUrl: z.string().nullable(),
  pollIntervalS: z.number(),
  /** The feed credential's type and user name; tokens and passwords are never answered. */
  feedAuthType: z.enum(['none', 'bearer', 'basic']),
  feedUsername: z.string().nullable(),
  trusted: z.boolean(),
  allowTest: z.boolean(),
  priorityRules: z.array(capPriorityRuleSchema),
  geocodeNames: z.array(z.string()),
  speakDescription: z.boolean(),
  defaultExpiresS: z.number(),
  resourceOrigins: z.array(z.string()),
  /** Push: where the source POSTs. */
  pushUrl: z.string(),
  hasSecret: z.boolean(),
  lastPolledAt: z.string().nullable(),
  lastPollError: z.string().nullable(),
  createdAt: z.string(),
});
export type CapSourceView = z.infer<typeof capSourceViewSchema>;

/**
 * A created push source (or one whose secret was rotated): `secret` is shown this once. The source sends it as
 * `Authorization: Bearer <secret>` or HTTP Basic with the source id as user name and the secret as password.
 */
export const capSourceCreatedSchema = capSourceViewSchema.extend({ secret: z.string().nullable() });
export type CapSourceCreated = z.infer<typeof capSourceCreatedSchema>;

export const capMessageViewSchema = z.object({
  id: z.string(),
  sourceId: z.string(),
  via: z.enum(['push', 'feed']),
  sender: z.string().nullable(),
  identifier: z.string().nullable(),
  sent: z.string().nullable(),
  msgType: z.string().nullable(),
  status: z.string().nullable(),
  headline: z.string().nullable(),
  state: z.enum(CAP_MESSAGE_STATES),
  reason: z.string().nullable(),
  alertIds: z.array(z.string()),
  receivedAt: z.string(),
});
export type CapMessageView = z.infer<typeof capMessageViewSchema>;

/** The answer to a pushed message (also for a repeated one: `duplicate: true`, the first answer's content). */
export const capReceiveAnswerSchema = z.object({
  messageId: z.string(),
  state: z.enum(CAP_MESSAGE_STATES),
  reason: z.string().nullable(),
  alertIds: z.array(z.string()),
  duplicate: z.boolean(),
});
export type CapReceiveAnswer = z.infer<typeof capReceiveAnswerSchema>;

/** GET /api/v1/cap/messages */
export const capMessageQuerySchema = z.object({
  sourceId: capSourceIdSchema.optional(),
  state: z.enum(CAP_MESSAGE_STATES).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  offset: z.coerce.number().int().min(0).default(0),
});
export type CapMessageQuery = z.infer<typeof capMessageQuerySchema>;
export const capMessagePageSchema = z.object({ items: z.array(capMessageViewSchema), total: z.number() });
export type CapMessagePage = z.infer<typeof capMessagePageSchema>;
