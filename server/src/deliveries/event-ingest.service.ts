import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { deviceTopic, DEVICE_CHANNELS, encodeMessage, PROTOCOL_VERSION, type PlaybackEvent } from '@loa/shared';
import { Clock } from '../common/clock.js';
import { Metrics } from '../common/metrics.js';
import { MessageBroker } from '../broker/message-broker.js';
import { LOGGER } from '../logging/logging.module.js';
import type { AppLogger } from '../logging/logger.js';
import { DeliveriesRepository, type IncomingBatch } from './deliveries.repository.js';

interface Pending extends IncomingBatch {
  resolve: () => void;
  reject: (err: Error) => void;
}

/** Upper bound on batches folded into one transaction: large enough to amortise commits, small enough to keep latency low. */
const MAX_BATCHES_PER_COMMIT = 500;

/**
 * Playback reports from agents. Batches arriving together are committed in one transaction (group commit), and
 * an `events/ack` listing the ids goes back to each device only after that commit: an acknowledged report is
 * never lost, and a replayed one is absorbed by its id.
 */
@Injectable()
export class EventIngestService implements OnModuleDestroy {
  private queue: Pending[] = [];
  private flushing: Promise<void> | null = null;

  constructor(
    private readonly repo: DeliveriesRepository,
    private readonly broker: MessageBroker,
    private readonly clock: Clock,
    private readonly metrics: Metrics,
    @Inject(LOGGER) private readonly logger: AppLogger,
  ) {}

  async receive(deviceId: string, events: readonly PlaybackEvent[]): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.queue.push({ deviceId, events, resolve, reject });
      this.kick();
    });
    const ids = [...new Set(events.map((e) => e.id))];
    const ack = DEVICE_CHANNELS['events/ack'];
    await this.broker.publish(deviceTopic(deviceId, 'events/ack'), encodeMessage({ v: PROTOCOL_VERSION, ids }), { qos: ack.qos, retain: ack.retain });
  }

  async onModuleDestroy(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  private kick(): void {
    if (this.flushing) return;
    this.flushing = this.drain().finally(() => {
      this.flushing = null;
      if (this.queue.length > 0) this.kick();
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      // Yield to I/O first: with a synchronous driver (better-sqlite3) the commit never waits on a socket, so
      // without this every message would get a transaction of its own instead of sharing one.
      await new Promise<void>((resolve) => setImmediate(resolve));
      const batch = this.queue.splice(0, MAX_BATCHES_PER_COMMIT);
      try {
        const r = await this.repo.commitBatches(batch, this.clock.now());
        this.metrics.inc('events_committed', r.inserted);
        this.metrics.inc('events_duplicate', r.duplicates);
        for (const p of batch) p.resolve();
      } catch (err) {
        // Nothing is acked; agents keep the events and resend them.
        this.metrics.inc('events_commit_failed', batch.length);
        this.logger.error({ ctx: 'deliveries', err: (err as Error).message, batches: batch.length }, 'event commit failed; agents will resend');
        for (const p of batch) p.reject(err as Error);
      }
    }
  }
}
