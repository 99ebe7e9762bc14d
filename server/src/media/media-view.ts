import type { MediaAudioEntity } from './media-audio.entity.js';
import type { MediaEntity } from './media.entity.js';
import type { LoudnessView, MediaAudioView, MediaUploadView, MediaView } from '@loa/shared/rest';
export type { LoudnessView, MediaAudioView, MediaUploadView, MediaView } from '@loa/shared/rest';

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
