import { z } from 'zod';

/** GET /api/v1/media/jobs/:id */
export const mediaJobIdSchema = z.uuid();
/** POST /api/v1/media?async=… */
export const mediaAsyncQuerySchema = z.enum(['true', 'false', '1', '0']).optional();

export const loudnessViewSchema = z.object({ integratedLufs: z.number().nullable(), truePeakDbtp: z.number().nullable(), lraLu: z.number().nullable() });
export type LoudnessView = z.infer<typeof loudnessViewSchema>;

export const mediaAudioViewSchema = z.object({
  sourceSha256: z.string(),
  sourceBytes: z.number(),
  sourceMime: z.string(),
  sourceCodec: z.string(),
  sourceDurationMs: z.number(),
  /** Delivery settings, e.g. "mp3/64k/44100/1ch/-16LUFS/-1.5dBTP/notrim". */
  profile: z.string(),
  loudnessBefore: loudnessViewSchema,
  loudnessAfter: loudnessViewSchema,
  /** "linear": one gain for the whole file; "dynamic": loudnorm had to compress to respect the true-peak limit. */
  normalization: z.string(),
});
export type MediaAudioView = z.infer<typeof mediaAudioViewSchema>;

export const mediaViewSchema = z.object({
  sha256: z.string(),
  bytes: z.number(),
  durationMs: z.number(),
  mime: z.string(),
  codec: z.string(),
  originalName: z.string(),
  /** ISO 8601 */
  createdAt: z.string(),
  /** User id of the uploader. */
  createdBy: z.string(),
  /** Null for media stored before the audio pipeline (kept as uploaded). */
  audio: mediaAudioViewSchema.nullable(),
});
export type MediaView = z.infer<typeof mediaViewSchema>;

export const mediaUploadViewSchema = mediaViewSchema.extend({
  created: z.boolean(),
  /** The processing job (GET /api/v1/media/jobs/{jobId}). */
  jobId: z.string(),
});
export type MediaUploadView = z.infer<typeof mediaUploadViewSchema>;

export const MEDIA_JOB_STATES = ['queued', 'receiving', 'processing', 'done', 'failed'] as const;
export type MediaJobState = (typeof MEDIA_JOB_STATES)[number];

export const mediaJobViewSchema = z.object({
  id: z.string(),
  state: z.enum(MEDIA_JOB_STATES),
  /** 0–1 of the current state: bytes received while `receiving`, processing done while `processing`; 1 when done. */
  progress: z.number(),
  originalName: z.string(),
  /** Size of the source (known once received). */
  bytes: z.number().nullable(),
  sourceSha256: z.string().nullable(),
  /** The delivered media (devices download /api/v1/media/{mediaSha256}); set when done. */
  mediaSha256: z.string().nullable(),
  /** Done: whether this job stored something new (false: the same source was already processed). */
  created: z.boolean().nullable(),
  /** Failed: a short code (empty, corrupt, too_long, interrupted, …) and the message for the operator. */
  reason: z.string().nullable(),
  message: z.string().nullable(),
  createdBy: z.string(),
  /** ISO 8601 */
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type MediaJobView = z.infer<typeof mediaJobViewSchema>;
