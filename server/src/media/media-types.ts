import { BadRequestException } from '@nestjs/common';
import type { MediaAudioEntity } from './media-audio.entity.js';
import type { MediaEntity } from './media.entity.js';
import type { ErrorCode } from '@loa/shared/rest';

/** An upload fully received into a temp file (see MediaUploadReceiver). */
export interface ReceivedUpload {
  tempPath: string;
  bytes: number;
  sha256: string;
  originalName: string;
}

export interface IngestResult {
  /** The delivered file's record: devices download `media.sha256`. */
  media: MediaEntity;
  /** False when this source (or these very delivered bytes) was already stored: nothing new was written. */
  created: boolean;
  /** How the delivered file was made (null for media stored before issue 6). */
  audio: MediaAudioEntity | null;
  /** The processing job that produced (or found) it. */
  jobId: string;
}

export type RefusalReason = 'empty' | 'unrecognised' | 'no_audio' | 'silent_or_empty' | 'silent' | 'too_long' | 'corrupt' | 'truncated' | 'unprocessable';

/** A 400 whose message tells the operator what is wrong with the file; `reason` feeds the refusal counters. */
export class MediaRefusedException extends BadRequestException {
  constructor(
    readonly reason: RefusalReason,
    message: string,
  ) {
    // Issue 19: coded `media.refused.<reason>`, the English explanation (with the measurement) as `detail`.
    super({ statusCode: 400, error: 'Bad Request', message, code: `media.refused.${reason}` satisfies ErrorCode, params: { detail: message } });
  }
}
