import { Injectable } from '@nestjs/common';
import { DataSource, In } from 'typeorm';
import { newId } from '../common/ids.js';
import { MediaEntity } from '../media/media.entity.js';
import { ContentEventEntity } from './content-event.entity.js';
import { ContentImageVariantEntity } from './content-image-variant.entity.js';
import { ContentEntity, type ContentState } from './content.entity.js';

export interface TransitionRecord {
  action: string;
  from: ContentState | null;
  to: ContentState;
  userId: string;
  at: number;
  reason?: string | null | undefined;
}

@Injectable()
export class ContentsRepository {
  constructor(private readonly db: DataSource) {}

  find(id: string): Promise<ContentEntity | null> {
    return this.db.getRepository(ContentEntity).findOneBy({ id });
  }

  findMedia(sha256: string): Promise<MediaEntity | null> {
    return this.db.getRepository(MediaEntity).findOneBy({ sha256 });
  }

  list(): Promise<ContentEntity[]> {
    return this.db.getRepository(ContentEntity).find({ order: { createdAt: 'DESC' } });
  }

  /** Inserts the content and its first lifecycle steps together. */
  async insert(content: ContentEntity, steps: readonly TransitionRecord[] = []): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.getRepository(ContentEntity).insert(content);
      for (const s of steps) await tx.getRepository(ContentEventEntity).insert(eventRow(content.id, s));
    });
  }

  /**
   * Applies `patch` only if the content is still in `expected` state (compare-and-set), and records the step in
   * the same transaction. False when someone else moved it first.
   */
  async transition(id: string, expected: ContentState, patch: Partial<ContentEntity>, step: TransitionRecord): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const r = await tx.getRepository(ContentEntity).update({ id, state: expected }, patch);
      if ((r.affected ?? 0) === 0) return false;
      await tx.getRepository(ContentEventEntity).insert(eventRow(id, step));
      return true;
    });
  }

  async events(contentIds: readonly string[]): Promise<ContentEventEntity[]> {
    if (contentIds.length === 0) return [];
    const out: ContentEventEntity[] = [];
    for (let i = 0; i < contentIds.length; i += 500) {
      out.push(...(await this.db.getRepository(ContentEventEntity).find({ where: { contentId: In(contentIds.slice(i, i + 500)) }, order: { at: 'ASC' } })));
    }
    return out;
  }

  variants(contentId: string): Promise<ContentImageVariantEntity[]> {
    return this.db.getRepository(ContentImageVariantEntity).find({ where: { contentId }, order: { profileId: 'ASC' } });
  }

  variant(contentId: string, profileId: string): Promise<ContentImageVariantEntity | null> {
    return this.db.getRepository(ContentImageVariantEntity).findOneBy({ contentId, profileId });
  }

  /** Image contents still in use (not archived): the ones a new board profile needs variants of. */
  activeImages(): Promise<ContentEntity[]> {
    return this.db
      .getRepository(ContentEntity)
      .createQueryBuilder('c')
      .where("c.type = 'image'")
      .andWhere("c.state <> 'archived'")
      .getMany();
  }

  /** Stores a variant and, if new, the media row that lets devices download it (GET /api/v1/media/:sha256). */
  async saveVariant(v: ContentImageVariantEntity, media: MediaEntity): Promise<void> {
    await this.db.transaction(async (tx) => {
      if (!(await tx.getRepository(MediaEntity).findOneBy({ sha256: media.sha256 }))) await tx.getRepository(MediaEntity).insert(media);
      await tx.getRepository(ContentImageVariantEntity).delete({ contentId: v.contentId, profileId: v.profileId });
      await tx.getRepository(ContentImageVariantEntity).insert(v);
    });
  }

  /** Devices (of any schedule's targets) whose timelines carry this content: recompiled when a variant changes. */
  async scheduledDevices(contentId: string): Promise<string[]> {
    const rows = await this.db
      .createQueryBuilder()
      .select('DISTINCT del.device_id', 'deviceId')
      .from('deliveries', 'del')
      .innerJoin('schedules', 's', 's.id = del.schedule_id')
      .where('s.content_id = :contentId', { contentId })
      .andWhere("s.status = 'active'")
      .getRawMany<{ deviceId: string }>();
    return rows.map((r) => r.deviceId);
  }
}

const eventRow = (contentId: string, s: TransitionRecord): ContentEventEntity => ({
  id: newId(),
  contentId,
  action: s.action,
  fromState: s.from,
  toState: s.to,
  userId: s.userId,
  at: s.at,
  reason: s.reason ?? null,
});
