import { Injectable } from '@nestjs/common';
import { Clock } from '../common/clock.js';
import { notFound } from '../common/loa-error.js';
import type { DeliveryState, Priority } from '@loa/shared';
import { isoOrNull as iso } from '../common/iso.js';
import type { ContentType } from '../contents/content.entity.js';
import { DeviceDeliveriesRepository } from './device-deliveries.repository.js';
import type { DeviceDeliveryView } from '@loa/shared/rest';
export type { DeviceDeliveryView } from '@loa/shared/rest';

@Injectable()
export class DeviceDeliveriesService {
  constructor(
    private readonly repo: DeviceDeliveriesRepository,
    private readonly clock: Clock,
  ) {}

  /**
   * Issue 19: `when` splits the list at the server's now — `past` (started: latest first, `before` pages) and
   * `upcoming` (still to come: soonest first, `after` pages) — so the page never shows tomorrow's slot as news.
   */
  async recent(deviceId: string, q: { limit: number; before?: number | undefined; when?: 'past' | 'upcoming' | undefined; after?: number | undefined }): Promise<DeviceDeliveryView[]> {
    if (!(await this.repo.deviceExists(deviceId))) throw notFound('device.not-found', { id: deviceId });
    const now = this.clock.now();
    const range =
      q.when === 'past'
        ? { limit: q.limit, before: Math.min(q.before ?? Infinity, now + 1) }
        : q.when === 'upcoming'
          ? { limit: q.limit, after: Math.max(q.after ?? -Infinity, now), upcoming: true }
          : { limit: q.limit, before: q.before };
    return (await this.repo.recent(deviceId, range)).map((r) => ({
      ...r,
      occurrenceStartAt: new Date(r.occurrenceStartAt).toISOString(),
      queuedAt: new Date(r.queuedAt).toISOString(),
      deliveredAt: iso(r.deliveredAt),
      startedAt: iso(r.startedAt),
      endedAt: iso(r.endedAt),
    }));
  }
}
