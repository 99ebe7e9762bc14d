import { Inject, Injectable } from '@nestjs/common';
import { Clock } from '../common/clock.js';
import { Metrics } from '../common/metrics.js';
import { AppConfig } from '../config/app-config.js';
import type { MediaAudioEntity } from './media-audio.entity.js';
import type { MediaEntity } from './media.entity.js';
import type { AppLogger } from '../logging/logger.js';
import { LOGGER } from '../logging/logging.module.js';
import { AudioProcessingAborted, AudioProcessingError, AudioProcessor } from './audio-processor.js';
import { audioProfileOf, deliveredCodec, deliveredMime, profileKey, type AudioProfile } from './audio-profile.js';
import { ACCEPTED_FORMATS_LABEL, describeDuration, mimeForFormat } from './media-formats.js';
import { MediaProber } from './media.prober.js';
import { MediaRepository } from './media.repository.js';
import { MediaStorage } from './media.storage.js';
import { MediaRefusedException, type RefusalReason } from './media-types.js';

/** A source file on the server's disk, hashed. The pipeline reads it and never removes it (its owner does). */
export interface SourceFile {
  path: string;
  bytes: number;
  sha256: string;
  originalName: string;
}

export interface ProcessContext {
  /** 0–1 over the whole processing (inspect, measure, encode, store). */
  onProgress?: (fraction: number) => void;
  /** Stops ffmpeg at once (server shutdown); the promise then rejects with AudioProcessingAborted. */
  signal?: AbortSignal;
}

export interface ProcessResult {
  media: MediaEntity;
  created: boolean;
  audio: MediaAudioEntity | null;
}

/** What the inspection stage learnt about an acceptable file. */
interface InspectedAudio {
  mime: string;
  codec: string;
  durationMs: number;
}

/** Truncation is claimed only when the decoded audio falls short of the announced length by this much. */
const TRUNCATION_MIN_GAP_MS = 1000;
const TRUNCATION_MIN_GAP_RATIO = 0.1;
/** Share of the progress bar each stage takes (roughly their share of the CPU time). */
const STAGES = { measure: [0, 0.4], render: [0.4, 0.97] } as const;

/**
 * Turns one source file into one delivered media file, in stages: refuse what is plainly unusable, absorb
 * duplicates (same source sha256 and delivery profile → the stored result), inspect (probe, validate, decode
 * check), measure loudness (loudnorm pass 1), render (pass 2: trim, downmix, normalise, resample, encode), then
 * commit (rename the delivered file to mediaDir/<its sha256>, insert the rows in one transaction).
 *
 * All-or-nothing: a refused or failed file leaves no delivered file, no temp output and no row.
 */
@Injectable()
export class MediaPipeline {
  private readonly log: AppLogger;
  private readonly locks = new KeyedLock();
  readonly profile: AudioProfile;
  readonly profileKey: string;

  constructor(
    private readonly repo: MediaRepository,
    private readonly storage: MediaStorage,
    private readonly prober: MediaProber,
    private readonly processor: AudioProcessor,
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly metrics: Metrics,
    @Inject(LOGGER) logger: AppLogger,
  ) {
    this.log = logger.child({ ctx: 'media' });
    this.profile = audioProfileOf(config);
    this.profileKey = profileKey(this.profile);
  }

  async process(source: SourceFile, createdBy: string, ctx: ProcessContext = {}): Promise<ProcessResult> {
    const started = this.clock.now();
    try {
      // The same source twice at once: the second waits, then finds the first's result.
      const result = await this.locks.run(source.sha256, () => this.processOne(source, createdBy, ctx));
      this.metrics.inc(result.created ? 'media_upload_accepted' : 'media_upload_duplicate');
      this.log.info(
        {
          sourceSha256: source.sha256,
          sha256: result.media.sha256,
          bytes: source.bytes,
          durationMs: result.media.durationMs,
          created: result.created,
          createdBy,
          originalName: source.originalName,
          inputLufs: result.audio?.inputLufs,
          outputLufs: result.audio?.outputLufs,
          tookMs: this.clock.now() - started,
        },
        result.created ? 'media stored' : 'media already stored',
      );
      return result;
    } catch (err) {
      if (err instanceof MediaRefusedException) {
        this.metrics.inc('media_upload_refused');
        this.metrics.inc(`media_upload_refused_${err.reason}`);
        this.log.info({ sha256: source.sha256, bytes: source.bytes, reason: err.reason, detail: err.message, createdBy, originalName: source.originalName }, 'media upload refused');
      } else if (!(err instanceof AudioProcessingAborted)) {
        this.metrics.inc('media_upload_failed');
        this.log.error({ sha256: source.sha256, err }, 'media upload failed');
      }
      throw err;
    }
  }

  private async processOne(source: SourceFile, createdBy: string, ctx: ProcessContext): Promise<ProcessResult> {
    if (source.bytes === 0) throw new MediaRefusedException('empty', 'the file is empty (0 bytes)');
    const progress = (stage: keyof typeof STAGES) => (f: number) => {
      const [a, b] = STAGES[stage];
      ctx.onProgress?.(a + (b - a) * Math.min(1, Math.max(0, f)));
    };

    // Somebody uploads a delivered file itself (e.g. downloaded from the server): it is already what devices get.
    const delivered = await this.repo.find(source.sha256);
    if (delivered && (await this.storage.hasFile(source.sha256))) {
      return { media: delivered, created: false, audio: (await this.repo.audioOf([delivered.sha256])).get(delivered.sha256) ?? null };
    }
    const known = await this.repo.findAudioBySource(source.sha256, this.profileKey);
    if (known) {
      const media = await this.repo.find(known.sha256);
      if (media && (await this.storage.hasFile(media.sha256))) return { media, created: false, audio: known };
      // The record outlived its file (disk restored from an older backup?): process again, which puts it back.
      this.log.warn({ sha256: known.sha256, sourceSha256: source.sha256 }, 'media file was missing from storage; processing its source again');
    }

    const { audio, measured } = await this.inspect(source.path, progress('measure'), ctx.signal);
    progress('measure')(1);

    const out = this.storage.newTempPath();
    try {
      const rendered = await this.processor.render(source.path, out, this.profile, measured, audio.durationMs, progress('render'), ctx.signal).catch((err: unknown) => {
        throw this.refuseUnprocessable(err);
      });
      const written = await this.storage.sha256OfFile(out);
      const now = this.clock.now();
      const media: MediaEntity = {
        sha256: written.sha256,
        bytes: written.bytes,
        mime: deliveredMime(this.profile),
        codec: deliveredCodec(this.profile),
        durationMs: rendered.durationMs,
        originalName: source.originalName,
        createdBy,
        createdAt: now,
        // TTS records its text after the media exists (tts/spoken-text.repository.ts).
        spokenText: null,
      };
      const row: MediaAudioEntity = {
        sourceSha256: source.sha256,
        profile: this.profileKey,
        sha256: written.sha256,
        sourceBytes: source.bytes,
        sourceMime: audio.mime,
        sourceCodec: audio.codec,
        sourceDurationMs: audio.durationMs,
        inputLufs: measured.integratedLufs,
        inputTruePeakDbtp: measured.truePeakDbtp,
        inputLra: measured.lraLu,
        outputLufs: rendered.output.integratedLufs,
        outputTruePeakDbtp: rendered.output.truePeakDbtp,
        outputLra: rendered.output.lraLu,
        normalization: rendered.normalization,
        createdAt: now,
      };
      // File first, then rows: a crash in between leaves an unreferenced file (harmless, reused), never a row without its file.
      await this.storage.commit(out, written.sha256);
      try {
        const stored = await this.repo.insertProcessed(media, row);
        ctx.onProgress?.(1);
        return { media: stored.media, created: stored.created, audio: row };
      } catch (err) {
        // Another server instance may have processed the same source in the meantime: theirs is the record.
        const winner = await this.repo.findAudioBySource(source.sha256, this.profileKey).catch(() => null);
        const winnerMedia = winner ? await this.repo.find(winner.sha256).catch(() => null) : null;
        if (winner && winnerMedia) return { media: winnerMedia, created: false, audio: winner };
        if (!(await this.repo.find(written.sha256).catch(() => null))) {
          await this.storage.remove(written.sha256).catch((removeErr: unknown) => this.log.error({ err: removeErr, sha256: written.sha256 }, 'could not remove a media file after its row failed'));
        }
        throw err;
      }
    } finally {
      await this.storage.removeTemp(out).catch((err: unknown) => this.log.warn({ err, file: out }, 'could not remove a processing temp file'));
    }
  }

  /**
   * Probe, validate, then decode in full while measuring loudness (loudnorm pass 1 doubles as the decode check, so
   * the audio is decoded once here): throws MediaRefusedException with an operator-readable reason.
   */
  private async inspect(file: string, onProgress: (f: number) => void, signal: AbortSignal | undefined) {
    const probe = await this.prober.probe(file);
    if (!probe.ok) {
      throw new MediaRefusedException('unrecognised', `not a recognised audio file (accepted: ${ACCEPTED_FORMATS_LABEL}); ffprobe: ${probe.detail}`);
    }
    const audioStream = probe.streams.find((s) => s.codecType === 'audio');
    if (!audioStream) {
      throw new MediaRefusedException('no_audio', `the file has no audio stream (detected format: ${probe.formatName})`);
    }
    const announcedMs = audioStream.durationMs ?? probe.durationMs;
    if (announcedMs !== null && announcedMs > this.config.maxAudioMs) throw this.tooLong(announcedMs);

    const measured = await this.processor.measure(file, this.profile, announcedMs ?? this.config.maxAudioMs, onProgress, signal).catch((err: unknown) => {
      if (err instanceof AudioProcessingError) return new MediaRefusedException('corrupt', `the audio is damaged and cannot be decoded in full: ${err.message}`);
      throw err;
    });
    if (measured instanceof MediaRefusedException) throw measured;
    if (measured.errors !== '') {
      throw new MediaRefusedException('corrupt', `the audio is damaged and cannot be decoded in full: ${measured.errors}`);
    }
    const decodedMs = measured.decodedMs;
    if (decodedMs <= 0) {
      throw new MediaRefusedException('silent_or_empty', 'the file contains no audio samples (duration 0)');
    }
    if (
      announcedMs !== null &&
      !probe.durationEstimated &&
      announcedMs - decodedMs > Math.max(TRUNCATION_MIN_GAP_MS, announcedMs * TRUNCATION_MIN_GAP_RATIO)
    ) {
      throw new MediaRefusedException(
        'truncated',
        `the file is truncated: its header announces ${describeDuration(announcedMs)} of audio but only ${describeDuration(decodedMs)} can be decoded`,
      );
    }
    if (decodedMs > this.config.maxAudioMs) throw this.tooLong(decodedMs);
    // Below loudnorm's absolute gate (−70 LUFS) there is nothing to normalise: a silent bulletin is a mistake.
    if (measured.integratedLufs === null || measured.integratedLufs <= -70 || (measured.silence !== null && measured.silence.leadS * 1000 >= decodedMs - 50)) {
      throw new MediaRefusedException('silent', `the audio is silent (no sound above −70 LUFS in ${describeDuration(decodedMs)}); nothing would be heard`);
    }
    const audio: InspectedAudio = {
      mime: mimeForFormat(probe.formatName),
      codec: (audioStream.codecName ?? 'unknown').slice(0, 50),
      // What actually decodes is what devices will play; header durations can be estimates.
      durationMs: decodedMs,
    };
    return { audio, measured };
  }

  /** An ffmpeg failure on a file that decoded fine is still the file's problem (odd layout, …): a refusal. */
  private refuseUnprocessable(err: unknown): unknown {
    if (err instanceof AudioProcessingError) return new MediaRefusedException('unprocessable', `the audio could not be converted for the loudspeakers: ${err.message}`);
    return err;
  }

  private tooLong(ms: number): MediaRefusedException {
    return new MediaRefusedException(
      'too_long',
      `the audio lasts ${describeDuration(ms)}, longer than the limit of ${describeDuration(this.config.maxAudioMs)} (LOA_MAX_AUDIO_MINUTES)`,
    );
  }
}

/** Serialises work per key inside this process. */
class KeyedLock {
  private readonly tails = new Map<string, Promise<unknown>>();

  async run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const current = previous.catch(() => undefined).then(work);
    const tail = current.catch(() => undefined);
    this.tails.set(key, tail);
    try {
      return await current;
    } finally {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}

export type { RefusalReason };
