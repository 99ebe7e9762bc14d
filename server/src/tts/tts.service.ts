import { Inject, Injectable, Optional } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { AppConfig } from '../config/app-config.js';
import type { AppLogger } from '../logging/logger.js';
import { LOGGER } from '../logging/logging.module.js';
import { LoaMetrics } from '../metrics/loa-metrics.js';
import { MediaIngestService } from '../media/media-ingest.service.js';
import type { IngestResult } from '../media/media-types.js';
import { TTS_ENGINE, type TtsAccent, type TtsEngine, type TtsVoice } from './tts-engine.js';
import { normalizeVietnamese } from './vi-normalize.js';
import { SpokenTextRepository } from './spoken-text.repository.js';
import { TtsDictionaryService } from './tts-dictionary.service.js';

export interface SpeakRequest {
  text: string;
  voice: TtsVoice;
  accent: TtsAccent;
  speed: number;
}

export interface SpeakResult {
  ingest: IngestResult;
  normalizedText: string;
  engine: string;
  chunks: number;
  synthesisMs: number;
}

/**
 * Text to a stored media: normalise (vi-normalize), synthesise with the configured engine into a WAV, and hand it
 * to the media pipeline (transcode, EBU R128 loudness, content addressing) exactly like an upload. The text as typed is
 * recorded on the media (media.spoken_text).
 */
@Injectable()
export class TtsService {
  private readonly log: AppLogger;
  private readonly workDir: string;

  constructor(
    @Inject(TTS_ENGINE) private readonly engine: TtsEngine,
    private readonly ingest: MediaIngestService,
    private readonly config: AppConfig,
    @Inject(LOGGER) logger: AppLogger,
    private readonly spoken: SpokenTextRepository,
    private readonly dictionary: TtsDictionaryService,
    @Optional() private readonly loaMetrics?: LoaMetrics,
  ) {
    this.log = logger.child({ ctx: 'tts' });
    this.workDir = path.join(config.dataDir, 'tts-tmp');
  }

  /** The text as it will be spoken: the installation's dictionary first, then the built-in rules (vi-normalize). */
  async normalize(text: string, accent: TtsAccent = 'north'): Promise<string> {
    const dictionary = await this.dictionary.entries();
    return normalizeVietnamese(text, { dialect: accent, abbreviations: this.config.tts.abbreviations, dictionary });
  }

  async speak(request: SpeakRequest, createdBy: string): Promise<SpeakResult> {
    const normalizedText = await this.normalize(request.text, request.accent);
    await mkdir(this.workDir, { recursive: true });
    const wav = path.join(this.workDir, `tts-${randomBytes(8).toString('hex')}.wav`);
    try {
      const synth = await this.engine.synthesize({ ...request, text: normalizedText }, wav);
      this.loaMetrics?.ttsSynthesised(this.engine.name, synth.elapsedMs / 1000);
      this.log.info(
        { engine: this.engine.name, chars: normalizedText.length, chunks: synth.chunks, synthesisMs: synth.elapsedMs, voice: request.voice, accent: request.accent, speed: request.speed },
        'speech synthesised',
      );
      const ingest = await this.ingest.ingestLocalFile(wav, originalName(request), createdBy);
      // The text as typed, not the normalised one: audio content made from this media shows it on boards (issue 18).
      await this.spoken.record(ingest.media.sha256, request.text.trim());
      return { ingest, normalizedText, engine: this.engine.name, chunks: synth.chunks, synthesisMs: synth.elapsedMs };
    } finally {
      await rm(wav, { force: true }).catch((err: unknown) => this.log.warn({ err, file: wav }, 'could not remove a synthesised WAV'));
    }
  }
}

/** e.g. "tts-female-north-1x-ngay-bay-thang-chin.wav": recognisable in the media list. */
function originalName(r: SpeakRequest): string {
  const words = r.text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[đĐ]/g, 'd')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 40)
    .replace(/-$/, '');
  return `tts-${r.voice}-${r.accent}-${r.speed}x${words ? `-${words}` : ''}.wav`;
}
