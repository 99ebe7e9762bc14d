import { Injectable } from '@nestjs/common';
import { DataSource, In, type EntityTarget, type ObjectLiteral } from 'typeorm';
import { AlertEntity } from '../alerts/alert.entity.js';
import { AreaEntity } from '../areas/area.entity.js';
import { BoardProfileEntity } from '../board-profiles/board-profile.entity.js';
import { ContentEntity } from '../contents/content.entity.js';
import { DeviceEntity } from '../devices/device.entity.js';
import { GroupEntity } from '../groups/group.entity.js';
import { ScheduleEntity } from '../schedules/schedule.entity.js';
import { UserEntity } from '../users/user.entity.js';

/** Rows per IN (…) list: well under SQLite's and PostgreSQL's parameter limits. */
const CHUNK = 500;

/**
 * Batch name lookups for the audit log's views (issue 19): one query per kind of object and page, never one per
 * entry. Read directly, like the snapshots, so that the audit never depends on a feature service.
 */
@Injectable()
export class AuditNamesRepository {
  constructor(private readonly db: DataSource) {}

  async areas(codes: string[]): Promise<Map<string, string>> {
    const rows = await this.many(AreaEntity, 'code', codes, { code: true, name: true });
    return new Map(rows.map((r) => [r.code, r.name]));
  }

  /** A person's full name when set, else the username. */
  async users(ids: string[]): Promise<Map<string, { username: string; fullName: string | null }>> {
    const rows = await this.many(UserEntity, 'id', ids, { id: true, username: true, fullName: true });
    return new Map(rows.map((r) => [r.id, { username: r.username, fullName: r.fullName ?? null }]));
  }

  async devices(ids: string[]): Promise<Map<string, string>> {
    return this.named(DeviceEntity, ids);
  }

  async groups(ids: string[]): Promise<Map<string, string>> {
    return this.named(GroupEntity, ids);
  }

  async boardProfiles(ids: string[]): Promise<Map<string, string>> {
    return this.named(BoardProfileEntity, ids);
  }

  async contents(ids: string[]): Promise<Map<string, string>> {
    const rows = await this.many(ContentEntity, 'id', ids, { id: true, title: true });
    return new Map(rows.map((r) => [r.id, r.title]));
  }

  async alerts(ids: string[]): Promise<Map<string, string>> {
    const rows = await this.many(AlertEntity, 'id', ids, { id: true, title: true });
    return new Map(rows.map((r) => [r.id, r.title]));
  }

  /** Schedule id → its content id (a schedule is named by what it plays). */
  async scheduleContents(ids: string[]): Promise<Map<string, string>> {
    const rows = await this.many(ScheduleEntity, 'id', ids, { id: true, contentId: true });
    return new Map(rows.map((r) => [r.id, r.contentId]));
  }

  private async named<T extends { id: string; name: string }>(entity: EntityTarget<T>, ids: string[]): Promise<Map<string, string>> {
    const rows = await this.many(entity, 'id', ids, { id: true, name: true } as never);
    return new Map(rows.map((r) => [r.id, r.name]));
  }

  private async many<T extends ObjectLiteral>(entity: EntityTarget<T>, key: string, values: string[], select: Record<string, true>): Promise<T[]> {
    const unique = [...new Set(values)];
    const out: T[] = [];
    for (let i = 0; i < unique.length; i += CHUNK) {
      out.push(...(await this.db.getRepository(entity).find({ select: select as never, where: { [key]: In(unique.slice(i, i + CHUNK)) } as never })));
    }
    return out;
  }
}
