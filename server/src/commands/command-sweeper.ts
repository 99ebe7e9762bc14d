import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { LOGGER } from '../logging/logging.module.js';
import type { AppLogger } from '../logging/logger.js';
import { CommandsService } from './commands.service.js';

export const COMMAND_SWEEP_MS = 5000;

/** Every few seconds: expires commands nobody answered in time, and sends again what online devices left unanswered. */
@Injectable()
export class CommandSweeper implements OnApplicationBootstrap, OnModuleDestroy {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;

  constructor(
    private readonly commands: CommandsService,
    @Inject(LOGGER) private readonly logger: AppLogger,
  ) {}

  onApplicationBootstrap(): void {
    const tick = (): void => {
      if (this.running) return;
      this.running = this.commands
        .sweep()
        .catch((err: Error) => this.logger.error({ ctx: 'commands', err: err.message }, 'command sweep failed'))
        .finally(() => (this.running = null));
    };
    tick();
    this.timer = setInterval(tick, COMMAND_SWEEP_MS);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }
}
