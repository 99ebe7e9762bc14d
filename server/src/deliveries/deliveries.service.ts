import { Injectable } from '@nestjs/common';
import type { DeliveryState } from '@loa/shared';
import type { DeliveryEntity } from './delivery.entity.js';
import { DeliveriesRepository, type DeliveryFilter } from './deliveries.repository.js';
import { isoOrNull as iso } from '../common/iso.js';
import type { AreaSummary, DeliveryView, ScheduleSummary } from '@loa/shared/rest';
export type { AreaSummary, DeliveryView, ScheduleSummary } from '@loa/shared/rest';

@Injectable()
export class DeliveriesService {
  constructor(private readonly repo: DeliveriesRepository) {}

  async forSchedule(scheduleId: string, filter: DeliveryFilter = {}): Promise<DeliveryView[]> {
    return (await this.repo.listForSchedule(scheduleId, filter)).items.map(deliveryView);
  }

  async pageForSchedule(scheduleId: string, filter: DeliveryFilter): Promise<{ items: DeliveryView[]; total: number }> {
    const { items, total } = await this.repo.listForSchedule(scheduleId, filter);
    return { items: items.map(deliveryView), total };
  }

  summary(scheduleId: string): Promise<Record<string, number>> {
    return this.repo.countByState(scheduleId);
  }

  deviceCount(scheduleId: string): Promise<number> {
    return this.repo.deviceCount(scheduleId);
  }

  async scheduleSummary(scheduleId: string): Promise<ScheduleSummary> {
    const [totals, deviceCount, rows] = await Promise.all([this.repo.countByState(scheduleId), this.repo.deviceCount(scheduleId), this.repo.countByOccurrence(scheduleId)]);
    const byOcc = new Map<string, ScheduleSummary['occurrences'][number]>();
    for (const r of rows) {
      let o = byOcc.get(r.occurrenceId);
      if (!o) {
        o = { occurrenceId: r.occurrenceId, startAt: new Date(Number(r.startAt)).toISOString(), counts: {}, total: 0 };
        byOcc.set(r.occurrenceId, o);
      }
      o.counts[r.state] = Number(r.n);
      o.total += Number(r.n);
    }
    return { scheduleId, totals, deviceCount, occurrences: [...byOcc.values()] };
  }

  async areaSummary(areaCode: string, areaPath: string, from: number, to: number): Promise<AreaSummary> {
    const r = await this.repo.countInArea(areaPath, from, to);
    return {
      areaCode,
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      totals: r.byState,
      deliveries: Object.values(r.byState).reduce((a, b) => a + b, 0),
      devices: r.devices,
      occurrences: r.occurrences,
    };
  }
}

/** The fields a delivery view is made of, whether read as an entity or as a raw row of a scoped query. */
export type DeliveryRecord = Pick<DeliveryEntity, 'occurrenceId' | 'deviceId' | 'state' | 'queuedAt' | 'deliveredAt' | 'startedAt' | 'endedAt' | 'playedMs' | 'heardMs' | 'itemMs' | 'reason'>;

export const deliveryView = (d: DeliveryRecord): DeliveryView => ({
  occurrenceId: d.occurrenceId,
  deviceId: d.deviceId,
  state: d.state,
  queuedAt: new Date(d.queuedAt).toISOString(),
  deliveredAt: iso(d.deliveredAt),
  startedAt: iso(d.startedAt),
  endedAt: iso(d.endedAt),
  playedMs: d.playedMs,
  heardMs: d.heardMs,
  itemMs: d.itemMs,
  reason: d.reason,
});
