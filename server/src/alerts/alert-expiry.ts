import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { LOGGER } from '../logging/logging.module.js';
import type { AppLogger } from '../logging/logger.js';
import { AlertsService } from './alerts.service.js';

const SWEEP_MS = 5000;

/** At start-up puts alerts in force back on their channels; then clears expired ones every few seconds. */
@Injectable()
export class AlertExpiry implements OnApplicationBootstrap, OnModuleDestroy {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly alerts: AlertsService,
    @Inject(LOGGER) private readonly logger: AppLogger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const sweep = () => void this.alerts.clearExpired().catch((err: Error) => this.logger.error({ ctx: 'alerts', err: err.message }, 'alert expiry sweep failed'));
    const restored = await this.alerts.republishRetained();
    if (restored > 0) this.logger.info({ ctx: 'alerts', restored }, 'alerts in force put back on their channels');
    sweep();
    this.timer = setInterval(sweep, SWEEP_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
