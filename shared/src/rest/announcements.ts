import { z } from 'zod';
import { sha256Schema } from '../ids.js';
import { areaCodeSchema } from '../ids.js';
import { commandResultViewSchema } from './commands.js';
import { wallClockSchema } from './common.js';
import { TTS_ACCENTS, TTS_MAX_SPEED, TTS_MAX_TEXT_CHARS, TTS_MIN_SPEED, TTS_VOICES } from './tts.js';

/**
 * Issue 19: a commune's own announcement. One request makes the audio (text read by the server's TTS, or a
 * recording uploaded first to POST /api/v1/announcements/recordings), an audio content carrying the board text, and a
 * commune-level schedule, each through the installation's usual approval rules: the content waits in the approval
 * queue when the rules say so (the schedule follows its approval), the schedule when the schedule rules say so.
 */
const ttsSource = z.object({
  kind: z.literal('tts'),
  text: z.string().trim().min(1, 'text is empty').max(TTS_MAX_TEXT_CHARS),
  voice: z.enum(TTS_VOICES).default('female'),
  accent: z.enum(TTS_ACCENTS).default('north'),
  speed: z.number().min(TTS_MIN_SPEED).max(TTS_MAX_SPEED).default(1),
});
const recordingSource = z.object({ kind: z.literal('recording'), mediaSha256: sha256Schema });

/** POST /api/v1/announcements */
export const createAnnouncementRequestSchema = z.object({
  title: z.string().trim().min(1).max(200),
  source: z.discriminatedUnion('kind', [ttsSource, recordingSource]),
  /** What boards show; default: the typed text (TTS), none for a recording. */
  boardText: z.string().trim().max(2000).optional(),
  /** Areas inside the user's own area (an officer's commune or its villages); default: the user's area. */
  areas: z.array(areaCodeSchema).min(1).max(100).optional(),
  /** Absent: as soon as possible. A wall-clock time (no offset) is read on the installation's zone. */
  startAt: wallClockSchema.optional(),
  volume: z.number().int().min(0).max(100).optional(),
  repeat: z.number().int().min(1).max(5).optional(),
});
export type CreateAnnouncementRequest = z.input<typeof createAnnouncementRequestSchema>;

/**
 * `awaiting-content`: the content waits for an approver; `awaiting-schedule`: the schedule does; `scheduled`: it
 * reaches the devices; `rejected`: an approver refused the content or the schedule; `failed`: the schedule could not be
 * made after approval (its time passed long ago, no device left…), with the reason.
 */
export const ANNOUNCEMENT_STATES = ['awaiting-content', 'awaiting-schedule', 'scheduled', 'rejected', 'failed'] as const;
export type AnnouncementState = (typeof ANNOUNCEMENT_STATES)[number];

export const announcementViewSchema = z.object({
  id: z.string(),
  title: z.string(),
  state: z.enum(ANNOUNCEMENT_STATES),
  contentId: z.string(),
  scheduleId: z.string().nullable(),
  areas: z.array(z.string()),
  /** The time asked for; null: as soon as possible. */
  startAt: z.string().nullable(),
  volume: z.number().nullable(),
  /** The spoken or board text, when there is one. */
  text: z.string().nullable(),
  reason: z.string().nullable(),
  createdBy: z.string(),
  createdAt: z.string(),
  /** Deliveries by state once scheduled (played, failed…), empty before. */
  summary: z.record(z.string(), z.number()),
  deviceCount: z.number(),
});
export type AnnouncementView = z.infer<typeof announcementViewSchema>;

/** GET /api/v1/announcements */
export const announcementListQuerySchema = z.object({ limit: z.coerce.number().int().min(1).max(200).default(50) });

/** POST /api/v1/commune/devices/:id/commands: what a commune officer may send its own speakers. */
export const communeDeviceCommandRequestSchema = z.discriminatedUnion('type', [
  /** "Phát thử": plays an approved content on this one speaker now. */
  z.object({ type: z.literal('playNow'), contentId: z.string().min(1).max(36), volume: z.number().int().min(0).max(100).optional() }),
  /** "Tự kiểm tra": a short tone, measured at the output. */
  z.object({ type: z.literal('selfTest') }),
  z.object({ type: z.literal('setVolume'), volume: z.number().int().min(0).max(100) }),
]);
export type CommuneDeviceCommandRequest = z.infer<typeof communeDeviceCommandRequestSchema>;

/** The answer of the command above and of GET /api/v1/commune/commands/:id: the one device's result. */
export const communeCommandViewSchema = z.object({
  commandId: z.string(),
  type: z.enum(['playNow', 'selfTest', 'setVolume']),
  deviceId: z.string(),
  result: commandResultViewSchema,
});
export type CommuneCommandView = z.infer<typeof communeCommandViewSchema>;

/**
 * GET /api/v1/commune/devices/:id/tests: what the speaker last answered to the tests, so the page shows the measured
 * level and the volume after a reload too (the volume from telemetry or a command answer, whichever is newer).
 */
export const speakerTestsViewSchema = z.object({
  deviceId: z.string(),
  lastSelfTest: z.object({ at: z.string(), state: z.string(), levelLufs: z.number().nullable(), message: z.string().nullable() }).nullable(),
  volume: z.number().nullable(),
  muted: z.boolean().nullable(),
  volumeAt: z.string().nullable(),
});
export type SpeakerTestsView = z.infer<typeof speakerTestsViewSchema>;
