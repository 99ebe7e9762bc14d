import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { LOGGER } from '../logging/logging.module.js';
import type { AppLogger } from '../logging/logger.js';
import { Materializer } from './materializer.js';

/** How often occurrences are extended to now + horizon. Overridable (tests, or a provider) via this token. */
export const HORIZON_ROLL_INTERVAL_MS = Symbol('HORIZON_ROLL_INTERVAL_MS');
export const DEFAULT_HORIZON_ROLL_INTERVAL_MS = 3_600_000;

/**
 * Keeps occurrences and deliveries materialised for [now, now + horizon]: once at start-up and then periodically.
 * `roll()` is what the timer calls; tests call it directly with a moved clock.
 */
@Injectable()
export class HorizonRoller implements OnApplicationBootstrap, OnModuleDestroy {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly materializer: Materializer,
    @Inject(HORIZON_ROLL_INTERVAL_MS) private readonly intervalMs: number,
    @Inject(LOGGER) private readonly logger: AppLogger,
  ) {}

  roll(): Promise<string[]> {
    return this.materializer.rollHorizon();
  }

  onApplicationBootstrap(): void {
    const tick = () => void this.roll().catch((err: Error) => this.logger.error({ ctx: 'schedules', err: err.message }, 'horizon roll failed'));
    tick();
    this.timer = setInterval(tick, this.intervalMs);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
