import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { JobScheduler } from '../jobs/job-scheduler.js';
import { AlarmsService } from './alarms.service.js';

export const OFFLINE_ALARMS_JOB = 'alarms.offline-sweep';

/** At start-up and then every `sweepIntervalMs()` (on the leader): raises the offline alarms that are due. */
@Injectable()
export class OfflineAlarmsJob implements OnApplicationBootstrap {
  constructor(
    private readonly alarms: AlarmsService,
    private readonly jobs: JobScheduler,
  ) {}

  onApplicationBootstrap(): void {
    this.jobs.schedule({ name: OFFLINE_ALARMS_JOB, intervalMs: this.alarms.sweepIntervalMs(), runAtStart: true, run: () => this.alarms.sweepOffline() });
  }
}
