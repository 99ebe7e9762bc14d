import { Injectable, NotFoundException } from '@nestjs/common';
import type { DeliveryState, Priority } from '@loa/shared';
import { isoOrNull as iso } from '../common/iso.js';
import type { ContentType } from '../database/entities.js';
import { DeviceDeliveriesRepository } from './device-deliveries.repository.js';

export interface DeviceDeliveryView {
  scheduleId: string;
  occurrenceId: string;
  occurrenceStartAt: string;
  contentId: string;
  contentTitle: string | null;
  contentType: ContentType | null;
  priority: Priority;
  state: DeliveryState;
  queuedAt: string;
  deliveredAt: string | null;
  startedAt: string | null;
  endedAt: string | null;
  playedMs: number | null;
  /** How much of the item was heard, of `itemMs` (null when the agent did not say). */
  heardMs: number | null;
  itemMs: number | null;
  reason: string | null;
}

@Injectable()
export class DeviceDeliveriesService {
  constructor(private readonly repo: DeviceDeliveriesRepository) {}

  async recent(deviceId: string, q: { limit: number; before?: number | undefined }): Promise<DeviceDeliveryView[]> {
    if (!(await this.repo.deviceExists(deviceId))) throw new NotFoundException(`device ${deviceId} not found`);
    return (await this.repo.recent(deviceId, q)).map((r) => ({
      ...r,
      occurrenceStartAt: new Date(r.occurrenceStartAt).toISOString(),
      queuedAt: new Date(r.queuedAt).toISOString(),
      deliveredAt: iso(r.deliveredAt),
      startedAt: iso(r.startedAt),
      endedAt: iso(r.endedAt),
    }));
  }
}
