import { Module } from '@nestjs/common';
import { ApprovalRulesModule } from '../approvals/approval-rules.module.js';
import { BoardProfilesModule } from '../board-profiles/board-profiles.module.js';
import { ContentCategoriesModule } from '../content-categories/content-categories.module.js';
import { MediaToolsModule } from '../media/media-tools.module.js';
import { MediaStorage } from '../media/media.storage.js';
import { ContentImages } from './content-images.js';
import { ContentsController } from './contents.controller.js';
import { ContentsRepository } from './contents.repository.js';
import { ContentsService } from './contents.service.js';
import { ImageProcessor } from './image-processor.js';

@Module({
  imports: [BoardProfilesModule, ApprovalRulesModule, MediaToolsModule, ContentCategoriesModule],
  controllers: [ContentsController],
  // MediaStorage is reused as-is (same directory as the media feature): image files are content-addressed there.
  providers: [ContentsRepository, ContentsService, ContentImages, ImageProcessor, MediaStorage],
  exports: [ContentsService],
})
export class ContentsModule {}
