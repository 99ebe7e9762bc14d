import { Injectable } from '@nestjs/common';
import { DataSource, In } from 'typeorm';
import type { DeviceKind } from '@loa/shared';
import {
  ContentEntity,
  DeliveryEntity,
  DeviceEntity,
  OccurrenceEntity,
  ScheduleEntity,
  ScheduleTargetEntity,
} from '../database/entities.js';

const CHUNK = 500;

export interface NewSchedule {
  schedule: ScheduleEntity;
  targets: ScheduleTargetEntity[];
  occurrences: OccurrenceEntity[];
  deliveries: DeliveryEntity[];
}

@Injectable()
export class SchedulesRepository {
  constructor(private readonly db: DataSource) {}

  findContent(id: string): Promise<ContentEntity | null> {
    return this.db.getRepository(ContentEntity).findOneBy({ id });
  }

  find(id: string): Promise<ScheduleEntity | null> {
    return this.db.getRepository(ScheduleEntity).findOneBy({ id });
  }

  list(): Promise<ScheduleEntity[]> {
    return this.db.getRepository(ScheduleEntity).find({ order: { startAt: 'DESC' }, take: 500 });
  }

  targets(scheduleId: string): Promise<ScheduleTargetEntity[]> {
    return this.db.getRepository(ScheduleTargetEntity).findBy({ scheduleId });
  }

  occurrences(scheduleId: string): Promise<OccurrenceEntity[]> {
    return this.db.getRepository(OccurrenceEntity).find({ where: { scheduleId }, order: { startAt: 'ASC' } });
  }

  /** Devices whose area lies in any of the given subtrees (by materialised path). */
  async devicesInSubtrees(paths: readonly string[]): Promise<Array<Pick<DeviceEntity, 'id' | 'kind'>>> {
    if (paths.length === 0) return [];
    const qb = this.db
      .getRepository(DeviceEntity)
      .createQueryBuilder('d')
      .select(['d.id', 'd.kind'])
      .innerJoin('areas', 'a', 'a.code = d.area_code');
    paths.forEach((p, i) => qb.orWhere(`a.path LIKE :p${i}`, { [`p${i}`]: `${p}%` }));
    return qb.getMany();
  }

  async devicesByIds(ids: readonly string[]): Promise<Array<Pick<DeviceEntity, 'id' | 'kind'>>> {
    const out: Array<Pick<DeviceEntity, 'id' | 'kind'>> = [];
    for (let i = 0; i < ids.length; i += CHUNK) {
      out.push(...(await this.db.getRepository(DeviceEntity).find({ where: { id: In(ids.slice(i, i + CHUNK)) }, select: { id: true, kind: true } })));
    }
    return out;
  }

  /** The schedule, its targets, occurrences and queued deliveries land together or not at all. */
  async insert(s: NewSchedule): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.getRepository(ScheduleEntity).insert(s.schedule);
      if (s.targets.length) await tx.getRepository(ScheduleTargetEntity).insert(s.targets);
      await tx.getRepository(OccurrenceEntity).insert(s.occurrences);
      for (let i = 0; i < s.deliveries.length; i += CHUNK) await tx.getRepository(DeliveryEntity).insert(s.deliveries.slice(i, i + CHUNK));
    });
  }
}

export type DeviceRef = { id: string; kind: DeviceKind };
