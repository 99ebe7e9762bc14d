import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { FeedbackFiles, LocalFeedbackFiles } from './feedback-files.js';
import { FeedbackHasher } from './feedback-hash.js';
import { FeedbackSettingsModule } from './feedback-settings.module.js';
import { FeedbackController } from './feedback.controller.js';
import { FeedbackRepository } from './feedback.repository.js';
import { FeedbackService } from './feedback.service.js';

/** Issue 17: feedback items and their handling workflow (officers' API), the one writer of feedback_items/events/attachments. */
@Module({
  imports: [FeedbackSettingsModule, AuditModule],
  controllers: [FeedbackController],
  providers: [FeedbackRepository, FeedbackHasher, { provide: FeedbackFiles, useClass: LocalFeedbackFiles }, FeedbackService],
  exports: [FeedbackService, FeedbackRepository, FeedbackHasher, FeedbackFiles],
})
export class FeedbackCoreModule {}
