import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { AreaLevel, DeliveryState } from '@loa/shared/rest';
import { rawNum as num, rawStrOrNull as strOrNull } from '../database/raw-values.js';
import { DELIVERY_PROGRESS_COLUMNS, deliveryProgressOf, type DeliveryProgress } from '../deliveries/delivery-progress.js';
import type { GroupCount } from './schedule-results.js';

export interface AreaRow {
  code: string;
  name: string;
  level: AreaLevel;
  path: string;
}

/** Which deliveries of a schedule: all, or one occurrence's; always within `scopePath` (a LIKE pattern, null: all). */
export interface ResultsFilter {
  scheduleId: string;
  occurrenceId?: string | undefined;
  scopePattern: string | null;
}

export interface ResultDeliveryRow extends DeliveryProgress {
  occurrenceId: string;
  occurrenceStartAt: number;
  deviceId: string;
  deviceName: string | null;
  areaCode: string | null;
  areaName: string | null;
}

/** Problems first in the device list: failures, then what never reached the device, then the rest. */
const STATE_ORDER = `CASE d.state WHEN 'failed' THEN 0 WHEN 'expired' THEN 1 WHEN 'queued' THEN 2 WHEN 'skipped' THEN 3 WHEN 'preempted' THEN 4 WHEN 'delivered' THEN 5 WHEN 'started' THEN 6 ELSE 7 END`;

/** Plain SQL that runs unchanged on SQLite and PostgreSQL, its placeholders numbered as values are bound. */
class Sql {
  readonly params: unknown[] = [];
  constructor(private readonly pg: boolean) {}
  bind(v: unknown): string {
    this.params.push(v);
    return this.pg ? `$${this.params.length}` : '?';
  }
}

/**
 * Issue 19: a schedule's deliveries counted by area in SQL — grouped by device area and state first (a few rows
 * per area, whatever the number of devices), then rolled up to the areas of one level under the listed area.
 */
@Injectable()
export class ScheduleResultsRepository {
  constructor(private readonly db: DataSource) {}

  private sql(): Sql {
    return new Sql(this.db.options.type === 'postgres');
  }

  async scheduleExists(id: string): Promise<boolean> {
    const q = this.sql();
    const rows = (await this.db.query(`SELECT 1 AS one FROM schedules WHERE id = ${q.bind(id)}`, q.params)) as unknown[];
    return rows.length > 0;
  }

  async area(code: string): Promise<AreaRow | null> {
    const q = this.sql();
    const rows = (await this.db.query(`SELECT code, name, level, path FROM areas WHERE code = ${q.bind(code)}`, q.params)) as AreaRow[];
    return rows[0] ?? null;
  }

  async areaByPath(path: string): Promise<AreaRow | null> {
    const q = this.sql();
    const rows = (await this.db.query(`SELECT code, name, level, path FROM areas WHERE path = ${q.bind(path)}`, q.params)) as AreaRow[];
    return rows[0] ?? null;
  }

  /** These areas (a path's segments), outermost first. */
  async areas(codes: readonly string[]): Promise<AreaRow[]> {
    if (codes.length === 0) return [];
    const q = this.sql();
    const rows = (await this.db.query(`SELECT code, name, level, path FROM areas WHERE code IN (${codes.map((c) => q.bind(c)).join(', ')})`, q.params)) as AreaRow[];
    return rows.sort((a, b) => a.path.length - b.path.length);
  }

  /** The distinct paths of the areas of the devices the filter covers (to find the smallest area holding them). */
  async devicePaths(f: ResultsFilter): Promise<string[]> {
    const q = this.sql();
    const where = this.where(q, f, null);
    const rows = (await this.db.query(`SELECT DISTINCT a.path AS path FROM deliveries d JOIN devices dev ON dev.id = d.device_id JOIN areas a ON a.code = dev.area_code WHERE ${where}`, q.params)) as Array<{ path: string }>;
    return rows.map((r) => r.path);
  }

  /**
   * Counts by (row area, state) under `root`: the row area is the device area's ancestor (or itself) of `level`
   * under the root, or — for a device placed higher than that level — the device's own area.
   */
  async countsByArea(f: ResultsFilter, root: AreaRow, level: AreaLevel): Promise<GroupCount[]> {
    const q = this.sql();
    const where = this.where(q, f, root.path);
    const inner =
      'SELECT dev.area_code AS area_code, a.path AS path, d.state AS state, COUNT(*) AS n ' +
      `FROM deliveries d JOIN devices dev ON dev.id = d.device_id JOIN areas a ON a.code = dev.area_code WHERE ${where} ` +
      'GROUP BY dev.area_code, a.path, d.state';
    const levelP = q.bind(level);
    const rootP = q.bind(`${root.path}%`);
    const rows = (await this.db.query(
      'SELECT COALESCE(g.code, xa.code) AS code, COALESCE(g.name, xa.name) AS name, COALESCE(g.level, xa.level) AS level, x.state AS state, SUM(x.n) AS n, ' +
        'SUM(CASE WHEN g.code IS NOT NULL AND x.area_code <> g.code THEN x.n ELSE 0 END) AS deeper, ' +
        'MAX(CASE WHEN g.code IS NULL THEN 1 ELSE 0 END) AS own ' +
        `FROM (${inner}) x JOIN areas xa ON xa.code = x.area_code ` +
        `LEFT JOIN areas g ON g.level = ${levelP} AND g.path LIKE ${rootP} AND x.path LIKE g.path || '%' ` +
        'GROUP BY COALESCE(g.code, xa.code), COALESCE(g.name, xa.name), COALESCE(g.level, xa.level), x.state',
      q.params,
    )) as Array<Record<string, unknown>>;
    return rows.map((r) => ({ code: String(r.code), name: String(r.name), level: r.level as AreaLevel, state: String(r.state), n: num(r.n), deeper: num(r.deeper), own: num(r.own) > 0 }));
  }

  /** One page of the devices' deliveries under `areaPath` (null: the whole scope), problems first. */
  async page(f: ResultsFilter & { areaPath: string | null; state?: DeliveryState | undefined }, limit: number, offset: number): Promise<{ items: ResultDeliveryRow[]; total: number }> {
    const from = (q: Sql): string => {
      let where = this.where(q, f, f.areaPath);
      if (f.state) where += ` AND d.state = ${q.bind(f.state)}`;
      return `FROM deliveries d JOIN occurrences o ON o.id = d.occurrence_id JOIN devices dev ON dev.id = d.device_id JOIN areas a ON a.code = dev.area_code WHERE ${where}`;
    };
    const c = this.sql();
    const count = (await this.db.query(`SELECT COUNT(*) AS n ${from(c)}`, c.params)) as Array<{ n: unknown }>;
    const q = this.sql();
    const body = from(q);
    const rows = (await this.db.query(
      `SELECT d.occurrence_id AS "occurrenceId", o.start_at AS "occurrenceStartAt", d.device_id AS "deviceId", dev.name AS "deviceName", dev.area_code AS "areaCode", a.name AS "areaName", ${DELIVERY_PROGRESS_COLUMNS.join(', ')} ` +
        `${body} ORDER BY ${STATE_ORDER}, a.name, dev.name, d.device_id, o.start_at LIMIT ${q.bind(limit)} OFFSET ${q.bind(offset)}`,
      q.params,
    )) as Array<Record<string, unknown>>;
    return {
      total: num(count[0]?.n ?? 0),
      items: rows.map((r) => ({
        occurrenceId: String(r.occurrenceId),
        occurrenceStartAt: num(r.occurrenceStartAt),
        deviceId: String(r.deviceId),
        deviceName: strOrNull(r.deviceName),
        areaCode: strOrNull(r.areaCode),
        areaName: strOrNull(r.areaName),
        ...deliveryProgressOf(r),
      })),
    };
  }

  /** The WHERE over deliveries `d` joined to the device's area `a`: schedule, occurrence, scope and subtree. */
  private where(q: Sql, f: ResultsFilter, underPath: string | null): string {
    let w = `d.schedule_id = ${q.bind(f.scheduleId)}`;
    if (f.occurrenceId) w += ` AND d.occurrence_id = ${q.bind(f.occurrenceId)}`;
    if (f.scopePattern !== null) w += ` AND a.path LIKE ${q.bind(f.scopePattern)}`;
    if (underPath !== null) w += ` AND a.path LIKE ${q.bind(`${underPath}%`)}`;
    return w;
  }
}
