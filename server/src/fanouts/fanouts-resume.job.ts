import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { JobScheduler } from '../jobs/job-scheduler.js';
import { FanoutJobs } from './fanout-jobs.js';

export const FANOUT_RESUME_JOB = 'fanouts.resume';
export const FANOUT_RESUME_MS = 5000;

/**
 * At start-up and every few seconds, on the leader: fan-outs whose process died mid-way (their lease lapsed), or
 * whose run failed and waits for a retry, are run again. Handlers are registered at module init, before this runs.
 */
@Injectable()
export class FanoutsResumeJob implements OnApplicationBootstrap {
  constructor(
    private readonly fanouts: FanoutJobs,
    private readonly jobs: JobScheduler,
  ) {}

  onApplicationBootstrap(): void {
    this.jobs.schedule({ name: FANOUT_RESUME_JOB, intervalMs: FANOUT_RESUME_MS, runAtStart: true, run: () => this.fanouts.resume() });
  }
}
