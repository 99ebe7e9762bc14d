import { Injectable } from '@nestjs/common';
import { DataSource, In, IsNull, Like } from 'typeorm';
import { AreaEntity } from '../areas/area.entity.js';
import { newId } from '../common/ids.js';
import { UserEntity } from '../users/user.entity.js';
import { TrainingClassEntity, TrainingClassMemberEntity, TrainingRecordEntity } from './training.entities.js';

/** A user as the report and the classes read it: with its area's path (null: no area). */
export interface StaffRow {
  id: string;
  username: string;
  fullName: string | null;
  role: string;
  areaCode: string | null;
  path: string | null;
}

/** The training tables, and the few reads of users and areas they are joined with. */
@Injectable()
export class TrainingRepository {
  constructor(private readonly db: DataSource) {}

  // ---- records

  recordsOf(userIds: readonly string[]): Promise<TrainingRecordEntity[]> {
    if (userIds.length === 0) return Promise.resolve([]);
    return this.db.getRepository(TrainingRecordEntity).find({ where: { userId: In([...userIds]) } });
  }

  record(userId: string, lessonId: string): Promise<TrainingRecordEntity | null> {
    return this.db.getRepository(TrainingRecordEntity).findOneBy({ userId, lessonId });
  }

  /**
   * One more attempt. Several server instances may count at once: the increment is one UPDATE, and a first attempt
   * that loses the insert race (unique user × lesson) falls back to the UPDATE.
   */
  async countAttempt(userId: string, lessonId: string, now: number): Promise<void> {
    const bump = () =>
      this.db
        .createQueryBuilder()
        .update(TrainingRecordEntity)
        .set({ attempts: () => 'attempts + 1', updatedAt: now })
        .where('user_id = :userId AND lesson_id = :lessonId', { userId, lessonId })
        .execute();
    if (((await bump()).affected ?? 0) > 0) return;
    try {
      await this.db.getRepository(TrainingRecordEntity).insert({ id: newId(), userId, lessonId, completedAt: null, areaCode: null, classId: null, attempts: 1, updatedAt: now });
    } catch {
      await bump();
    }
  }

  /** Marks the lesson completed the first time only: a second passing check keeps the first date, area and class. */
  async complete(userId: string, lessonId: string, at: number, areaCode: string | null, classId: string | null): Promise<void> {
    await this.db.getRepository(TrainingRecordEntity).update({ userId, lessonId, completedAt: IsNull() }, { completedAt: at, areaCode, classId, updatedAt: at });
  }

  // ---- classes

  async insertClass(row: TrainingClassEntity, memberIds: readonly string[]): Promise<void> {
    await this.db.transaction(async (m) => {
      await m.getRepository(TrainingClassEntity).insert(row);
      if (memberIds.length > 0) await m.getRepository(TrainingClassMemberEntity).insert(memberIds.map((userId) => ({ classId: row.id, userId })));
    });
  }

  classById(id: string): Promise<TrainingClassEntity | null> {
    return this.db.getRepository(TrainingClassEntity).findOneBy({ id });
  }

  classes(): Promise<TrainingClassEntity[]> {
    return this.db.getRepository(TrainingClassEntity).find({ order: { createdAt: 'DESC', id: 'ASC' } });
  }

  async membersOf(classIds: readonly string[]): Promise<TrainingClassMemberEntity[]> {
    if (classIds.length === 0) return [];
    return this.db.getRepository(TrainingClassMemberEntity).find({ where: { classId: In([...classIds]) } });
  }

  /** The classes each user is in, newest first (a user's sandbox and lesson set are its newest class's). */
  async classesOfUsers(userIds: readonly string[]): Promise<Map<string, TrainingClassEntity[]>> {
    const out = new Map<string, TrainingClassEntity[]>();
    if (userIds.length === 0) return out;
    const members = await this.db.getRepository(TrainingClassMemberEntity).find({ where: { userId: In([...userIds]) } });
    const classes = members.length === 0 ? [] : await this.db.getRepository(TrainingClassEntity).find({ where: { id: In([...new Set(members.map((m) => m.classId))]) } });
    const byId = new Map(classes.map((c) => [c.id, c]));
    for (const m of members) {
      const c = byId.get(m.classId);
      if (c) out.set(m.userId, [...(out.get(m.userId) ?? []), c]);
    }
    for (const list of out.values()) list.sort((a, b) => b.createdAt - a.createdAt || a.id.localeCompare(b.id));
    return out;
  }

  // ---- users and areas

  async staff(where: { ids?: readonly string[]; pathPrefix?: string | null }): Promise<StaffRow[]> {
    const q = this.db
      .createQueryBuilder(UserEntity, 'u')
      .leftJoin(AreaEntity, 'a', 'a.code = u.area_code')
      .select(['u.id AS id', 'u.username AS username', 'u.full_name AS "fullName"', 'u.role AS role', 'u.area_code AS "areaCode"', 'a.path AS path', 'u.disabled AS disabled'])
      .where('1 = 1');
    if (where.ids) {
      if (where.ids.length === 0) return [];
      q.andWhere('u.id IN (:...ids)', { ids: [...where.ids] });
    }
    if (where.pathPrefix) q.andWhere('a.path LIKE :p', { p: `${where.pathPrefix}%` });
    const rows = await q.orderBy('u.username', 'ASC').getRawMany<StaffRow & { disabled: unknown }>();
    // Booleans come back as 0/1 from SQLite and true/false from PostgreSQL: filtered here, not in SQL.
    return rows.filter((r) => !(r.disabled === true || r.disabled === 1 || r.disabled === '1' || r.disabled === 't')).map((r) => ({ id: r.id, username: r.username, fullName: r.fullName ?? null, role: r.role, areaCode: r.areaCode ?? null, path: r.path ?? null }));
  }

  area(code: string): Promise<AreaEntity | null> {
    return this.db.getRepository(AreaEntity).findOneBy({ code });
  }

  /** Children of an area (null: the top-level areas), by code. */
  childAreas(parentCode: string | null): Promise<AreaEntity[]> {
    return this.db.getRepository(AreaEntity).find({ where: { parentCode: parentCode === null ? IsNull() : parentCode }, order: { code: 'ASC' } });
  }

  areasUnder(pathPrefix: string): Promise<AreaEntity[]> {
    return this.db.getRepository(AreaEntity).find({ where: { path: Like(`${pathPrefix}%`) } });
  }
}
