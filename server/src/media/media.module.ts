import { Module } from '@nestjs/common';
import { MediaController } from './media.controller.js';
import { MediaIngestService } from './media-ingest.service.js';
import { MediaProber } from './media.prober.js';
import { MediaRepository } from './media.repository.js';
import { MediaService } from './media.service.js';
import { MediaStorage } from './media.storage.js';
import { MediaUploadReceiver } from './media-upload.receiver.js';

/**
 * Media: content-addressed audio files. Upload (probe, validate, store once), list, and download by sha256 with
 * Range/ETag for devices. Other features use MediaService (e.g. `require(sha256)`).
 */
@Module({
  controllers: [MediaController],
  providers: [MediaRepository, MediaStorage, MediaProber, MediaIngestService, MediaUploadReceiver, MediaService],
  exports: [MediaService],
})
export class MediaModule {}
