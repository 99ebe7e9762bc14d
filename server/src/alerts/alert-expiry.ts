import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { JobScheduler } from '../jobs/job-scheduler.js';
import { LOGGER } from '../logging/logging.module.js';
import type { AppLogger } from '../logging/logger.js';
import { AlertsService } from './alerts.service.js';

const SWEEP_MS = 5000;
export const ALERT_EXPIRY_JOB = 'alerts.expiry';

/**
 * At start-up puts alerts in force back on their channels; then (on the leader) clears expired ones every few
 * seconds. The put-back is not leader-gated: it fills this process's own broker with the retained alerts.
 */
@Injectable()
export class AlertExpiry implements OnApplicationBootstrap {
  constructor(
    private readonly alerts: AlertsService,
    private readonly jobs: JobScheduler,
    @Inject(LOGGER) private readonly logger: AppLogger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const restored = await this.alerts.republishRetained();
    if (restored > 0) this.logger.info({ ctx: 'alerts', restored }, 'alerts in force put back on their channels');
    this.jobs.schedule({ name: ALERT_EXPIRY_JOB, intervalMs: SWEEP_MS, runAtStart: true, run: () => this.alerts.clearExpired() });
  }
}
