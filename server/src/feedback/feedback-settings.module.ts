import { Module } from '@nestjs/common';
import { FeedbackSettingsController } from './feedback-settings.controller.js';
import { FeedbackSettingsRepository } from './feedback-settings.repository.js';
import { FeedbackSettingsService } from './feedback-settings.service.js';

/**
 * Issue 17: feedback settings and the working-time clock (working hours, Vietnamese holidays). Its controller's fixed
 * paths (`settings`, `calendar`) are registered before the core module's `api/v1/feedback/:id` (app.module's order).
 * The periodic jobs are FeedbackJobsModule's (feedback.jobs.ts): they need the core, which imports this module.
 */
@Module({
  controllers: [FeedbackSettingsController],
  providers: [FeedbackSettingsRepository, FeedbackSettingsService],
  exports: [FeedbackSettingsService],
})
export class FeedbackSettingsModule {}
