import { Inject, Injectable, Optional, type OnModuleDestroy } from '@nestjs/common';
import type { PlaybackEvent } from '@loa/shared';
import { Batcher } from '../common/batcher.js';
import { Clock } from '../common/clock.js';
import { Metrics } from '../common/metrics.js';
import { DeviceGateway } from '../device-gateway/device-gateway.js';
import { DomainEvents } from '../domain-events/domain-events.js';
import { LoaMetrics } from '../metrics/loa-metrics.js';
import { LOGGER } from '../logging/logging.module.js';
import type { AppLogger } from '../logging/logger.js';
import { DeliveriesRepository, type IncomingBatch } from './deliveries.repository.js';

/** Upper bound on batches folded into one transaction: large enough to amortise commits, small enough to keep latency low. */
const MAX_BATCHES_PER_COMMIT = 500;

/** Where a device's reports are committed: always the same lane, so one device's reports keep their order. */
function laneOf(deviceId: string, lanes: number): number {
  if (lanes === 1) return 0;
  let h = 0x811c9dc5;
  for (let i = 0; i < deviceId.length; i++) h = Math.imul(h ^ deviceId.charCodeAt(i), 0x01000193);
  return (h >>> 0) % lanes;
}

/**
 * Playback reports from agents. Batches arriving together are committed in one transaction (group commit), and
 * an `events/ack` listing the ids goes back to each device only after that commit: an acknowledged report is
 * never lost, and a replayed one is absorbed by its id.
 *
 * Commits run in lanes (`DeliveriesRepository.commitLanes`): one on SQLite, whose single writer serialises them
 * anyway; two on PostgreSQL, where a commit is mostly waiting for the database (statements, the WAL flush) and the
 * next group can be written meanwhile on another connection. A device always reports through the same lane, so two
 * lanes never touch the same rows: no lock waits or deadlocks between them, and one device's reports stay in order.
 */
@Injectable()
export class EventIngestService implements OnModuleDestroy {
  private readonly lanes: ReadonlyArray<Batcher<IncomingBatch>>;

  constructor(
    private readonly repo: DeliveriesRepository,
    private readonly gateway: DeviceGateway,
    private readonly clock: Clock,
    private readonly metrics: Metrics,
    @Inject(LOGGER) private readonly logger: AppLogger,
    private readonly events: DomainEvents,
    @Optional() private readonly loaMetrics?: LoaMetrics,
  ) {
    this.lanes = Array.from({ length: repo.commitLanes }, () => new Batcher<IncomingBatch>((batches) => this.commit(batches), MAX_BATCHES_PER_COMMIT));
    loaMetrics?.queue('playback_events', () => this.lanes.reduce((n, lane) => n + lane.pending, 0));
  }

  async receive(deviceId: string, events: readonly PlaybackEvent[]): Promise<void> {
    const started = performance.now();
    await this.lanes[laneOf(deviceId, this.lanes.length)]!.submit({ deviceId, events });
    await this.gateway.ackEvents(deviceId, [...new Set(events.map((e) => e.id))]);
    this.loaMetrics?.eventsAcked((performance.now() - started) / 1000);
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.all(this.lanes.map((l) => l.drain()));
  }

  private async commit(batches: IncomingBatch[]): Promise<void> {
    try {
      const r = await this.repo.commitBatches(batches, this.clock.now());
      this.metrics.inc('events_committed', r.inserted);
      this.metrics.inc('events_duplicate', r.duplicates);
      // One event per committed group, never per row: this is the 10,000 reports/s path.
      if (r.changes.length > 0) this.events.emit('deliveries.changed', { changes: r.changes });
      if (r.alertIds.length > 0) this.events.emit('alert.deliveriesChanged', { alertIds: r.alertIds });
    } catch (err) {
      // Nothing is acked; agents keep the events and resend them.
      this.metrics.inc('events_commit_failed', batches.length);
      this.logger.error({ ctx: 'deliveries', err: (err as Error).message, batches: batches.length }, 'event commit failed; agents will resend');
      throw err;
    }
  }
}
