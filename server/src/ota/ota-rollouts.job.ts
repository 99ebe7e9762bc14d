import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { JobScheduler } from '../jobs/job-scheduler.js';
import { RolloutEngine } from './rollout-engine.js';

export const OTA_ROLLOUTS_JOB = 'ota.rollouts';

/** Every LOA_OTA_TICK_S on the leader: offers, timeouts, thresholds and stages of the running rollouts. */
@Injectable()
export class OtaRolloutsJob implements OnApplicationBootstrap {
  constructor(
    private readonly engine: RolloutEngine,
    private readonly jobs: JobScheduler,
    private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.jobs.schedule({ name: OTA_ROLLOUTS_JOB, intervalMs: this.config.ota.tickMs, runAtStart: true, run: () => this.engine.tick() });
  }
}
