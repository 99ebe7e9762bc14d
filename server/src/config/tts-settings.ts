import { z } from 'zod';
import { TTS_ACCENTS, TTS_VOICES } from '@loa/shared/rest';

/**
 * zod pieces of the LOA_TTS_* settings (config.schema.ts) and the TTS config built from them. Config owns this shape
 * so the ground floor imports no feature; tts/ reads it from here. JSON-valued settings are JSON text in the
 * environment, or plain JSON values in LOA_CONFIG_FILE.
 */
function jsonSetting<T extends z.ZodType>(schema: T) {
  return z.preprocess((input, ctx) => {
    if (typeof input !== 'string') return input;
    try {
      return JSON.parse(input) as unknown;
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: `must be JSON (${(e as Error).message})` });
      return z.NEVER;
    }
  }, schema);
}

const VOICE_KEY = new RegExp(`^(${TTS_VOICES.join('|')})(-(${TTS_ACCENTS.join('|')}))?$`);

export const ttsSettingsShape = {
  /** espeak: offline eSpeak-NG (default); http: a vendor's API configured by LOA_TTS_HTTP_*. */
  LOA_TTS_ENGINE: z.enum(['espeak', 'http']).default('espeak'),
  LOA_TTS_HTTP_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  LOA_TTS_HTTP_METHOD: z.enum(['GET', 'POST', 'PUT']).default('POST'),
  /** JSON object of header → value, e.g. {"api-key":"…","voice":"{{voice}}"}. */
  LOA_TTS_HTTP_HEADERS: jsonSetting(z.record(z.string().min(1), z.string(), { error: 'must be a JSON object of header names to string values' })).default({}),
  /** JSON with {{text}}, {{voice}}, {{accent}}, {{speed}} placeholders, or plain text such as "{{text}}". */
  LOA_TTS_HTTP_BODY_TEMPLATE: z.string().min(1).default('{"text":"{{text}}","voice":"{{voice}}","speed":"{{speed}}"}'),
  /** JSON object: "female-north" | "female" … → the vendor's voice id. */
  LOA_TTS_HTTP_VOICE_MAP: jsonSetting(
    z.record(z.string().regex(VOICE_KEY, 'keys are male|female, optionally with -north|-central|-south'), z.string().min(1), {
      error: 'must be a JSON object such as {"female-north":"banmai"}',
    }),
  ).default({}),
  /** Dot path of the audio URL (or base64 audio) when the service answers JSON, e.g. "async" or "data.url". */
  LOA_TTS_HTTP_AUDIO_URL_PATH: z.string().regex(/^[\w-]+(\.[\w-]+)*$/, 'a dot path such as data.url').optional(),
  LOA_TTS_HTTP_TIMEOUT_S: z.coerce.number().positive().max(600).default(60),
  LOA_TTS_HTTP_MAX_CHARS: z.coerce.number().int().min(100).max(100_000).default(2000),
  /** JSON object of extra abbreviations read out in full, e.g. {"BQL":"ban quản lý"}; overrides built-in entries. */
  LOA_TTS_ABBREVIATIONS: jsonSetting(
    z.record(z.string().min(1).max(40), z.string().trim().min(1).max(200), { error: 'must be a JSON object such as {"BQL":"ban quản lý"}' }),
  ).default({}),
};

const ttsSettingsObject = z.object(ttsSettingsShape);
type TtsRaw = z.infer<typeof ttsSettingsObject>;

/** How a vendor's HTTP API is called (LOA_TTS_HTTP_* settings, validated at start-up). */
export interface HttpTtsSettings {
  url: string;
  method: 'GET' | 'POST' | 'PUT';
  /** Values may hold placeholders ({{voice}}: FPT.AI takes the voice in a header). */
  headers: Record<string, string>;
  /**
   * JSON (placeholders inside string values; a value that is exactly "{{speed}}" becomes a number), or any other
   * text sent as is with placeholders replaced (URL-encoded when Content-Type is form-urlencoded). Null: no body.
   */
  bodyTemplate: string | null;
  /** "female-north" (or just "female") → the vendor's voice id. */
  voiceMap: Record<string, string>;
  /** Dot path of the audio URL (or base64 audio) in a JSON answer, e.g. "async" (FPT.AI) or "data.url". */
  audioUrlPath: string | null;
  timeoutMs: number;
  /** Longest text one request may carry; longer texts are split at sentence ends. */
  maxChars: number;
}

export interface TtsConfig {
  engine: 'espeak' | 'http';
  /** Null unless engine is http. */
  http: HttpTtsSettings | null;
  /** Extra abbreviations read out in full (tts/vi-abbreviations.ts AbbreviationTable). */
  abbreviations: Readonly<Record<string, string>>;
}

/** Cross-setting checks; throws an Error whose message names the setting (AppConfig turns it into a ConfigError). */
export function buildTtsConfig(raw: TtsRaw): TtsConfig {
  const abbreviations = raw.LOA_TTS_ABBREVIATIONS;
  if (raw.LOA_TTS_ENGINE === 'espeak') return { engine: 'espeak', http: null, abbreviations };
  if (!raw.LOA_TTS_HTTP_URL) throw new Error('LOA_TTS_HTTP_URL is required when LOA_TTS_ENGINE=http');
  const template = raw.LOA_TTS_HTTP_METHOD === 'GET' ? null : raw.LOA_TTS_HTTP_BODY_TEMPLATE;
  const everywhere = [raw.LOA_TTS_HTTP_URL, template ?? '', ...Object.values(raw.LOA_TTS_HTTP_HEADERS)].join('\n');
  if (!/\{\{\s*text\s*\}\}/.test(everywhere)) {
    throw new Error('LOA_TTS_HTTP_BODY_TEMPLATE (or LOA_TTS_HTTP_URL for GET) must contain {{text}}');
  }
  return {
    engine: 'http',
    abbreviations,
    http: {
      url: raw.LOA_TTS_HTTP_URL,
      method: raw.LOA_TTS_HTTP_METHOD,
      headers: raw.LOA_TTS_HTTP_HEADERS,
      bodyTemplate: template,
      voiceMap: raw.LOA_TTS_HTTP_VOICE_MAP,
      audioUrlPath: raw.LOA_TTS_HTTP_AUDIO_URL_PATH ?? null,
      timeoutMs: raw.LOA_TTS_HTTP_TIMEOUT_S * 1000,
      maxChars: raw.LOA_TTS_HTTP_MAX_CHARS,
    },
  };
}
