import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { JobScheduler } from '../jobs/job-scheduler.js';
import { Materializer } from './materializer.js';

/** How often occurrences are extended to now + horizon. Overridable (tests, or a provider) via this token. */
export const HORIZON_ROLL_INTERVAL_MS = Symbol('HORIZON_ROLL_INTERVAL_MS');
export const DEFAULT_HORIZON_ROLL_INTERVAL_MS = 3_600_000;
export const HORIZON_ROLL_JOB = 'schedules.horizon-roll';

/**
 * Keeps occurrences and deliveries materialised for [now, now + horizon]: once at start-up and then periodically,
 * on the leader. `roll()` is what the job runs; tests call it directly with a moved clock.
 */
@Injectable()
export class HorizonRoller implements OnApplicationBootstrap {
  constructor(
    private readonly materializer: Materializer,
    @Inject(HORIZON_ROLL_INTERVAL_MS) private readonly intervalMs: number,
    private readonly jobs: JobScheduler,
  ) {}

  roll(): Promise<string[]> {
    return this.materializer.rollHorizon();
  }

  onApplicationBootstrap(): void {
    this.jobs.schedule({ name: HORIZON_ROLL_JOB, intervalMs: this.intervalMs, runAtStart: true, run: () => this.roll() });
  }
}
