import type { EventsBatch, PlaybackEvent } from '@loa/shared';
import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../../clock.js';
import { errorMessage } from '../../fsutil.js';
import type { Outbox } from './outbox.js';

export interface EventSenderOptions {
  outbox: Outbox;
  clock: Clock;
  logger: Logger;
  publish: (batch: EventsBatch) => Promise<boolean>;
  isConnected: () => boolean;
  /** Unacknowledged events are sent again after this long. */
  resendAfterMs?: number;
  maxPerBatch?: number;
}

/**
 * Moves reports from the durable outbox to the broker. Sending never removes anything: only an
 * `events/ack` from the server does, so a report lost in flight is sent again (after a timeout or on
 * reconnect) and the server deduplicates by id.
 */
export class EventSender {
  private readonly sentAt = new Map<string, number>();
  private timer: TimerHandle | null = null;
  private flushing: Promise<void> | null = null;
  private again = false;
  private running = false;

  constructor(private readonly opts: EventSenderOptions) {}

  private get resendAfterMs(): number {
    return this.opts.resendAfterMs ?? 10_000;
  }

  start(): void {
    this.running = true;
    void this.flush();
  }

  stop(): void {
    this.running = false;
    this.opts.clock.clearTimer(this.timer);
    this.timer = null;
  }

  /** Persists first, then tries to send. */
  async add(event: PlaybackEvent): Promise<void> {
    await this.opts.outbox.add(event);
    void this.flush();
  }

  /** Everything in flight is presumed lost with the old connection. */
  onConnected(): void {
    this.sentAt.clear();
    void this.flush();
  }

  /** `ids` come from a verified, signed events/ack: only then may reports leave the outbox. */
  async onAck(ids: readonly string[]): Promise<void> {
    for (const id of ids) this.sentAt.delete(id);
    const removed = await this.opts.outbox.ack(ids);
    this.opts.logger.debug({ acked: ids.length, removed, left: this.opts.outbox.size }, 'events acknowledged');
  }

  /** Sends whatever is due; concurrent calls coalesce into one more pass. */
  flush(): Promise<void> {
    if (this.flushing) {
      this.again = true;
      return this.flushing;
    }
    this.flushing = (async () => {
      do {
        this.again = false;
        await this.sendDue();
      } while (this.again && this.running);
    })()
      .catch((err: unknown) => this.opts.logger.error({ err: errorMessage(err) }, 'event flush failed'))
      .finally(() => {
        this.flushing = null;
        this.arm();
      });
    return this.flushing;
  }

  private async sendDue(): Promise<void> {
    if (!this.running || !this.opts.isConnected()) return;
    const now = this.opts.clock.now();
    const due = this.opts.outbox.pending().filter((e) => {
      const at = this.sentAt.get(e.id);
      return at === undefined || now - at >= this.resendAfterMs;
    });
    for (const events of this.opts.outbox.batches(this.opts.maxPerBatch, due)) {
      for (const e of events) this.sentAt.set(e.id, now);
      const ok = await this.opts.publish({ v: 1, events });
      if (!ok) {
        for (const e of events) this.sentAt.delete(e.id);
        return;
      }
      this.opts.logger.debug({ count: events.length }, 'events sent');
    }
  }

  /** Wakes up when the oldest unacknowledged send times out. */
  private arm(): void {
    this.opts.clock.clearTimer(this.timer);
    this.timer = null;
    if (!this.running || this.sentAt.size === 0) return;
    let oldest = Number.POSITIVE_INFINITY;
    for (const at of this.sentAt.values()) oldest = Math.min(oldest, at);
    const delay = Math.max(0, oldest + this.resendAfterMs - this.opts.clock.now());
    this.timer = this.opts.clock.setTimer(() => void this.flush(), delay);
  }

  get inFlight(): number {
    return this.sentAt.size;
  }
}
