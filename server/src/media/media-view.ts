import type { MediaAudioEntity, MediaEntity } from '../database/entities.js';

/** EBU R128 loudness: integrated (LUFS), true peak (dBTP), loudness range (LU). */
export interface LoudnessView {
  integratedLufs: number | null;
  truePeakDbtp: number | null;
  lraLu: number | null;
}

/** How a delivered file was made from its source (issue 6). */
export interface MediaAudioView {
  sourceSha256: string;
  sourceBytes: number;
  sourceMime: string;
  sourceCodec: string;
  sourceDurationMs: number;
  /** Delivery settings, e.g. "mp3/64k/44100/1ch/-16LUFS/-1.5dBTP/notrim". */
  profile: string;
  loudnessBefore: LoudnessView;
  loudnessAfter: LoudnessView;
  /** "linear": one gain for the whole file; "dynamic": loudnorm had to compress to respect the true-peak limit. */
  normalization: string;
}

/** A media record as the API shows it. `sha256`, `bytes`, `mime`, `durationMs` describe the delivered file. */
export interface MediaView {
  sha256: string;
  bytes: number;
  durationMs: number;
  mime: string;
  codec: string;
  originalName: string;
  /** ISO 8601 */
  createdAt: string;
  /** User id of the uploader. */
  createdBy: string;
  /** Null for media stored before the audio pipeline (kept as uploaded). */
  audio: MediaAudioView | null;
}

/** The answer to an upload: the record, and whether this upload created it (false: the same source was already stored). */
export interface MediaUploadView extends MediaView {
  created: boolean;
  /** The processing job (GET /api/v1/media/jobs/{jobId}). */
  jobId: string;
}

export const toMediaView = (m: MediaEntity, a: MediaAudioEntity | null = null): MediaView => ({
  sha256: m.sha256,
  bytes: m.bytes,
  durationMs: m.durationMs,
  mime: m.mime,
  codec: m.codec,
  originalName: m.originalName,
  createdAt: new Date(m.createdAt).toISOString(),
  createdBy: m.createdBy,
  audio: a
    ? {
        sourceSha256: a.sourceSha256,
        sourceBytes: a.sourceBytes,
        sourceMime: a.sourceMime,
        sourceCodec: a.sourceCodec,
        sourceDurationMs: a.sourceDurationMs,
        profile: a.profile,
        loudnessBefore: { integratedLufs: a.inputLufs, truePeakDbtp: a.inputTruePeakDbtp, lraLu: a.inputLra },
        loudnessAfter: { integratedLufs: a.outputLufs, truePeakDbtp: a.outputTruePeakDbtp, lraLu: a.outputLra },
        normalization: a.normalization,
      }
    : null,
});
