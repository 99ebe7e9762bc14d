import { Injectable } from '@nestjs/common';
import type { DeliveryState } from '@loa/shared';
import type { DeliveryEntity } from '../database/entities.js';
import { DeliveriesRepository } from './deliveries.repository.js';

export interface DeliveryView {
  occurrenceId: string;
  deviceId: string;
  state: DeliveryState;
  queuedAt: string;
  deliveredAt: string | null;
  startedAt: string | null;
  endedAt: string | null;
  playedMs: number | null;
  reason: string | null;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

@Injectable()
export class DeliveriesService {
  constructor(private readonly repo: DeliveriesRepository) {}

  async forSchedule(scheduleId: string): Promise<DeliveryView[]> {
    return (await this.repo.listForSchedule(scheduleId)).map(view);
  }

  summary(scheduleId: string): Promise<Record<string, number>> {
    return this.repo.countByState(scheduleId);
  }
}

const view = (d: DeliveryEntity): DeliveryView => ({
  occurrenceId: d.occurrenceId,
  deviceId: d.deviceId,
  state: d.state,
  queuedAt: new Date(d.queuedAt).toISOString(),
  deliveredAt: iso(d.deliveredAt),
  startedAt: iso(d.startedAt),
  endedAt: iso(d.endedAt),
  playedMs: d.playedMs,
  reason: d.reason,
});
