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

  /**
   * Announcements the approval event never reached (the process stopped between the content's commit and its
   * listener): still awaiting a content an approver has meanwhile decided on.
   */
  async awaitingDecided(limit: number): Promise<Array<{ row: AnnouncementEntity; contentState: string }>> {
    const rows = await this.repo
      .createQueryBuilder('an')
      .innerJoin('contents', 'c', 'c.id = an.content_id')
      .addSelect('c.state', 'content_state')
      .where('an.state = :s', { s: 'awaiting-content' })
      .andWhere('c.state IN (:...decided)', { decided: ['approved', 'rejected'] })
      .orderBy('an.created_at', 'ASC')
      .limit(limit)
      .getRawAndEntities();
    return rows.entities.map((row, i) => ({ row, contentState: String((rows.raw[i] as { content_state: string }).content_state) }));
  }

  /** Announcements left in `state` since before `before` (a process died while making their schedule). */
  stuckIn(state: string, before: number, limit: number): Promise<AnnouncementEntity[]> {
    return this.repo.createQueryBuilder('an').where('an.state = :state AND an.updated_at < :before', { state, before }).orderBy('an.created_at', 'ASC').limit(limit).getMany();
  }

  /** The schedule its author made of this content since the announcement, if the making committed before a crash. */
  async scheduleMadeFor(row: AnnouncementEntity): Promise<string | null> {
    const found = await this.db
      .createQueryBuilder()
      .select('s.id', 'id')
      .from('schedules', 's')
      .where('s.content_id = :c AND s.created_by = :u AND s.created_at >= :t', { c: row.contentId, u: row.createdBy, t: row.createdAt })
      .orderBy('s.created_at', 'ASC')
      .limit(1)
      .getRawOne<{ id: string }>();
    return found?.id ?? null;
  }

  /** Newest first; `pathPattern` (a subtree's LIKE pattern on areas.path) keeps those made in it (null: all). */
  recent(limit: number, pathPattern: string | null): Promise<AnnouncementEntity[]> {
    const q = this.repo.createQueryBuilder('an').orderBy('an.createdAt', 'DESC').addOrderBy('an.id', 'DESC').limit(limit);
    if (pathPattern !== null) q.innerJoin('areas', 'ar', 'ar.code = an.area_code').where('ar.path LIKE :p', { p: pathPattern });
    return q.getMany();
  }
}
