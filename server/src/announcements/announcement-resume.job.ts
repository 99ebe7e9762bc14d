import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { JobScheduler } from '../jobs/job-scheduler.js';
import { AnnouncementsService } from './announcements.service.js';

export const ANNOUNCEMENT_RESUME_JOB = 'announcements.resume';
export const ANNOUNCEMENT_RESUME_MS = 60_000;

/** Issue 19: once a minute on the leader, announcements a lost approval event or a crash left behind move on. */
@Injectable()
export class AnnouncementResumeJob implements OnApplicationBootstrap {
  constructor(
    private readonly jobs: JobScheduler,
    private readonly announcements: AnnouncementsService,
  ) {}

  onApplicationBootstrap(): void {
    this.jobs.schedule({ name: ANNOUNCEMENT_RESUME_JOB, intervalMs: ANNOUNCEMENT_RESUME_MS, runAtStart: true, run: () => this.announcements.resume() });
  }
}
