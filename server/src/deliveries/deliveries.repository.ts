import { Injectable } from '@nestjs/common';
import { DataSource, In, type EntityManager } from 'typeorm';
import type { PlaybackEvent } from '@loa/shared';
import type { DeliveryChange } from '../domain-events/domain-events.js';
import { DeliveryEntity } from './delivery.entity.js';
import { DeviceEventEntity } from './device-event.entity.js';
import { applyEvent } from './delivery-transition.js';

export interface IncomingBatch {
  deviceId: string;
  events: readonly PlaybackEvent[];
}

@Injectable()
export class DeliveriesRepository {
  constructor(private readonly db: DataSource) {}

  /**
   * Commits many devices' batches in one transaction (group commit): stores each event once per (device, id) and
   * applies new ones to their delivery records. Returns when durably committed, with the records whose state changed.
   */
  async commitBatches(batches: readonly IncomingBatch[], now: number): Promise<{ inserted: number; duplicates: number; changes: DeliveryChange[] }> {
    let inserted = 0;
    let duplicates = 0;
    const changes: DeliveryChange[] = [];
    await this.db.transaction(async (tx) => {
      for (const b of batches) {
        const r = await this.commitOne(tx, b, now, changes);
        inserted += r.inserted;
        duplicates += r.duplicates;
      }
    });
    return { inserted, duplicates, changes };
  }

  private async commitOne(tx: EntityManager, batch: IncomingBatch, now: number, changes: DeliveryChange[]): Promise<{ inserted: number; duplicates: number }> {
    const ids = [...new Set(batch.events.map((e) => e.id))];
    const seen = new Set(
      (await tx.getRepository(DeviceEventEntity).find({ where: { deviceId: batch.deviceId, eventId: In(ids) }, select: { eventId: true } })).map((e) => e.eventId),
    );
    const fresh: PlaybackEvent[] = [];
    for (const e of batch.events) {
      if (seen.has(e.id)) continue;
      seen.add(e.id);
      fresh.push(e);
    }
    if (fresh.length === 0) return { inserted: 0, duplicates: batch.events.length };

    const occurrenceIds = [...new Set(fresh.map((e) => e.occurrenceId))];
    const deliveries = new Map(
      (await tx.getRepository(DeliveryEntity).find({ where: { deviceId: batch.deviceId, occurrenceId: In(occurrenceIds) } })).map((d) => [d.occurrenceId, d]),
    );
    const rows: DeviceEventEntity[] = [];
    const changed = new Set<DeliveryEntity>();
    for (const e of fresh) {
      const d = deliveries.get(e.occurrenceId);
      rows.push({
        deviceId: batch.deviceId,
        eventId: e.id,
        occurrenceId: e.occurrenceId,
        type: e.type,
        at: e.at,
        playedMs: e.playedMs ?? null,
        heardMs: e.heardMs ?? null,
        itemMs: e.itemMs ?? null,
        reason: e.reason ?? null,
        applied: d !== undefined,
        receivedAt: now,
      });
      if (!d) continue;
      const patch = applyEvent(d, e, now);
      if (patch) {
        Object.assign(d, patch);
        changed.add(d);
        if (patch.state) changes.push({ scheduleId: d.scheduleId, occurrenceId: d.occurrenceId, deviceId: d.deviceId, state: patch.state, reason: d.reason, at: e.at });
      }
    }
    await tx.getRepository(DeviceEventEntity).insert(rows);
    for (const d of changed) {
      const { occurrenceId, deviceId, ...rest } = d;
      await tx.getRepository(DeliveryEntity).update({ occurrenceId, deviceId }, rest);
    }
    return { inserted: fresh.length, duplicates: batch.events.length - fresh.length };
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
