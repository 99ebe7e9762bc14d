import { Injectable } from '@nestjs/common';
import { Brackets, DataSource, LessThan, type SelectQueryBuilder } from 'typeorm';
import { UserEntity } from '../users/user.entity.js';
import { AuditEntryEntity } from './audit-entry.entity.js';

export interface AuditFilter {
  /** A user id or a username (failed logins have only the name). */
  actor?: string | undefined;
  /** Exact action, or a prefix when it ends with "*" ("devices.*"). */
  action?: string | undefined;
  resourceType?: string | undefined;
  resourceId?: string | undefined;
  outcome?: 'ok' | 'refused' | 'error' | undefined;
  /** Epoch ms, inclusive. */
  from?: number | undefined;
  /** Epoch ms, exclusive. */
  to?: number | undefined;
  /** Area path prefix ("/01/004/") of a scoped reader: entries whose area or actor's area lies inside; null: all. */
  pathPrefix: string | null;
}

/** Entries strictly older than this position of the newest-first order. */
export interface AuditCursor {
  at: number;
  id: string | null;
}

const likePrefix = (s: string): string => s.replace(/[\\%_]/g, (c) => `\\${c}`) + '%';

@Injectable()
export class AuditRepository {
  constructor(private readonly db: DataSource) {}

  async insert(entry: AuditEntryEntity): Promise<void> {
    await this.db.getRepository(AuditEntryEntity).insert(entry);
  }

  findById(id: string): Promise<AuditEntryEntity | null> {
    return this.db.getRepository(AuditEntryEntity).findOneBy({ id });
  }

  /** Newest first. */
  page(filter: AuditFilter, cursor: AuditCursor | null, limit: number): Promise<AuditEntryEntity[]> {
    const qb = this.filtered(filter);
    if (cursor !== null) {
      if (cursor.id === null) qb.andWhere('e.at < :cAt', { cAt: cursor.at });
      else qb.andWhere(new Brackets((w) => w.where('e.at < :cAt', { cAt: cursor.at }).orWhere('e.at = :cAt AND e.id < :cId', { cId: cursor.id })));
    }
    return qb.orderBy('e.at', 'DESC').addOrderBy('e.id', 'DESC').take(limit).getMany();
  }

  count(filter: AuditFilter): Promise<number> {
    return this.filtered(filter).getCount();
  }

  /** An area's name, for naming an export by the reader's area. */
  async areaName(code: string): Promise<string | null> {
    const row = await this.db.createQueryBuilder().select('a.name', 'name').from('areas', 'a').where('a.code = :code', { code }).getRawOne<{ name: string | null }>();
    return row?.name ?? null;
  }

  async deleteBefore(at: number): Promise<number> {
    const r = await this.db.getRepository(AuditEntryEntity).delete({ at: LessThan(at) });
    return r.affected ?? 0;
  }

  /** The account a login was attempted for (failed logins are attributed to it for scoping). */
  async accountOf(username: string): Promise<{ id: string; role: string; areaCode: string | null } | null> {
    const u = await this.db.getRepository(UserEntity).findOne({ select: { id: true, role: true, areaCode: true }, where: { username } });
    return u ? { id: u.id, role: u.role, areaCode: u.areaCode } : null;
  }

  private filtered(f: AuditFilter): SelectQueryBuilder<AuditEntryEntity> {
    const qb = this.db.getRepository(AuditEntryEntity).createQueryBuilder('e');
    if (f.actor !== undefined) qb.andWhere('(e.actorId = :actor OR e.actorName = :actor)', { actor: f.actor });
    if (f.action !== undefined) {
      if (f.action.endsWith('*')) qb.andWhere(`e.action LIKE :action ESCAPE '\\'`, { action: likePrefix(f.action.slice(0, -1)) });
      else qb.andWhere('e.action = :action', { action: f.action });
    }
    if (f.resourceType !== undefined) qb.andWhere('e.resourceType = :resourceType', { resourceType: f.resourceType });
    if (f.resourceId !== undefined) qb.andWhere('e.resourceId = :resourceId', { resourceId: f.resourceId });
    if (f.outcome !== undefined) qb.andWhere('e.outcome = :outcome', { outcome: f.outcome });
    if (f.from !== undefined) qb.andWhere('e.at >= :from', { from: f.from });
    if (f.to !== undefined) qb.andWhere('e.at < :to', { to: f.to });
    if (f.pathPrefix !== null) {
      const inSubtree = `(SELECT sa.code FROM areas sa WHERE sa.path LIKE :scopePrefix ESCAPE '\\')`;
      qb.andWhere(`(e.areaCode IN ${inSubtree} OR e.actorAreaCode IN ${inSubtree})`, { scopePrefix: likePrefix(f.pathPrefix) });
    }
    return qb;
  }
}
