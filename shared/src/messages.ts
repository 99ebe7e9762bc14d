import { z } from 'zod';
import { areaCodeSchema, deviceIdSchema, epochMsSchema, opaqueIdSchema, sha256Schema } from './ids.js';
import { deviceKindSchema, prioritySchema } from './enums.js';
import { PROTOCOL_VERSION } from './version.js';

const v = z.literal(PROTOCOL_VERSION);

// ---- device → server -------------------------------------------------------------------------------------

export const statusMessageSchema = z.object({
  v,
  state: z.enum(['online', 'offline']),
  /** Absent in the last will, which is composed at connect time; the server then stamps its own clock. */
  at: epochMsSchema.optional(),
  reason: z.enum(['connect', 'shutdown', 'will']).optional(),
  kind: deviceKindSchema.optional(),
  agentVersion: z.string().max(64).optional(),
  timelineVersion: z.number().int().nonnegative().optional(),
});
export type StatusMessage = z.infer<typeof statusMessageSchema>;

/** A position an agent reports (WGS 84 degrees); `accuracyM` when the receiver says how good its fix is. */
export const reportedLocationSchema = z.object({
  latitude: z.number().min(-90).max(90),
  longitude: z.number().min(-180).max(180),
  accuracyM: z.number().nonnegative().max(1_000_000).optional(),
});
export type ReportedLocation = z.infer<typeof reportedLocationSchema>;

export const telemetryMessageSchema = z.object({
  v,
  at: epochMsSchema,
  uptimeS: z.number().nonnegative(),
  timelineVersion: z.number().int().nonnegative().optional(),
  playing: opaqueIdSchema.nullable().optional(),
  volume: z.number().int().min(0).max(100).optional(),
  freeDiskBytes: z.number().int().nonnegative().optional(),
  /** Media the device needs but cannot store: downloads refused because they would not fit (raises `low-disk`). */
  mediaBlockedBytes: z.number().int().nonnegative().optional(),
  rssBytes: z.number().int().nonnegative().optional(),
  clockOffsetMs: z.number().optional(),
  outboxSize: z.number().int().nonnegative().optional(),
  agentVersion: z.string().max(64).optional(),
  muted: z.boolean().optional(),
  /**
   * Loudest momentary loudness (LUFS, EBU R128, 400 ms windows) over the last 10 s of what the output is playing;
   * absent when nothing plays. Measured on the signal sent to the output, so a "playing" slot near −70 is silence.
   */
  outputLevelLufs: z.number().min(-200).max(20).optional(),
  /** Where the hardware reports them (modem RSSI, SoC temperature). */
  signalDbm: z.number().min(-200).max(0).optional(),
  temperatureC: z.number().min(-60).max(200).optional(),
  /**
   * Issue 19: where the device stands, when its hardware knows (a GPS daemon's file, or its config). Sent on the
   * first sample, when it moves and hourly; absent otherwise. Servers before issue 19 ignore it (zod strips it).
   */
  location: reportedLocationSchema.optional(),
});
export type TelemetryMessage = z.infer<typeof telemetryMessageSchema>;

/** What an agent can say about one occurrence; `queued` is the server's own and never reported. */
export const PLAYBACK_EVENT_TYPES = ['delivered', 'started', 'finished', 'failed', 'preempted', 'skipped', 'expired'] as const;
export const playbackEventTypeSchema = z.enum(PLAYBACK_EVENT_TYPES);
export type PlaybackEventType = z.infer<typeof playbackEventTypeSchema>;

export const playbackEventSchema = z.object({
  /** Minted by the agent once and kept across retries: the server deduplicates on (device, id). */
  id: opaqueIdSchema,
  occurrenceId: opaqueIdSchema,
  type: playbackEventTypeSchema,
  /** Device clock corrected by its estimated offset from the server. */
  at: epochMsSchema,
  /** Audio really output (ffmpeg's progress, not its run time) or time shown, every run of the occurrence included. */
  playedMs: z.number().int().nonnegative().optional(),
  /**
   * How much of the item was output at least once (since issue 12): per play of an audio file, the furthest point
   * reached, so a part heard twice (restart) counts once. Equal to `itemMs` when the whole item was heard.
   */
  heardMs: z.number().int().nonnegative().optional(),
  /** The whole item: `repeat` × the file's length for audio, the window for text, images and relays (since issue 12). */
  itemMs: z.number().int().positive().optional(),
  reason: z.string().max(500).optional(),
  /** Loudest momentary level (LUFS) measured at the output while this item played: proof it was audible. */
  outputLevelLufs: z.number().min(-200).max(20).optional(),
});
export type PlaybackEvent = z.infer<typeof playbackEventSchema>;

export const MAX_EVENTS_PER_BATCH = 200;
export const eventsBatchSchema = z.object({
  v,
  events: z.array(playbackEventSchema).min(1).max(MAX_EVENTS_PER_BATCH),
});
export type EventsBatch = z.infer<typeof eventsBatchSchema>;

export const timelineAckSchema = z.object({ v, version: z.number().int().nonnegative() });

/** Answer of GET TIME_PATH: server clock when the request arrived and when the answer left. */
export const timeResponseSchema = z.object({ receivedAt: epochMsSchema, sentAt: epochMsSchema });
export type TimeResponse = z.infer<typeof timeResponseSchema>;
export type TimelineAck = z.infer<typeof timelineAckSchema>;

// ---- server → device -------------------------------------------------------------------------------------

export const eventsAckSchema = z.object({
  v,
  /** The device the ack is for: a signed ack for one device cannot be replayed onto another's topic. */
  deviceId: deviceIdSchema,
  /** Every id here is durably stored on the server; the agent may delete these from its outbox. */
  ids: z.array(opaqueIdSchema).max(MAX_EVENTS_PER_BATCH),
});
export type EventsAck = z.infer<typeof eventsAckSchema>;

export const slotMediaSchema = z.object({
  sha256: sha256Schema,
  bytes: z.number().int().positive(),
  durationMs: z.number().int().positive(),
  mime: z.string().max(100),
});
export type SlotMedia = z.infer<typeof slotMediaSchema>;

/**
 * What happens to an item interrupted by a higher-priority one: `resume` continues where it stopped, `restart`
 * plays it again from the beginning, `skip` drops the rest. Either of the first two happens only if the slot's
 * window (startAt + durationMs) is still open when the output frees up; otherwise the item ends `preempted`.
 */
export const PREEMPT_POLICIES = ['resume', 'restart', 'skip'] as const;
export const preemptPolicySchema = z.enum(PREEMPT_POLICIES);
export type PreemptPolicy = z.infer<typeof preemptPolicySchema>;

const slotBase = {
  occurrenceId: opaqueIdSchema,
  scheduleId: opaqueIdSchema,
  contentId: opaqueIdSchema,
  title: z.string().max(200),
  priority: prioritySchema,
  startAt: epochMsSchema,
  /**
   * The slot's window. A board shows its text for this long; a speaker plays the file `repeat` times with
   * `gapMs` between plays, which the server sized the window for; a relay plays the stream for this long.
   */
  durationMs: z.number().int().positive(),
  volume: z.number().int().min(0).max(100).optional(),
  onPreempt: preemptPolicySchema.optional(),
};

export const audioSlotSchema = z.object({
  ...slotBase,
  type: z.literal('audio'),
  media: slotMediaSchema,
  repeat: z.number().int().min(1).max(20).optional(),
  gapMs: z.number().int().min(0).max(3_600_000).optional(),
});
/** A colour as #rgb or #rrggbb (lower or upper case). */
export const hexColorSchema = z.string().regex(/^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/, 'a colour as #rgb or #rrggbb');
export const BOARD_FONT_SIZES = ['small', 'medium', 'large', 'xlarge'] as const;
/**
 * How a board presents a text. `fontSize` is a named size (relative to the screen height) or pixels; absent means
 * "as large as fits". `mode` static shows the text still; scroll runs it right to left at `scrollSpeed` px/s.
 */
export const textStyleSchema = z.object({
  fontSize: z.union([z.enum(BOARD_FONT_SIZES), z.number().int().min(6).max(2000)]).optional(),
  color: hexColorSchema.optional(),
  background: hexColorSchema.optional(),
  mode: z.enum(['static', 'scroll']).optional(),
  scrollSpeed: z.number().min(5).max(2000).optional(),
});
export type TextStyle = z.infer<typeof textStyleSchema>;

/** Optional `style` (since issue 6): agents that predate it ignore the key and show the text plainly. */
export const textSlotSchema = z.object({ ...slotBase, type: z.literal('text'), text: z.string().min(1).max(5000), style: textStyleSchema.optional() });

/** An image prepared by the server for the device's board profile (PNG, exactly the profile's resolution). */
export const imageMediaSchema = z.object({ sha256: sha256Schema, bytes: z.number().int().positive(), mime: z.string().max(100) });
export type ImageMedia = z.infer<typeof imageMediaSchema>;
export const IMAGE_FITS = ['contain', 'cover'] as const;
/** A still image on a board for the slot's window (since issue 6). */
export const imageSlotSchema = z.object({
  ...slotBase,
  type: z.literal('image'),
  media: imageMediaSchema,
  fit: z.enum(IMAGE_FITS).default('contain'),
  background: hexColorSchema.optional(),
});
/** Live relay of an upstream stream (e.g. the province station over HTTP/Icecast/HLS) for the slot's duration. */
export const relaySlotSchema = z.object({
  ...slotBase,
  type: z.literal('relay'),
  url: z.url({ protocol: /^https?$/ }).max(2000),
  /** Issue 18: a live microphone stream (an alert's `stream.live`): the agent plays it with its low-latency settings. */
  live: z.boolean().optional(),
});
export const slotSchema = z.discriminatedUnion('type', [audioSlotSchema, textSlotSchema, relaySlotSchema, imageSlotSchema]);
export type Slot = z.infer<typeof slotSchema>;
export type AudioSlot = z.infer<typeof audioSlotSchema>;
export type TextSlot = z.infer<typeof textSlotSchema>;
export type RelaySlot = z.infer<typeof relaySlotSchema>;
export type ImageSlot = z.infer<typeof imageSlotSchema>;

export const timelineMessageSchema = z.object({
  v,
  deviceId: deviceIdSchema,
  /** Strictly increasing per device; an agent ignores any version not above the one it holds. */
  version: z.number().int().nonnegative(),
  generatedAt: epochMsSchema,
  /** The device's area and its ancestors, root first: the agent subscribes to their alert channels. */
  areaCodes: z.array(areaCodeSchema).max(16).optional(),
  slots: z.array(slotSchema).max(5000),
});
export type TimelineMessage = z.infer<typeof timelineMessageSchema>;

/**
 * A new timeline version as the changes from the one before it (since issue 14), sent live on `timeline/patch`
 * instead of the whole timeline when smaller. The agent applies it only to exactly `base`, and keeps the result only
 * if its digest (timelineDigest) is `digest`; otherwise it fetches the retained whole timeline.
 */
export const timelinePatchMessageSchema = z.object({
  v,
  deviceId: deviceIdSchema,
  /** The version the changes apply to. */
  base: z.number().int().nonnegative(),
  /** The version the result is; above `base`. */
  version: z.number().int().nonnegative(),
  generatedAt: epochMsSchema,
  /** The new area chain, only when it changed. */
  areaCodes: z.array(areaCodeSchema).max(16).optional(),
  /** Occurrences of `base` that are gone. */
  remove: z.array(opaqueIdSchema).max(5000),
  /** Slots that are new or changed, each whole (a changed slot replaces the one with its occurrenceId). */
  upsert: z.array(slotSchema).max(5000),
  /** sha256 of the resulting timeline's canonical form: the proof that what the agent built is what was compiled. */
  digest: sha256Schema,
});
export type TimelinePatchMessage = z.infer<typeof timelinePatchMessageSchema>;

/** What `timeline/patch` carries: a patch, or the whole timeline where a patch would not be smaller. */
export const timelineUpdateSchema = z.union([timelinePatchMessageSchema, timelineMessageSchema]);
export type TimelineUpdate = z.infer<typeof timelineUpdateSchema>;
export const isTimelinePatch = (u: TimelineUpdate): u is TimelinePatchMessage => 'base' in u;

/**
 * Emergency alert in the spirit of CAP 1.2, published retained on an area channel. An `update` or `cancel`
 * replaces the retained alert (naming the one it replaces in `references`), so devices that were offline when
 * it was sent still learn of it on reconnect. An empty retained payload means "no alert".
 */
export const ALERT_MSG_TYPES = ['alert', 'update', 'cancel'] as const;
export const alertMessageSchema = z.object({
  v,
  id: opaqueIdSchema,
  msgType: z.enum(ALERT_MSG_TYPES),
  references: opaqueIdSchema.optional(),
  areaCode: areaCodeSchema,
  priority: prioritySchema,
  sentAt: epochMsSchema,
  effectiveAt: epochMsSchema,
  expiresAt: epochMsSchema,
  title: z.string().max(200),
  text: z.string().max(5000).optional(),
  media: slotMediaSchema.optional(),
  volume: z.number().int().min(0).max(100).optional(),
  /**
   * Issue 18: instead of (or besides) a file, a stream a speaker relays from `effectiveAt` until the alert ends or is
   * cancelled — a live microphone session served by the server, or an upstream station relayed on demand. `live`
   * asks the agent for its low-latency player settings (small probe, no input buffering).
   */
  stream: z.object({ url: z.url({ protocol: /^https?$/ }).max(2000), live: z.boolean().optional() }).optional(),
});
export type AlertMessage = z.infer<typeof alertMessageSchema>;
