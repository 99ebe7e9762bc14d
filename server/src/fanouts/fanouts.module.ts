import { Module } from '@nestjs/common';
import { FanoutJobs } from './fanout-jobs.js';
import { FanoutsController } from './fanouts.controller.js';
import { FanoutsRepository } from './fanouts.repository.js';
import { FanoutsResumeJob } from './fanouts-resume.job.js';

/**
 * Issue 14: background fan-out jobs (schedules, commands, alerts register their handlers with FanoutJobs), their
 * REST view and the leader's resume job. Knows none of the features that use it.
 */
@Module({
  controllers: [FanoutsController],
  providers: [FanoutsRepository, FanoutJobs, FanoutsResumeJob],
  exports: [FanoutJobs],
})
export class FanoutsModule {}
