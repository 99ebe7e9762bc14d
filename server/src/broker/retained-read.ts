import type { MessageHandler } from './message-broker.js';

/**
 * One read of what a broker holds retained on a filter, over a temporary non-shared subscription (MQTT 5 shared
 * subscriptions never receive retained messages, so device `status` messages published while no server instance was
 * subscribed would otherwise never be seen).
 *
 * The subscription carries an identifier of its own, so its copies are told from the shared subscription's, and:
 * - a copy flagged retained is one the broker held: it goes to the handlers;
 * - a copy not flagged is live traffic, which the shared subscription delivers (and one instance handles): ignored
 *   here, and it means the retained burst is over (a broker queues the retained copies when it takes the SUBSCRIBE,
 *   before anything published later);
 * - the marker, a message of the server's own published after the SUBACK to a topic subscribed in the same
 *   SUBSCRIBE, comes after every retained copy (one queue per client at the broker): the burst is over.
 * A broker that goes quiet without delivering the marker (e.g. it dropped it) ends the read after `idleMs`.
 */
export class RetainedRead {
  private handled = 0;
  private ended = false;
  private idle: NodeJS.Timeout | null = null;
  private resolveDone!: (count: number) => void;
  /** Resolves with the number of retained messages handed to the handlers, once the read is over. */
  readonly done = new Promise<number>((resolve) => (this.resolveDone = resolve));

  constructor(
    readonly id: number,
    /** The filter as features gave it (never `$share/…`). */
    readonly filter: string,
    readonly markerTopic: string,
    private readonly handlers: readonly MessageHandler[],
    private readonly run: (handler: MessageHandler, topic: string, payload: Buffer) => void,
    private readonly idleMs: number,
  ) {
    this.touch();
  }

  receive(topic: string, payload: Buffer, retained: boolean): void {
    if (this.ended) return;
    if (topic === this.markerTopic || !retained) {
      this.end();
      return;
    }
    this.touch();
    this.handled++;
    for (const handler of this.handlers) this.run(handler, topic, payload);
  }

  /** Ends the read (marker, live copy, idle, connection lost or stop); idempotent. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.idle) clearTimeout(this.idle);
    this.resolveDone(this.handled);
  }

  get isOver(): boolean {
    return this.ended;
  }

  private touch(): void {
    if (this.idle) clearTimeout(this.idle);
    this.idle = setTimeout(() => this.end(), this.idleMs);
    this.idle.unref();
  }
}
