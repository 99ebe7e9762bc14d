import { Injectable } from '@nestjs/common';
import type { DeliveryState } from '@loa/shared';
import { DataSource, type SelectQueryBuilder } from 'typeorm';
import { rawNum as num, rawNumOrNull as numOrNull, rawStrOrNull as strOrNull } from '../database/raw-values.js';

/** Rows per query when streaming the playout log: memory holds one page, whatever the period. */
export const PLAYOUT_PAGE = 1000;

/** One delivery of the log, as stored (instants in epoch ms). */
export interface PlayoutRecord {
  occurrenceId: string;
  scheduleId: string;
  contentId: string;
  contentTitle: string | null;
  priority: string;
  scheduledStart: number;
  deviceId: string;
  deviceName: string | null;
  areaCode: string | null;
  areaName: string | null;
  communeName: string | null;
  state: DeliveryState;
  startedAt: number | null;
  endedAt: number | null;
  playedMs: number | null;
  reason: string | null;
}

/** Where the previous page ended, in the log's order (scheduled start, occurrence, device). */
export interface PlayoutKey {
  startAt: number;
  occurrenceId: string;
  deviceId: string;
}

/**
 * Occurrences starting in [from, to), on devices whose area path matches `pathPattern` (null: every device), and only
 * on `deviceId` when given (the drill-down from a device to its occurrences).
 */
export interface PlayoutFilter {
  from: number;
  to: number;
  pathPattern: string | null;
  deviceId?: string | null | undefined;
}

/**
 * The playout log's reads. Paged by key (scheduled start, occurrence id, device id), never by offset: every page
 * costs the same however deep into a year it is, and rows written meanwhile never shift a page.
 */
@Injectable()
export class PlayoutLogRepository {
  /** Read per page by `pages`; a field so a test can see the bound the stream keeps. */
  readonly pageSize = PLAYOUT_PAGE;

  constructor(private readonly db: DataSource) {}

  /** At most `limit` records after `after`, in the log's order. */
  async page(f: PlayoutFilter, after: PlayoutKey | null, limit: number): Promise<PlayoutRecord[]> {
    const qb = this.base(f);
    if (after) {
      qb.andWhere(
        '(o.start_at > :ks OR (o.start_at = :ks AND (d.occurrence_id > :ko OR (d.occurrence_id = :ko AND d.device_id > :kd))))',
        { ks: after.startAt, ko: after.occurrenceId, kd: after.deviceId },
      );
    }
    const raw = await qb.orderBy('o.start_at', 'ASC').addOrderBy('d.occurrence_id', 'ASC').addOrderBy('d.device_id', 'ASC').limit(limit).getRawMany<Record<string, unknown>>();
    return raw.map(record);
  }

  /** The whole log of the filter, `pageSize` records per query; the next query runs only when the page is consumed. */
  async *pages(f: PlayoutFilter): AsyncGenerator<PlayoutRecord[]> {
    let after: PlayoutKey | null = null;
    for (;;) {
      const page = await this.page(f, after, this.pageSize);
      if (page.length > 0) yield page;
      if (page.length < this.pageSize) return;
      after = keyOf(page[page.length - 1]!);
    }
  }

  /** An area's path and name (the subtree a report covers). */
  async area(code: string): Promise<{ code: string; name: string; path: string } | null> {
    const row = await this.db.createQueryBuilder().select(['a.code AS "code"', 'a.name AS "name"', 'a.path AS "path"']).from('areas', 'a').where('a.code = :code', { code }).getRawOne<{ code: string; name: string; path: string }>();
    return row ?? null;
  }

  /** A device's name, area and the area's path (to check it lies in the reader's subtree), or null if unknown. */
  async device(id: string): Promise<{ id: string; name: string | null; areaCode: string; areaPath: string } | null> {
    const row = await this.db
      .createQueryBuilder()
      .select(['dev.id AS "id"', 'dev.name AS "name"', 'dev.area_code AS "areaCode"', 'a.path AS "areaPath"'])
      .from('devices', 'dev')
      .innerJoin('areas', 'a', 'a.code = dev.area_code')
      .where('dev.id = :id', { id })
      .getRawOne<{ id: string; name: string | null; areaCode: string; areaPath: string }>();
    return row ?? null;
  }

  private base(f: PlayoutFilter): SelectQueryBuilder<Record<string, unknown>> {
    const qb = this.db
      .createQueryBuilder()
      .from('deliveries', 'd')
      .innerJoin('occurrences', 'o', 'o.id = d.occurrence_id')
      .innerJoin('schedules', 's', 's.id = o.schedule_id')
      .leftJoin('contents', 'c', 'c.id = s.content_id')
      .innerJoin('devices', 'dev', 'dev.id = d.device_id')
      .innerJoin('areas', 'a', 'a.code = dev.area_code')
      // Devices sit on a commune or on a village under it: the commune is the area itself or its parent.
      .leftJoin('areas', 'pa', 'pa.code = a.parent_code')
      .select([
        'd.occurrence_id AS "occurrenceId"',
        'o.schedule_id AS "scheduleId"',
        's.content_id AS "contentId"',
        'c.title AS "contentTitle"',
        's.priority AS "priority"',
        'o.start_at AS "scheduledStart"',
        'd.device_id AS "deviceId"',
        'dev.name AS "deviceName"',
        'dev.area_code AS "areaCode"',
        'a.name AS "areaName"',
        `CASE WHEN a.level = 'commune' THEN a.name WHEN pa.level = 'commune' THEN pa.name ELSE NULL END AS "communeName"`,
        'd.state AS "state"',
        'd.started_at AS "startedAt"',
        'd.ended_at AS "endedAt"',
        'd.played_ms AS "playedMs"',
        'd.reason AS "reason"',
      ])
      .where('o.start_at >= :from AND o.start_at < :to', { from: f.from, to: f.to });
    if (f.pathPattern !== null) qb.andWhere('a.path LIKE :pathPattern', { pathPattern: f.pathPattern });
    if (f.deviceId !== undefined && f.deviceId !== null) qb.andWhere('d.device_id = :deviceId', { deviceId: f.deviceId });
    return qb;
  }
}

export const keyOf = (r: PlayoutRecord): PlayoutKey => ({ startAt: r.scheduledStart, occurrenceId: r.occurrenceId, deviceId: r.deviceId });

const record = (r: Record<string, unknown>): PlayoutRecord => ({
  occurrenceId: String(r.occurrenceId),
  scheduleId: String(r.scheduleId),
  contentId: String(r.contentId),
  contentTitle: strOrNull(r.contentTitle),
  priority: String(r.priority),
  scheduledStart: num(r.scheduledStart),
  deviceId: String(r.deviceId),
  deviceName: strOrNull(r.deviceName),
  areaCode: strOrNull(r.areaCode),
  areaName: strOrNull(r.areaName),
  communeName: strOrNull(r.communeName),
  state: r.state as DeliveryState,
  startedAt: numOrNull(r.startedAt),
  endedAt: numOrNull(r.endedAt),
  playedMs: numOrNull(r.playedMs),
  reason: strOrNull(r.reason),
});
