import { Injectable, Module, type OnApplicationBootstrap } from '@nestjs/common';
import { Clock } from '../common/clock.js';
import { JobScheduler } from '../jobs/job-scheduler.js';
import { FeedbackCoreModule } from './feedback-core.module.js';
import { FeedbackService } from './feedback.service.js';

/** Items past a deadline get their `overdue` event and alarm, once per deadline. */
export const FEEDBACK_OVERDUE_JOB = 'feedback.overdue';
/** Answered items the resident did not rate within `autoCloseDays` are closed. */
export const FEEDBACK_AUTO_CLOSE_JOB = 'feedback.auto-close';
/** Residents' personal data is erased `retentionDays` after an item was closed or rejected. */
export const FEEDBACK_RETENTION_JOB = 'feedback.retention';

export const FEEDBACK_JOB_INTERVALS_MS = {
  [FEEDBACK_OVERDUE_JOB]: 60_000,
  [FEEDBACK_AUTO_CLOSE_JOB]: 10 * 60_000,
  [FEEDBACK_RETENTION_JOB]: 3_600_000,
} as const;

/**
 * The feedback sweeps, on the leader (JobScheduler: one run at a time across instances). Each is a pass over the
 * database from "now", so a missed tick, a restart or a new leader only delays it; the service's passes are
 * idempotent (an item already marked overdue, closed or erased is not touched again).
 */
@Injectable()
export class FeedbackJobs implements OnApplicationBootstrap {
  constructor(
    private readonly feedback: FeedbackService,
    private readonly jobs: JobScheduler,
    private readonly clock: Clock,
  ) {}

  onApplicationBootstrap(): void {
    this.jobs.schedule({ name: FEEDBACK_OVERDUE_JOB, intervalMs: FEEDBACK_JOB_INTERVALS_MS[FEEDBACK_OVERDUE_JOB], runAtStart: true, run: () => this.feedback.sweepOverdue(this.clock.now()) });
    this.jobs.schedule({ name: FEEDBACK_AUTO_CLOSE_JOB, intervalMs: FEEDBACK_JOB_INTERVALS_MS[FEEDBACK_AUTO_CLOSE_JOB], runAtStart: true, run: () => this.feedback.autoCloseAnswered(this.clock.now()) });
    this.jobs.schedule({ name: FEEDBACK_RETENTION_JOB, intervalMs: FEEDBACK_JOB_INTERVALS_MS[FEEDBACK_RETENTION_JOB], runAtStart: true, run: () => this.feedback.erasePersonalData(this.clock.now()) });
  }
}

/**
 * Its own module so the core (which imports the settings module) and the jobs (which need the core) make no cycle.
 * Imported by app.module after the other feedback modules.
 */
@Module({
  imports: [FeedbackCoreModule],
  providers: [FeedbackJobs],
})
export class FeedbackJobsModule {}
