import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { JobScheduler } from '../jobs/job-scheduler.js';
import { TelemetryService } from './telemetry.service.js';

export const TELEMETRY_RETENTION_SWEEP_MS = 3_600_000;
export const TELEMETRY_RETENTION_JOB = 'telemetry.retention';

/** At start-up and then hourly (on the leader): deletes samples older than `telemetryRetentionMs`. */
@Injectable()
export class TelemetryRetentionJob implements OnApplicationBootstrap {
  constructor(
    private readonly telemetry: TelemetryService,
    private readonly jobs: JobScheduler,
  ) {}

  onApplicationBootstrap(): void {
    this.jobs.schedule({ name: TELEMETRY_RETENTION_JOB, intervalMs: TELEMETRY_RETENTION_SWEEP_MS, runAtStart: true, run: () => this.telemetry.sweepRetention() });
  }
}
