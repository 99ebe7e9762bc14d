import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { rawNum as num, rawStrOrNull as strOrNull } from '../database/raw-values.js';
import type { CoverageCounts } from './rollup.repository.js';

/** Device ids per IN list of a report query; the sums of disjoint chunks add up. */
const REPORT_CHUNK = 5_000;

/** Which rollup rows a period reads: whole months from the monthly tables, the days around them from the daily ones. */
export interface RollupSpan {
  months: string[];
  /** Local days [first, end) read from the daily tables. */
  days: Array<[string, string]>;
}

/** What a report counts: some devices (null: every device), priorities and category codes (null: all). */
export interface RollupFilter {
  deviceIds: readonly string[] | null;
  priorities: readonly string[] | null;
  categories: readonly string[] | null;
}

export interface DeviceSlice extends CoverageCounts {
  deviceId: string;
  priority: string;
  category: string;
}
export interface DeviceAvailability {
  deviceId: string;
  onlineMs: number;
  spanMs: number;
  alarms: number;
}
export interface SubtreeDevice {
  id: string;
  name: string | null;
  kind: string;
  areaCode: string;
  areaPath: string;
  areaLevel: string;
}
export interface AreaRow {
  code: string;
  name: string;
  level: string;
  path: string;
}
export interface SeriesPoint extends CoverageCounts {
  key: string;
}
export interface AvailabilityPoint {
  key: string;
  onlineMs: number;
  spanMs: number;
  alarms: number;
  devices: number;
}

const COUNTS = 'SUM(due) AS "due", SUM(played) AS "played", SUM(started) AS "started", SUM(on_time) AS "onTime", SUM(aired_ms) AS "airedMs", SUM(failed) AS "failed"';
const counts = (r: Record<string, unknown>): CoverageCounts => ({ due: num(r.due), played: num(r.played), started: num(r.started), onTime: num(r.onTime), airedMs: num(r.airedMs), failed: num(r.failed) });

/**
 * The coverage report's reads: only the rollups (rollup.entities.ts), the areas and the devices, never the
 * deliveries. A device counts under its area now (joined at query time), not where it was when it played.
 */
@Injectable()
export class CoverageRepository {
  constructor(private readonly db: DataSource) {}

  private get pg(): boolean {
    return this.db.options.type === 'postgres';
  }

  private sql(text: string): string {
    if (!this.pg) return text;
    let n = 0;
    return text.replace(/\?/g, () => `$${++n}`);
  }

  private query<T = Record<string, unknown>>(text: string, params: unknown[]): Promise<T[]> {
    return this.db.query(this.sql(text), params) as Promise<T[]>;
  }

  async area(code: string): Promise<AreaRow | null> {
    const rows = await this.query('SELECT code, name, level, path FROM areas WHERE code = ?', [code]);
    return rows[0] ? areaRow(rows[0]) : null;
  }

  /** The areas right under `code` (the top-level areas for null). */
  async children(code: string | null): Promise<AreaRow[]> {
    const rows = code === null ? await this.query('SELECT code, name, level, path FROM areas WHERE parent_code IS NULL', []) : await this.query('SELECT code, name, level, path FROM areas WHERE parent_code = ?', [code]);
    return rows.map(areaRow);
  }

  /** The devices whose area is in the subtree (every device for null). */
  async devices(pathPrefix: string | null): Promise<SubtreeDevice[]> {
    const base = 'SELECT d.id AS "id", d.name AS "name", d.kind AS "kind", d.area_code AS "areaCode", a.path AS "areaPath", a.level AS "areaLevel" FROM devices d JOIN areas a ON a.code = d.area_code';
    const rows = pathPrefix === null ? await this.query(base, []) : await this.query(`${base} WHERE a.path LIKE ?`, [`${pathPrefix}%`]);
    return rows.map((r) => ({ id: String(r.id), name: strOrNull(r.name), kind: String(r.kind), areaCode: String(r.areaCode), areaPath: String(r.areaPath), areaLevel: String(r.areaLevel) }));
  }

  async device(id: string): Promise<SubtreeDevice | null> {
    const rows = await this.query('SELECT d.id AS "id", d.name AS "name", d.kind AS "kind", d.area_code AS "areaCode", a.path AS "areaPath", a.level AS "areaLevel" FROM devices d JOIN areas a ON a.code = d.area_code WHERE d.id = ?', [id]);
    const r = rows[0];
    return r ? { id: String(r.id), name: strOrNull(r.name), kind: String(r.kind), areaCode: String(r.areaCode), areaPath: String(r.areaPath), areaLevel: String(r.areaLevel) } : null;
  }

  async deviceCount(): Promise<number> {
    const rows = await this.query('SELECT COUNT(*) AS n FROM devices', []);
    return num(rows[0]?.n ?? 0);
  }

  async categories(): Promise<Array<{ code: string; name: string; essential: boolean }>> {
    const rows = await this.query('SELECT code, name, essential FROM content_categories ORDER BY code', []);
    return rows.map((r) => ({ code: String(r.code), name: String(r.name), essential: r.essential === true || r.essential === 1 || r.essential === '1' }));
  }

  /** Coverage per device, priority and category over the span. */
  async byDevice(span: RollupSpan, f: RollupFilter): Promise<DeviceSlice[]> {
    return this.perSource(span, f, 'coverage', (table, grain, where, params) =>
      this.query(`SELECT device_id AS "deviceId", priority AS "priority", category AS "category", ${COUNTS} FROM ${table} WHERE ${where} GROUP BY device_id, priority, category`, params).then((rows) =>
        rows.map((r) => ({ deviceId: String(r.deviceId), priority: String(r.priority), category: String(r.category), ...counts(r) })),
      ),
    );
  }

  /** Online time, observed time and alarms per device over the span (filters other than devices do not apply). */
  async availabilityByDevice(span: RollupSpan, deviceIds: readonly string[] | null): Promise<DeviceAvailability[]> {
    return this.perSource(span, { deviceIds, priorities: null, categories: null }, 'availability', (table, grain, where, params) =>
      this.query(`SELECT device_id AS "deviceId", SUM(online_ms) AS "onlineMs", SUM(span_ms) AS "spanMs", SUM(alarms) AS "alarms" FROM ${table} WHERE ${where} GROUP BY device_id`, params).then((rows) =>
        rows.map((r) => ({ deviceId: String(r.deviceId), onlineMs: num(r.onlineMs), spanMs: num(r.spanMs), alarms: num(r.alarms) })),
      ),
    );
  }

  async failuresByReason(span: RollupSpan, f: RollupFilter): Promise<Map<string, number>> {
    const parts = await this.perSource(span, f, 'coverage_failures', (table, grain, where, params) =>
      this.query(`SELECT reason AS "reason", SUM(count) AS "n" FROM ${table} WHERE ${where} GROUP BY reason`, params).then((rows) => rows.map((r) => ({ reason: String(r.reason), n: num(r.n) }))),
    );
    const out = new Map<string, number>();
    for (const p of parts) out.set(p.reason, (out.get(p.reason) ?? 0) + p.n);
    return out;
  }

  /** Coverage per local day (bucket 'day') or month ('month') of the span. */
  async series(span: RollupSpan, f: RollupFilter, bucket: 'day' | 'month'): Promise<SeriesPoint[]> {
    const parts = await this.perSource(span, f, 'coverage', (table, grain, where, params) => {
      const key = grain === 'month' ? 'month' : bucket === 'day' ? 'day' : 'SUBSTR(day, 1, 7)';
      return this.query(`SELECT ${key} AS "key", ${COUNTS} FROM ${table} WHERE ${where} GROUP BY ${key}`, params).then((rows) => rows.map((r) => ({ key: String(r.key), ...counts(r) })));
    });
    return mergeBy(parts, (a, b) => ({ key: a.key, due: a.due + b.due, played: a.played + b.played, started: a.started + b.started, onTime: a.onTime + b.onTime, airedMs: a.airedMs + b.airedMs, failed: a.failed + b.failed }));
  }

  /** Availability per day or month; `devices` counts the devices observed (one availability row per device and day or month). */
  async availabilitySeries(span: RollupSpan, deviceIds: readonly string[] | null, bucket: 'day' | 'month'): Promise<AvailabilityPoint[]> {
    const parts = await this.perSource(span, { deviceIds, priorities: null, categories: null }, 'availability', (table, grain, where, params) => {
      const key = grain === 'month' ? 'month' : bucket === 'day' ? 'day' : 'SUBSTR(day, 1, 7)';
      return this.query(`SELECT ${key} AS "key", SUM(online_ms) AS "onlineMs", SUM(span_ms) AS "spanMs", SUM(alarms) AS "alarms", ${grain === 'day' && bucket === 'month' ? 'COUNT(DISTINCT device_id)' : 'COUNT(*)'} AS "devices" FROM ${table} WHERE ${where} GROUP BY ${key}`, params).then((rows) =>
        rows.map((r) => ({ key: String(r.key), onlineMs: num(r.onlineMs), spanMs: num(r.spanMs), alarms: num(r.alarms), devices: num(r.devices) })),
      );
    });
    return mergeBy(parts, (a, b) => ({ key: a.key, onlineMs: a.onlineMs + b.onlineMs, spanMs: a.spanMs + b.spanMs, alarms: a.alarms + b.alarms, devices: a.devices + b.devices }));
  }

  /**
   * The all-devices totals of these days and months (coverage_totals, availability_totals): the series of a report
   * over every device, without summing each device's rows. Filters other than devices apply to the coverage.
   */
  async totals(periods: readonly string[], f: Omit<RollupFilter, 'deviceIds'>): Promise<{ coverage: SeriesPoint[]; availability: AvailabilityPoint[] }> {
    if (periods.length === 0 || (f.categories !== null && f.categories.length === 0)) return { coverage: [], availability: [] };
    const conds = [`period IN (${periods.map(() => '?').join(', ')})`];
    const params: unknown[] = [...periods];
    if (f.priorities !== null) {
      conds.push(`priority IN (${f.priorities.map(() => '?').join(', ')})`);
      params.push(...f.priorities);
    }
    if (f.categories !== null) {
      conds.push(`category IN (${f.categories.map(() => '?').join(', ')})`);
      params.push(...f.categories);
    }
    const coverage = await this.query(`SELECT period AS "key", ${COUNTS} FROM coverage_totals WHERE ${conds.join(' AND ')} GROUP BY period`, params);
    const availability = await this.query(`SELECT period AS "key", online_ms AS "onlineMs", span_ms AS "spanMs", alarms AS "alarms", devices AS "devices" FROM availability_totals WHERE period IN (${periods.map(() => '?').join(', ')})`, [...periods]);
    return {
      coverage: coverage.map((r) => ({ key: String(r.key), ...counts(r) })),
      availability: availability.map((r) => ({ key: String(r.key), onlineMs: num(r.onlineMs), spanMs: num(r.spanMs), alarms: num(r.alarms), devices: num(r.devices) })),
    };
  }

  /**
   * Runs `read` on the monthly table for the span's whole months and on the daily table for its other days, once
   * per chunk of devices when the filter names devices, and concatenates what they return.
   */
  private async perSource<T>(span: RollupSpan, f: RollupFilter, family: 'coverage' | 'coverage_failures' | 'availability', read: (table: string, grain: 'day' | 'month', where: string, params: unknown[]) => Promise<T[]>): Promise<T[]> {
    const out: T[] = [];
    const deviceChunks: Array<readonly string[] | null> = [];
    if (f.deviceIds === null) deviceChunks.push(null);
    else for (let i = 0; i < f.deviceIds.length; i += REPORT_CHUNK) deviceChunks.push(f.deviceIds.slice(i, i + REPORT_CHUNK));
    if (f.deviceIds !== null && f.deviceIds.length === 0) return out;
    const sources: Array<{ grain: 'day' | 'month'; cond: string; params: unknown[] }> = [];
    if (span.months.length > 0) sources.push({ grain: 'month', cond: `month IN (${span.months.map(() => '?').join(', ')})`, params: [...span.months] });
    for (const [first, end] of span.days) sources.push({ grain: 'day', cond: 'day >= ? AND day < ?', params: [first, end] });
    for (const src of sources) {
      const table = `${family}_${src.grain === 'day' ? 'daily' : 'monthly'}`;
      for (const ids of deviceChunks) {
        const conds = [src.cond];
        const params = [...src.params];
        if (ids !== null) {
          conds.push(`device_id IN (${ids.map(() => '?').join(', ')})`);
          params.push(...ids);
        }
        if (family !== 'availability' && f.priorities !== null) {
          conds.push(`priority IN (${f.priorities.map(() => '?').join(', ')})`);
          params.push(...f.priorities);
        }
        if (family !== 'availability' && f.categories !== null) {
          if (f.categories.length === 0) return [];
          conds.push(`category IN (${f.categories.map(() => '?').join(', ')})`);
          params.push(...f.categories);
        }
        for (const row of await read(table, src.grain, conds.join(' AND '), params)) out.push(row);
      }
    }
    return out;
  }
}

const areaRow = (r: Record<string, unknown>): AreaRow => ({ code: String(r.code), name: String(r.name), level: String(r.level), path: String(r.path) });

function mergeBy<T extends { key: string }>(parts: readonly T[], add: (a: T, b: T) => T): T[] {
  const m = new Map<string, T>();
  for (const p of parts) {
    const seen = m.get(p.key);
    m.set(p.key, seen ? add(seen, p) : p);
  }
  return [...m.values()].sort((a, b) => a.key.localeCompare(b.key));
}
