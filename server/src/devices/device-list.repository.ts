import { Injectable } from '@nestjs/common';
import { DataSource, type SelectQueryBuilder } from 'typeorm';
import type { DeviceKind } from '@loa/shared';
import type { DeviceListSort, DeviceListStatus, DeviceStatusCounts } from '@loa/shared/rest';
import { DeviceEntity } from './device.entity.js';

/** What narrows a device list; every part is applied in SQL. */
export interface DeviceListFilter {
  /** The reader's subtree (an area path prefix, "/01/"), or null for a reader who sees everything. */
  scopePath: string | null;
  /** The requested area's subtree, or null for no area filter. */
  areaPath: string | null;
  status?: DeviceListStatus | undefined;
  kind?: DeviceKind | undefined;
  /** Folded words (common/search-text.ts), each of which must occur in the search text. */
  terms: readonly string[];
}

export interface DeviceListOrder {
  sort: DeviceListSort;
  order: 'asc' | 'desc';
}

/** A position in a sorted list: the last row's sort value and id. */
export interface Keyset {
  value: string | number;
  id: string;
}

/**
 * The sort expressions. Nullable instants sort as 0 (a device never seen comes first going up, last going down) so the
 * keyset comparison below needs no NULL cases and SQLite and PostgreSQL (which place NULLs differently) agree.
 */
const SORT_EXPR: Record<DeviceListSort, string> = {
  name: 'd.name_key',
  id: 'd.id',
  areaCode: 'd.area_code',
  lastSeenAt: 'COALESCE(d.last_seen_at, 0)',
  presenceChangedAt: 'COALESCE(d.presence_changed_at, 0)',
  createdAt: 'd.created_at',
};

/** Whether a sort's values are numbers (instants) or text, for checking a cursor's value. */
export const NUMERIC_SORTS: ReadonlySet<DeviceListSort> = new Set(['lastSeenAt', 'presenceChangedAt', 'createdAt']);

/**
 * Revoked devices and devices with an active alarm are few: as `id IN (…)` both databases start from those rows and
 * probe devices by key, instead of probing two tables for each of the 10,000 devices.
 */
const STATUS_SQL: Record<DeviceListStatus, string> = {
  online: 'd.online = TRUE',
  offline: 'd.online = FALSE',
  revoked: 'd.id IN (SELECT r.device_id FROM device_revocations r)',
  alarm: 'd.id IN (SELECT al.device_id FROM alarms al WHERE al.cleared_at IS NULL)',
  never: 'd.last_seen_at IS NULL',
};

const CHUNK = 500;

/** LIKE treats % and _ as wildcards; search words and area codes are matched literally (ESCAPE '\'). */
const likeLiteral = (s: string): string => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * The device list's queries (issue 14): filtered, counted, sorted and cut to one page in SQL, so a page of a
 * 10,000-device province reads one page of rows, not the province.
 */
@Injectable()
export class DeviceListRepository {
  constructor(private readonly db: DataSource) {}

  /**
   * Up to `limit` devices in order, after `after` (a cursor) or from `offset`. Without `limit`, every matching device.
   */
  rows(filter: DeviceListFilter, order: DeviceListOrder, page: { limit?: number; offset?: number; after?: Keyset }): Promise<DeviceEntity[]> {
    const qb = this.filtered(filter);
    const expr = SORT_EXPR[order.sort];
    const dir = order.order === 'asc' ? 'ASC' : 'DESC';
    if (page.after) {
      const cmp = order.order === 'asc' ? '>' : '<';
      if (order.sort === 'id') qb.andWhere(`d.id ${cmp} :afterId`, { afterId: page.after.id });
      // A row value: both databases read it as one range of the (sort key, id) order, from an index where there is one.
      else qb.andWhere(`(${expr}, d.id) ${cmp} (:afterValue, :afterId)`, { afterValue: page.after.value, afterId: page.after.id });
    }
    if (order.sort === 'id') qb.orderBy('d.id', dir);
    else qb.orderBy(expr, dir).addOrderBy('d.id', dir);
    // limit/offset rather than take/skip: no join is selected, so the plain SQL LIMIT is right and cheaper.
    if (page.limit !== undefined) qb.limit(page.limit);
    if (page.offset) qb.offset(page.offset);
    return qb.getMany();
  }

  /**
   * Devices per status under the filter without its status part: one pass over the matching devices for the total,
   * online and never seen, and one over the few revoked or alarmed ones each.
   */
  async counts(filter: DeviceListFilter): Promise<DeviceStatusCounts> {
    // PostgreSQL answers bigint counts as text, and SUM over no row as NULL.
    const n = (v: string | number | null | undefined): number => Number(v ?? 0);
    const count = async (status: 'revoked' | 'alarm'): Promise<number> =>
      n((await this.filtered({ ...filter, status }).select('COUNT(*)', 'n').getRawOne<{ n: string | number }>())?.n);
    const [row, revoked, alarm] = await Promise.all([
      this.filtered({ ...filter, status: undefined })
        .select('COUNT(*)', 'all')
        .addSelect(`SUM(CASE WHEN ${STATUS_SQL.online} THEN 1 ELSE 0 END)`, 'online')
        .addSelect(`SUM(CASE WHEN ${STATUS_SQL.never} THEN 1 ELSE 0 END)`, 'never')
        .getRawOne<Record<'all' | 'online' | 'never', string | number | null>>(),
      count('revoked'),
      count('alarm'),
    ]);
    const all = n(row?.all);
    const online = n(row?.online);
    return { all, online, offline: all - online, revoked, alarm, never: n(row?.never) };
  }

  /** Active alarms per device, for these devices only (absent: none). */
  async activeAlarms(ids: readonly string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (let i = 0; i < ids.length; i += CHUNK) {
      const rows = await this.db
        .createQueryBuilder()
        .select('al.device_id', 'deviceId')
        .addSelect('COUNT(*)', 'n')
        .from('alarms', 'al')
        .where('al.device_id IN (:...ids)', { ids: ids.slice(i, i + CHUNK) })
        .andWhere('al.cleared_at IS NULL')
        .groupBy('al.device_id')
        .getRawMany<{ deviceId: string; n: string | number }>();
      for (const r of rows) out.set(r.deviceId, Number(r.n));
    }
    return out;
  }

  private filtered(f: DeviceListFilter): SelectQueryBuilder<DeviceEntity> {
    const qb = this.db.getRepository(DeviceEntity).createQueryBuilder('d');
    if (f.scopePath !== null || f.areaPath !== null) {
      qb.innerJoin('areas', 'a', 'a.code = d.area_code');
      if (f.scopePath !== null) qb.andWhere(`a.path LIKE :scopePath ESCAPE '\\'`, { scopePath: `${likeLiteral(f.scopePath)}%` });
      if (f.areaPath !== null) qb.andWhere(`a.path LIKE :areaPath ESCAPE '\\'`, { areaPath: `${likeLiteral(f.areaPath)}%` });
    }
    if (f.kind !== undefined) qb.andWhere('d.kind = :kind', { kind: f.kind });
    // The stored text and the words are folded alike (lower-case ASCII), so LIKE means the same on both databases.
    f.terms.forEach((t, i) => qb.andWhere(`d.search_text LIKE :term${i} ESCAPE '\\'`, { [`term${i}`]: `%${likeLiteral(t)}%` }));
    if (f.status !== undefined) qb.andWhere(STATUS_SQL[f.status]);
    return qb;
  }
}
