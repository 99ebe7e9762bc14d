import { z } from 'zod';
import { areaCodeSchema } from '../ids.js';

/**
 * Issue 18, live voice: a live microphone session or an on-demand relay is an area alert carrying a stream
 * (`AlertMessage.stream`). These are the REST shapes of `/api/v1/live`; see docs/live.md.
 */

export const LIVE_KINDS = ['mic', 'relay'] as const;
export type LiveKind = (typeof LIVE_KINDS)[number];

/** Live voice never goes out at `normal`: it preempts what is playing. */
export const LIVE_PRIORITIES = ['emergency', 'priority'] as const;

/**
 * `awaiting_approval`: its alert waits for a second person (two-person rule), devices know nothing yet;
 * `waiting_for_mic`: published, no microphone connected yet (or it dropped, within the grace period);
 * `live`: sound flows (mic connected, or a relay published); `ended`.
 */
export const LIVE_STATES = ['awaiting_approval', 'waiting_for_mic', 'live', 'ended'] as const;
export type LiveState = (typeof LIVE_STATES)[number];

/** Why a session ended. */
export const LIVE_END_REASONS = ['stopped', 'mic_lost', 'max_duration', 'alert_ended', 'failed', 'server_stopping'] as const;
export type LiveEndReason = (typeof LIVE_END_REASONS)[number];

const httpUrlSchema = z.url({ protocol: /^https?$/ }).max(2000);

const startBase = {
  areaCode: areaCodeSchema,
  priority: z.enum(LIVE_PRIORITIES).default('emergency'),
  title: z.string().trim().min(1).max(200),
  /** The session ends by itself after this long (its alert expires then too). */
  maxDurationS: z.number().int().min(10).max(4 * 3600).default(900),
};

/** POST /api/v1/live */
export const startLiveRequestSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('mic'), ...startBase }),
  /** `url`: the upstream stream (Icecast/HTTP/HLS) the speakers fetch themselves; it must pass the stream test. */
  z.object({ kind: z.literal('relay'), ...startBase, url: httpUrlSchema }),
]);
export type StartLiveRequest = z.infer<typeof startLiveRequestSchema>;

export const liveSessionViewSchema = z.object({
  id: z.string(),
  kind: z.enum(LIVE_KINDS),
  /** The area alert that carries the stream. */
  alertId: z.string(),
  areaCode: z.string(),
  priority: z.enum(LIVE_PRIORITIES),
  title: z.string(),
  state: z.enum(LIVE_STATES),
  endReason: z.enum(LIVE_END_REASONS).nullable(),
  /**
   * What the speakers fetch: for `mic`, the server's per-session capability URL (`…/stream?token=…`); for `relay`,
   * the upstream URL.
   */
  streamUrl: z.string(),
  /** `mic` only: the WebSocket path the browser sends its microphone to (token as subprotocol `bearer.<token>`). */
  micPath: z.string().nullable(),
  maxDurationS: z.number(),
  startedAt: z.string(),
  endsAt: z.string(),
  endedAt: z.string().nullable(),
  createdBy: z.string(),
  /** `mic` only: speakers fetching the stream now, and bytes received from the microphone. */
  listeners: z.number(),
  bytesIn: z.number(),
  /** `mic` only: the recording, ingested as media once the session ended (null until then, or if it failed). */
  recordingSha256: z.string().nullable(),
});
export type LiveSessionView = z.infer<typeof liveSessionViewSchema>;

/** POST /api/v1/live/relay-test */
export const relayTestRequestSchema = z.object({ url: httpUrlSchema });
export type RelayTestRequest = z.infer<typeof relayTestRequestSchema>;

/**
 * Machine codes the dashboard translates (vi/en): `ok`; `unreachable` (connection refused, DNS); `timeout` (no
 * audio within the test's time); `http_error` (4xx/5xx); `no_audio` (answers, but no audio stream in it);
 * `invalid` (not a stream ffprobe can read).
 */
export const RELAY_TEST_CODES = ['ok', 'unreachable', 'timeout', 'http_error', 'no_audio', 'invalid'] as const;
export type RelayTestCode = (typeof RELAY_TEST_CODES)[number];

export const relayTestResultSchema = z.object({
  ok: z.boolean(),
  code: z.enum(RELAY_TEST_CODES),
  /** A Vietnamese sentence for the operator. */
  message: z.string(),
  /** ffprobe's own words, for the technician (null when ok). */
  detail: z.string().nullable(),
  format: z.string().nullable(),
  codec: z.string().nullable(),
  bitrateKbps: z.number().nullable(),
  sampleRate: z.number().nullable(),
  channels: z.number().nullable(),
  /** How long the test took. */
  tookMs: z.number(),
});
export type RelayTestResult = z.infer<typeof relayTestResultSchema>;
