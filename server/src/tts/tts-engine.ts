/** Voice options an operator picks for a bulletin. */
export const TTS_VOICES = ['male', 'female'] as const;
export const TTS_ACCENTS = ['north', 'central', 'south'] as const;
export type TtsVoice = (typeof TTS_VOICES)[number];
export type TtsAccent = (typeof TTS_ACCENTS)[number];

/** Speaking rate as a factor of the engine's normal rate. */
export const TTS_MIN_SPEED = 0.5;
export const TTS_MAX_SPEED = 2;

export interface SynthesisRequest {
  /** Already normalised (see vi-normalize.ts): words only, punctuation as pauses. */
  text: string;
  voice: TtsVoice;
  accent: TtsAccent;
  /** 0.5–2.0; 1 is the engine's normal rate. */
  speed: number;
}

export interface SynthesisResult {
  /** The WAV written (the path the caller gave). */
  file: string;
  /** Pieces the text was sent in (engines with a length limit split at sentence ends). */
  chunks: number;
  /** Wall time spent synthesising. */
  elapsedMs: number;
}

/**
 * A speech synthesiser: normalised Vietnamese text and voice options in, a WAV file on disk out. Implementations
 * must not block the event loop (run the work in a worker thread, a child process or on another machine).
 */
export interface TtsEngine {
  readonly name: string;
  synthesize(request: SynthesisRequest, outFile: string): Promise<SynthesisResult>;
  /** Frees workers, sockets…; the engine may be used again afterwards (it restarts what it needs). */
  close?(): Promise<void>;
}

/** Nest injection token for the configured engine. */
export const TTS_ENGINE = Symbol('TTS_ENGINE');

/** The engine could not produce audio (service down, bad answer, synthesiser crash): a 502 for the API. */
export class TtsEngineError extends Error {}
