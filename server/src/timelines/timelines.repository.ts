import { Injectable } from '@nestjs/common';
import { DataSource, In } from 'typeorm';
import { AreaEntity, DeliveryEntity, DeviceEntity, TimelineEntity } from '../database/entities.js';
import type { SlotRow } from './timeline-compiler.js';

const CHUNK = 500;

@Injectable()
export class TimelinesRepository {
  constructor(private readonly db: DataSource) {}

  /** Every active occurrence overlapping [from, to) for these devices, one query per chunk of devices. */
  async slotRows(deviceIds: readonly string[], from: number, to: number): Promise<SlotRow[]> {
    const rows: SlotRow[] = [];
    for (let i = 0; i < deviceIds.length; i += CHUNK) {
      const chunk = deviceIds.slice(i, i + CHUNK);
      const raw = await this.db
        .createQueryBuilder()
        .select([
          'del.device_id AS "deviceId"',
          'del.occurrence_id AS "occurrenceId"',
          's.id AS "scheduleId"',
          'o.start_at AS "startAt"',
          'o.duration_ms AS "durationMs"',
          's.priority AS "priority"',
          's.volume AS "volume"',
          'c.id AS "contentId"',
          'c.type AS "contentType"',
          'c.title AS "title"',
          'c.text AS "text"',
          'c.media_sha256 AS "mediaSha256"',
          'm.bytes AS "mediaBytes"',
          'm.mime AS "mediaMime"',
          'm.duration_ms AS "mediaDurationMs"',
        ])
        .from('deliveries', 'del')
        .innerJoin('occurrences', 'o', 'o.id = del.occurrence_id')
        .innerJoin('schedules', 's', 's.id = o.schedule_id')
        .innerJoin('contents', 'c', 'c.id = s.content_id')
        .leftJoin('media', 'm', 'm.sha256 = c.media_sha256')
        .where('del.device_id IN (:...ids)', { ids: chunk })
        .andWhere("s.status = 'active'")
        .andWhere('o.start_at + o.duration_ms > :from', { from })
        .andWhere('o.start_at < :to', { to })
        .getRawMany<Record<string, unknown>>();
      for (const r of raw) rows.push(toSlotRow(r));
    }
    return rows;
  }

  /** Current timeline version and area path of each existing device. */
  async deviceInfo(deviceIds: readonly string[]): Promise<Map<string, { version: number; areaPath: string }>> {
    const out = new Map<string, { version: number; areaPath: string }>();
    for (let i = 0; i < deviceIds.length; i += CHUNK) {
      const found = await this.db
        .getRepository(DeviceEntity)
        .createQueryBuilder('d')
        .select(['d.id AS "id"', 'd.timeline_version AS "version"', 'a.path AS "path"'])
        .innerJoin(AreaEntity, 'a', 'a.code = d.area_code')
        .where({ id: In(deviceIds.slice(i, i + CHUNK)) })
        .getRawMany<{ id: string; version: number | string; path: string }>();
      for (const d of found) out.set(d.id, { version: Number(d.version), areaPath: d.path });
    }
    return out;
  }

  /** Stores new timelines and bumps each device's version in one transaction. */
  async saveTimelines(timelines: readonly TimelineEntity[]): Promise<void> {
    await this.db.transaction(async (tx) => {
      for (let i = 0; i < timelines.length; i += CHUNK) {
        const chunk = timelines.slice(i, i + CHUNK);
        await tx.getRepository(TimelineEntity).upsert([...chunk], ['deviceId']);
        for (const t of chunk) await tx.getRepository(DeviceEntity).update({ id: t.deviceId }, { timelineVersion: t.version });
      }
    });
  }

  findTimeline(deviceId: string): Promise<TimelineEntity | null> {
    return this.db.getRepository(TimelineEntity).findOneBy({ deviceId });
  }

  findDevice(deviceId: string): Promise<DeviceEntity | null> {
    return this.db.getRepository(DeviceEntity).findOneBy({ id: deviceId });
  }

  /** Records the ack and marks the occurrences it carried as delivered; both only ever move forward. */
  async recordAck(deviceId: string, version: number, occurrenceIds: readonly string[], at: number): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const res = await tx
        .createQueryBuilder()
        .update(DeviceEntity)
        .set({ ackedTimelineVersion: version })
        .where('id = :id AND acked_timeline_version < :v AND timeline_version >= :v', { id: deviceId, v: version })
        .execute();
      if (!res.affected) return false;
      for (let i = 0; i < occurrenceIds.length; i += CHUNK) {
        await tx
          .createQueryBuilder()
          .update(DeliveryEntity)
          .set({ state: 'delivered', deliveredAt: at, updatedAt: at })
          .where("device_id = :id AND state = 'queued' AND occurrence_id IN (:...occ)", { id: deviceId, occ: occurrenceIds.slice(i, i + CHUNK) })
          .execute();
      }
      return true;
    });
  }
}

const num = (v: unknown): number => Number(v);
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

function toSlotRow(r: Record<string, unknown>): SlotRow {
  return {
    deviceId: String(r.deviceId),
    occurrenceId: String(r.occurrenceId),
    scheduleId: String(r.scheduleId),
    startAt: num(r.startAt),
    durationMs: num(r.durationMs),
    priority: r.priority as SlotRow['priority'],
    volume: numOrNull(r.volume),
    contentId: String(r.contentId),
    contentType: r.contentType as SlotRow['contentType'],
    title: String(r.title),
    text: strOrNull(r.text),
    mediaSha256: strOrNull(r.mediaSha256),
    mediaBytes: numOrNull(r.mediaBytes),
    mediaMime: strOrNull(r.mediaMime),
    mediaDurationMs: numOrNull(r.mediaDurationMs),
  };
}
