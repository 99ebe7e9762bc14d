import { Module } from '@nestjs/common';
import { AlertsModule } from '../alerts/alerts.module.js';
import { ContentsModule } from '../contents/contents.module.js';
import { SchedulesModule } from '../schedules/schedules.module.js';
import { ApprovalRulesModule } from '../approvals/approval-rules.module.js';
import { ApprovalsController, ScheduleApprovalsController } from './approvals.controller.js';
import { ApprovalsRepository } from './approvals.repository.js';
import { ApprovalsService } from './approvals.service.js';

@Module({
  imports: [ApprovalRulesModule, SchedulesModule, AlertsModule, ContentsModule],
  controllers: [ApprovalsController, ScheduleApprovalsController],
  providers: [ApprovalsService, ApprovalsRepository],
})
export class ApprovalsModule {}
