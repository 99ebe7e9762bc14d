import type { Logger } from 'pino';
import { errorMessage } from '../fsutil.js';

/**
 * Runs tasks one at a time in arrival order; a failing task is logged and never blocks the next. Timeline and alert
 * messages share one queue: both decide what plays and must not interleave.
 */
export class SerialQueue {
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly logger: Logger) {}

  run(what: string, task: () => Promise<void>): void {
    this.chain = this.chain.then(() => task().catch((err: unknown) => this.logger.error({ err: errorMessage(err) }, `${what} failed`)));
  }

  /** Resolves when every task queued so far has finished. */
  idle(): Promise<void> {
    return this.chain;
  }
}
