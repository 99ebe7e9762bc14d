import { Injectable, NotFoundException } from '@nestjs/common';
import type { DeliveryState, Priority } from '@loa/shared';
import { isoOrNull as iso } from '../common/iso.js';
import type { ContentType } from '../contents/content.entity.js';
import { DeviceDeliveriesRepository } from './device-deliveries.repository.js';
import type { DeviceDeliveryView } from '@loa/shared/rest';
export type { DeviceDeliveryView } from '@loa/shared/rest';

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
