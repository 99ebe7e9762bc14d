import { BadRequestException, Inject, Injectable } from '@nestjs/common';
import { Clock } from '../common/clock.js';
import { Metrics } from '../common/metrics.js';
import { AppConfig } from '../config/app-config.js';
import type { MediaEntity } from '../database/entities.js';
import type { AppLogger } from '../logging/logger.js';
import { LOGGER } from '../logging/logging.module.js';
import { ACCEPTED_FORMATS_LABEL, describeDuration, mimeForFormat } from './media-formats.js';
import { MediaProber } from './media.prober.js';
import { MediaRepository } from './media.repository.js';
import { MediaStorage } from './media.storage.js';

/** An upload fully received into a temp file (see MediaUploadReceiver). */
export interface ReceivedUpload {
  tempPath: string;
  bytes: number;
  sha256: string;
  originalName: string;
}

export interface IngestResult {
  media: MediaEntity;
  /** False when the same bytes were already stored: nothing new was written. */
  created: boolean;
}

export type RefusalReason = 'empty' | 'unrecognised' | 'no_audio' | 'silent_or_empty' | 'too_long' | 'corrupt' | 'truncated';

/** A 400 whose message tells the operator what is wrong with the file; `reason` feeds the refusal counters. */
export class MediaRefusedException extends BadRequestException {
  constructor(
    readonly reason: RefusalReason,
    message: string,
  ) {
    super(message);
  }
}

/** What the inspection stage learnt about an acceptable file. */
interface InspectedAudio {
  formatName: string;
  mime: string;
  codec: string;
  durationMs: number;
}

/** Truncation is claimed only when the decoded audio falls short of the announced length by this much. */
const TRUNCATION_MIN_GAP_MS = 1000;
const TRUNCATION_MIN_GAP_RATIO = 0.1;

/**
 * Turns a received upload into a stored media record, in stages: refuse what is plainly unusable, absorb
 * duplicates, inspect (probe, validate, decode-check), then commit (rename into place, insert the row). Transcoding
 * and loudness normalisation (issue 6) slot in between inspect and commit.
 *
 * All-or-nothing: a refused or failed upload leaves no file in tmp or mediaDir and no row; an accepted one leaves
 * exactly one file at mediaDir/<sha256> and one row.
 */
@Injectable()
export class MediaIngestService {
  private readonly log: AppLogger;
  private readonly locks = new KeyedLock();

  constructor(
    private readonly repo: MediaRepository,
    private readonly storage: MediaStorage,
    private readonly prober: MediaProber,
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly metrics: Metrics,
    @Inject(LOGGER) logger: AppLogger,
  ) {
    this.log = logger.child({ ctx: 'media' });
  }

  async ingest(upload: ReceivedUpload, createdBy: string): Promise<IngestResult> {
    try {
      // Same bytes uploaded twice at once: the second waits, then finds the first's record.
      const result = await this.locks.run(upload.sha256, () => this.ingestOne(upload, createdBy));
      this.metrics.inc(result.created ? 'media_upload_accepted' : 'media_upload_duplicate');
      this.log.info(
        { sha256: upload.sha256, bytes: upload.bytes, durationMs: result.media.durationMs, created: result.created, createdBy, originalName: upload.originalName },
        result.created ? 'media stored' : 'media already stored',
      );
      return result;
    } catch (err) {
      if (err instanceof MediaRefusedException) {
        this.metrics.inc('media_upload_refused');
        this.metrics.inc(`media_upload_refused_${err.reason}`);
        this.log.info({ sha256: upload.sha256, bytes: upload.bytes, reason: err.reason, detail: err.message, createdBy, originalName: upload.originalName }, 'media upload refused');
      } else {
        this.metrics.inc('media_upload_failed');
        this.log.error({ sha256: upload.sha256, err }, 'media upload failed');
      }
      throw err;
    } finally {
      // Already moved into mediaDir on success; otherwise this is what leaves tmp clean.
      await this.storage.removeTemp(upload.tempPath).catch((err: unknown) => this.log.warn({ err, file: upload.tempPath }, 'could not remove an upload temp file'));
    }
  }

  private async ingestOne(upload: ReceivedUpload, createdBy: string): Promise<IngestResult> {
    if (upload.bytes === 0) throw new MediaRefusedException('empty', 'the file is empty (0 bytes)');

    const existing = await this.repo.find(upload.sha256);
    if (existing) {
      if (!(await this.storage.hasFile(upload.sha256))) {
        // The record outlived its file (disk restored from an older backup?): these are the very bytes, put them back.
        await this.storage.commit(upload.tempPath, upload.sha256);
        this.log.warn({ sha256: upload.sha256 }, 'media file was missing from storage; restored from this upload');
      }
      return { media: existing, created: false };
    }

    const audio = await this.inspect(upload.tempPath);
    return this.commit(upload, audio, createdBy);
  }

  /** Probe, validate, decode: throws MediaRefusedException with an operator-readable reason. */
  private async inspect(file: string): Promise<InspectedAudio> {
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

    const decoded = await this.prober.decode(file, announcedMs ?? this.config.maxAudioMs);
    if (!decoded.ok) {
      throw new MediaRefusedException('corrupt', `the audio is damaged and cannot be decoded in full: ${decoded.detail}`);
    }
    if (decoded.decodedMs <= 0) {
      throw new MediaRefusedException('silent_or_empty', 'the file contains no audio samples (duration 0)');
    }
    if (
      announcedMs !== null &&
      !probe.durationEstimated &&
      announcedMs - decoded.decodedMs > Math.max(TRUNCATION_MIN_GAP_MS, announcedMs * TRUNCATION_MIN_GAP_RATIO)
    ) {
      throw new MediaRefusedException(
        'truncated',
        `the file is truncated: its header announces ${describeDuration(announcedMs)} of audio but only ${describeDuration(decoded.decodedMs)} can be decoded`,
      );
    }
    if (decoded.decodedMs > this.config.maxAudioMs) throw this.tooLong(decoded.decodedMs);

    return {
      formatName: probe.formatName,
      mime: mimeForFormat(probe.formatName),
      codec: (audioStream.codecName ?? 'unknown').slice(0, 50),
      // What actually decodes is what devices will play; header durations can be estimates.
      durationMs: decoded.decodedMs,
    };
  }

  private tooLong(ms: number): MediaRefusedException {
    return new MediaRefusedException(
      'too_long',
      `the audio lasts ${describeDuration(ms)}, longer than the limit of ${describeDuration(this.config.maxAudioMs)} (LOA_MAX_AUDIO_MINUTES)`,
    );
  }

  /** File first, then row: a crash in between leaves an unreferenced file (harmless, reused), never a row without its file. */
  private async commit(upload: ReceivedUpload, audio: InspectedAudio, createdBy: string): Promise<IngestResult> {
    const row: MediaEntity = {
      sha256: upload.sha256,
      bytes: upload.bytes,
      mime: audio.mime,
      codec: audio.codec,
      durationMs: audio.durationMs,
      originalName: upload.originalName,
      createdBy,
      createdAt: this.clock.now(),
    };
    await this.storage.commit(upload.tempPath, upload.sha256);
    try {
      await this.repo.insert(row);
    } catch (err) {
      // Another server instance may have stored the same bytes in the meantime: theirs is the record.
      const winner = await this.repo.find(upload.sha256).catch(() => null);
      if (winner) return { media: winner, created: false };
      await this.storage.remove(upload.sha256).catch((removeErr: unknown) => this.log.error({ err: removeErr, sha256: upload.sha256 }, 'could not remove a media file after its row failed'));
      throw err;
    }
    return { media: row, created: true };
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
