/**
 * Group commit for message storms: items submitted while a batch is being processed are collected and handed to
 * `process` together. Each submitter's promise settles with its batch, so a caller that must not acknowledge
 * before the work is durable (events, presence) can simply await it.
 */
export class Batcher<T> {
  private queue: Array<{ item: T; resolve: () => void; reject: (err: Error) => void }> = [];
  private running: Promise<void> | null = null;

  constructor(
    private readonly process: (items: T[]) => Promise<void>,
    private readonly maxBatch = 1000,
  ) {}

  submit(item: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.kick();
    });
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
