import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { JobScheduler } from '../jobs/job-scheduler.js';
import { PresenceService } from './presence.service.js';

export const PRESENCE_SWEEP_JOB = 'devices.presence-sweep';

/** At start-up and then every `sweepIntervalMs()` (on the leader): marks offline the devices silent too long. */
@Injectable()
export class PresenceSweepJob implements OnApplicationBootstrap {
  constructor(
    private readonly presence: PresenceService,
    private readonly jobs: JobScheduler,
  ) {}

  onApplicationBootstrap(): void {
    this.jobs.schedule({ name: PRESENCE_SWEEP_JOB, intervalMs: this.presence.sweepIntervalMs(), runAtStart: true, run: () => this.presence.sweep() });
  }
}
