import { Injectable } from '@nestjs/common';
import { DataSource, In, type EntityManager } from 'typeorm';
import type { PlaybackEvent } from '@loa/shared';
import type { DeliveryChange } from '../domain-events/domain-events.js';
import { DeliveryEntity } from './delivery.entity.js';
import { DeviceEventEntity } from './device-event.entity.js';
import { applyEvent } from './delivery-transition.js';
import { insertIgnoringEachSqlite, insertIgnoringReturningTyped } from '../database/bulk-insert.js';
import { placeholders, unnestArrays, UPDATE_CHUNK, updateFromValues, type UpdateColumn } from '../database/bulk-update.js';
import { rawNumOrNull, rawStrOrNull } from '../database/raw-values.js';
import { retryOnConflict } from '../database/retry.js';
import { padToShape } from '../database/statement-shape.js';
import { alertDeliveriesFor, applyAlertReports, type AlertReport } from './alert-reports.repository.js';
import { ALERT_OCCURRENCE_PREFIX } from './alert-delivery-transition.js';

const EVENT_COLUMNS: readonly UpdateColumn[] = [
  { name: 'device_id', pgType: 'varchar' },
  { name: 'event_id', pgType: 'varchar' },
  { name: 'occurrence_id', pgType: 'varchar' },
  { name: 'type', pgType: 'varchar' },
  { name: 'at', pgType: 'bigint' },
  { name: 'played_ms', pgType: 'integer' },
  { name: 'heard_ms', pgType: 'integer' },
  { name: 'item_ms', pgType: 'integer' },
  { name: 'reason', pgType: 'varchar' },
  { name: 'applied', pgType: 'boolean' },
  { name: 'received_at', pgType: 'bigint' },
];
const PAIR: readonly UpdateColumn[] = [{ name: 'device_id', pgType: 'varchar' }, { name: 'occurrence_id', pgType: 'varchar' }];
const DELIVERY_COLUMNS = ['occurrence_id', 'device_id', 'schedule_id', 'state', 'delivered_at', 'started_at', 'ended_at', 'played_ms', 'heard_ms', 'item_ms', 'reason', 'updated_at'] as const;
/** What applying reports may change on a delivery, in the order commitBatches gives the values (after the key). */
const DELIVERY_UPDATE: readonly UpdateColumn[] = [
  { name: 'state', pgType: 'varchar' },
  { name: 'delivered_at', pgType: 'bigint' },
  { name: 'started_at', pgType: 'bigint' },
  { name: 'ended_at', pgType: 'bigint' },
  { name: 'played_ms', pgType: 'integer' },
  { name: 'heard_ms', pgType: 'integer' },
  { name: 'item_ms', pgType: 'integer' },
  { name: 'reason', pgType: 'varchar' },
  { name: 'updated_at', pgType: 'bigint' },
];

type RawDelivery = Record<(typeof DELIVERY_COLUMNS)[number], unknown> & { device_id: string; occurrence_id: string };
type DeliveryRow = Pick<DeliveryEntity, 'occurrenceId' | 'deviceId' | 'scheduleId' | 'state' | 'deliveredAt' | 'startedAt' | 'endedAt' | 'playedMs' | 'heardMs' | 'itemMs' | 'reason' | 'updatedAt'>;

const deliveryRow = (r: RawDelivery): DeliveryRow => ({
  occurrenceId: r.occurrence_id,
  deviceId: r.device_id,
  scheduleId: String(r.schedule_id),
  state: r.state as DeliveryEntity['state'],
  deliveredAt: rawNumOrNull(r.delivered_at),
  startedAt: rawNumOrNull(r.started_at),
  endedAt: rawNumOrNull(r.ended_at),
  playedMs: rawNumOrNull(r.played_ms),
  heardMs: rawNumOrNull(r.heard_ms),
  itemMs: rawNumOrNull(r.item_ms),
  reason: rawStrOrNull(r.reason),
  updatedAt: Number(r.updated_at),
});

export interface IncomingBatch {
  deviceId: string;
  events: readonly PlaybackEvent[];
}

@Injectable()
export class DeliveriesRepository {
  constructor(private readonly db: DataSource) {}

  /**
   * How many report group commits may run at once (EventIngestService): PostgreSQL overlaps them on its pool; SQLite
   * has one writer. Each lane owns a disjoint set of devices, so concurrent commits never lock the same rows.
   */
  get commitLanes(): number {
    return this.db.options.type === 'postgres' ? 2 : 1;
  }

  /**
   * Commits many devices' batches in one transaction (group commit): stores each event once per (device, id) and
   * applies new ones to their delivery records. Returns when durably committed, with the records whose state changed.
   */
  async commitBatches(batches: readonly IncomingBatch[], now: number): Promise<{ inserted: number; duplicates: number; changes: DeliveryChange[]; alertIds: string[] }> {
    const changes: DeliveryChange[] = [];
    /** Issue 18: alerts whose delivery records these reports moved. */
    let alertIds: string[] = [];
    const total = batches.reduce((n, b) => n + b.events.length, 0);
    // Set-based, whatever the number of devices: the reports of 500 devices cost a handful of statements, not
    // three or four each (this is the 10,000 reports/s path).
    const inserted = await retryOnConflict(() => this.db.transaction(async (tx) => {
      changes.length = 0; // a transaction run again after a deadlock reports its changes once
      alertIds = [];
      // Issue 18: reports on alert slots, gathered only when a commit holds some (schedule reports pay one prefix test).
      let alertReports: AlertReport[] | null = null;
      // Arrival order, first copy of each (device, id): a report sent twice in one commit counts once. Keyed by device,
      // then id (nested maps, no composite key string built and hashed per report: this runs for every report).
      const candidates: Array<{ deviceId: string; e: PlaybackEvent }> = [];
      const inCommit = new Map<string, Set<string>>();
      for (const b of batches) {
        let ids = inCommit.get(b.deviceId);
        if (!ids) inCommit.set(b.deviceId, (ids = new Set()));
        for (const e of b.events) {
          if (ids.has(e.id)) continue;
          ids.add(e.id);
          candidates.push({ deviceId: b.deviceId, e });
          if (e.occurrenceId.startsWith(ALERT_OCCURRENCE_PREFIX)) (alertReports ??= []).push({ deviceId: b.deviceId, e });
        }
      }
      if (candidates.length === 0) return 0;
      const pg = tx.connection.driver.options.type === 'postgres';
      const deliveries = await this.deliveriesFor(tx, candidates);
      const alertRows = alertReports ? await alertDeliveriesFor(tx, alertReports) : null;
      // The insert itself says which reports are new: a report stored before (a resend after a lost ack) conflicts
      // on (device, id) and is not inserted, so it is never applied twice. PostgreSQL: one `unnest` statement whose
      // RETURNING names the new ones; SQLite: one prepared row at a time (insertIgnoringEachSqlite), which says it.
      const values = candidates.map(({ deviceId, e }) => [
        deviceId, e.id, e.occurrenceId, e.type, e.at, e.playedMs ?? null, e.heardMs ?? null, e.itemMs ?? null, e.reason ?? null,
        deliveries.get(deviceId)?.has(e.occurrenceId) === true || alertRows?.get(deviceId)?.has(e.occurrenceId) === true, now,
      ]);
      let isNew: (i: number) => boolean;
      let newCount = 0;
      if (pg) {
        const stored = await insertIgnoringReturningTyped<{ device_id: string; event_id: string }>(tx, 'device_events', EVENT_COLUMNS, values, ['device_id', 'event_id']);
        const fresh = new Map<string, Set<string>>();
        for (const r of stored) {
          let ids = fresh.get(r.device_id);
          if (!ids) fresh.set(r.device_id, (ids = new Set()));
          ids.add(r.event_id);
        }
        newCount = stored.length;
        isNew = (i) => fresh.get(candidates[i]!.deviceId)?.has(candidates[i]!.e.id) === true;
      } else {
        const went = insertIgnoringEachSqlite(tx, 'device_events', EVENT_COLUMNS.map((c) => c.name), values);
        for (const w of went) if (w) newCount++;
        isNew = (i) => went[i] === true;
      }
      const changed = new Set<DeliveryRow>();
      for (let i = 0; i < candidates.length; i++) {
        if (!isNew(i)) continue;
        const { deviceId, e } = candidates[i]!;
        const d = deliveries.get(deviceId)?.get(e.occurrenceId);
        if (!d) continue;
        const patch = applyEvent(d, e, now);
        if (!patch) continue;
        Object.assign(d, patch);
        changed.add(d);
        if (patch.state) changes.push({ scheduleId: d.scheduleId, occurrenceId: d.occurrenceId, deviceId: d.deviceId, state: patch.state, reason: d.reason, at: e.at });
      }
      const updates = [...changed].map((d) => [d.occurrenceId, d.deviceId, d.state, d.deliveredAt, d.startedAt, d.endedAt, d.playedMs, d.heardMs, d.itemMs, d.reason, d.updatedAt]);
      await updateFromValues(
        tx,
        'deliveries',
        [{ name: 'occurrence_id', pgType: 'varchar' }, { name: 'device_id', pgType: 'varchar' }],
        DELIVERY_UPDATE,
        // SQLite: padded to a few lengths so the statement stays prepared (a repeated row sets the same values again).
        pg || changed.size > UPDATE_CHUNK / 2 ? updates : padToShape(updates),
      );
      if (alertRows && alertRows.size > 0) {
        const fresh = candidates.filter((c, i) => isNew(i) && alertRows.get(c.deviceId)?.has(c.e.occurrenceId) === true);
        alertIds = await applyAlertReports(tx, alertRows, fresh, now);
      }
      return newCount;
    }));
    return { inserted, duplicates: total - inserted, changes, alertIds };
  }

  /**
   * The deliveries of these reports' (device, occurrence) pairs that exist, by device then occurrence; locked on
   * PostgreSQL (see lockRowsInOrder).
   */
  private async deliveriesFor(tx: EntityManager, reports: ReadonlyArray<{ deviceId: string; e: PlaybackEvent }>): Promise<Map<string, Map<string, DeliveryRow>>> {
    const out = new Map<string, Map<string, DeliveryRow>>();
    const add = (r: RawDelivery): void => {
      let byOccurrence = out.get(r.device_id);
      if (!byOccurrence) out.set(r.device_id, (byOccurrence = new Map()));
      byOccurrence.set(r.occurrence_id, deliveryRow(r));
    };
    // The distinct pairs, by device: a device's reports usually name one or two occurrences.
    const wanted = new Map<string, Set<string>>();
    for (const { deviceId, e } of reports) {
      let occurrences = wanted.get(deviceId);
      if (!occurrences) wanted.set(deviceId, (occurrences = new Set()));
      occurrences.add(e.occurrenceId);
    }
    if (tx.connection.driver.options.type === 'postgres') {
      // The pairs themselves, as two arrays: one statement of two parameters, each pair found by the primary key.
      // Rows ordered by (device, occurrence) and locked in that order, as timeline acks lock deliveries.
      const devices: string[] = [];
      const occurrences: string[] = [];
      for (const [d, os] of wanted)
        for (const o of os) {
          devices.push(d);
          occurrences.push(o);
        }
      const rows = (await tx.query(
        `SELECT ${DELIVERY_COLUMNS.map((c) => `d.${c}`).join(', ')} FROM deliveries d JOIN ${unnestArrays(PAIR)} AS p(device_id, occurrence_id) ON d.occurrence_id = p.occurrence_id AND d.device_id = p.device_id ORDER BY d.device_id, d.occurrence_id FOR NO KEY UPDATE OF d`,
        [devices, occurrences],
      )) as RawDelivery[];
      for (const r of rows) add(r);
      return out;
    }
    // SQLite: `occurrence_id IN (…) AND device_id IN (…)`, answered from the primary key (a batch names few
    // occurrences), and filtered to the pairs. The lists are padded to a few lengths (padToShape) so the statement's
    // text repeats across a storm's groups and stays prepared.
    const byOccurrence = new Set<string>();
    for (const os of wanted.values()) for (const o of os) byOccurrence.add(o);
    const occurrences = [...byOccurrence];
    const devices = [...wanted.keys()];
    for (let j = 0; j < devices.length; j += 500)
      for (let i = 0; i < occurrences.length; i += 200) {
        const occ = padToShape(occurrences.slice(i, i + 200));
        const dev = padToShape(devices.slice(j, j + 500));
        const rows = (await tx.query(
          `SELECT ${DELIVERY_COLUMNS.join(', ')} FROM deliveries WHERE occurrence_id IN (${placeholders(false, occ.length)}) AND device_id IN (${placeholders(false, dev.length)})`,
          [...occ, ...dev],
        )) as RawDelivery[];
        for (const r of rows) if (wanted.get(r.device_id)?.has(r.occurrence_id) === true) add(r);
      }
    return out;
  }

  async listForSchedule(scheduleId: string, f: DeliveryFilter = {}): Promise<{ items: DeliveryEntity[]; total: number }> {
    const where: Record<string, string> = { scheduleId };
    if (f.occurrenceId) where.occurrenceId = f.occurrenceId;
    if (f.state) where.state = f.state;
    const [items, total] = await this.db.getRepository(DeliveryEntity).findAndCount({
      where,
      order: { occurrenceId: 'ASC', deviceId: 'ASC' },
      ...(f.limit === undefined ? {} : { take: f.limit }),
      ...(f.offset === undefined ? {} : { skip: f.offset }),
    });
    return { items, total };
  }

  async countByState(scheduleId: string): Promise<Record<string, number>> {
    const raw = await this.db
      .getRepository(DeliveryEntity)
      .createQueryBuilder('d')
      .select('d.state', 'state')
      .addSelect('COUNT(*)', 'n')
      .where('d.schedule_id = :id', { id: scheduleId })
      .groupBy('d.state')
      .getRawMany<{ state: string; n: string | number }>();
    return Object.fromEntries(raw.map((r) => [r.state, Number(r.n)]));
  }

  async deviceCount(scheduleId: string): Promise<number> {
    const raw = await this.db
      .createQueryBuilder()
      .select('COUNT(DISTINCT d.device_id)', 'n')
      .from('deliveries', 'd')
      .where('d.schedule_id = :id', { id: scheduleId })
      .getRawOne<{ n: string | number }>();
    return Number(raw?.n ?? 0);
  }

  /** Counts per occurrence and state of one schedule. */
  countByOccurrence(scheduleId: string): Promise<Array<{ occurrenceId: string; startAt: string | number; state: string; n: string | number }>> {
    return this.db
      .createQueryBuilder()
      .select(['o.id AS "occurrenceId"', 'o.start_at AS "startAt"', 'd.state AS "state"', 'COUNT(*) AS "n"'])
      .from('deliveries', 'd')
      .innerJoin('occurrences', 'o', 'o.id = d.occurrence_id')
      .where('d.schedule_id = :id', { id: scheduleId })
      .groupBy('o.id')
      .addGroupBy('o.start_at')
      .addGroupBy('d.state')
      .orderBy('o.start_at', 'ASC')
      .getRawMany();
  }

  /** Counts per state of deliveries to devices in an area subtree, for occurrences starting in [from, to). */
  async countInArea(areaPath: string, from: number, to: number): Promise<{ byState: Record<string, number>; devices: number; occurrences: number }> {
    const base = () =>
      this.db
        .createQueryBuilder()
        .from('deliveries', 'd')
        .innerJoin('occurrences', 'o', 'o.id = d.occurrence_id')
        .innerJoin('devices', 'dev', 'dev.id = d.device_id')
        .innerJoin('areas', 'a', 'a.code = dev.area_code')
        .where('a.path LIKE :p', { p: `${areaPath}%` })
        .andWhere('o.start_at >= :from AND o.start_at < :to', { from, to });
    const raw = await base().select('d.state', 'state').addSelect('COUNT(*)', 'n').groupBy('d.state').getRawMany<{ state: string; n: string | number }>();
    const distinct = await base()
      .select('COUNT(DISTINCT d.device_id)', 'devices')
      .addSelect('COUNT(DISTINCT d.occurrence_id)', 'occurrences')
      .getRawOne<{ devices: string | number; occurrences: string | number }>();
    return { byState: Object.fromEntries(raw.map((r) => [r.state, Number(r.n)])), devices: Number(distinct?.devices ?? 0), occurrences: Number(distinct?.occurrences ?? 0) };
  }
}

export interface DeliveryFilter {
  occurrenceId?: string | undefined;
  state?: string | undefined;
  limit?: number | undefined;
  offset?: number | undefined;
}
