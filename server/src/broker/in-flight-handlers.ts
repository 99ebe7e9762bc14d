import type { MessageHandler } from './message-broker.js';

/**
 * Server-side handlers still running for messages already taken from the broker. A handler's failure is reported
 * and never reaches the MQTT layer (it would stall delivery); a graceful stop waits for all of them, so reports
 * taken before the stop are committed.
 */
export class InFlightHandlers {
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly onError: (topic: string, err: Error) => void) {}

  get size(): number {
    return this.running.size;
  }

  /** Starts the handler on the next microtask and tracks it until it settles. */
  run(handler: MessageHandler, topic: string, payload: Buffer): void {
    const handled: Promise<void> = Promise.resolve()
      .then(() => handler(topic, payload))
      .catch((err: Error) => this.onError(topic, err))
      .finally(() => this.running.delete(handled));
    this.running.add(handled);
  }

  /** Resolves once no handler runs, including handlers started while waiting. */
  async settle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }
}
