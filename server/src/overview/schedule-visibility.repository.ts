import { Injectable } from '@nestjs/common';
import { DELIVERY_PROGRESS_COLUMNS, deliveryProgressOf, type DeliveryProgress } from '../deliveries/delivery-progress.js';
import { rawNum as num, rawStrOrNull as strOrNull } from '../database/raw-values.js';
import type { DeliveryState } from '@loa/shared';
import { DataSource, type SelectQueryBuilder } from 'typeorm';
import type { AreaScope } from '../auth/area-scope.js';

const CHUNK = 500;
/** Rows fetched per round trip when streaming a delivery matrix (CSV): memory stays flat whatever its size. */
export const MATRIX_PAGE = 1000;

/**
 * SQL: schedule `s` reaches the subtree whose path prefix is bound as `:scopePath` — one of its deliveries is to a
 * device in it, or one of its area or device targets lies in it. (Group targets show through their deliveries.)
 */
export const REACHES_SUBTREE = `(
  EXISTS (SELECT 1 FROM deliveries vd INNER JOIN devices vdev ON vdev.id = vd.device_id INNER JOIN areas va ON va.code = vdev.area_code
          WHERE vd.schedule_id = s.id AND va.path LIKE :scopePath)
  OR EXISTS (SELECT 1 FROM schedule_targets vt INNER JOIN areas vta ON vta.code = vt.ref
             WHERE vt.schedule_id = s.id AND vt.kind = 'area' AND vta.path LIKE :scopePath)
  OR EXISTS (SELECT 1 FROM schedule_targets vt2 INNER JOIN devices vtd ON vtd.id = vt2.ref INNER JOIN areas vtda ON vtda.code = vtd.area_code
             WHERE vt2.schedule_id = s.id AND vt2.kind = 'device' AND vtda.path LIKE :scopePath)
)`;

/** The LIKE pattern of a scope's subtree; null for everything. */
export const scopePattern = (scope: AreaScope): string | null => (scope.pathPrefix === null ? null : `${scope.pathPrefix}%`);

export interface MatrixFilter {
  occurrenceId?: string | undefined;
  state?: DeliveryState | undefined;
}

export interface MatrixRow extends DeliveryProgress {
  occurrenceId: string;
  occurrenceStart: number;
  deviceId: string;
  deviceName: string | null;
  areaCode: string | null;
  areaName: string | null;
}

export interface ScopedCounts {
  byState: Record<string, number>;
  devices: number;
}


/**
 * Which schedules a user may read, and the parts of them that concern its devices. Readable: any delivery or target
 * in the user's subtree (a commune officer sees the province-wide bulletin that reaches its commune); the delivery
 * matrix, summaries and counts then cover only the user's devices. All of it is decided in SQL (deliveries →
 * devices → areas by path prefix), never one check per schedule: this class is those queries (the overview's
 * visibility repository).
 */
@Injectable()
export class ScheduleVisibility {
  constructor(private readonly db: DataSource) {}

  async isVisible(scope: AreaScope, scheduleId: string): Promise<boolean> {
    return (await this.visibleIds(scope, [scheduleId])).has(scheduleId);
  }

  /** The given schedules the scope may read. */
  async visibleIds(scope: AreaScope, ids: readonly string[]): Promise<Set<string>> {
    const pattern = scopePattern(scope);
    if (pattern === null || ids.length === 0) return new Set(ids);
    const out = new Set<string>();
    for (let i = 0; i < ids.length; i += CHUNK) {
      const rows = await this.db
        .createQueryBuilder()
        .select('s.id', 'id')
        .from('schedules', 's')
        .where('s.id IN (:...ids)', { ids: ids.slice(i, i + CHUNK) })
        .andWhere(REACHES_SUBTREE, { scopePath: pattern })
        .getRawMany<{ id: string }>();
      for (const r of rows) out.add(r.id);
    }
    return out;
  }

  /** Newest first by first occurrence, at most `limit`: the schedule list. */
  async listIds(scope: AreaScope, limit = 500): Promise<string[]> {
    const pattern = scopePattern(scope);
    const qb = this.db.createQueryBuilder().select('s.id', 'id').from('schedules', 's').orderBy('s.start_at', 'DESC').addOrderBy('s.id', 'ASC').limit(limit);
    if (pattern !== null) qb.where(REACHES_SUBTREE, { scopePath: pattern });
    return (await qb.getRawMany<{ id: string }>()).map((r) => r.id);
  }

  /** Counts per state and distinct devices of each schedule, over the scope's devices only. */
  async counts(scope: AreaScope, scheduleIds: readonly string[]): Promise<Map<string, ScopedCounts>> {
    const out = new Map<string, ScopedCounts>(scheduleIds.map((id) => [id, { byState: {}, devices: 0 }]));
    for (let i = 0; i < scheduleIds.length; i += CHUNK) {
      const ids = scheduleIds.slice(i, i + CHUNK);
      const byState = await this.scoped(scope, this.db.createQueryBuilder().from('deliveries', 'd').where('d.schedule_id IN (:...ids)', { ids }))
        .select(['d.schedule_id AS "scheduleId"', 'd.state AS "state"', 'COUNT(*) AS "n"'])
        .groupBy('d.schedule_id')
        .addGroupBy('d.state')
        .getRawMany<{ scheduleId: string; state: string; n: unknown }>();
      for (const r of byState) {
        const c = out.get(r.scheduleId);
        if (c) c.byState[r.state] = num(r.n);
      }
      const devices = await this.scoped(scope, this.db.createQueryBuilder().from('deliveries', 'd').where('d.schedule_id IN (:...ids)', { ids }))
        .select(['d.schedule_id AS "scheduleId"', 'COUNT(DISTINCT d.device_id) AS "n"'])
        .groupBy('d.schedule_id')
        .getRawMany<{ scheduleId: string; n: unknown }>();
      for (const r of devices) {
        const c = out.get(r.scheduleId);
        if (c) c.devices = num(r.n);
      }
    }
    return out;
  }

  /** How many of these devices lie in the scope. */
  async devicesInScope(scope: AreaScope, deviceIds: readonly string[]): Promise<number> {
    const pattern = scopePattern(scope);
    if (pattern === null) return deviceIds.length;
    let n = 0;
    for (let i = 0; i < deviceIds.length; i += CHUNK) {
      const row = await this.db
        .createQueryBuilder()
        .from('devices', 'dev')
        .innerJoin('areas', 'a', 'a.code = dev.area_code')
        .where('dev.id IN (:...ids)', { ids: deviceIds.slice(i, i + CHUNK) })
        .andWhere('a.path LIKE :scopePath', { scopePath: pattern })
        .select('COUNT(*)', 'n')
        .getRawOne<{ n: unknown }>();
      n += num(row?.n ?? 0);
    }
    return n;
  }

  /** Counts per occurrence and state of one schedule, over the scope's devices. */
  async occurrenceCounts(scope: AreaScope, scheduleId: string): Promise<Array<{ occurrenceId: string; startAt: number; state: string; n: number }>> {
    const rows = await this.scoped(
      scope,
      this.db.createQueryBuilder().from('deliveries', 'd').innerJoin('occurrences', 'o', 'o.id = d.occurrence_id').where('d.schedule_id = :id', { id: scheduleId }),
    )
      .select(['o.id AS "occurrenceId"', 'o.start_at AS "startAt"', 'd.state AS "state"', 'COUNT(*) AS "n"'])
      .groupBy('o.id')
      .addGroupBy('o.start_at')
      .addGroupBy('d.state')
      .orderBy('o.start_at', 'ASC')
      .getRawMany<{ occurrenceId: string; startAt: unknown; state: string; n: unknown }>();
    return rows.map((r) => ({ occurrenceId: r.occurrenceId, startAt: num(r.startAt), state: r.state, n: num(r.n) }));
  }

  /** One page of the delivery matrix (occurrence, then device order) and the unpaginated total. */
  async page(scope: AreaScope, scheduleId: string, f: MatrixFilter & { limit: number; offset: number }): Promise<{ items: MatrixRow[]; total: number }> {
    const total = await this.matrix(scope, scheduleId, f).select('COUNT(*)', 'n').getRawOne<{ n: unknown }>();
    const rows = await this.matrixRows(this.matrix(scope, scheduleId, f).offset(f.offset).limit(f.limit));
    return { items: rows, total: num(total?.n ?? 0) };
  }

  /** The whole matrix, MATRIX_PAGE rows per query (keyset on occurrence, device): for streaming it out. */
  async *rows(scope: AreaScope, scheduleId: string, f: MatrixFilter): AsyncGenerator<MatrixRow[]> {
    let after: { o: string; d: string } | null = null;
    for (;;) {
      const qb = this.matrix(scope, scheduleId, f).limit(MATRIX_PAGE);
      if (after) qb.andWhere('(d.occurrence_id > :ko OR (d.occurrence_id = :ko AND d.device_id > :kd))', { ko: after.o, kd: after.d });
      const page = await this.matrixRows(qb);
      if (page.length === 0) return;
      yield page;
      const last = page[page.length - 1]!;
      after = { o: last.occurrenceId, d: last.deviceId };
      if (page.length < MATRIX_PAGE) return;
    }
  }

  private matrix(scope: AreaScope, scheduleId: string, f: MatrixFilter): SelectQueryBuilder<Record<string, unknown>> {
    const qb = this.db
      .createQueryBuilder()
      .from('deliveries', 'd')
      .innerJoin('occurrences', 'o', 'o.id = d.occurrence_id')
      .leftJoin('devices', 'dev', 'dev.id = d.device_id')
      .leftJoin('areas', 'a', 'a.code = dev.area_code')
      .where('d.schedule_id = :id', { id: scheduleId });
    const pattern = scopePattern(scope);
    if (pattern !== null) qb.andWhere('a.path LIKE :scopePath', { scopePath: pattern });
    if (f.occurrenceId) qb.andWhere('d.occurrence_id = :occ', { occ: f.occurrenceId });
    if (f.state) qb.andWhere('d.state = :state', { state: f.state });
    return qb;
  }

  private async matrixRows(qb: SelectQueryBuilder<Record<string, unknown>>): Promise<MatrixRow[]> {
    const raw = await qb
      .select([
        'd.occurrence_id AS "occurrenceId"',
        'o.start_at AS "occurrenceStart"',
        'd.device_id AS "deviceId"',
        'dev.name AS "deviceName"',
        'dev.area_code AS "areaCode"',
        'a.name AS "areaName"',
        ...DELIVERY_PROGRESS_COLUMNS,
      ])
      .orderBy('d.occurrence_id', 'ASC')
      .addOrderBy('d.device_id', 'ASC')
      .getRawMany<Record<string, unknown>>();
    return raw.map((r) => ({
      occurrenceId: String(r.occurrenceId),
      occurrenceStart: num(r.occurrenceStart),
      deviceId: String(r.deviceId),
      deviceName: strOrNull(r.deviceName),
      areaCode: strOrNull(r.areaCode),
      areaName: strOrNull(r.areaName),
      ...deliveryProgressOf(r),
    }));
  }

  /** What names an export of a schedule: its content's title, its first start, and the reader's area name. */
  async exportLabels(scheduleId: string, areaCode: string | null): Promise<{ title: string | null; startAt: number | null; areaName: string | null }> {
    const s = await this.db
      .createQueryBuilder()
      .select(['c.title AS "title"', 's.start_at AS "startAt"'])
      .from('schedules', 's')
      .leftJoin('contents', 'c', 'c.id = s.content_id')
      .where('s.id = :id', { id: scheduleId })
      .getRawOne<{ title: unknown; startAt: unknown }>();
    const area = areaCode === null ? undefined : await this.db.createQueryBuilder().select('a.name', 'name').from('areas', 'a').where('a.code = :code', { code: areaCode }).getRawOne<{ name: unknown }>();
    return { title: strOrNull(s?.title ?? null), startAt: s?.startAt === undefined || s.startAt === null ? null : num(s.startAt), areaName: strOrNull(area?.name ?? null) };
  }

  /** Restricts a query over deliveries `d` to the scope's devices. */
  private scoped<T extends SelectQueryBuilder<Record<string, unknown>>>(scope: AreaScope, qb: T): T {
    const pattern = scopePattern(scope);
    if (pattern === null) return qb;
    qb.innerJoin('devices', 'sdev', 'sdev.id = d.device_id').innerJoin('areas', 'sa', 'sa.code = sdev.area_code').andWhere('sa.path LIKE :scopePath', { scopePath: pattern });
    return qb;
  }
}
