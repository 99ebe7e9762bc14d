import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { ContentEntity } from '../contents/content.entity.js';
import { OccurrenceEntity } from './occurrence.entity.js';
import { ScheduleTargetEntity } from './schedule-target.entity.js';
import { ScheduleEntity } from './schedule.entity.js';
import { managerOf } from '../database/transaction-runner.js';

/** Schedule rows and their targets (CRUD and approval); occurrences and deliveries are planning's. */
@Injectable()
export class SchedulesRepository {
  constructor(private readonly db: DataSource) {}

  private get m(): EntityManager {
    return managerOf(this.db);
  }

  findContent(id: string): Promise<ContentEntity | null> {
    return this.m.getRepository(ContentEntity).findOneBy({ id });
  }

  find(id: string): Promise<ScheduleEntity | null> {
    return this.m.getRepository(ScheduleEntity).findOneBy({ id });
  }

  list(): Promise<ScheduleEntity[]> {
    return this.m.getRepository(ScheduleEntity).find({ order: { startAt: 'DESC' }, take: 500 });
  }

  targets(scheduleId: string): Promise<ScheduleTargetEntity[]> {
    return this.m.getRepository(ScheduleTargetEntity).findBy({ scheduleId });
  }

  occurrences(scheduleId: string, limit = 1000): Promise<OccurrenceEntity[]> {
    return this.m.getRepository(OccurrenceEntity).find({ where: { scheduleId }, order: { startAt: 'ASC' }, take: limit });
  }

  async insertSchedule(schedule: ScheduleEntity, targets: readonly ScheduleTargetEntity[]): Promise<void> {
    await this.m.getRepository(ScheduleEntity).insert(schedule);
    if (targets.length) await this.m.getRepository(ScheduleTargetEntity).insert([...targets]);
  }

  async updateSchedule(schedule: ScheduleEntity, targets: readonly ScheduleTargetEntity[] | null): Promise<void> {
    const { id, ...rest } = schedule;
    await this.m.getRepository(ScheduleEntity).update({ id }, rest);
    if (targets) {
      await this.m.getRepository(ScheduleTargetEntity).delete({ scheduleId: id });
      if (targets.length) await this.m.getRepository(ScheduleTargetEntity).insert([...targets]);
    }
  }

  async markCancelled(id: string, now: number): Promise<void> {
    await this.m.getRepository(ScheduleEntity).update({ id }, { status: 'cancelled', updatedAt: now });
  }

  /** Applies an approval decision only if the schedule is still pending (compare-and-set); false when it moved meanwhile. */
  async decidePending(id: string, patch: Partial<ScheduleEntity>): Promise<boolean> {
    const r = await this.m.getRepository(ScheduleEntity).update({ id, status: 'active', approval: 'pending' }, patch);
    return (r.affected ?? 0) > 0;
  }

  /** Ids of a content's active schedules. */
  async activeIdsForContent(contentId: string): Promise<string[]> {
    const rows = await this.m.getRepository(ScheduleEntity).find({ where: { contentId, status: 'active' }, select: { id: true } });
    return rows.map((r) => r.id);
  }

  /** Active schedules waiting for an approver, newest first. */
  pendingApproval(): Promise<ScheduleEntity[]> {
    return this.m.getRepository(ScheduleEntity).find({ where: { status: 'active', approval: 'pending' }, order: { createdAt: 'DESC' } });
  }
}
