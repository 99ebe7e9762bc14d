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

/** Path of a Loa server's inbox (POST, signed with the peer's shared secret). */
export const SOURCE_INBOX_PATH = '/api/v1/source-system/inbox';

/** Header carrying `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">` with the peer's shared secret. */
export const SOURCE_SIGNATURE_HEADER = 'x-loa-signature';
/** Header naming the sending peer (its id at the receiver). */
export const SOURCE_PEER_HEADER = 'x-loa-peer';
/** A signature older or newer than this is refused (replay window). */
export const SOURCE_SIGNATURE_TOLERANCE_S = 300;

export const EXCHANGE_KINDS = [
  /** up and down: a bulletin (metadata, text, audio URL) */
  'bulletin',
  /** up: a schedule as created/changed */
  'schedule',
  /** up: playout log rows of a period */
  'playout-log',
  /** up: coverage statistics of a period */
  'coverage',
  /** up: device inventory and status */
  'inventory',
  /** up: feedback statistics (issue 17) */
  'feedback-stats',
  /** up (from a lower Loa): playback results of a bulletin received from above */
  'bulletin-result',
] as const;
export type ExchangeKind = (typeof EXCHANGE_KINDS)[number];

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

export const EXCHANGE_STATES = ['pending', 'sending', 'sent', 'failed', 'dead'] as const;
export type ExchangeState = (typeof EXCHANGE_STATES)[number];
