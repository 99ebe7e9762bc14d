import { Injectable } from '@nestjs/common';
import { cleanOriginalName } from './media-formats.js';
import { MediaJobService, type MediaJobView } from './media-jobs.service.js';
import { MediaStorage } from './media.storage.js';
import type { IngestResult, ReceivedUpload } from './media-types.js';

export { MediaRefusedException, type IngestResult, type ReceivedUpload, type RefusalReason } from './media-types.js';

/**
 * The way audio enters the server, for the upload API and for other features (TTS): every file becomes a
 * processing job (queued, processed with bounded concurrency, observable), and the result is the delivered media.
 */
@Injectable()
export class MediaIngestService {
  constructor(
    private readonly jobs: MediaJobService,
    private readonly storage: MediaStorage,
  ) {}

  /** A received upload (its temp file is taken over); settles once processed. */
  async ingest(upload: ReceivedUpload, createdBy: string, jobId?: string): Promise<IngestResult> {
    return (await this.jobs.submit(upload, createdBy, jobId)).result;
  }

  /** Same, answering as soon as the job is queued; `result` settles once processed. */
  submit(upload: ReceivedUpload, createdBy: string, jobId?: string): Promise<{ job: MediaJobView; result: Promise<IngestResult> }> {
    return this.jobs.submit(upload, createdBy, jobId);
  }

  /**
   * A file already on the server's disk (e.g. synthesised speech): copied into the media temp area (the caller
   * keeps its file), then processed like an upload — same checks, transcoding, loudness, dedupe and result.
   */
  async ingestLocalFile(path: string, originalName: string, createdBy: string): Promise<IngestResult> {
    const { tempPath, bytes, sha256 } = await this.storage.copyToTemp(path);
    return this.ingest({ tempPath, bytes, sha256, originalName: cleanOriginalName(originalName) }, createdBy);
  }
}
