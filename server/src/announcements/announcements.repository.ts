import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AnnouncementEntity } from './announcement.entity.js';

/** Announcements: few rows per commune a day, read newest first. */
@Injectable()
export class AnnouncementsRepository {
  constructor(private readonly db: DataSource) {}

  private get repo() {
    return this.db.getRepository(AnnouncementEntity);
  }

  async insert(row: AnnouncementEntity): Promise<void> {
    await this.repo.insert(row);
  }

  find(id: string): Promise<AnnouncementEntity | null> {
    return this.repo.findOneBy({ id });
  }

  /** Those waiting for this content's approval. */
  awaitingContent(contentId: string): Promise<AnnouncementEntity[]> {
    return this.repo.findBy({ contentId, state: 'awaiting-content' });
  }

  /**
   * Moves an announcement on from `from` only (a second process handling the same approval finds nothing to do).
   * True when this call made the change.
   */
  async transition(id: string, from: string, patch: Partial<Pick<AnnouncementEntity, 'state' | 'reason' | 'scheduleId' | 'updatedAt'>>): Promise<boolean> {
    const r = await this.repo.createQueryBuilder().update().set(patch).where('id = :id AND state = :from', { id, from }).execute();
    return (r.affected ?? 0) > 0;
  }

  /** Newest first; `pathPattern` (a subtree's LIKE pattern on areas.path) keeps those made in it (null: all). */
  recent(limit: number, pathPattern: string | null): Promise<AnnouncementEntity[]> {
    const q = this.repo.createQueryBuilder('an').orderBy('an.createdAt', 'DESC').addOrderBy('an.id', 'DESC').limit(limit);
    if (pathPattern !== null) q.innerJoin('areas', 'ar', 'ar.code = an.area_code').where('ar.path LIKE :p', { p: pathPattern });
    return q.getMany();
  }
}
