import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ContentCategoryEntity } from './content-category.entity.js';

@Injectable()
export class ContentCategoriesRepository {
  constructor(private readonly db: DataSource) {}

  private get repo() {
    return this.db.getRepository(ContentCategoryEntity);
  }

  list(): Promise<ContentCategoryEntity[]> {
    return this.repo.find({ order: { code: 'ASC' } });
  }

  find(code: string): Promise<ContentCategoryEntity | null> {
    return this.repo.findOneBy({ code });
  }

  /** False when the code is taken (the primary key decides, so of two racing creates one loses). */
  async insert(c: ContentCategoryEntity): Promise<boolean> {
    if (await this.find(c.code)) return false;
    try {
      await this.repo.insert(c);
      return true;
    } catch (err) {
      if (await this.find(c.code)) return false;
      throw err;
    }
  }

  async update(code: string, patch: Partial<Pick<ContentCategoryEntity, 'name' | 'essential'>>): Promise<void> {
    if (Object.keys(patch).length > 0) await this.repo.update({ code }, patch);
  }

  /** How many contents name the category (a delete is refused while any does). */
  async usedBy(code: string): Promise<number> {
    const row = await this.db.createQueryBuilder().select('COUNT(*)', 'n').from('contents', 'c').where('c.category = :code', { code }).getRawOne<{ n: string | number }>();
    return Number(row?.n ?? 0);
  }

  /** Deletes only while no content names it, in one statement (a content classified meanwhile keeps it). */
  async deleteUnused(code: string): Promise<boolean> {
    const r = await this.db
      .createQueryBuilder()
      .delete()
      .from(ContentCategoryEntity)
      .where('code = :code', { code })
      .andWhere('NOT EXISTS (SELECT 1 FROM contents c WHERE c.category = :code)', { code })
      .execute();
    return (r.affected ?? 0) > 0;
  }
}
