import { Module } from '@nestjs/common';
import { ApprovalRulesModule } from '../approvals/approval-rules.module.js';
import { AuditModule } from '../audit/audit.module.js';
import { ContentsModule } from '../contents/contents.module.js';
import { FeedbackBulletinsController } from './feedback-bulletins.controller.js';
import { FeedbackBulletinsRepository } from './feedback-bulletins.repository.js';
import { FeedbackBulletinsService } from './feedback-bulletins.service.js';
import { FeedbackCoreModule } from './feedback-core.module.js';
import { FeedbackExports } from './feedback-exports.js';
import { FeedbackSettingsModule } from './feedback-settings.module.js';
import { FeedbackExportController, FeedbackStatsController } from './feedback-stats.controller.js';
import { FeedbackStatsRepository } from './feedback-stats.repository.js';
import { FeedbackStatsService } from './feedback-stats.service.js';

/**
 * Issue 17: statistics (Reports page, exports, the upward exchange) and closing the loop (answers into draft bulletins).
 * Exports the statistics for the source-system's daily feed. AppModule lists it before FeedbackCoreModule: Nest
 * registers routes in that order, so `GET /api/v1/feedback/export.csv` is matched before the core's
 * `GET /api/v1/feedback/:id` (server/test/feedback-stats.spec.ts checks it).
 */
@Module({
  imports: [FeedbackCoreModule, FeedbackSettingsModule, ContentsModule, ApprovalRulesModule, AuditModule],
  controllers: [FeedbackExportController, FeedbackStatsController, FeedbackBulletinsController],
  providers: [FeedbackStatsRepository, FeedbackStatsService, FeedbackExports, FeedbackBulletinsRepository, FeedbackBulletinsService],
  exports: [FeedbackStatsService],
})
export class FeedbackStatsModule {}
