import { Global, Module } from '@nestjs/common';
import { PracticeMembership } from '../practice/practice-membership.js';
import { PracticeModule } from '../practice/practice.module.js';
import { TrainingController, TrainingReportController } from './training.controller.js';
import { TrainingMembership } from './training-membership.js';
import { TrainingRepository } from './training.repository.js';
import { TrainingService } from './training.service.js';

/**
 * Issue 21, which sandbox a user practises in (class membership). Global so the practice module finds its
 * PracticeMembership without importing training (which imports practice for its sandboxes).
 */
@Global()
@Module({
  providers: [TrainingRepository, TrainingMembership, { provide: PracticeMembership, useExisting: TrainingMembership }],
  exports: [TrainingRepository, TrainingMembership, PracticeMembership],
})
export class TrainingMembershipModule {}

/**
 * Issue 21: lessons, training records, classes and the training report. Lesson checks and class resets go through the
 * practice module's PracticeSandboxes port. Exports the service for the upward exchange (the trained share).
 */
@Module({
  imports: [PracticeModule, TrainingMembershipModule],
  controllers: [TrainingController, TrainingReportController],
  providers: [TrainingService],
  exports: [TrainingService],
})
export class TrainingModule {}
