import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { LOGGER } from '../logging/logging.module.js';
import type { AppLogger } from '../logging/logger.js';
import { AuditService } from './audit.service.js';

export const AUDIT_SWEEP_MS = 24 * 3_600_000;

/** At start-up and then daily: deletes audit entries older than LOA_AUDIT_RETENTION_DAYS. */
@Injectable()
export class AuditRetention implements OnApplicationBootstrap, OnModuleDestroy {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;

  constructor(
    private readonly audit: AuditService,
    @Inject(LOGGER) private readonly logger: AppLogger,
  ) {}

  onApplicationBootstrap(): void {
    const tick = (): void => {
      if (this.running) return;
      this.running = this.audit
        .sweep()
        .catch((err: Error) => this.logger.error({ ctx: 'audit', err: err.message }, 'audit retention sweep failed'))
        .finally(() => (this.running = null));
    };
    tick();
    this.timer = setInterval(tick, AUDIT_SWEEP_MS);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }
}
