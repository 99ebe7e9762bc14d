// Voices, accents and the speed range are part of the REST contract (operators pick them in a request).
export { TTS_ACCENTS, TTS_MAX_SPEED, TTS_MIN_SPEED, TTS_VOICES, type TtsAccent, type TtsVoice } from '@loa/shared/rest';
import type { TtsAccent, TtsVoice } from '@loa/shared/rest';

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
