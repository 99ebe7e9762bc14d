import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { AlertDeliveryState } from '@loa/shared/rest';
import { retryOnConflict } from '../database/retry.js';
import { rawNumOrNull, rawStrOrNull } from '../database/raw-values.js';

/** Which devices an alert is meant for: all under its area, or only boards when it has nothing to play (text only). */
export interface AlertReach {
  areaCode: string;
  /** False when the alert has neither audio nor a stream: speakers get no slot from it (agent alertSlot). */
  speakers: boolean;
}

/** Counts of the records of one alert in one area (the device's area at the send), split by state. */
export interface AreaStateCount {
  areaCode: string;
  areaPath: string;
  state: AlertDeliveryState;
  /** Records that started playing (started, finished, or withdrawn after it started). */
  played: number;
  n: number;
}

export interface AlertDeliveryRowView {
  deviceId: string;
  deviceName: string;
  kind: string;
  areaCode: string;
  online: boolean;
  state: AlertDeliveryState;
  deliveredAt: number | null;
  startedAt: number | null;
  endedAt: number | null;
  reason: string | null;
}

/** Problems first: failures, then the devices not heard from yet, then the rest; finished last. */
const STATE_ORDER = "CASE ad.state WHEN 'failed' THEN 0 WHEN 'expected' THEN 1 WHEN 'delivered' THEN 2 WHEN 'started' THEN 3 WHEN 'withdrawn' THEN 4 ELSE 5 END";
/** "Played" (the N of "played on N of M"): it reached the loudspeaker or the board, whatever ended it since. */
const PLAYED = "CASE WHEN ad.state IN ('started', 'finished') OR (ad.state = 'withdrawn' AND ad.started_at IS NOT NULL) THEN 1 ELSE 0 END";

/**
 * Issue 18: the alerts' delivery records (alert_deliveries). Written set-based: an alert's records are one
 * INSERT … SELECT of the devices under its area (a province of 10,000 devices is one statement), a withdrawal one
 * UPDATE; the agents' reports move them inside their own group commit (deliveries/alert-reports.repository.ts).
 */
@Injectable()
export class AlertDeliveriesRepository {
  constructor(private readonly db: DataSource) {}

  private get pg(): boolean {
    return this.db.options.type === 'postgres';
  }

  /** `$1` or `?` */
  private p(i: number): string {
    return this.pg ? `$${i}` : '?';
  }

  /**
   * One `expected` record per device the alert reaches now. Idempotent (a fan-out job run again after a crash adds
   * only what is missing, never resets a record that moved).
   */
  async expect(alertId: string, reach: AlertReach, now: number): Promise<number> {
    const kind = reach.speakers ? '' : " AND d.kind <> 'speaker'";
    const sql =
      'INSERT INTO alert_deliveries (alert_id, device_id, area_code, state, updated_at) ' +
      `SELECT ${this.p(1)}, d.id, d.area_code, 'expected', ${this.p(2)} FROM devices d JOIN areas a ON a.code = d.area_code ` +
      `WHERE a.path LIKE (SELECT r.path FROM areas r WHERE r.code = ${this.p(3)}) || '%'${kind} ` +
      'ON CONFLICT (alert_id, device_id) DO NOTHING';
    return this.run(sql, [alertId, now, reach.areaCode]);
  }

  /** A raw INSERT/UPDATE and the number of rows it changed (the structured result says it on both databases). */
  private async run(sql: string, params: unknown[]): Promise<number> {
    const qr = this.db.createQueryRunner();
    try {
      const r = await qr.query(sql, params, true);
      return Number(r.affected ?? 0);
    } finally {
      await qr.release();
    }
  }

  /** Devices an alert with this reach is meant for now (the M shown before and while it is sent). */
  async countReach(reach: AlertReach): Promise<number> {
    const kind = reach.speakers ? '' : " AND d.kind <> 'speaker'";
    const rows = (await this.db.query(
      `SELECT COUNT(*) AS n FROM devices d JOIN areas a ON a.code = d.area_code WHERE a.path LIKE (SELECT r.path FROM areas r WHERE r.code = ${this.p(1)}) || '%'${kind}`,
      [reach.areaCode],
    )) as Array<{ n: unknown }>;
    return Number(rows[0]?.n ?? 0);
  }

  /**
   * Marks what has not started (expected, delivered) `withdrawn`: the alert was cancelled, replaced or expired.
   * Records playing now keep `started` until the agent reports how it stopped.
   */
  async withdraw(alertId: string, reason: string, now: number): Promise<number> {
    return retryOnConflict(async () => {
      return this.run(
        `UPDATE alert_deliveries SET state = 'withdrawn', reason = ${this.p(1)}, ended_at = ${this.p(2)}, updated_at = ${this.p(3)} WHERE alert_id = ${this.p(4)} AND state IN ('expected', 'delivered')`,
        [reason.slice(0, 500), now, now, alertId],
      );
    });
  }

  /** Counts of one alert's records by the device's area and state (a few rows per area). */
  async countsByArea(alertId: string): Promise<AreaStateCount[]> {
    const rows = (await this.db.query(
      `SELECT ad.area_code AS area_code, a.path AS path, ad.state AS state, COUNT(*) AS n, SUM(${PLAYED}) AS played ` +
        `FROM alert_deliveries ad JOIN areas a ON a.code = ad.area_code WHERE ad.alert_id = ${this.p(1)} GROUP BY ad.area_code, a.path, ad.state`,
      [alertId],
    )) as Array<{ area_code: string; path: string; state: string; n: unknown; played: unknown }>;
    return rows.map((r) => ({ areaCode: r.area_code, areaPath: r.path, state: r.state as AlertDeliveryState, n: Number(r.n), played: Number(r.played ?? 0) }));
  }

  /** Last change of an alert's records (null: none). */
  async lastUpdate(alertId: string): Promise<number | null> {
    const rows = (await this.db.query(`SELECT MAX(updated_at) AS at FROM alert_deliveries WHERE alert_id = ${this.p(1)}`, [alertId])) as Array<{ at: unknown }>;
    return rawNumOrNull(rows[0]?.at);
  }

  /** Total and played per alert, for the banner. */
  async totals(alertIds: readonly string[]): Promise<Map<string, { total: number; played: number }>> {
    const out = new Map<string, { total: number; played: number }>();
    if (alertIds.length === 0) return out;
    const rows = (await this.db.query(
      `SELECT ad.alert_id AS alert_id, COUNT(*) AS n, SUM(${PLAYED}) AS played FROM alert_deliveries ad WHERE ad.alert_id IN (${alertIds.map((_, i) => this.p(i + 1)).join(', ')}) GROUP BY ad.alert_id`,
      [...alertIds],
    )) as Array<{ alert_id: string; n: unknown; played: unknown }>;
    for (const r of rows) out.set(r.alert_id, { total: Number(r.n), played: Number(r.played ?? 0) });
    return out;
  }

  /** One page of an alert's records, problems first, optionally of one state and one area subtree (`areaPath`). */
  async page(alertId: string, f: { state?: AlertDeliveryState | undefined; areaPath?: string | undefined; limit: number; offset: number }): Promise<{ items: AlertDeliveryRowView[]; total: number }> {
    const params: unknown[] = [alertId];
    let where = `ad.alert_id = ${this.p(1)}`;
    if (f.state) {
      params.push(f.state);
      where += ` AND ad.state = ${this.p(params.length)}`;
    }
    if (f.areaPath) {
      params.push(`${f.areaPath}%`);
      where += ` AND a.path LIKE ${this.p(params.length)}`;
    }
    const from = `FROM alert_deliveries ad JOIN devices d ON d.id = ad.device_id JOIN areas a ON a.code = ad.area_code WHERE ${where}`;
    const count = (await this.db.query(`SELECT COUNT(*) AS n ${from}`, params)) as Array<{ n: unknown }>;
    const rows = (await this.db.query(
      `SELECT ad.device_id AS device_id, d.name AS name, d.kind AS kind, ad.area_code AS area_code, d.online AS online, ad.state AS state, ad.delivered_at AS delivered_at, ad.started_at AS started_at, ad.ended_at AS ended_at, ad.reason AS reason ` +
        `${from} ORDER BY ${STATE_ORDER}, d.name, ad.device_id LIMIT ${Number(f.limit)} OFFSET ${Number(f.offset)}`,
      params,
    )) as Array<Record<string, unknown>>;
    return {
      total: Number(count[0]?.n ?? 0),
      items: rows.map((r) => ({
        deviceId: String(r.device_id),
        deviceName: String(r.name),
        kind: String(r.kind),
        areaCode: String(r.area_code),
        online: r.online === true || r.online === 1 || r.online === '1',
        state: r.state as AlertDeliveryState,
        deliveredAt: rawNumOrNull(r.delivered_at),
        startedAt: rawNumOrNull(r.started_at),
        endedAt: rawNumOrNull(r.ended_at),
        reason: rawStrOrNull(r.reason),
      })),
    };
  }
}

