import type { EntityManager } from 'typeorm';
import type { PlaybackEvent } from '@loa/shared';
import type { AlertDeliveryState } from '@loa/shared/rest';
import { placeholders, unnestArrays, updateFromValues, type UpdateColumn } from '../database/bulk-update.js';
import { rawNumOrNull, rawStrOrNull } from '../database/raw-values.js';
import { padToShape } from '../database/statement-shape.js';
import { alertIdOf, applyAlertReport, type AlertDeliveryFields } from './alert-delivery-transition.js';

/**
 * Issue 18: agents' reports on alert slots (`alert:<alertId>`) applied to the alerts' delivery records
 * (alert_deliveries), inside the reports' own group commit (DeliveriesRepository.commitBatches): an acknowledged
 * report has moved its record. Only called when a commit holds such a report, so schedule reports pay nothing.
 */

export interface AlertReport {
  deviceId: string;
  e: PlaybackEvent;
}

interface AlertDeliveryRow extends AlertDeliveryFields {
  alertId: string;
  deviceId: string;
  updatedAt: number;
}

/** The records named by these reports, by device then occurrence id (`alert:<id>`). */
export type AlertRows = Map<string, Map<string, AlertDeliveryRow>>;

const COLUMNS = ['alert_id', 'device_id', 'state', 'delivered_at', 'started_at', 'ended_at', 'reason', 'updated_at'] as const;
const KEY: readonly UpdateColumn[] = [
  { name: 'alert_id', pgType: 'varchar' },
  { name: 'device_id', pgType: 'varchar' },
];
const UPDATE: readonly UpdateColumn[] = [
  { name: 'state', pgType: 'varchar' },
  { name: 'delivered_at', pgType: 'bigint' },
  { name: 'started_at', pgType: 'bigint' },
  { name: 'ended_at', pgType: 'bigint' },
  { name: 'reason', pgType: 'varchar' },
  { name: 'updated_at', pgType: 'bigint' },
];

type Raw = Record<(typeof COLUMNS)[number], unknown>;

/**
 * Reads (and on PostgreSQL locks, in key order, as the schedule deliveries are locked) the records these reports
 * name. Reports for an alert this device was not meant for (or a record not written yet) find nothing and are
 * only kept as evidence.
 */
export async function alertDeliveriesFor(tx: EntityManager, reports: readonly AlertReport[]): Promise<AlertRows> {
  const out: AlertRows = new Map();
  const pairs = new Map<string, Set<string>>();
  for (const { deviceId, e } of reports) {
    const alertId = alertIdOf(e.occurrenceId);
    if (alertId === null) continue;
    let alerts = pairs.get(deviceId);
    if (!alerts) pairs.set(deviceId, (alerts = new Set()));
    alerts.add(alertId);
  }
  const add = (r: Raw): void => {
    const row: AlertDeliveryRow = {
      alertId: String(r.alert_id),
      deviceId: String(r.device_id),
      state: r.state as AlertDeliveryState,
      deliveredAt: rawNumOrNull(r.delivered_at),
      startedAt: rawNumOrNull(r.started_at),
      endedAt: rawNumOrNull(r.ended_at),
      reason: rawStrOrNull(r.reason),
      updatedAt: Number(r.updated_at),
    };
    let byOccurrence = out.get(row.deviceId);
    if (!byOccurrence) out.set(row.deviceId, (byOccurrence = new Map()));
    byOccurrence.set(`alert:${row.alertId}`, row);
  };
  if (tx.connection.driver.options.type === 'postgres') {
    const alerts: string[] = [];
    const devices: string[] = [];
    for (const [d, as] of [...pairs].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      for (const a of as) {
        alerts.push(a);
        devices.push(d);
      }
    const rows = (await tx.query(
      `SELECT ${COLUMNS.map((c) => `d.${c}`).join(', ')} FROM alert_deliveries d JOIN ${unnestArrays(KEY)} AS p(alert_id, device_id) ON d.alert_id = p.alert_id AND d.device_id = p.device_id ORDER BY d.alert_id, d.device_id FOR NO KEY UPDATE OF d`,
      [alerts, devices],
    )) as Raw[];
    for (const r of rows) add(r);
    return out;
  }
  const alertIds = [...new Set([...pairs.values()].flatMap((s) => [...s]))];
  const deviceIds = [...pairs.keys()];
  for (let j = 0; j < deviceIds.length; j += 500)
    for (let i = 0; i < alertIds.length; i += 200) {
      const as = padToShape(alertIds.slice(i, i + 200));
      const ds = padToShape(deviceIds.slice(j, j + 500));
      const rows = (await tx.query(
        `SELECT ${COLUMNS.join(', ')} FROM alert_deliveries WHERE alert_id IN (${placeholders(false, as.length)}) AND device_id IN (${placeholders(false, ds.length)})`,
        [...as, ...ds],
      )) as Raw[];
      for (const r of rows) if (pairs.get(String(r.device_id))?.has(String(r.alert_id)) === true) add(r);
    }
  return out;
}

/**
 * Applies new reports (in arrival order) to their records and writes the changed ones in one statement. Returns the
 * alerts whose records changed, for the live counts.
 */
export async function applyAlertReports(tx: EntityManager, rows: AlertRows, fresh: readonly AlertReport[], now: number): Promise<string[]> {
  const changed = new Set<AlertDeliveryRow>();
  for (const { deviceId, e } of fresh) {
    const row = rows.get(deviceId)?.get(e.occurrenceId);
    if (!row) continue;
    const patch = applyAlertReport(row, e, now);
    if (!patch) continue;
    Object.assign(row, patch);
    changed.add(row);
  }
  if (changed.size === 0) return [];
  await updateFromValues(
    tx,
    'alert_deliveries',
    KEY,
    UPDATE,
    [...changed].map((r) => [r.alertId, r.deviceId, r.state, r.deliveredAt, r.startedAt, r.endedAt, r.reason, r.updatedAt]),
  );
  return [...new Set([...changed].map((r) => r.alertId))];
}
