import { Injectable } from '@nestjs/common';
import { DataSource, In, type EntityManager } from 'typeorm';
import type { DeliveryState, DeviceKind, Priority } from '@loa/shared';
import { ContentEntity } from '../contents/content.entity.js';
import { DeliveryEntity } from '../deliveries/delivery.entity.js';
import { OccurrenceEntity } from '../schedules/occurrence.entity.js';
import { ScheduleTargetEntity } from '../schedules/schedule-target.entity.js';
import { ScheduleEntity, type ScheduleApproval } from '../schedules/schedule.entity.js';
import { insertIgnoring } from '../database/bulk-insert.js';
import { inTransaction, managerOf } from '../database/transaction-runner.js';
import type { DeviceFacts } from '../targeting/targeting.js';

const CHUNK = 500;

/** Delivery states an edit or withdrawal may still remove: the agent has not begun playing them. */
export const WITHDRAWABLE: readonly DeliveryState[] = ['queued', 'delivered'];

/** Approval states whose schedules reach devices; pending and rejected ones are never materialised (issue 7). */
export const REACHING: readonly ScheduleApproval[] = ['not-required', 'approved'];

export interface OtherOccurrence {
  id: string;
  scheduleId: string;
  startAt: number;
  durationMs: number;
  priority: Priority;
}

export interface DeliveryKey {
  occurrenceId: string;
  deviceId: string;
  scheduleId: string;
  state: DeliveryState;
}

const DELIVERY_COLUMNS = ['occurrence_id', 'device_id', 'schedule_id', 'state', 'queued_at', 'updated_at'];

function chunks<T>(items: readonly T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Occurrences and per-device deliveries as materialisation keeps them. Every method joins the transaction open in
 * its async context (TransactionRunner), so the planner commits a schedule's rows and its deliveries together.
 */
@Injectable()
export class PlanningRepository {
  constructor(private readonly db: DataSource) {}

  private get m(): EntityManager {
    return managerOf(this.db);
  }

  async contents(ids: readonly string[]): Promise<Map<string, ContentEntity>> {
    if (ids.length === 0) return new Map();
    return new Map((await this.m.getRepository(ContentEntity).findBy({ id: In([...ids]) })).map((c) => [c.id, c]));
  }

  targets(scheduleId: string): Promise<ScheduleTargetEntity[]> {
    return this.m.getRepository(ScheduleTargetEntity).findBy({ scheduleId });
  }

  schedule(id: string): Promise<ScheduleEntity | null> {
    return this.m.getRepository(ScheduleEntity).findOneBy({ id });
  }

  /** Active, approved (or approval-free) schedules whose occurrences stop before `until`: the horizon roller's work list. */
  dueForRoll(until: number): Promise<ScheduleEntity[]> {
    return this.m
      .getRepository(ScheduleEntity)
      .createQueryBuilder('s')
      .where("s.status = 'active'")
      .andWhere('s.approval IN (:...reaching)', { reaching: REACHING })
      .andWhere('(s.generated_until IS NULL OR s.generated_until < :until)', { until })
      .getMany();
  }

  /** Every active schedule that may reach devices, with its targets: what device-side reconciliation matches devices against. */
  async activeWithTargets(): Promise<Array<{ schedule: ScheduleEntity; targets: ScheduleTargetEntity[] }>> {
    const schedules = await this.m.getRepository(ScheduleEntity).findBy({ status: 'active', approval: In([...REACHING]) });
    const targets = new Map<string, ScheduleTargetEntity[]>();
    for (const c of chunks(schedules.map((s) => s.id))) {
      for (const t of await this.m.getRepository(ScheduleTargetEntity).findBy({ scheduleId: In(c) })) {
        const list = targets.get(t.scheduleId);
        if (list) list.push(t);
        else targets.set(t.scheduleId, [t]);
      }
    }
    return schedules.map((schedule) => ({ schedule, targets: targets.get(schedule.id) ?? [] }));
  }

  /** Occurrences of these schedules starting after `after`. */
  async futureOccurrences(scheduleIds: readonly string[], after: number): Promise<OccurrenceEntity[]> {
    const out: OccurrenceEntity[] = [];
    for (const c of chunks(scheduleIds)) {
      out.push(
        ...(await this.m
          .getRepository(OccurrenceEntity)
          .createQueryBuilder('o')
          .where('o.schedule_id IN (:...c)', { c })
          .andWhere('o.start_at > :after', { after })
          .getMany()),
      );
    }
    return out;
  }

  /** Occurrences of other active schedules overlapping [from, to) and not yet over at `now`. */
  overlapping(from: number, to: number, now: number, excludeScheduleId: string | null): Promise<OtherOccurrence[]> {
    const qb = this.m
      .createQueryBuilder()
      .select(['o.id AS "id"', 'o.schedule_id AS "scheduleId"', 'o.start_at AS "startAt"', 'o.duration_ms AS "durationMs"', 's.priority AS "priority"'])
      .from('occurrences', 'o')
      .innerJoin('schedules', 's', 's.id = o.schedule_id')
      .where("s.status = 'active'")
      .andWhere('o.start_at < :to', { to })
      .andWhere('o.start_at + o.duration_ms > :from', { from: Math.max(from, now) });
    if (excludeScheduleId) qb.andWhere('s.id <> :me', { me: excludeScheduleId });
    return qb
      .getRawMany<Record<string, unknown>>()
      .then((rows) => rows.map((r) => ({ id: String(r.id), scheduleId: String(r.scheduleId), startAt: Number(r.startAt), durationMs: Number(r.durationMs), priority: r.priority as Priority })));
  }

  /** Pending (not yet playing) deliveries of these occurrences. */
  async pendingDevicesOf(occurrenceIds: readonly string[]): Promise<Array<{ occurrenceId: string; deviceId: string }>> {
    const out: Array<{ occurrenceId: string; deviceId: string }> = [];
    for (const c of chunks(occurrenceIds)) {
      const rows = await this.m
        .createQueryBuilder()
        .select(['d.occurrence_id AS "occurrenceId"', 'd.device_id AS "deviceId"'])
        .from('deliveries', 'd')
        .where('d.occurrence_id IN (:...c)', { c })
        .andWhere('d.state IN (:...st)', { st: WITHDRAWABLE })
        .getRawMany<{ occurrenceId: string; deviceId: string }>();
      out.push(...rows);
    }
    return out;
  }

  /** What reconciliation needs about each device: kind, area path, tags. */
  async deviceFacts(ids: readonly string[]): Promise<DeviceFacts[]> {
    const out: DeviceFacts[] = [];
    for (const c of chunks(ids)) {
      const rows = await this.m
        .createQueryBuilder()
        .select(['d.id AS "id"', 'd.kind AS "kind"', 'd.tags AS "tags"', 'a.path AS "areaPath"'])
        .from('devices', 'd')
        .innerJoin('areas', 'a', 'a.code = d.area_code')
        .where('d.id IN (:...c)', { c })
        .getRawMany<{ id: string; kind: DeviceKind; tags: string | null; areaPath: string }>();
      for (const r of rows) out.push({ id: r.id, kind: r.kind, areaPath: r.areaPath, tags: r.tags ? (JSON.parse(r.tags) as string[]) : [] });
    }
    return out;
  }

  // ---- deliveries ---------------------------------------------------------------------------------------------

  /** Deliveries of one schedule whose occurrence starts after `after`. */
  async scheduleDeliveriesAfter(scheduleId: string, after: number): Promise<DeliveryKey[]> {
    return this.m
      .createQueryBuilder()
      .select(['d.occurrence_id AS "occurrenceId"', 'd.device_id AS "deviceId"', 'd.schedule_id AS "scheduleId"', 'd.state AS "state"'])
      .from('deliveries', 'd')
      .innerJoin('occurrences', 'o', 'o.id = d.occurrence_id')
      .where('d.schedule_id = :scheduleId', { scheduleId })
      .andWhere('o.start_at > :after', { after })
      .getRawMany<DeliveryKey>();
  }

  /** Deliveries of these devices whose occurrence starts after `after`. */
  async deviceDeliveriesAfter(deviceIds: readonly string[], after: number): Promise<DeliveryKey[]> {
    const out: DeliveryKey[] = [];
    for (const c of chunks(deviceIds)) {
      out.push(
        ...(await this.m
          .createQueryBuilder()
          .select(['d.occurrence_id AS "occurrenceId"', 'd.device_id AS "deviceId"', 'd.schedule_id AS "scheduleId"', 'd.state AS "state"'])
          .from('deliveries', 'd')
          .innerJoin('occurrences', 'o', 'o.id = d.occurrence_id')
          .where('d.device_id IN (:...c)', { c })
          .andWhere('o.start_at > :after', { after })
          .getRawMany<DeliveryKey>()),
      );
    }
    return out;
  }

  async insertOccurrences(occurrences: readonly OccurrenceEntity[]): Promise<void> {
    await insertIgnoring(
      this.m,
      'occurrences',
      ['id', 'schedule_id', 'start_at', 'duration_ms'],
      occurrences.map((o) => [o.id, o.scheduleId, o.startAt, o.durationMs]),
    );
  }

  /** Queued deliveries for (occurrence, device) pairs; pairs that already exist are left as they are. */
  async insertDeliveries(pairs: ReadonlyArray<{ occurrenceId: string; deviceId: string; scheduleId: string }>, now: number): Promise<void> {
    await insertIgnoring(this.m, 'deliveries', DELIVERY_COLUMNS, pairs.map((p) => [p.occurrenceId, p.deviceId, p.scheduleId, 'queued', now, now]));
  }

  /** Removes not-yet-playing deliveries, grouped by occurrence so each statement is one set operation. */
  async deletePending(pairs: ReadonlyArray<{ occurrenceId: string; deviceId: string }>): Promise<void> {
    const byOccurrence = new Map<string, string[]>();
    for (const p of pairs) {
      const list = byOccurrence.get(p.occurrenceId);
      if (list) list.push(p.deviceId);
      else byOccurrence.set(p.occurrenceId, [p.deviceId]);
    }
    for (const [occurrenceId, devices] of byOccurrence) {
      for (const c of chunks(devices)) {
        await this.m
          .createQueryBuilder()
          .delete()
          .from(DeliveryEntity)
          .where('occurrence_id = :occurrenceId AND device_id IN (:...c) AND state IN (:...st)', { occurrenceId, c, st: WITHDRAWABLE })
          .execute();
      }
    }
  }

  /** Drops occurrences that no longer carry any delivery (withdrawn by an edit). */
  async deleteEmptyOccurrences(ids: readonly string[]): Promise<void> {
    for (const c of chunks(ids)) {
      await this.m
        .createQueryBuilder()
        .delete()
        .from(OccurrenceEntity)
        .where('id IN (:...c)', { c })
        .andWhere('NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.occurrence_id = occurrences.id)')
        .execute();
    }
  }

  async setDurations(scheduleId: string, durationMs: number, after: number): Promise<void> {
    await this.m.createQueryBuilder().update(OccurrenceEntity).set({ durationMs }).where('schedule_id = :scheduleId AND start_at > :after', { scheduleId, after }).execute();
  }

  /**
   * Withdraws a cancelled schedule: its not-yet-playing deliveries of occurrences starting after `now` become
   * `skipped` ("cancelled"), so the proof of play shows the withdrawal. Returns the devices that held any delivery
   * not yet over.
   */
  async withdrawAll(scheduleId: string, now: number): Promise<string[]> {
    return inTransaction(this.db, async (tx) => {
      const devices = await tx
        .createQueryBuilder()
        .select('DISTINCT d.device_id', 'deviceId')
        .from('deliveries', 'd')
        .innerJoin('occurrences', 'o', 'o.id = d.occurrence_id')
        .where('d.schedule_id = :scheduleId', { scheduleId })
        .andWhere('o.start_at + o.duration_ms > :now', { now })
        .getRawMany<{ deviceId: string }>();
      await tx
        .createQueryBuilder()
        .update(DeliveryEntity)
        .set({ state: 'skipped', reason: 'cancelled', endedAt: now, updatedAt: now })
        .where('schedule_id = :scheduleId AND state IN (:...st)', { scheduleId, st: WITHDRAWABLE })
        .andWhere('occurrence_id IN (SELECT o.id FROM occurrences o WHERE o.schedule_id = :scheduleId AND o.start_at > :now)', { scheduleId, now })
        .execute();
      return devices.map((d) => d.deviceId);
    });
  }

  async setGeneratedUntil(scheduleId: string, until: number): Promise<void> {
    await this.m.getRepository(ScheduleEntity).update({ id: scheduleId }, { generatedUntil: until });
  }
}
