import { Inject, Injectable, Optional, type OnModuleDestroy } from '@nestjs/common';
import { deviceTopic, DEVICE_CHANNELS, PROTOCOL_VERSION, type EventsAck, type PlaybackEvent } from '@loa/shared';
import { SigningService } from '../signing/signing.service.js';
import { Batcher } from '../common/batcher.js';
import { Clock } from '../common/clock.js';
import { Metrics } from '../common/metrics.js';
import { MessageBroker } from '../broker/message-broker.js';
import { LiveEvents } from '../events/live-events.js';
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
    private readonly broker: MessageBroker,
    private readonly clock: Clock,
    private readonly metrics: Metrics,
    private readonly signing: SigningService,
    @Inject(LOGGER) private readonly logger: AppLogger,
    @Optional() private readonly live?: LiveEvents,
  ) {}

  async receive(deviceId: string, events: readonly PlaybackEvent[]): Promise<void> {
    await this.batcher.submit({ deviceId, events });
    const ids = [...new Set(events.map((e) => e.id))];
    const ack = DEVICE_CHANNELS['events/ack'];
    await this.broker.publish(deviceTopic(deviceId, 'events/ack'), this.signing.sign({ v: PROTOCOL_VERSION, deviceId, ids } satisfies EventsAck), { qos: ack.qos, retain: ack.retain });
  }

  onModuleDestroy(): Promise<void> {
    return this.batcher.drain();
  }

  private async commit(batches: IncomingBatch[]): Promise<void> {
    try {
      const r = await this.repo.commitBatches(batches, this.clock.now());
      this.metrics.inc('events_committed', r.inserted);
      this.metrics.inc('events_duplicate', r.duplicates);
      void this.live?.deliveries(r.changes);
    } catch (err) {
      // Nothing is acked; agents keep the events and resend them.
      this.metrics.inc('events_commit_failed', batches.length);
      this.logger.error({ ctx: 'deliveries', err: (err as Error).message, batches: batches.length }, 'event commit failed; agents will resend');
      throw err;
    }
  }
}
