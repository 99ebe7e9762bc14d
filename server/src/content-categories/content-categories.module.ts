import { Module } from '@nestjs/common';
import { ContentCategoriesController } from './content-categories.controller.js';
import { ContentCategoriesRepository } from './content-categories.repository.js';
import { ContentCategoriesService } from './content-categories.service.js';

/** Issue 16: content categories (below contents, which check a content's category against them). */
@Module({
  controllers: [ContentCategoriesController],
  providers: [ContentCategoriesRepository, ContentCategoriesService],
  exports: [ContentCategoriesService],
})
export class ContentCategoriesModule {}
