import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

export interface AreaRow {
  code: string;
  name: string;
  level: string;
  path: string;
  parentCode: string | null;
}

export interface OccurrenceStateRow {
  occurrenceId: string;
  scheduleId: string;
  startAt: number;
  durationMs: number;
  priority: string;
  contentId: string;
  contentTitle: string;
  contentKind: string;
  state: string;
  n: number;
}

export interface CalendarRow {
  occurrenceId: string;
  scheduleId: string;
  contentId: string;
  contentTitle: string;
  contentKind: string;
  priority: string;
  startAt: number;
  durationMs: number;
  scheduleStatus: string;
  deviceCount: number;
}

const num = (v: unknown): number => Number(v ?? 0);

/**
 * Aggregates for the dashboard. Everything is GROUP BY in the database; `pattern` is the LIKE pattern of the
 * user's subtree (`/01/00004/%`), null for everything.
 */
@Injectable()
export class OverviewRepository {
  constructor(private readonly db: DataSource) {}

  /** Areas of the subtree (or all). A few thousand rows at most: the tree, not the fleet. */
  async areas(pattern: string | null): Promise<AreaRow[]> {
    const qb = this.db
      .createQueryBuilder()
      .select(['a.code AS "code"', 'a.name AS "name"', 'a.level AS "level"', 'a.path AS "path"', 'a.parent_code AS "parentCode"'])
      .from('areas', 'a');
    if (pattern !== null) qb.where('a.path LIKE :p', { p: pattern });
    return qb.getRawMany<AreaRow>();
  }

  /** Devices and online devices per area, over the subtree. */
  async devicesPerArea(pattern: string | null): Promise<Array<{ areaCode: string; total: number; online: number }>> {
    const qb = this.db
      .createQueryBuilder()
      .select(['dev.area_code AS "areaCode"', 'COUNT(*) AS "total"', 'SUM(CASE WHEN dev.online THEN 1 ELSE 0 END) AS "online"'])
      .from('devices', 'dev')
      .groupBy('dev.area_code');
    if (pattern !== null) qb.innerJoin('areas', 'a', 'a.code = dev.area_code').where('a.path LIKE :p', { p: pattern });
    const rows = await qb.getRawMany<{ areaCode: string; total: unknown; online: unknown }>();
    return rows.map((r) => ({ areaCode: r.areaCode, total: num(r.total), online: num(r.online) }));
  }

  /** Occurrences starting in [from, to) with deliveries to the subtree's devices, counted per state over those devices. */
  async occurrenceStates(pattern: string | null, from: number, to: number): Promise<OccurrenceStateRow[]> {
    const qb = this.db
      .createQueryBuilder()
      .select([
        'o.id AS "occurrenceId"',
        'o.schedule_id AS "scheduleId"',
        'o.start_at AS "startAt"',
        'o.duration_ms AS "durationMs"',
        's.priority AS "priority"',
        's.content_id AS "contentId"',
        'c.title AS "contentTitle"',
        'c.type AS "contentKind"',
        'd.state AS "state"',
        'COUNT(*) AS "n"',
      ])
      .from('occurrences', 'o')
      .innerJoin('schedules', 's', 's.id = o.schedule_id')
      .innerJoin('contents', 'c', 'c.id = s.content_id')
      .innerJoin('deliveries', 'd', 'd.occurrence_id = o.id')
      .where('o.start_at >= :from AND o.start_at < :to', { from, to })
      .groupBy('o.id')
      .addGroupBy('o.schedule_id')
      .addGroupBy('o.start_at')
      .addGroupBy('o.duration_ms')
      .addGroupBy('s.priority')
      .addGroupBy('s.content_id')
      .addGroupBy('c.title')
      .addGroupBy('c.type')
      .addGroupBy('d.state')
      .orderBy('o.start_at', 'ASC')
      .addOrderBy('o.id', 'ASC');
    if (pattern !== null) qb.innerJoin('devices', 'dev', 'dev.id = d.device_id').innerJoin('areas', 'a', 'a.code = dev.area_code').andWhere('a.path LIKE :p', { p: pattern });
    const rows = await qb.getRawMany<Record<string, unknown>>();
    return rows.map((r) => ({
      occurrenceId: String(r.occurrenceId),
      scheduleId: String(r.scheduleId),
      startAt: num(r.startAt),
      durationMs: num(r.durationMs),
      priority: String(r.priority),
      contentId: String(r.contentId),
      contentTitle: String(r.contentTitle),
      contentKind: String(r.contentKind),
      state: String(r.state),
      n: num(r.n),
    }));
  }

  /** Schedules with an occurrence starting in [from, to). */
  async schedulesStartingIn(from: number, to: number): Promise<string[]> {
    const rows = await this.db
      .createQueryBuilder()
      .select('DISTINCT o.schedule_id', 'id')
      .from('occurrences', 'o')
      .where('o.start_at >= :from AND o.start_at < :to', { from, to })
      .getRawMany<{ id: string }>();
    return rows.map((r) => r.id);
  }

  /** The calendar: occurrences of these schedules starting in [from, to), each with its devices in the subtree. */
  async calendar(scheduleIds: readonly string[], pattern: string | null, from: number, to: number): Promise<CalendarRow[]> {
    const out: CalendarRow[] = [];
    for (let i = 0; i < scheduleIds.length; i += 500) {
      const qb = this.db
        .createQueryBuilder()
        .select([
          'o.id AS "occurrenceId"',
          'o.schedule_id AS "scheduleId"',
          's.content_id AS "contentId"',
          'c.title AS "contentTitle"',
          'c.type AS "contentKind"',
          's.priority AS "priority"',
          'o.start_at AS "startAt"',
          'o.duration_ms AS "durationMs"',
          's.status AS "scheduleStatus"',
        ])
        .from('occurrences', 'o')
        .innerJoin('schedules', 's', 's.id = o.schedule_id')
        .innerJoin('contents', 'c', 'c.id = s.content_id')
        .leftJoin('deliveries', 'd', 'd.occurrence_id = o.id')
        .where('o.schedule_id IN (:...ids)', { ids: scheduleIds.slice(i, i + 500) })
        .andWhere('o.start_at >= :from AND o.start_at < :to', { from, to })
        .groupBy('o.id')
        .addGroupBy('o.schedule_id')
        .addGroupBy('s.content_id')
        .addGroupBy('c.title')
        .addGroupBy('c.type')
        .addGroupBy('s.priority')
        .addGroupBy('o.start_at')
        .addGroupBy('o.duration_ms')
        .addGroupBy('s.status');
      if (pattern === null) {
        qb.addSelect('COUNT(d.device_id)', 'deviceCount');
      } else {
        qb.leftJoin('devices', 'dev', 'dev.id = d.device_id')
          .leftJoin('areas', 'a', 'a.code = dev.area_code')
          .addSelect('SUM(CASE WHEN a.path LIKE :p THEN 1 ELSE 0 END)', 'deviceCount')
          .setParameter('p', pattern);
      }
      for (const r of await qb.getRawMany<Record<string, unknown>>()) {
        out.push({
          occurrenceId: String(r.occurrenceId),
          scheduleId: String(r.scheduleId),
          contentId: String(r.contentId),
          contentTitle: String(r.contentTitle),
          contentKind: String(r.contentKind),
          priority: String(r.priority),
          startAt: num(r.startAt),
          durationMs: num(r.durationMs),
          scheduleStatus: String(r.scheduleStatus),
          deviceCount: num(r.deviceCount),
        });
      }
    }
    return out.sort((a, b) => a.startAt - b.startAt || (a.occurrenceId < b.occurrenceId ? -1 : a.occurrenceId > b.occurrenceId ? 1 : 0));
  }

  /** Active alarms per kind on the subtree's devices. */
  async activeAlarmsByKind(pattern: string | null): Promise<Record<string, number>> {
    const qb = this.db.createQueryBuilder().select(['al.kind AS "kind"', 'COUNT(*) AS "n"']).from('alarms', 'al').where('al.cleared_at IS NULL').groupBy('al.kind');
    if (pattern !== null) qb.innerJoin('devices', 'dev', 'dev.id = al.device_id').innerJoin('areas', 'a', 'a.code = dev.area_code').andWhere('a.path LIKE :p', { p: pattern });
    const rows = await qb.getRawMany<{ kind: string; n: unknown }>();
    return Object.fromEntries(rows.map((r) => [r.kind, num(r.n)]));
  }
}
