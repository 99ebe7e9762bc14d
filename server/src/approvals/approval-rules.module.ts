import { Module } from '@nestjs/common';
import { ApprovalPolicy } from './approval-policy.js';
import { ApprovalPolicyRepository } from './approval-policy.repository.js';
import { ApprovalRulesService } from './approval-rules.service.js';
import { SettingsController } from './settings.controller.js';
import { SettingsRepository } from './settings.repository.js';

/**
 * The rules and their evaluation, with no dependency on the features they govern (contents, schedules and alerts
 * import this module; the approval actions that need those features live in ApprovalsModule).
 */
@Module({
  controllers: [SettingsController],
  providers: [SettingsRepository, ApprovalRulesService, ApprovalPolicyRepository, ApprovalPolicy],
  exports: [ApprovalRulesService, ApprovalPolicy],
})
export class ApprovalRulesModule {}
