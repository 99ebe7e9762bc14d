import { Injectable } from '@nestjs/common';
import { DataSource, In, type EntityManager } from 'typeorm';
import type { DeliveryState, DeviceKind, Priority } from '@loa/shared';
import {
  ContentEntity,
  DeliveryEntity,
  DeviceEntity,
  GroupEntity,
  OccurrenceEntity,
  ScheduleEntity,
  ScheduleTargetEntity,
  type ScheduleApproval,
  type TagRule,
} from '../database/entities.js';
import { insertIgnoring } from './bulk-insert.js';
import { tagRuleMatches, type DeviceFacts } from './targeting.js';

const CHUNK = 500;

/** Delivery states an edit or withdrawal may still remove: the agent has not begun playing them. */
export const WITHDRAWABLE: readonly DeliveryState[] = ['queued', 'delivered'];

export type DeviceRef = { id: string; kind: DeviceKind };

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

/** Approval states whose schedules reach devices; pending and rejected ones are never materialised (issue 7). */
export const REACHING: readonly ScheduleApproval[] = ['not-required', 'approved'];

const DELIVERY_COLUMNS = ['occurrence_id', 'device_id', 'schedule_id', 'state', 'queued_at', 'updated_at'];

function chunks<T>(items: readonly T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

@Injectable()
export class SchedulesRepository {
  constructor(readonly db: DataSource) {}

  transaction<T>(work: (tx: EntityManager) => Promise<T>): Promise<T> {
    return this.db.transaction(work);
  }

  findContent(id: string): Promise<ContentEntity | null> {
    return this.db.getRepository(ContentEntity).findOneBy({ id });
  }

  async contents(ids: readonly string[]): Promise<Map<string, ContentEntity>> {
    if (ids.length === 0) return new Map();
    return new Map((await this.db.getRepository(ContentEntity).findBy({ id: In([...ids]) })).map((c) => [c.id, c]));
  }

  find(id: string): Promise<ScheduleEntity | null> {
    return this.db.getRepository(ScheduleEntity).findOneBy({ id });
  }

  list(): Promise<ScheduleEntity[]> {
    return this.db.getRepository(ScheduleEntity).find({ order: { startAt: 'DESC' }, take: 500 });
  }

  /** Active, approved (or approval-free) schedules whose occurrences stop before `until`: the horizon roller's work list. */
  dueForRoll(until: number): Promise<ScheduleEntity[]> {
    return this.db
      .getRepository(ScheduleEntity)
      .createQueryBuilder('s')
      .where("s.status = 'active'")
      .andWhere('s.approval IN (:...reaching)', { reaching: REACHING })
      .andWhere('(s.generated_until IS NULL OR s.generated_until < :until)', { until })
      .getMany();
  }

  /** Every active schedule that may reach devices, with its targets: what device-side reconciliation matches devices against. */
  async activeWithTargets(): Promise<Array<{ schedule: ScheduleEntity; targets: ScheduleTargetEntity[] }>> {
    const schedules = await this.db.getRepository(ScheduleEntity).findBy({ status: 'active', approval: In([...REACHING]) });
    const targets = new Map<string, ScheduleTargetEntity[]>();
    for (const c of chunks(schedules.map((s) => s.id))) {
      for (const t of await this.db.getRepository(ScheduleTargetEntity).findBy({ scheduleId: In(c) })) {
        const list = targets.get(t.scheduleId);
        if (list) list.push(t);
        else targets.set(t.scheduleId, [t]);
      }
    }
    return schedules.map((schedule) => ({ schedule, targets: targets.get(schedule.id) ?? [] }));
  }

  targets(scheduleId: string): Promise<ScheduleTargetEntity[]> {
    return this.db.getRepository(ScheduleTargetEntity).findBy({ scheduleId });
  }

  occurrences(scheduleId: string, limit = 1000): Promise<OccurrenceEntity[]> {
    return this.db.getRepository(OccurrenceEntity).find({ where: { scheduleId }, order: { startAt: 'ASC' }, take: limit });
  }

  /** Occurrences of these schedules starting after `after`. */
  async futureOccurrences(scheduleIds: readonly string[], after: number): Promise<OccurrenceEntity[]> {
    const out: OccurrenceEntity[] = [];
    for (const c of chunks(scheduleIds)) {
      out.push(
        ...(await this.db
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
    const qb = this.db
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
      const rows = await this.db
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

  // ---- devices ------------------------------------------------------------------------------------------------

  /** Devices whose area lies in any of the given subtrees (by materialised path). */
  async devicesInSubtrees(paths: readonly string[]): Promise<DeviceRef[]> {
    if (paths.length === 0) return [];
    const qb = this.db
      .getRepository(DeviceEntity)
      .createQueryBuilder('d')
      .select(['d.id', 'd.kind'])
      .innerJoin('areas', 'a', 'a.code = d.area_code');
    paths.forEach((p, i) => qb.orWhere(`a.path LIKE :p${i}`, { [`p${i}`]: `${p}%` }));
    return qb.getMany();
  }

  async devicesByIds(ids: readonly string[]): Promise<DeviceRef[]> {
    const out: DeviceRef[] = [];
    for (const c of chunks(ids)) out.push(...(await this.db.getRepository(DeviceEntity).find({ where: { id: In(c) }, select: { id: true, kind: true } })));
    return out;
  }

  /**
   * Devices of a kind matching a tag rule. Tags are a JSON array in a TEXT column, so the database pre-filters with
   * LIKE '%"tag"%' (portable) and the exact rule is applied here ('_' is a LIKE wildcard).
   */
  async devicesByTagRule(rule: TagRule, kind: DeviceKind | null): Promise<DeviceRef[]> {
    const all = rule.all ?? [];
    const any = rule.any ?? [];
    if (all.length === 0 && any.length === 0) return [];
    const qb = this.db.getRepository(DeviceEntity).createQueryBuilder('d').select(['d.id', 'd.kind', 'd.tags']);
    if (kind) qb.where('d.kind = :kind', { kind });
    else qb.where('1 = 1');
    all.forEach((t, i) => qb.andWhere(`d.tags LIKE :all${i}`, { [`all${i}`]: `%"${t}"%` }));
    if (any.length > 0) qb.andWhere(`(${any.map((_, i) => `d.tags LIKE :any${i}`).join(' OR ')})`, Object.fromEntries(any.map((t, i) => [`any${i}`, `%"${t}"%`])));
    return (await qb.getMany()).filter((d) => tagRuleMatches(rule, d.tags ?? [])).map((d) => ({ id: d.id, kind: d.kind }));
  }

  /** What reconciliation needs about each device: kind, area path, tags. */
  async deviceFacts(ids: readonly string[]): Promise<DeviceFacts[]> {
    const out: DeviceFacts[] = [];
    for (const c of chunks(ids)) {
      const rows = await this.db
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

  async groups(ids?: readonly string[]): Promise<Map<string, GroupEntity>> {
    const rows = ids === undefined ? await this.db.getRepository(GroupEntity).find() : ids.length === 0 ? [] : await this.db.getRepository(GroupEntity).findBy({ id: In([...ids]) });
    return new Map(rows.map((g) => [g.id, g]));
  }

  // ---- deliveries ---------------------------------------------------------------------------------------------

  /** Deliveries of one schedule whose occurrence starts after `after`. */
  async scheduleDeliveriesAfter(scheduleId: string, after: number): Promise<DeliveryKey[]> {
    return this.db
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
        ...(await this.db
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

  async insertOccurrences(tx: EntityManager, occurrences: readonly OccurrenceEntity[]): Promise<void> {
    await insertIgnoring(
      tx,
      'occurrences',
      ['id', 'schedule_id', 'start_at', 'duration_ms'],
      occurrences.map((o) => [o.id, o.scheduleId, o.startAt, o.durationMs]),
    );
  }

  /** Queued deliveries for (occurrence, device) pairs; pairs that already exist are left as they are. */
  async insertDeliveries(tx: EntityManager, pairs: ReadonlyArray<{ occurrenceId: string; deviceId: string; scheduleId: string }>, now: number): Promise<void> {
    await insertIgnoring(tx, 'deliveries', DELIVERY_COLUMNS, pairs.map((p) => [p.occurrenceId, p.deviceId, p.scheduleId, 'queued', now, now]));
  }

  /** Removes not-yet-playing deliveries, grouped by occurrence so each statement is one set operation. */
  async deletePending(tx: EntityManager, pairs: ReadonlyArray<{ occurrenceId: string; deviceId: string }>): Promise<void> {
    const byOccurrence = new Map<string, string[]>();
    for (const p of pairs) {
      const list = byOccurrence.get(p.occurrenceId);
      if (list) list.push(p.deviceId);
      else byOccurrence.set(p.occurrenceId, [p.deviceId]);
    }
    for (const [occurrenceId, devices] of byOccurrence) {
      for (const c of chunks(devices)) {
        await tx
          .createQueryBuilder()
          .delete()
          .from(DeliveryEntity)
          .where('occurrence_id = :occurrenceId AND device_id IN (:...c) AND state IN (:...st)', { occurrenceId, c, st: WITHDRAWABLE })
          .execute();
      }
    }
  }

  /** Drops occurrences that no longer carry any delivery (withdrawn by an edit). */
  async deleteEmptyOccurrences(tx: EntityManager, ids: readonly string[]): Promise<void> {
    for (const c of chunks(ids)) {
      await tx
        .createQueryBuilder()
        .delete()
        .from(OccurrenceEntity)
        .where('id IN (:...c)', { c })
        .andWhere('NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.occurrence_id = occurrences.id)')
        .execute();
    }
  }

  async setDurations(tx: EntityManager, scheduleId: string, durationMs: number, after: number): Promise<void> {
    await tx.createQueryBuilder().update(OccurrenceEntity).set({ durationMs }).where('schedule_id = :scheduleId AND start_at > :after', { scheduleId, after }).execute();
  }

  /**
   * Cancels a schedule: its not-yet-playing deliveries of occurrences starting after `now` become `skipped`
   * ("cancelled"), so the proof of play shows the withdrawal. Returns the devices that held them.
   */
  async cancel(scheduleId: string, now: number): Promise<string[]> {
    return this.db.transaction(async (tx) => {
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
      await tx.getRepository(ScheduleEntity).update({ id: scheduleId }, { status: 'cancelled', updatedAt: now });
      return devices.map((d) => d.deviceId);
    });
  }

  async insertSchedule(tx: EntityManager, schedule: ScheduleEntity, targets: readonly ScheduleTargetEntity[]): Promise<void> {
    await tx.getRepository(ScheduleEntity).insert(schedule);
    if (targets.length) await tx.getRepository(ScheduleTargetEntity).insert([...targets]);
  }

  async updateSchedule(tx: EntityManager, schedule: ScheduleEntity, targets: readonly ScheduleTargetEntity[] | null): Promise<void> {
    const { id, ...rest } = schedule;
    await tx.getRepository(ScheduleEntity).update({ id }, rest);
    if (targets) {
      await tx.getRepository(ScheduleTargetEntity).delete({ scheduleId: id });
      if (targets.length) await tx.getRepository(ScheduleTargetEntity).insert([...targets]);
    }
  }

  /** Applies an approval decision only if the schedule is still pending (compare-and-set); false when it moved meanwhile. */
  async decidePending(id: string, patch: Partial<ScheduleEntity>): Promise<boolean> {
    const r = await this.db.getRepository(ScheduleEntity).update({ id, status: 'active', approval: 'pending' }, patch);
    return (r.affected ?? 0) > 0;
  }

  /** Active schedules waiting for an approver, newest first. */
  pendingApproval(): Promise<ScheduleEntity[]> {
    return this.db.getRepository(ScheduleEntity).find({ where: { status: 'active', approval: 'pending' }, order: { createdAt: 'DESC' } });
  }

  async setGeneratedUntil(tx: EntityManager, scheduleId: string, until: number): Promise<void> {
    await tx.getRepository(ScheduleEntity).update({ id: scheduleId }, { generatedUntil: until });
  }
}
