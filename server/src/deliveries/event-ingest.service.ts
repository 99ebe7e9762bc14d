import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { PlaybackEvent } from '@loa/shared';
import { Batcher } from '../common/batcher.js';
import { Clock } from '../common/clock.js';
import { Metrics } from '../common/metrics.js';
import { DeviceGateway } from '../device-gateway/device-gateway.js';
import { DomainEvents } from '../domain-events/domain-events.js';
import { LOGGER } from '../logging/logging.module.js';
import type { AppLogger } from '../logging/logger.js';
import { DeliveriesRepository, type IncomingBatch } from './deliveries.repository.js';

/** Upper bound on batches folded into one transaction: large enough to amortise commits, small enough to keep latency low. */
const MAX_BATCHES_PER_COMMIT = 500;

/**
 * Playback reports from agents. Batches arriving together are committed in one transaction (group commit), and
 * an `events/ack` listing the ids goes back to each device only after that commit: an acknowledged report is
 * never lost, and a replayed one is absorbed by its id.
 */
@Injectable()
export class EventIngestService implements OnModuleDestroy {
  private readonly batcher = new Batcher<IncomingBatch>((batches) => this.commit(batches), MAX_BATCHES_PER_COMMIT);

  constructor(
    private readonly repo: DeliveriesRepository,
    private readonly gateway: DeviceGateway,
    private readonly clock: Clock,
    private readonly metrics: Metrics,
    @Inject(LOGGER) private readonly logger: AppLogger,
    private readonly events: DomainEvents,
  ) {}

  async receive(deviceId: string, events: readonly PlaybackEvent[]): Promise<void> {
    await this.batcher.submit({ deviceId, events });
    await this.gateway.ackEvents(deviceId, [...new Set(events.map((e) => e.id))]);
  }

  onModuleDestroy(): Promise<void> {
    return this.batcher.drain();
  }

  private async commit(batches: IncomingBatch[]): Promise<void> {
    try {
      const r = await this.repo.commitBatches(batches, this.clock.now());
      this.metrics.inc('events_committed', r.inserted);
      this.metrics.inc('events_duplicate', r.duplicates);
      // One event per committed group, never per row: this is the 10,000 reports/s path.
      if (r.changes.length > 0) this.events.emit('deliveries.changed', { changes: r.changes });
    } catch (err) {
      // Nothing is acked; agents keep the events and resend them.
      this.metrics.inc('events_commit_failed', batches.length);
      this.logger.error({ ctx: 'deliveries', err: (err as Error).message, batches: batches.length }, 'event commit failed; agents will resend');
      throw err;
    }
  }
}
