import { Injectable } from '@nestjs/common';
import { DELIVERY_PROGRESS_COLUMNS, deliveryProgressOf, type DeliveryProgress } from './delivery-progress.js';
import { rawNum as num, rawStrOrNull as strOrNull } from '../database/raw-values.js';
import type { Priority } from '@loa/shared';
import { DataSource } from 'typeorm';
import { type ContentType } from '../contents/content.entity.js';
import { DeviceEntity } from '../devices/device.entity.js';

export interface DeviceDeliveryRow extends DeliveryProgress {
  scheduleId: string;
  occurrenceId: string;
  occurrenceStartAt: number;
  contentId: string;
  contentTitle: string | null;
  contentType: ContentType | null;
  priority: Priority;
}


/** One device's deliveries across all schedules, for its page in the dashboard. */
@Injectable()
export class DeviceDeliveriesRepository {
  constructor(private readonly db: DataSource) {}

  deviceExists(deviceId: string): Promise<boolean> {
    return this.db.getRepository(DeviceEntity).existsBy({ id: deviceId });
  }

  /**
   * Newest occurrence first; `before` pages on the occurrence start (exclusive). Issue 19: `upcoming` gives the
   * occurrences starting after `after` instead, soonest first (the device page's "Sắp phát").
   */
  async recent(deviceId: string, q: { limit: number; before?: number | undefined; after?: number | undefined; upcoming?: boolean }): Promise<DeviceDeliveryRow[]> {
    const qb = this.db
      .createQueryBuilder()
      .from('deliveries', 'd')
      .innerJoin('occurrences', 'o', 'o.id = d.occurrence_id')
      .innerJoin('schedules', 's', 's.id = d.schedule_id')
      // A content row is never expected to vanish under its schedules, but a missing title must not hide the delivery.
      .leftJoin('contents', 'c', 'c.id = s.content_id')
      .where('d.device_id = :deviceId', { deviceId });
    if (q.before !== undefined) qb.andWhere('o.start_at < :before', { before: q.before });
    if (q.after !== undefined) qb.andWhere('o.start_at > :after', { after: q.after });
    const raw = await qb
      .select([
        'd.schedule_id AS "scheduleId"',
        'd.occurrence_id AS "occurrenceId"',
        'o.start_at AS "occurrenceStartAt"',
        's.content_id AS "contentId"',
        'c.title AS "contentTitle"',
        'c.type AS "contentType"',
        's.priority AS "priority"',
        ...DELIVERY_PROGRESS_COLUMNS,
      ])
      .orderBy('o.start_at', q.upcoming ? 'ASC' : 'DESC')
      .addOrderBy('d.occurrence_id', 'ASC')
      .limit(q.limit)
      .getRawMany<Record<string, unknown>>();
    return raw.map((r) => ({
      scheduleId: String(r.scheduleId),
      occurrenceId: String(r.occurrenceId),
      occurrenceStartAt: num(r.occurrenceStartAt),
      contentId: String(r.contentId),
      contentTitle: strOrNull(r.contentTitle),
      contentType: strOrNull(r.contentType) as ContentType | null,
      priority: r.priority as Priority,
      ...deliveryProgressOf(r),
    }));
  }
}
