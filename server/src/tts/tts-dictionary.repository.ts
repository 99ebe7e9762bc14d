import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { TtsDictionaryEntity } from './tts-dictionary.entity.js';

/** The tts_dictionary table (issue 19 item 9). */
@Injectable()
export class TtsDictionaryRepository {
  constructor(private readonly db: DataSource) {}

  private get repo() {
    return this.db.getRepository(TtsDictionaryEntity);
  }

  all(): Promise<TtsDictionaryEntity[]> {
    return this.repo.find({ order: { term: 'ASC' } });
  }

  /** Terms and readings only: what the normaliser needs on every synthesis. */
  async pairs(): Promise<Array<{ term: string; spoken: string }>> {
    return (await this.repo.find({ select: { term: true, spoken: true } })).map((r) => ({ term: r.term, spoken: r.spoken }));
  }

  byId(id: string): Promise<TtsDictionaryEntity | null> {
    return this.repo.findOneBy({ id });
  }

  hasTerm(term: string): Promise<boolean> {
    return this.repo.exists({ where: { term } });
  }

  hasId(id: string): Promise<boolean> {
    return this.repo.exists({ where: { id } });
  }

  count(): Promise<number> {
    return this.repo.count();
  }

  async insert(row: TtsDictionaryEntity): Promise<void> {
    await this.repo.insert(row);
  }

  async update(id: string, fields: Pick<TtsDictionaryEntity, 'term' | 'spoken' | 'note' | 'updatedAt'>): Promise<void> {
    await this.repo.update({ id }, fields);
  }

  async delete(id: string): Promise<void> {
    await this.repo.delete({ id });
  }
}
