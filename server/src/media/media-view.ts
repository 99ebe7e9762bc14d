import type { MediaEntity } from '../database/entities.js';

/** A media record as the API shows it. */
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
}

/** The answer to an upload: the record, and whether this upload created it (false: the same bytes were already stored). */
export interface MediaUploadView extends MediaView {
  created: boolean;
}

export const toMediaView = (m: MediaEntity): MediaView => ({
  sha256: m.sha256,
  bytes: m.bytes,
  durationMs: m.durationMs,
  mime: m.mime,
  codec: m.codec,
  originalName: m.originalName,
  createdAt: new Date(m.createdAt).toISOString(),
  createdBy: m.createdBy,
});
