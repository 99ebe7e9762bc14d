import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { SecurityReport } from '@loa/shared';
import { Batcher } from '../common/batcher.js';
import { Clock } from '../common/clock.js';
import { newId } from '../common/ids.js';
import { isoOrNull } from '../common/iso.js';
import { Metrics } from '../common/metrics.js';
import type { SecurityEventEntity } from './security-event.entity.js';
import { LOGGER } from '../logging/logging.module.js';
import type { AppLogger } from '../logging/logger.js';
import { SecurityEventsRepository } from './security-events.repository.js';

export interface SecurityEventView {
  id: string;
  deviceId: string;
  /** When the agent refused the message (its corrected clock), and when the server heard of it. */
  at: string;
  receivedAt: string;
  topic: string;
  reason: string;
  detail: string | null;
  claimed: string | null;
}

const view = (e: SecurityEventEntity): SecurityEventView => ({
  id: e.id,
  deviceId: e.deviceId,
  at: isoOrNull(e.at) ?? '',
  receivedAt: isoOrNull(e.receivedAt) ?? '',
  topic: e.topic,
  reason: e.reason,
  detail: e.detail,
  claimed: e.claimed,
});

/**
 * Messages agents refused as not coming from this server (unsigned, forged, expired, replayed): evidence of an
 * injection attempt inside the broker or of a misconfigured key. Stored (batched: an attack on a whole fleet is a
 * storm of reports), counted and logged as warnings.
 */
@Injectable()
export class SecurityEventsService implements OnModuleDestroy {
  private readonly batcher = new Batcher<SecurityEventEntity>((rows) => this.commit(rows));

  constructor(
    private readonly repo: SecurityEventsRepository,
    private readonly clock: Clock,
    private readonly metrics: Metrics,
    @Inject(LOGGER) private readonly logger: AppLogger,
  ) {}

  async receive(deviceId: string, report: SecurityReport): Promise<void> {
    this.metrics.inc('security_reports');
    this.metrics.inc(`security_reports_${report.reason.replace(/-/g, '_')}`);
    this.logger.warn(
      { ctx: 'security', deviceId, reason: report.reason, topic: report.topic, claimed: report.claimed, detail: report.detail },
      'device refused a server message',
    );
    await this.batcher.submit({
      id: newId(),
      deviceId,
      at: report.at,
      receivedAt: this.clock.now(),
      topic: report.topic,
      reason: report.reason,
      detail: report.detail ?? null,
      claimed: report.claimed ?? null,
    });
  }

  async list(q: { deviceId?: string | undefined; limit?: number | undefined }): Promise<SecurityEventView[]> {
    return (await this.repo.list({ deviceId: q.deviceId, limit: q.limit ?? 200 })).map(view);
  }

  onModuleDestroy(): Promise<void> {
    return this.batcher.drain();
  }

  private async commit(rows: SecurityEventEntity[]): Promise<void> {
    try {
      this.metrics.inc('security_events_stored', await this.repo.insertMany(rows));
    } catch (err) {
      this.logger.error({ ctx: 'security', err: (err as Error).message, reports: rows.length }, 'security report write failed');
      throw err;
    }
  }
}
