import { Injectable } from '@nestjs/common';
import { DataSource, In, type EntityManager } from 'typeorm';
import type { PlaybackEvent } from '@loa/shared';
import { DeliveryEntity, DeviceEventEntity } from '../database/entities.js';
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
   * applies new ones to their delivery records. Returns when durably committed.
   */
  async commitBatches(batches: readonly IncomingBatch[], now: number): Promise<{ inserted: number; duplicates: number }> {
    let inserted = 0;
    let duplicates = 0;
    await this.db.transaction(async (tx) => {
      for (const b of batches) {
        const r = await this.commitOne(tx, b, now);
        inserted += r.inserted;
        duplicates += r.duplicates;
      }
    });
    return { inserted, duplicates };
  }

  private async commitOne(tx: EntityManager, batch: IncomingBatch, now: number): Promise<{ inserted: number; duplicates: number }> {
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
        reason: e.reason ?? null,
        applied: d !== undefined,
        receivedAt: now,
      });
      if (!d) continue;
      const patch = applyEvent(d, e, now);
      if (patch) {
        Object.assign(d, patch);
        changed.add(d);
      }
    }
    await tx.getRepository(DeviceEventEntity).insert(rows);
    for (const d of changed) {
      const { occurrenceId, deviceId, ...rest } = d;
      await tx.getRepository(DeliveryEntity).update({ occurrenceId, deviceId }, rest);
    }
    return { inserted: fresh.length, duplicates: batch.events.length - fresh.length };
  }

  listForSchedule(scheduleId: string): Promise<DeliveryEntity[]> {
    return this.db.getRepository(DeliveryEntity).find({ where: { scheduleId }, order: { occurrenceId: 'ASC', deviceId: 'ASC' } });
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
}
