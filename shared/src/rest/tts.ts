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

/**
 * A title made from a bulletin's text (issue 19 item 9): the first line, cut at a word boundary before `max`
 * characters with "…" — never mid-word. Used by the dashboard when the operator has not typed a title.
 */
export function ttsAutoTitle(text: string, max = 80): string {
  const line = (text.split(/\r?\n/).find((l) => l.trim() !== '') ?? '').replace(/\s+/g, ' ').trim();
  if (line.length <= max) return line;
  const room = line.slice(0, max); // "…" takes the place of the cut word
  const space = room.lastIndexOf(' ');
  // One word longer than the whole title: cut it rather than give nothing.
  const head = space > 0 ? room.slice(0, space) : room.slice(0, max - 1);
  return `${head.replace(/[\s,;:.\-–—(]+$/u, '')}…`;
}

/** The installation's pronunciation dictionary (issue 19 item 9): a word or abbreviation and how it is read. */
export const TTS_DICTIONARY_MAX_ENTRIES = 2000;
export const ttsDictionaryEntryInputSchema = z.object({
  /** Matched as a whole word; with a capital letter exactly as written, in lower case whatever the case. */
  term: z
    .string()
    .trim()
    .min(1, 'term is empty')
    .max(100)
    .refine((s) => !/[\r\n]/.test(s), 'term must be one line')
    .refine((s) => /[\p{L}\p{N}]/u.test(s), 'term needs a letter or digit'),
  spoken: z.string().trim().min(1, 'spoken is empty').max(300).refine((s) => !/[\r\n]/.test(s), 'spoken must be one line'),
  note: z.string().trim().max(200).nullish(),
});
export type TtsDictionaryEntryInput = z.infer<typeof ttsDictionaryEntryInputSchema>;
export const ttsDictionaryEntryPatchSchema = ttsDictionaryEntryInputSchema.partial();
export type TtsDictionaryEntryPatch = z.infer<typeof ttsDictionaryEntryPatchSchema>;

export const ttsDictionaryEntryViewSchema = z.object({
  id: z.string(),
  term: z.string(),
  spoken: z.string(),
  /** True when the term is matched exactly as written (it has a capital letter). */
  caseSensitive: z.boolean(),
  note: z.string().nullable(),
  createdBy: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string().nullable(),
});
export type TtsDictionaryEntryView = z.infer<typeof ttsDictionaryEntryViewSchema>;
