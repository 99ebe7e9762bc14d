import { setTimeout as sleep } from 'node:timers/promises';

/**
 * How long a busy batcher keeps collecting before it takes its next batch. A reconnect storm spreads 10,000
 * devices over seconds; without a window every batch would hold the one or two items that arrived while the
 * previous one ran, and the fixed cost of a batch (queries, a transaction) would be paid per device.
 */
export const DEFAULT_LINGER_MS = 50;

export interface BatcherOptions {
  /** Most items handed to one `process` call. */
  maxBatch?: number;
  /** Under load, batches start at most this often (see DEFAULT_LINGER_MS); an idle batcher starts at once. */
  lingerMs?: number;
  /** How the window is waited out (tests hold it open until they have queued what they need). */
  wait?: (ms: number) => Promise<unknown>;
}

/**
 * Group commit for message storms: items submitted while a batch is being processed are collected and handed to
 * `process` together. Each submitter's promise settles with its batch, so a caller that must not acknowledge
 * before the work is durable (events, presence) can simply await it.
 */
export class Batcher<T> {
  private queue: Array<{ item: T; resolve: () => void; reject: (err: Error) => void }> = [];
  private running: Promise<void> | null = null;
  private readonly maxBatch: number;
  private readonly lingerMs: number;
  private readonly wait: (ms: number) => Promise<unknown>;
  /** When the last batch was taken (performance.now()); -Infinity until the first. */
  private lastTaken = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly process: (items: T[]) => Promise<void>,
    options: number | BatcherOptions = {},
  ) {
    const o = typeof options === 'number' ? { maxBatch: options } : options;
    this.maxBatch = o.maxBatch ?? 1000;
    this.lingerMs = o.lingerMs ?? DEFAULT_LINGER_MS;
    this.wait = o.wait ?? sleep;
  }

  submit(item: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.kick();
    });
  }

  /** Items submitted and not yet taken into a batch (issue 20: loa_queue_depth). */
  get pending(): number {
    return this.queue.length;
  }

  /** Resolves once everything submitted so far has been processed. */
  async drain(): Promise<void> {
    while (this.running) await this.running;
  }

  private kick(): void {
    if (this.running) return;
    this.running = this.loop().finally(() => {
      this.running = null;
      if (this.queue.length > 0) this.kick();
    });
  }

  private async loop(): Promise<void> {
    while (this.queue.length > 0) {
      // Yield to I/O first so items already read from sockets join this batch: a synchronous database driver
      // (better-sqlite3) never yields by itself, and every batch would otherwise hold a single item.
      await new Promise<void>((resolve) => setImmediate(resolve));
      // Busy (the previous batch was taken within the window) and not full: let the window fill. An idle batcher
      // and a full queue go at once, so a lone message pays no latency and a flood no extra.
      const since = performance.now() - this.lastTaken;
      if (this.queue.length < this.maxBatch && since < this.lingerMs) await this.wait(this.lingerMs - since);
      this.lastTaken = performance.now();
      const batch = this.queue.splice(0, this.maxBatch);
      try {
        await this.process(batch.map((b) => b.item));
        for (const b of batch) b.resolve();
      } catch (err) {
        for (const b of batch) b.reject(err as Error);
      }
    }
  }
}
