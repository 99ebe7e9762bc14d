import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { insertIgnoring } from '../database/bulk-insert.js';
import { inTransaction, managerOf } from '../database/transaction-runner.js';
import { rawNum as num } from '../database/raw-values.js';

/** Device ids per IN list: well under both databases' parameter limits. */
export const ID_CHUNK = 500;

/** A coverage rollup row (one device, one day or month, one priority and category). */
export interface CoverageCounts {
  due: number;
  played: number;
  started: number;
  onTime: number;
  airedMs: number;
  failed: number;
}
export interface CoverageRow extends CoverageCounts {
  deviceId: string;
  priority: string;
  category: string;
}
export interface FailureRow {
  deviceId: string;
  priority: string;
  category: string;
  reason: string;
  count: number;
}
export interface AvailabilityRow {
  deviceId: string;
  onlineMs: number;
  spanMs: number;
  alarms: number;
}

/** How the job counts (see docs/reports.md, Coverage): the same rules for every day it computes. */
export interface CoverageRules {
  /** Now: occurrences starting later are not due yet; those not over by their end + grace are failed. */
  now: number;
  graceMs: number;
  onTimeMs: number;
}

/** Withdrawn by an operator before their start (planning's withdrawAll): never due. */
const NOT_WITHDRAWN = `NOT (d.state = 'skipped' AND d.reason = 'cancelled')`;
/** A delivery that ended without playing to the end, or that nobody heard of by its end + grace. */
const FAILED = `(d.state IN ('failed', 'expired', 'skipped', 'preempted') OR (d.state IN ('queued', 'delivered', 'started') AND o.start_at + o.duration_ms + ? <= ?))`;
/** Why: the agent's reason, else the state; for no report, how far it got (timeline never acked, never started, never ended). */
const REASON = `CASE WHEN d.state = 'queued' THEN 'not-delivered' WHEN d.state = 'delivered' THEN 'no-report' WHEN d.state = 'started' THEN 'no-end-report' ELSE SUBSTR(COALESCE(NULLIF(d.reason, ''), d.state), 1, 120) END`;

/**
 * Every query of the coverage rollups: reading what changed since the job's watermarks, recomputing a day of some
 * devices from the source rows (deliveries, presence transitions, alarms), and summing days into months. Writes
 * replace whole (device, day) slices, so running any of them twice gives the same rows.
 */
@Injectable()
export class RollupRepository {
  constructor(private readonly db: DataSource) {}

  get postgres(): boolean {
    return this.db.options.type === 'postgres';
  }

  /** `?` placeholders become `$n` on PostgreSQL (the SQL here has no `?` in literals). */
  private sql(text: string): string {
    if (!this.postgres) return text;
    let n = 0;
    return text.replace(/\?/g, () => `$${++n}`);
  }

  private query<T>(text: string, params: unknown[], m: EntityManager = managerOf(this.db)): Promise<T[]> {
    return m.query(this.sql(text), params) as Promise<T[]>;
  }

  private marks = (n: number): string => Array.from({ length: n }, () => '?').join(', ');

  async state(): Promise<Map<string, number>> {
    const rows = await this.query<{ name: string; value: string | number }>('SELECT name, value FROM rollup_state', []);
    return new Map(rows.map((r) => [r.name, num(r.value)]));
  }

  async saveState(values: Record<string, number>): Promise<void> {
    await inTransaction(this.db, async (m) => {
      for (const [name, value] of Object.entries(values)) {
        await m.query(this.sql('DELETE FROM rollup_state WHERE name = ?'), [name]);
        await m.query(this.sql('INSERT INTO rollup_state (name, value) VALUES (?, ?)'), [name, value]);
      }
    });
  }

  /**
   * Deliveries changed in (since, until], oldest change first, at most `limit` (plus every row sharing the last
   * change's instant, so the next call can start strictly after it): device, scheduled start, change instant.
   */
  async changedDeliveries(since: number, until: number, limit: number): Promise<Array<{ deviceId: string; startAt: number; updatedAt: number }>> {
    const base = 'SELECT d.device_id AS "deviceId", o.start_at AS "startAt", d.updated_at AS "updatedAt" FROM deliveries d JOIN occurrences o ON o.id = d.occurrence_id';
    const rows = await this.query<Record<string, unknown>>(`${base} WHERE d.updated_at > ? AND d.updated_at <= ? ORDER BY d.updated_at LIMIT ?`, [since, until, limit]);
    const out = rows.map((r) => ({ deviceId: String(r.deviceId), startAt: num(r.startAt), updatedAt: num(r.updatedAt) }));
    if (out.length === limit) {
      const last = out[out.length - 1]!.updatedAt;
      const tied = await this.query<Record<string, unknown>>(`${base} WHERE d.updated_at = ?`, [last]);
      // Many may share it (a withdrawal stamps a whole schedule's deliveries at once): no spread into push.
      for (const r of tied) out.push({ deviceId: String(r.deviceId), startAt: num(r.startAt), updatedAt: last });
    }
    return out;
  }

  /**
   * Deliveries whose count changes with time alone since `prev`: their occurrence started in (prev, now] (now due),
   * or its end + grace passed in (prev, now] (now failed if unreported). `maxDurationMs` bounds the index scan.
   */
  async crossed(prev: number, now: number, graceMs: number, maxDurationMs: number): Promise<Array<{ deviceId: string; startAt: number }>> {
    const rows = await this.query<Record<string, unknown>>(
      `SELECT d.device_id AS "deviceId", o.start_at AS "startAt" FROM occurrences o JOIN deliveries d ON d.occurrence_id = o.id
       WHERE o.start_at > ? AND o.start_at <= ?
         AND ((o.start_at > ?) OR (o.start_at + o.duration_ms + ? > ? AND o.start_at + o.duration_ms + ? <= ?))`,
      [prev - graceMs - maxDurationMs, now, prev, graceMs, prev, graceMs, now],
    );
    return rows.map((r) => ({ deviceId: String(r.deviceId), startAt: num(r.startAt) }));
  }

  /** Presence transitions with an id above `afterId`: device and instant (the ids only grow). */
  async transitionsAfter(afterId: number): Promise<Array<{ id: number; deviceId: string; at: number }>> {
    const rows = await this.query<Record<string, unknown>>('SELECT id, device_id AS "deviceId", at FROM device_connections WHERE id > ? ORDER BY id', [afterId]);
    return rows.map((r) => ({ id: num(r.id), deviceId: String(r.deviceId), at: num(r.at) }));
  }

  async alarmsRaised(since: number, until: number): Promise<Array<{ deviceId: string; raisedAt: number }>> {
    const rows = await this.query<Record<string, unknown>>('SELECT device_id AS "deviceId", raised_at AS "raisedAt" FROM alarms WHERE raised_at > ? AND raised_at <= ?', [since, until]);
    return rows.map((r) => ({ deviceId: String(r.deviceId), raisedAt: num(r.raisedAt) }));
  }

  async maxTransitionId(): Promise<number> {
    const rows = await this.query<{ id: string | number | null }>('SELECT MAX(id) AS id FROM device_connections', []);
    return rows[0]?.id === null || rows[0]?.id === undefined ? 0 : num(rows[0].id);
  }

  async firstDeviceCreatedAt(): Promise<number | null> {
    const rows = await this.query<{ t: string | number | null }>('SELECT MIN(created_at) AS t FROM devices', []);
    return rows[0]?.t === null || rows[0]?.t === undefined ? null : num(rows[0].t);
  }

  /** Every device id, in pages (the availability of a day is kept for every device that existed). */
  async *deviceIds(): AsyncGenerator<string[]> {
    let after = '';
    for (;;) {
      const rows = await this.query<{ id: string }>('SELECT id FROM devices WHERE id > ? ORDER BY id LIMIT ?', [after, ID_CHUNK]);
      if (rows.length > 0) yield rows.map((r) => String(r.id));
      if (rows.length < ID_CHUNK) return;
      after = String(rows[rows.length - 1]!.id);
    }
  }

  /** The coverage of the devices' occurrences scheduled in [from, to), by device, priority and category. */
  async coverageOf(from: number, to: number, deviceIds: readonly string[], r: CoverageRules): Promise<{ coverage: CoverageRow[]; failures: FailureRow[] }> {
    const where = `o.start_at >= ? AND o.start_at < ? AND o.start_at <= ? AND d.occurrence_id = o.id AND d.device_id IN (${this.marks(deviceIds.length)}) AND ${NOT_WITHDRAWN}`;
    // CROSS JOIN: SQLite then keeps this order (the day's few occurrences by start, then each one's deliveries by
    // primary key) instead of walking every delivery of the devices; PostgreSQL plans it as the inner join it is.
    const joins = 'FROM occurrences o CROSS JOIN deliveries d JOIN schedules s ON s.id = d.schedule_id LEFT JOIN contents c ON c.id = s.content_id';
    const rows = await this.query<Record<string, unknown>>(
      `SELECT d.device_id AS "deviceId", s.priority AS "priority", COALESCE(c.category, '') AS "category", COUNT(*) AS "due",
         SUM(CASE WHEN d.state = 'finished' THEN 1 ELSE 0 END) AS "played",
         SUM(CASE WHEN d.started_at IS NOT NULL THEN 1 ELSE 0 END) AS "started",
         SUM(CASE WHEN d.started_at IS NOT NULL AND d.started_at >= o.start_at - ? AND d.started_at <= o.start_at + ? THEN 1 ELSE 0 END) AS "onTime",
         SUM(COALESCE(d.played_ms, 0)) AS "airedMs",
         SUM(CASE WHEN ${FAILED} THEN 1 ELSE 0 END) AS "failed"
       ${joins} WHERE ${where}
       GROUP BY d.device_id, s.priority, COALESCE(c.category, '')`,
      [r.onTimeMs, r.onTimeMs, r.graceMs, r.now, from, to, r.now, ...deviceIds],
    );
    const failures = await this.query<Record<string, unknown>>(
      `SELECT d.device_id AS "deviceId", s.priority AS "priority", COALESCE(c.category, '') AS "category", ${REASON} AS "reason", COUNT(*) AS "count"
       ${joins} WHERE ${where} AND ${FAILED}
       GROUP BY d.device_id, s.priority, COALESCE(c.category, ''), ${REASON}`,
      [from, to, r.now, ...deviceIds, r.graceMs, r.now],
    );
    return {
      coverage: rows.map((x) => ({ deviceId: String(x.deviceId), priority: String(x.priority), category: String(x.category), due: num(x.due), played: num(x.played), started: num(x.started), onTime: num(x.onTime), airedMs: num(x.airedMs), failed: num(x.failed) })),
      failures: failures.map((x) => ({ deviceId: String(x.deviceId), priority: String(x.priority), category: String(x.category), reason: String(x.reason), count: num(x.count) })),
    };
  }

  /** Replaces the devices' coverage rows of one day. */
  async replaceCoverageDay(day: string, deviceIds: readonly string[], rows: { coverage: CoverageRow[]; failures: FailureRow[] }): Promise<void> {
    await inTransaction(this.db, async (m) => {
      const ids = this.marks(deviceIds.length);
      await m.query(this.sql(`DELETE FROM coverage_daily WHERE day = ? AND device_id IN (${ids})`), [day, ...deviceIds]);
      await m.query(this.sql(`DELETE FROM coverage_failures_daily WHERE day = ? AND device_id IN (${ids})`), [day, ...deviceIds]);
      await insertIgnoring(m, 'coverage_daily', ['device_id', 'day', 'priority', 'category', 'due', 'played', 'started', 'on_time', 'aired_ms', 'failed'], rows.coverage.map((r) => [r.deviceId, day, r.priority, r.category, r.due, r.played, r.started, r.onTime, r.airedMs, r.failed]));
      await insertIgnoring(m, 'coverage_failures_daily', ['device_id', 'day', 'priority', 'category', 'reason', 'count'], rows.failures.map((r) => [r.deviceId, day, r.priority, r.category, r.reason, r.count]));
    });
  }

  /** What availability needs of the devices for [from, until): creation, the state at `from`, the transitions after. */
  async presenceOf(from: number, until: number, deviceIds: readonly string[]): Promise<{ created: Map<string, number>; initial: Map<string, boolean>; transitions: Array<{ deviceId: string; at: number; online: boolean }> }> {
    const ids = this.marks(deviceIds.length);
    const heads = await this.query<Record<string, unknown>>(
      `SELECT d.id AS "id", d.created_at AS "createdAt",
         (SELECT c.state FROM device_connections c WHERE c.device_id = d.id AND c.at < ? ORDER BY c.at DESC, c.id DESC LIMIT 1) AS "state"
       FROM devices d WHERE d.id IN (${ids})`,
      [from, ...deviceIds],
    );
    const moves = await this.query<Record<string, unknown>>(`SELECT device_id AS "deviceId", at, state FROM device_connections WHERE device_id IN (${ids}) AND at >= ? AND at < ? ORDER BY device_id, at, id`, [...deviceIds, from, until]);
    return {
      created: new Map(heads.map((h) => [String(h.id), num(h.createdAt)])),
      initial: new Map(heads.map((h) => [String(h.id), h.state === 'online'])),
      transitions: moves.map((t) => ({ deviceId: String(t.deviceId), at: num(t.at), online: t.state === 'online' })),
    };
  }

  async alarmsOf(from: number, to: number, deviceIds: readonly string[]): Promise<Map<string, number>> {
    const rows = await this.query<Record<string, unknown>>(`SELECT device_id AS "deviceId", COUNT(*) AS "n" FROM alarms WHERE device_id IN (${this.marks(deviceIds.length)}) AND raised_at >= ? AND raised_at < ? GROUP BY device_id`, [...deviceIds, from, to]);
    return new Map(rows.map((r) => [String(r.deviceId), num(r.n)]));
  }

  async replaceAvailabilityDay(day: string, deviceIds: readonly string[], rows: readonly AvailabilityRow[]): Promise<void> {
    await inTransaction(this.db, async (m) => {
      await m.query(this.sql(`DELETE FROM availability_daily WHERE day = ? AND device_id IN (${this.marks(deviceIds.length)})`), [day, ...deviceIds]);
      await insertIgnoring(m, 'availability_daily', ['device_id', 'day', 'online_ms', 'span_ms', 'alarms'], rows.map((r) => [r.deviceId, day, r.onlineMs, r.spanMs, r.alarms]));
    });
  }

  /** Rebuilds the all-devices totals of a day (yyyy-mm-dd, from the daily rows) or a month (yyyy-mm, from the monthly ones). */
  async rollTotals(period: string): Promise<void> {
    const [suffix, col] = period.length === 10 ? ['daily', 'day'] : ['monthly', 'month'];
    await inTransaction(this.db, async (m) => {
      const q = (text: string, params: unknown[]) => m.query(this.sql(text), params);
      await q('DELETE FROM coverage_totals WHERE period = ?', [period]);
      await q(
        `INSERT INTO coverage_totals (period, priority, category, due, played, started, on_time, aired_ms, failed)
         SELECT ?, priority, category, SUM(due), SUM(played), SUM(started), SUM(on_time), SUM(aired_ms), SUM(failed) FROM coverage_${suffix} WHERE ${col} = ? GROUP BY priority, category`,
        [period, period],
      );
      await q('DELETE FROM availability_totals WHERE period = ?', [period]);
      await q(
        `INSERT INTO availability_totals (period, online_ms, span_ms, alarms, devices)
         SELECT ?, SUM(online_ms), SUM(span_ms), SUM(alarms), COUNT(*) FROM availability_${suffix} WHERE ${col} = ? HAVING COUNT(*) > 0`,
        [period, period],
      );
    });
  }

  /** Rebuilds the devices' monthly rows of `month` from their daily rows (days yyyy-mm-01 to the next month). */
  async rollMonth(month: string, nextMonth: string, deviceIds: readonly string[]): Promise<void> {
    const ids = this.marks(deviceIds.length);
    const range = [`${month}-01`, `${nextMonth}-01`];
    await inTransaction(this.db, async (m) => {
      const q = (text: string, params: unknown[]) => m.query(this.sql(text), params);
      await q(`DELETE FROM coverage_monthly WHERE month = ? AND device_id IN (${ids})`, [month, ...deviceIds]);
      await q(
        `INSERT INTO coverage_monthly (device_id, month, priority, category, due, played, started, on_time, aired_ms, failed)
         SELECT device_id, ?, priority, category, SUM(due), SUM(played), SUM(started), SUM(on_time), SUM(aired_ms), SUM(failed)
         FROM coverage_daily WHERE day >= ? AND day < ? AND device_id IN (${ids}) GROUP BY device_id, priority, category`,
        [month, ...range, ...deviceIds],
      );
      await q(`DELETE FROM coverage_failures_monthly WHERE month = ? AND device_id IN (${ids})`, [month, ...deviceIds]);
      await q(
        `INSERT INTO coverage_failures_monthly (device_id, month, priority, category, reason, count)
         SELECT device_id, ?, priority, category, reason, SUM(count)
         FROM coverage_failures_daily WHERE day >= ? AND day < ? AND device_id IN (${ids}) GROUP BY device_id, priority, category, reason`,
        [month, ...range, ...deviceIds],
      );
      await q(`DELETE FROM availability_monthly WHERE month = ? AND device_id IN (${ids})`, [month, ...deviceIds]);
      await q(
        `INSERT INTO availability_monthly (device_id, month, online_ms, span_ms, alarms)
         SELECT device_id, ?, SUM(online_ms), SUM(span_ms), SUM(alarms)
         FROM availability_daily WHERE day >= ? AND day < ? AND device_id IN (${ids}) GROUP BY device_id`,
        [month, ...range, ...deviceIds],
      );
    });
  }
}
