import { Injectable } from '@nestjs/common';
import { DataSource, In } from 'typeorm';
import { ContentEntity } from '../contents/content.entity.js';
import { rawNum as num } from '../database/raw-values.js';
import { REACHING } from '../planning/planning.repository.js';
import { ScheduleEntity } from '../schedules/schedule.entity.js';

const CHUNK = 500;

/** An occurrence as planning stored it (what the devices were or will be sent). */
export interface StoredOccurrence {
  id: string;
  scheduleId: string;
  startAt: number;
  durationMs: number;
}

/** A schedule target with the name people know it by; `areaCode` is where a device target sits (for scoping). */
export interface NamedTarget {
  scheduleId: string;
  kind: 'area' | 'group' | 'device';
  ref: string;
  name: string | null;
  areaCode: string | null;
}

const chunks = <T>(items: readonly T[]): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
};

/** The feed's reads: which schedules may have occurrences in a window, and what an event says about them. */
@Injectable()
export class CalendarFeedRepository {
  constructor(private readonly db: DataSource) {}

  /**
   * Schedules that may have an occurrence in [from, to): those with a stored occurrence there (cancelled ones
   * included, their events then say so), and the active, approved ones whose rule may reach past what planning has
   * stored so far (recurring, or a one-off starting in the window).
   */
  async candidates(from: number, to: number): Promise<string[]> {
    const stored = await this.db
      .createQueryBuilder()
      .select('DISTINCT o.schedule_id', 'id')
      .from('occurrences', 'o')
      .where('o.start_at >= :from AND o.start_at < :to', { from, to })
      .getRawMany<{ id: string }>();
    const planned = await this.db
      .createQueryBuilder()
      .select('s.id', 'id')
      .from('schedules', 's')
      .where(`s.status = 'active'`)
      .andWhere('s.approval IN (:...reaching)', { reaching: REACHING })
      // A one-off with a moved occurrence (issue 19: an added date) may air outside its start's window.
      .andWhere('(s.rrule IS NOT NULL OR s.rdates IS NOT NULL OR (s.start_at >= :from AND s.start_at < :to))', { from, to })
      .getRawMany<{ id: string }>();
    return [...new Set([...stored, ...planned].map((r) => r.id))];
  }

  async schedules(ids: readonly string[]): Promise<ScheduleEntity[]> {
    const out: ScheduleEntity[] = [];
    for (const part of chunks(ids)) out.push(...(await this.db.getRepository(ScheduleEntity).findBy({ id: In(part) })));
    return out;
  }

  async contents(ids: readonly string[]): Promise<Map<string, ContentEntity>> {
    const out = new Map<string, ContentEntity>();
    for (const part of chunks([...new Set(ids)])) for (const c of await this.db.getRepository(ContentEntity).findBy({ id: In(part) })) out.set(c.id, c);
    return out;
  }

  /** Stored occurrences of these schedules starting in [from, to). */
  async occurrences(scheduleIds: readonly string[], from: number, to: number): Promise<StoredOccurrence[]> {
    const out: StoredOccurrence[] = [];
    for (const part of chunks(scheduleIds)) {
      const rows = await this.db
        .createQueryBuilder()
        .select(['o.id AS "id"', 'o.schedule_id AS "scheduleId"', 'o.start_at AS "startAt"', 'o.duration_ms AS "durationMs"'])
        .from('occurrences', 'o')
        .where('o.schedule_id IN (:...ids)', { ids: part })
        .andWhere('o.start_at >= :from AND o.start_at < :to', { from, to })
        .getRawMany<Record<string, unknown>>();
      for (const r of rows) out.push({ id: String(r.id), scheduleId: String(r.scheduleId), startAt: num(r.startAt), durationMs: num(r.durationMs) });
    }
    return out;
  }

  /** The targets of these schedules with their names. */
  async targets(scheduleIds: readonly string[]): Promise<NamedTarget[]> {
    const out: NamedTarget[] = [];
    for (const part of chunks(scheduleIds)) {
      const rows = await this.db
        .createQueryBuilder()
        .select([
          't.schedule_id AS "scheduleId"',
          't.kind AS "kind"',
          't.ref AS "ref"',
          `CASE WHEN t.kind = 'area' THEN a.name WHEN t.kind = 'group' THEN g.name ELSE dev.name END AS "name"`,
          `CASE WHEN t.kind = 'area' THEN t.ref WHEN t.kind = 'device' THEN dev.area_code ELSE NULL END AS "areaCode"`,
        ])
        .from('schedule_targets', 't')
        .leftJoin('areas', 'a', `t.kind = 'area' AND a.code = t.ref`)
        .leftJoin('device_groups', 'g', `t.kind = 'group' AND g.id = t.ref`)
        .leftJoin('devices', 'dev', `t.kind = 'device' AND dev.id = t.ref`)
        .where('t.schedule_id IN (:...ids)', { ids: part })
        .orderBy('t.schedule_id', 'ASC')
        .addOrderBy('t.kind', 'ASC')
        .addOrderBy('t.ref', 'ASC')
        .getRawMany<Record<string, unknown>>();
      for (const r of rows) {
        out.push({ scheduleId: String(r.scheduleId), kind: String(r.kind) as NamedTarget['kind'], ref: String(r.ref), name: r.name === null || r.name === undefined ? null : String(r.name), areaCode: r.areaCode === null || r.areaCode === undefined ? null : String(r.areaCode) });
      }
    }
    return out;
  }

  async area(code: string): Promise<{ code: string; name: string } | null> {
    const row = await this.db.createQueryBuilder().select(['a.code AS "code"', 'a.name AS "name"']).from('areas', 'a').where('a.code = :code', { code }).getRawOne<{ code: string; name: string }>();
    return row ?? null;
  }
}
