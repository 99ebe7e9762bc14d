import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { Clock } from '../common/clock.js';
import { Metrics } from '../common/metrics.js';
import { AppConfig } from '../config/app-config.js';
import { JobScheduler } from '../jobs/job-scheduler.js';
import type { AppLogger } from '../logging/logger.js';
import { LOGGER } from '../logging/logging.module.js';
import { AlertRetentionRepository } from './alert-retention.repository.js';

export const ALERT_RETENTION_SWEEP_MS = 24 * 3_600_000;
export const ALERT_RETENTION_JOB = 'alerts.deliveries-retention';

/**
 * Issue 18: alert_deliveries grows by about 10,000 rows per province alert. At start-up and then daily (on the leader),
 * the records of alerts that ended (off their channel: expired, cancelled or superseded, i.e. `cleared_at` set) more
 * than LOA_ALERT_DELIVERIES_RETENTION_DAYS ago are deleted. The alerts themselves stay (their history and CAP feed);
 * only their per-device proof goes.
 */
@Injectable()
export class AlertDeliveriesRetention implements OnApplicationBootstrap {
  constructor(
    private readonly repo: AlertRetentionRepository,
    private readonly jobs: JobScheduler,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    private readonly metrics: Metrics,
    @Inject(LOGGER) private readonly logger: AppLogger,
  ) {}

  onApplicationBootstrap(): void {
    this.jobs.schedule({ name: ALERT_RETENTION_JOB, intervalMs: ALERT_RETENTION_SWEEP_MS, runAtStart: true, run: () => this.sweep() });
  }

  /** Deletes the records of alerts ended before now − retention; returns how many rows went. */
  async sweep(): Promise<number> {
    const { alerts, rows } = await this.repo.deleteEndedBefore(this.clock.now() - this.config.alertDeliveriesRetentionMs);
    if (alerts > 0) {
      this.metrics.inc('alert_deliveries_expired', rows);
      this.logger.info({ ctx: 'alerts', alerts, deleted: rows, retentionMs: this.config.alertDeliveriesRetentionMs }, 'old alert delivery records deleted');
    }
    return rows;
  }
}
