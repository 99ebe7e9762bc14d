import { z } from 'zod';
import { areaCodeSchema, deviceIdSchema, deviceKindSchema, type DeviceKind, type PlaybackEvent } from '@loa/shared';

/** One virtual device as the simulator needs it: its credentials and, when known, its area chain. */
export const simDeviceSpecSchema = z.object({
  id: deviceIdSchema,
  secret: z.string().min(1),
  kind: deviceKindSchema.default('speaker'),
  areaCode: areaCodeSchema.optional(),
  /** The device's area and its ancestors, root first (as the server puts them in the timeline). */
  areaCodes: z.array(areaCodeSchema).max(16).optional(),
  /** Fixed clock skew of this device (ms, device clock minus true time); overrides the fleet-wide random skew. */
  skewMs: z.number().int().optional(),
});
export type SimDeviceSpec = z.input<typeof simDeviceSpecSchema>;

/** The credentials file written by `loa-sim provision` and read by `loa-sim simulate`. */
export const credentialsFileSchema = z.object({
  serverUrl: z.string().optional(),
  mqttUrl: z.string().optional(),
  /** The server signing key the simulated devices pin. */
  serverPublicKey: z.string().optional(),
  provinceCode: areaCodeSchema.optional(),
  areas: z.array(z.object({ code: areaCodeSchema, name: z.string(), level: z.string(), parentCode: areaCodeSchema.optional() })).optional(),
  devices: z.array(simDeviceSpecSchema),
});
export type CredentialsFile = z.input<typeof credentialsFileSchema>;

export interface FleetOptions {
  devices: readonly SimDeviceSpec[];
  mqttUrl: string;
  /**
   * The server key to verify every downstream message against, as a real agent does (and at its CPU cost).
   * Without it, signed envelopes are unwrapped unverified and plain messages accepted (raw-broker baselines).
   */
  serverPublicKey?: string;
  /** Telemetry period per device (ms); 0 turns telemetry off. Devices are spread over the period. Default 60 s, as the agent. */
  telemetryIntervalMs?: number;
  /** Unacknowledged events are sent again after this long (ms). Default 10 s. */
  resendAfterMs?: number;
  /** Period of the one process-wide tick that drives every device's timers (ms). Default 100. */
  tickMs?: number;
  /** Reconnect back-off (full jitter). Default 1 s base, 60 s cap, as the real agent. */
  backoff?: { baseMs: number; capMs: number };
  /** At most this many connection attempts in flight at once (a TCP accept backlog is finite). Default 1000. */
  maxConnecting?: number;
  connectTimeoutMs?: number;
  /** MQTT keepalive (s). Default 30, as the agent. */
  keepaliveS?: number;
  /** Average random disconnects per device per minute (abrupt: the broker publishes the last will). Default 0. */
  flakyDisconnectPerMin?: number;
  /** Extra one-way latency added to every message sent and received, drawn uniformly from [min, max] ms. */
  latencyMs?: readonly [number, number] | null;
  /** Each device's clock is off by a value drawn uniformly from [-clockSkewMs, +clockSkewMs]. Default 0. */
  clockSkewMs?: number;
  /**
   * Devices estimate their clock offset from each timeline's `generatedAt` (an upper bound on the delivery delay)
   * and correct the slot times and the `at` of their reports by it. Default false: a device trusts its own clock.
   */
  correctSkew?: boolean;
  /** Subscribe to the alert channels of the spec's `areaCodes` at connect, without waiting for a timeline. */
  subscribeAreasAtConnect?: boolean;
  /** Report `delivered` for each new occurrence, as the real agent does. Default true. */
  reportDelivered?: boolean;
  /** Agent version string in the status message. */
  agentVersion?: string;
  /** Injected for tests: how to open an MQTT client. */
  connect?: (url: string, opts: import('mqtt').IClientOptions) => import('mqtt').MqttClient;
  /** Injected for tests: true time. Default Date.now. */
  now?: () => number;
  random?: () => number;
}

/** Fleet-wide counters; every field is a number so that several processes' stats can be summed. */
export interface FleetStats {
  devices: number;
  /** Connected and subscribed right now. */
  connected: number;
  connecting: number;
  /** Devices that completed at least one connect+subscribe. */
  everConnected: number;
  connects: number;
  disconnects: number;
  connectErrors: number;
  authRefused: number;
  /** Devices whose alert subscriptions (one per area of their chain) were granted. */
  alertSubscribed: number;
  timelinesReceived: number;
  timelineAcks: number;
  /** Timeline versions that arrived as a patch and were applied, and patches that could not be (the whole was fetched). */
  timelinePatchesApplied: number;
  timelinePatchesRefused: number;
  /** Devices that acknowledged a timeline version above the one they held at the last `markTimelines()`. */
  ackedSinceMark: number;
  /** Devices that received the alert named in the last `expectAlert()` (or any alert, when none). */
  alertsReceived: number;
  /** Speakers that started the audio of the alert named in the last `expectAlert()` (or of any alert, when none). */
  alertStarted: number;
  /** Speakers that received that alert when its audio was already over (the agent's executor reports it expired). */
  alertMissed: number;
  eventsCreated: number;
  /** Event publishes (a resent event counts again). */
  eventsSent: number;
  eventsResent: number;
  eventsAcked: number;
  eventsPending: number;
  telemetrySent: number;
  playbackStarted: number;
  playbackFinished: number;
  /** Epoch ms of the first event publish since the last `resetEventWindow()` (0 = none). */
  firstEventSentAt: number;
  /** Epoch ms of the last ack that emptied an event since the last `resetEventWindow()` (0 = none). */
  lastEventAckAt: number;
  /** Epoch ms of the latest completed connect+subscribe. */
  lastConnectAt: number;
  /** Epoch ms of the latest timeline ack the broker confirmed (PUBACK). */
  lastTimelineAckAt: number;
  messagesRefused: number;
  commandsReceived: number;
  /** Command results the broker confirmed (PUBACK). */
  commandsAnswered: number;
  /** Downstream messages whose signature did not verify against the pinned key. */
  signatureRefused: number;
  rssBytes: number;
  /** Bytes read from and written to the devices' sockets (MQTT framing included), every connection so far. */
  bytesIn: number;
  bytesOut: number;
}

export const emptyStats = (): FleetStats => ({
  devices: 0,
  connected: 0,
  connecting: 0,
  everConnected: 0,
  connects: 0,
  disconnects: 0,
  connectErrors: 0,
  authRefused: 0,
  alertSubscribed: 0,
  timelinesReceived: 0,
  timelineAcks: 0,
  timelinePatchesApplied: 0,
  timelinePatchesRefused: 0,
  ackedSinceMark: 0,
  alertsReceived: 0,
  alertStarted: 0,
  alertMissed: 0,
  eventsCreated: 0,
  eventsSent: 0,
  eventsResent: 0,
  eventsAcked: 0,
  eventsPending: 0,
  telemetrySent: 0,
  playbackStarted: 0,
  playbackFinished: 0,
  firstEventSentAt: 0,
  lastEventAckAt: 0,
  lastConnectAt: 0,
  lastTimelineAckAt: 0,
  messagesRefused: 0,
  commandsReceived: 0,
  commandsAnswered: 0,
  signatureRefused: 0,
  rssBytes: 0,
  bytesIn: 0,
  bytesOut: 0,
});

/** Sums several processes' stats (first/last timestamps take the min/max; RSS adds up). */
export function mergeStats(all: readonly FleetStats[]): FleetStats {
  const out = emptyStats();
  for (const s of all) {
    for (const k of Object.keys(out) as (keyof FleetStats)[]) {
      if (k === 'firstEventSentAt') out[k] = out[k] === 0 ? s[k] : s[k] === 0 ? out[k] : Math.min(out[k], s[k]);
      else if (k === 'lastEventAckAt' || k === 'lastConnectAt' || k === 'lastTimelineAckAt') out[k] = Math.max(out[k], s[k]);
      else out[k] += s[k];
    }
  }
  return out;
}

export interface InjectEventsOptions {
  /** Events each device adds to its outbox at once (sent in batches of at most MAX_EVENTS_PER_BATCH). */
  perDevice: number;
  /**
   * Occurrence the reports are about. Default: the device's first timeline slot, or a synthetic id when it has
   * none (the server stores reports about unknown occurrences without applying them).
   */
  occurrenceId?: string;
}

/** What the bench and the tests drive; the same in one process (Fleet) and across child processes (ForkedFleet). */
export interface FleetControl {
  start(): Promise<void>;
  stop(opts?: { graceful?: boolean }): Promise<void>;
  stats(): Promise<FleetStats>;
  /** Remembers every device's acknowledged timeline version; `ackedSinceMark` then counts devices past it. */
  markTimelines(): Promise<void>;
  /** Counts only this alert id in `alertsReceived` from now on (and forgets receipts of other ids). */
  expectAlert(alertId: string | null): Promise<void>;
  /** Epoch ms at which each device received the alert (devices that did not are absent). */
  alertReceipts(alertId: string): Promise<number[]>;
  /**
   * Epoch ms at which each speaker started playing the alert's audio, as the agent's executor would (at the alert's
   * `effectiveAt` on its clock, or at once when that has passed on arrival); speakers that did not are absent.
   */
  alertStarts(alertId: string): Promise<number[]>;
  injectEvents(opts: InjectEventsOptions): Promise<number>;
  resetEventWindow(): Promise<void>;
}

/** Per-device snapshot for tests and diagnostics. */
export interface SimDeviceView {
  id: string;
  kind: DeviceKind;
  connected: boolean;
  skewMs: number;
  offsetEstimateMs: number;
  timelineVersion: number;
  ackedVersion: number;
  volume: number;
  alertTopics: string[];
  alertsSeen: string[];
  outbox: PlaybackEvent[];
  reported: { occurrenceId: string; type: string; at: number; trueAt: number }[];
}
