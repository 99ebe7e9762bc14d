/**
 * Issue 16: the link to the source information system (hệ thống thông tin nguồn) and to other Loa servers above and
 * below (province ↔ district ↔ commune). The Ministry's API is not public, so Loa speaks two shapes:
 *
 * - `loa`: Loa's own exchange protocol (this file), spoken between two Loa servers and offered to any peer that
 *   can adopt it: signed JSON envelopes POSTed to the peer's inbox.
 * - `rest`: a configurable REST adapter (endpoint, auth, field-mapping templates) fitted to a foreign system.
 *
 * Every exchange is an envelope with an idempotency key: a receiver that sees a key twice answers as the first time
 * and does nothing more, so a sender may retry until it has an answer.
 */
import { z } from 'zod';
import { DELIVERY_STATES, PRIORITIES } from '../constants.js';
import { EXCHANGE_DIRECTIONS, EXCHANGE_KINDS, EXCHANGE_STATES, PEER_KINDS, PEER_ROLES } from '../source-system-constants.js';

export * from '../source-system-constants.js';

/** Path of a Loa server's inbox (POST, signed with the peer's shared secret). */
export const SOURCE_INBOX_PATH = '/api/v1/source-system/inbox';

/** Header carrying `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">` with the peer's shared secret. */
export const SOURCE_SIGNATURE_HEADER = 'x-loa-signature';
/** Header naming the sending peer (its id at the receiver). */
export const SOURCE_PEER_HEADER = 'x-loa-peer';
/** A signature older or newer than this is refused (replay window). */
export const SOURCE_SIGNATURE_TOLERANCE_S = 300;


/** A bulletin sent from one level to the next (down) or reported up. */
export const bulletinPayloadSchema = z.object({
  /** The id of the bulletin at its origin: results going back up quote it. */
  originId: z.string().min(1).max(120),
  title: z.string().min(1).max(300),
  /** Text (for boards, or to synthesise). */
  text: z.string().max(20_000).nullable(),
  /** Audio the receiver fetches (absolute URL, signed or public); null for text only. */
  audioUrl: z.string().url().nullable(),
  audioSha256: z.string().regex(/^[0-9a-f]{64}$/).nullable(),
  priority: z.enum(PRIORITIES),
  category: z.string().max(32).nullable(),
  /** Validity: play between these instants (ISO-8601). */
  validFrom: z.string().datetime({ offset: true }).nullable(),
  validUntil: z.string().datetime({ offset: true }).nullable(),
  /** Area codes at the receiver this is meant for (null: the receiver's whole tree). */
  areaCodes: z.array(z.string().max(32)).max(1_000).nullable(),
  /** Who sent it, as a person reads it ("Sở VH-TT Hà Nội"). */
  originName: z.string().max(200),
});
export type BulletinPayload = z.infer<typeof bulletinPayloadSchema>;

/** Playback results of a bulletin received from above, reported back up (counts and per-device rows). */
export const bulletinResultPayloadSchema = z.object({
  originId: z.string().min(1).max(120),
  /** The receiver's state of the bulletin: in its approval queue, approved, rejected, scheduled, expired. */
  status: z.enum(['received', 'approved', 'rejected', 'scheduled', 'expired']),
  due: z.number().int().nonnegative(),
  played: z.number().int().nonnegative(),
  failed: z.number().int().nonnegative(),
  /**
   * When the sender computed these results. The envelope's sentAt is the time of the attempt, so a report retried
   * late would look newer than the one after it; receivers order by asOf when given.
   */
  asOf: z.string().datetime({ offset: true }).optional(),
  rows: z
    .array(
      z.object({
        deviceId: z.string(),
        deviceName: z.string().nullable(),
        areaCode: z.string().nullable(),
        areaName: z.string().nullable(),
        scheduledStart: z.string(),
        startedAt: z.string().nullable(),
        endedAt: z.string().nullable(),
        state: z.enum(DELIVERY_STATES),
        reason: z.string().nullable(),
      }),
    )
    .max(50_000),
});
export type BulletinResultPayload = z.infer<typeof bulletinResultPayloadSchema>;

/** What travels: one exchange. `payload` is validated per kind by the receiver. */
export const exchangeEnvelopeSchema = z.object({
  /** Unique per sender: the receiver answers a repeat as the first time. */
  idempotencyKey: z.string().min(8).max(120),
  kind: z.enum(EXCHANGE_KINDS),
  /** Protocol version of this envelope. */
  v: z.literal(1),
  sentAt: z.string().datetime({ offset: true }),
  payload: z.unknown(),
});
export type ExchangeEnvelope = z.infer<typeof exchangeEnvelopeSchema>;

/** The inbox's answer (200 also for a repeat, with `duplicate: true`). */
export const inboxAnswerSchema = z.object({ accepted: z.boolean(), duplicate: z.boolean(), ref: z.string().nullable() });
export type InboxAnswer = z.infer<typeof inboxAnswerSchema>;



// ───────────────────────────── peers (admins only: /api/v1/source-system/peers) ─────────────────────────────


const httpUrlSchema = z
  .string()
  .trim()
  .max(2000)
  .url()
  .refine((u) => /^https?:\/\//i.test(u), 'must be an http:// or https:// URL');
const headerNameSchema = z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/, 'not an HTTP header name');

/** How we authenticate to the peer (REST peers; a Loa peer authenticates by the signature instead). Secrets are write-only. */
export const peerAuthSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('none') }),
  z.object({ type: z.literal('api-key'), header: headerNameSchema, key: z.string().min(1).max(2000) }),
  z.object({ type: z.literal('basic'), username: z.string().min(1).max(200).regex(/^[^:]*$/, 'no ":" in a Basic user name'), password: z.string().max(500) }),
  z.object({
    type: z.literal('oauth2'),
    tokenUrl: httpUrlSchema,
    clientId: z.string().min(1).max(500),
    clientSecret: z.string().min(1).max(2000),
    scope: z.string().max(1000).nullable().default(null),
    /**
     * How the client authenticates at the token endpoint (RFC 6749 §2.3.1): `basic` (client_secret_basic, an
     * Authorization header, what the RFC recommends) or `post` (client_secret_post, client_id and client_secret in
     * the form body, for servers that take only that).
     */
    clientAuth: z.enum(['basic', 'post']).default('basic'),
  }),
]);
export type PeerAuthInput = z.infer<typeof peerAuthSchema>;

/** The auth as answered: the secrets left out. */
export const peerAuthViewSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('none') }),
  z.object({ type: z.literal('api-key'), header: z.string() }),
  z.object({ type: z.literal('basic'), username: z.string() }),
  z.object({ type: z.literal('oauth2'), tokenUrl: z.string(), clientId: z.string(), scope: z.string().nullable(), clientAuth: z.enum(['basic', 'post']) }),
]);
export type PeerAuthView = z.infer<typeof peerAuthViewSchema>;

const HH_MM = /^([01]\d|2[0-3]):[0-5]\d$/;
/** What we push up to an upper peer, and when. */
export const peerPushSchema = z.object({
  /** Each content as it is approved (kind `bulletin`). */
  bulletins: z.boolean().default(false),
  /** Each schedule as it is created or changed (kind `schedule`). */
  schedules: z.boolean().default(false),
  /** Yesterday's playout log, daily at `dailyAt` Vietnam time (kind `playout-log`). */
  playoutLog: z.boolean().default(false),
  /** Yesterday's coverage (kind `coverage`). */
  coverage: z.boolean().default(false),
  /** Device inventory and status (kind `inventory`). */
  inventory: z.boolean().default(false),
  /** Issue 17: yesterday's feedback statistics per commune and the totals, no personal data (kind `feedback-stats`); absent: off. */
  feedbackStats: z.boolean().optional(),
  /** Wall-clock time on Vietnam time (UTC+7) of the daily feeds, "HH:mm". */
  dailyAt: z.string().regex(HH_MM, 'HH:mm, e.g. 01:00').default('01:00'),
});
export type PeerPush = z.infer<typeof peerPushSchema>;

/**
 * One REST request per exchange kind. `path` and `body` are templates: `{{payload.title}}` inserts a value
 * (JSON-escaped in a JSON body, URL-encoded in the path), `{{#payload.rows}}…{{/payload.rows}}` repeats for each
 * element (inside, `{{.}}` / `{{field}}` name the element, `{{@index}}` its position, `{{^@last}},{{/@last}}` a
 * separator), `{{{json payload}}}` inserts a value as JSON. Nothing is evaluated.
 */
export const peerTemplateSchema = z.object({
  method: z.enum(['POST', 'PUT', 'PATCH']).default('POST'),
  path: z.string().min(1).max(2000),
  /** The body template; null: the envelope's payload as JSON. */
  body: z.string().max(100_000).nullable().default(null),
  contentType: z.string().max(200).default('application/json'),
  /** Dotted path of the remote id in the JSON answer, e.g. "data.id"; null: none kept. */
  refPath: z.string().max(200).nullable().default(null),
});
export type PeerTemplate = z.infer<typeof peerTemplateSchema>;

/** Reverse mapping of a pulled bulletin: dotted paths in one item of the peer's answer. */
export const pullMappingSchema = z.object({
  /** Where the list is in the answer ("" or null: the answer is the list). */
  itemsPath: z.string().max(200).nullable().default(null),
  originId: z.string().min(1).max(200),
  title: z.string().min(1).max(200),
  text: z.string().max(200).nullable().default(null),
  audioUrl: z.string().max(200).nullable().default(null),
  priority: z.string().max(200).nullable().default(null),
  validFrom: z.string().max(200).nullable().default(null),
  validUntil: z.string().max(200).nullable().default(null),
});
export type PullMapping = z.infer<typeof pullMappingSchema>;

/** How bulletins come down from this peer: pushed to our inbox (Loa, or a signed webhook) or polled (REST). */
export const peerPullSchema = z.discriminatedUnion('mode', [
  z.object({ mode: z.literal('none') }),
  /** The peer POSTs signed envelopes to our inbox (SOURCE_INBOX_PATH): Loa peers, and REST peers able to sign. */
  z.object({ mode: z.literal('webhook') }),
  z.object({
    mode: z.literal('poll'),
    /** Path (under baseUrl) or absolute URL of the list of bulletins, GET with the peer's auth. */
    url: z.string().min(1).max(2000),
    intervalS: z.number().int().min(30).max(86_400).default(300),
    mapping: pullMappingSchema,
  }),
]);
export type PeerPull = z.infer<typeof peerPullSchema>;

export const peerTemplatesSchema = z.partialRecord(z.enum(EXCHANGE_KINDS), peerTemplateSchema);
export type PeerTemplates = z.infer<typeof peerTemplatesSchema>;

const peerFields = {
  name: z.string().trim().min(1).max(200),
  role: z.enum(PEER_ROLES),
  enabled: z.boolean().default(true),
  /** Where the peer is: https://loa.tinh.gov.vn (a Loa peer's inbox is baseUrl + SOURCE_INBOX_PATH). */
  baseUrl: httpUrlSchema.transform((u) => u.replace(/\/+$/, '')),
  /** Loa peers: our id at the peer (the id the peer's admin created for us), sent as SOURCE_PEER_HEADER. */
  remotePeerId: z.string().trim().min(1).max(120).nullable().default(null),
  /** Loa peers: the secret the peer's admin was shown when creating us there; we sign what we send with it. */
  outboundSecret: z.string().min(16).max(200).nullable().default(null),
  auth: peerAuthSchema.default({ type: 'none' }),
  push: peerPushSchema.default({ bulletins: false, schedules: false, playoutLog: false, coverage: false, inventory: false, dailyAt: '01:00' }),
  templates: peerTemplatesSchema.default({}),
  pull: peerPullSchema.default({ mode: 'none' }),
  /** One request's time limit. */
  timeoutMs: z.number().int().min(1_000).max(120_000).default(15_000),
};

/** POST /api/v1/source-system/peers. */
export const createPeerSchema = z.object({ kind: z.enum(PEER_KINDS), ...peerFields });
export type CreatePeerRequest = z.input<typeof createPeerSchema>;

/**
 * PATCH /api/v1/source-system/peers/:id: any field; `auth` and `outboundSecret` replace the stored ones when given
 * (leave them out to keep the secrets as they are). `rotateInboundSecret: true` mints a new inbound secret (answered once).
 */
export const updatePeerSchema = z
  .object({
    name: peerFields.name,
    role: peerFields.role,
    enabled: z.boolean(),
    baseUrl: peerFields.baseUrl,
    remotePeerId: z.string().trim().min(1).max(120).nullable(),
    outboundSecret: z.string().min(16).max(200).nullable(),
    auth: peerAuthSchema,
    push: peerPushSchema,
    templates: peerTemplatesSchema,
    pull: peerPullSchema,
    timeoutMs: peerFields.timeoutMs,
    rotateInboundSecret: z.boolean(),
  })
  .partial();
export type UpdatePeerRequest = z.input<typeof updatePeerSchema>;

export const peerIdSchema = z.string().uuid();

export const sourcePeerViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  kind: z.enum(PEER_KINDS),
  role: z.enum(PEER_ROLES),
  enabled: z.boolean(),
  baseUrl: z.string(),
  remotePeerId: z.string().nullable(),
  /** Whether the peer's signing secret was given (Loa peers cannot be sent to without it). */
  hasOutboundSecret: z.boolean(),
  auth: peerAuthViewSchema,
  push: peerPushSchema,
  templates: peerTemplatesSchema,
  pull: peerPullSchema,
  timeoutMs: z.number(),
  createdAt: z.string(),
  updatedAt: z.string(),
  /** Exchanges of this peer by state (out and in). */
  counts: z.record(z.string(), z.number()),
});
export type SourcePeerView = z.infer<typeof sourcePeerViewSchema>;

/** The answer of a create (and of a rotation): the inbound secret, shown this once; give it to the peer's admin. */
export const sourcePeerCreatedSchema = sourcePeerViewSchema.extend({ inboundSecret: z.string() });
export type SourcePeerCreated = z.infer<typeof sourcePeerCreatedSchema>;

/** POST /api/v1/source-system/peers/:id/bulletins: send an approved content down to a lower peer. */
export const sendBulletinSchema = z.object({
  contentId: z.string().min(1).max(36),
  /** Area codes at the receiver (null: its whole tree). */
  areaCodes: z.array(z.string().trim().min(1).max(32)).max(1_000).nullable().default(null),
  priority: z.enum(PRIORITIES).default('normal'),
  validFrom: instantOrNull(),
  validUntil: instantOrNull(),
});
export type SendBulletinRequest = z.input<typeof sendBulletinSchema>;

function instantOrNull() {
  return z.string().datetime({ offset: true }).nullable().default(null);
}

// ───────────────────────────── exchanges ─────────────────────────────

/** GET /api/v1/source-system/exchanges: newest first, one page. */
export const listExchangesQuerySchema = z.object({
  peerId: z.string().uuid().optional(),
  state: z.enum(EXCHANGE_STATES).optional(),
  kind: z.enum(EXCHANGE_KINDS).optional(),
  direction: z.enum(EXCHANGE_DIRECTIONS).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().min(1).max(200).optional().describe("the previous page's nextCursor"),
});
export type ListExchangesQuery = z.input<typeof listExchangesQuerySchema>;

export const exchangeIdSchema = z.string().uuid();

export const exchangeViewSchema = z.object({
  id: z.string(),
  peerId: z.string(),
  peerName: z.string().nullable(),
  direction: z.enum(EXCHANGE_DIRECTIONS),
  kind: z.enum(EXCHANGE_KINDS),
  idempotencyKey: z.string(),
  state: z.enum(EXCHANGE_STATES),
  attempts: z.number(),
  nextAttemptAt: z.string().nullable(),
  lastError: z.string().nullable(),
  httpStatus: z.number().nullable(),
  remoteRef: z.string().nullable(),
  createdAt: z.string(),
  sentAt: z.string().nullable(),
  updatedAt: z.string(),
});
export type ExchangeView = z.infer<typeof exchangeViewSchema>;

/** GET …/exchanges/:id: with the payload. */
export const exchangeDetailSchema = exchangeViewSchema.extend({ payload: z.unknown() });
export type ExchangeDetail = z.infer<typeof exchangeDetailSchema>;

export const exchangePageSchema = z.object({ items: z.array(exchangeViewSchema), nextCursor: z.string().nullable() });
export type ExchangePage = z.infer<typeof exchangePageSchema>;
