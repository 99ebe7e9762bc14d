import { z } from 'zod';
import { DEVICE_KINDS } from '../constants.js';

/*
 * Issue 21: the virtual speakers and boards a practice instance (LOA_PRACTICE_MODE=1) runs itself, one per device of
 * its database, speaking the device protocol to its own embedded broker. Only a practice instance serves these routes.
 */

/**
 * A failure a trainer (or a lesson) puts on a virtual device, so a trainee can find it the way they would on a real
 * one: `offline` — it drops its connection (the broker publishes its last will) and stays away; `no-media` — it reports
 * each audio item `failed` with the media error a real agent gives; `silence` — it plays, but its output measures
 * digital silence (the level a real agent reports for a dead amplifier), which the server's silence alarm catches.
 */
export const VIRTUAL_DEVICE_FAULTS = ['none', 'offline', 'no-media', 'silence'] as const;
export type VirtualDeviceFault = (typeof VIRTUAL_DEVICE_FAULTS)[number];

/** PUT /api/v1/practice/devices/:id/fault */
export const virtualDeviceFaultBodySchema = z.object({ fault: z.enum(VIRTUAL_DEVICE_FAULTS) });
export type VirtualDeviceFaultBody = z.infer<typeof virtualDeviceFaultBodySchema>;

/** How one item ended on the virtual device; `playing` while it runs. */
export const VIRTUAL_PLAYBACK_OUTCOMES = ['playing', 'finished', 'failed', 'preempted', 'skipped', 'expired'] as const;

/** One item the virtual device played (or would have): what the trainee can listen to or read. */
export const virtualPlaybackViewSchema = z.object({
  occurrenceId: z.string(),
  scheduleId: z.string(),
  contentId: z.string(),
  title: z.string(),
  type: z.enum(['audio', 'text', 'image', 'relay']),
  /** Audio or image: the file, at the media download URL (`/api/v1/media/<sha256>`). */
  mediaSha256: z.string().nullable(),
  /** A board's text. */
  text: z.string().nullable(),
  startedAt: z.string().nullable(),
  endedAt: z.string().nullable(),
  outcome: z.enum(VIRTUAL_PLAYBACK_OUTCOMES),
  /** What the device reported with it (a failure's reason, a note). */
  reason: z.string().nullable(),
  /** The output level it reported (LUFS); about −23 when audible, −120.7 for silence. */
  outputLevelLufs: z.number().nullable(),
});
export type VirtualPlaybackView = z.infer<typeof virtualPlaybackViewSchema>;

/** GET /api/v1/practice/devices: one row per virtual device the caller may see. */
export const virtualDeviceViewSchema = z.object({
  deviceId: z.string(),
  kind: z.enum(DEVICE_KINDS),
  areaCode: z.string(),
  /** Its MQTT session is up (status online sent). */
  connected: z.boolean(),
  fault: z.enum(VIRTUAL_DEVICE_FAULTS),
  /** The timeline version it holds. */
  timelineVersion: z.number(),
  volume: z.number(),
  muted: z.boolean(),
  /** The occurrence on its output now. */
  playing: z.string().nullable(),
  /** Playback reports not yet acknowledged by the server. */
  pendingReports: z.number(),
  /** Latest first, at most VIRTUAL_PLAYBACKS_KEPT. */
  recent: z.array(virtualPlaybackViewSchema),
});
export type VirtualDeviceView = z.infer<typeof virtualDeviceViewSchema>;

export const virtualDeviceListSchema = z.array(virtualDeviceViewSchema);

/** Playbacks each virtual device keeps for listening back. */
export const VIRTUAL_PLAYBACKS_KEPT = 20;
