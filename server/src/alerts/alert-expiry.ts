import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { LOGGER } from '../logging/logging.module.js';
import type { AppLogger } from '../logging/logger.js';
import { AlertsService } from './alerts.service.js';

const SWEEP_MS = 5000;

/** Clears expired alerts from their retained channels every few seconds, and once at start-up. */
@Injectable()
export class AlertExpiry implements OnApplicationBootstrap, OnModuleDestroy {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly alerts: AlertsService,
    @Inject(LOGGER) private readonly logger: AppLogger,
  ) {}

  onApplicationBootstrap(): void {
    const sweep = () => void this.alerts.clearExpired().catch((err: Error) => this.logger.error({ ctx: 'alerts', err: err.message }, 'alert expiry sweep failed'));
    sweep();
    this.timer = setInterval(sweep, SWEEP_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
