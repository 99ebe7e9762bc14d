/**
 * One part of the agent. Its constructor only keeps what it is given; `start` opens its state and begins its work,
 * `stop` ends that work. The controller starts features in order and stops them in an order of its own.
 */
export interface Feature {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Releases what must outlive the other features' stop (e.g. the outbox, which late acks still trim). */
  dispose?(): Promise<void>;
}

/** Unsubscribes every bus listener a feature took at start. */
export class Subscriptions {
  private offs: (() => void)[] = [];

  add(...offs: (() => void)[]): void {
    this.offs.push(...offs);
  }

  clear(): void {
    for (const off of this.offs.splice(0)) off();
  }
}
