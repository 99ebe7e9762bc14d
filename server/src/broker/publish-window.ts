import { BrokerUnavailableError } from './broker-errors.js';

interface Waiter {
  /** A QoS 1 publish, which holds one of the `limit` slots until its PUBACK. */
  slot: boolean;
  resolve(): void;
  reject(err: Error): void;
  /** Disarms its offline deadline. */
  forget(): void;
}

/**
 * Admission of the server's QoS 1 publishes to an external broker.
 *
 * - At most `limit` of them await their PUBACK at once: the broker's MQTT 5 Receive Maximum (from its CONNACK),
 *   which mqtt.js does not enforce on its own. A broker may disconnect a client that exceeds it, and a fan-out to a
 *   province publishes thousands of timelines at once. Admission is first come, first served, so retained
 *   timelines of one device reach the broker in the order they were published.
 * - While the broker is away nothing is admitted, and every caller (waiting, or already sent and awaiting its
 *   PUBACK) is given `offlineWaitMs` from the moment the connection was lost (or from its call, if later), then
 *   rejected with BrokerUnavailableError: callers never hang on a broker that does not come back, and a caller
 *   rejected while waiting was never sent.
 */
export class PublishWindow {
  private inFlight = 0;
  private online = false;
  private closed: Error | null = null;
  private readonly waiting = new Set<Waiter>();
  /** Every caller that has an offline deadline: armed while offline, disarmed on reconnection. */
  private readonly deadlines = new Map<() => void, NodeJS.Timeout | null>();

  constructor(
    private limit: number,
    private readonly offlineWaitMs: number,
  ) {}

  get size(): number {
    return this.limit;
  }

  get pending(): { inFlight: number; waiting: number } {
    return { inFlight: this.inFlight, waiting: this.waiting.size };
  }

  /** Connected (with the broker's Receive Maximum, capped by the caller) or not. */
  setOnline(online: boolean, limit?: number): void {
    this.online = online;
    if (limit !== undefined) this.limit = Math.max(1, limit);
    for (const [expire, timer] of this.deadlines) {
      if (online && timer !== null) {
        clearTimeout(timer);
        this.deadlines.set(expire, null);
      } else if (!online && timer === null) {
        this.deadlines.set(expire, this.arm(expire));
      }
    }
    this.pump();
  }

  /** Resolves when a slot is taken (release it after the PUBACK); rejects when the broker stays away too long. */
  admit(): Promise<void> {
    return this.enter(true);
  }

  /**
   * For a QoS 0 publish, which takes no slot: resolves when connected, in turn with the QoS 1 publishes before it;
   * rejects after the offline wait.
   */
  whenOnline(): Promise<void> {
    return this.enter(false);
  }

  release(): void {
    this.inFlight--;
    this.pump();
  }

  /**
   * Gives a publish already handed to the client the same offline deadline: `expire` is called (with the reason) if
   * the broker stays away too long before its PUBACK, or when the connection is closed for good. Returns the function
   * that removes the deadline (call it on the PUBACK).
   */
  deadline(expire: (err: Error) => void): () => void {
    const once = () => {
      this.deadlines.delete(once);
      expire(this.unavailable());
    };
    this.deadlines.set(once, this.online ? null : this.arm(once));
    return () => {
      const timer = this.deadlines.get(once);
      if (timer) clearTimeout(timer);
      this.deadlines.delete(once);
    };
  }

  /** The connection is closed for good: every caller still waiting is rejected with `reason`. */
  close(reason: Error): void {
    this.closed = reason;
    this.online = false;
    for (const waiter of this.waiting) {
      waiter.forget();
      waiter.reject(reason);
    }
    this.waiting.clear();
    for (const [expire, timer] of this.deadlines) {
      if (timer) clearTimeout(timer);
      expire(); // removes itself; rejects with `reason` (see unavailable)
    }
  }

  private enter(slot: boolean): Promise<void> {
    if (this.closed) return Promise.reject(this.closed);
    if (this.online && this.waiting.size === 0 && (!slot || this.inFlight < this.limit)) {
      if (slot) this.inFlight++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        slot,
        resolve,
        reject,
        forget: this.deadline((err) => {
          this.waiting.delete(waiter);
          reject(err);
        }),
      };
      this.waiting.add(waiter);
    });
  }

  private pump(): void {
    while (this.online && this.waiting.size > 0) {
      const next: Waiter = this.waiting.values().next().value!;
      if (next.slot) {
        if (this.inFlight >= this.limit) return;
        this.inFlight++;
      }
      this.waiting.delete(next);
      next.forget();
      next.resolve();
    }
  }

  private arm(expire: () => void): NodeJS.Timeout {
    const timer = setTimeout(expire, this.offlineWaitMs);
    timer.unref();
    return timer;
  }

  private unavailable(): Error {
    return this.closed ?? new BrokerUnavailableError(`the MQTT broker has been unreachable for ${Math.round(this.offlineWaitMs / 1000)} s; publish given up`);
  }
}
