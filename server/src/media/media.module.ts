import { Module } from '@nestjs/common';
import { MediaController } from './media.controller.js';
import { MediaIngestService } from './media-ingest.service.js';
import { MediaProber } from './media.prober.js';
import { MediaToolsModule } from './media-tools.module.js';
import { MediaRepository } from './media.repository.js';
import { MediaService } from './media.service.js';
import { MediaStorage } from './media.storage.js';
import { MediaUploadReceiver } from './media-upload.receiver.js';
import { AudioProcessor } from './audio-processor.js';
import { MediaJobService } from './media-jobs.service.js';
import { MediaPipeline } from './media-pipeline.js';

/**
 * Media: content-addressed audio files. Upload (probe, validate, transcode, normalise loudness, store once) as
 * processing jobs (announced as `media.jobChanged` domain events), list, and download by sha256 with Range/ETag
 * for devices. Other features use MediaService (e.g. `require(sha256)`) and MediaIngestService (`ingestLocalFile`
 * for synthesised speech).
 */
@Module({
  imports: [MediaToolsModule],
  controllers: [MediaController],
  providers: [MediaRepository, MediaStorage, MediaProber, AudioProcessor, MediaPipeline, MediaJobService, MediaIngestService, MediaUploadReceiver, MediaService],
  exports: [MediaService, MediaIngestService],
})
export class MediaModule {}
