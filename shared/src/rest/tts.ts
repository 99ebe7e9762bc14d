import { z } from 'zod';
import { mediaViewSchema } from './media.js';

/** Voice options an operator picks for a bulletin. */
export const TTS_VOICES = ['male', 'female'] as const;
export const TTS_ACCENTS = ['north', 'central', 'south'] as const;
export type TtsVoice = (typeof TTS_VOICES)[number];
export type TtsAccent = (typeof TTS_ACCENTS)[number];
/** Speaking rate as a factor of the engine's normal rate. */
export const TTS_MIN_SPEED = 0.5;
export const TTS_MAX_SPEED = 2;
export const TTS_MAX_TEXT_CHARS = 20_000;

const text = z.string().trim().min(1, 'text is empty').max(TTS_MAX_TEXT_CHARS, `text is longer than ${TTS_MAX_TEXT_CHARS} characters`);

/** POST /api/v1/tts */
export const ttsSpeakRequestSchema = z.object({
  text,
  voice: z.enum(TTS_VOICES).default('female'),
  accent: z.enum(TTS_ACCENTS).default('north'),
  speed: z.number().min(TTS_MIN_SPEED).max(TTS_MAX_SPEED).default(1),
});
export type TtsSpeakRequest = z.infer<typeof ttsSpeakRequestSchema>;

/** POST /api/v1/tts/preview-text */
export const ttsPreviewRequestSchema = z.object({ text, accent: z.enum(TTS_ACCENTS).default('north') });

export const ttsViewSchema = z.object({
  media: mediaViewSchema,
  /** False when the same audio was already stored. */
  created: z.boolean(),
  jobId: z.string(),
  normalizedText: z.string(),
  engine: z.string(),
  chunks: z.number(),
  synthesisMs: z.number(),
});
export type TtsView = z.infer<typeof ttsViewSchema>;
