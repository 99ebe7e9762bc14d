import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { managerOf } from '../database/transaction-runner.js';
import { FeedbackBulletinEntity } from './feedback.entities.js';

/** The contents drafted from items' answers (close the loop): the one writer of feedback_bulletins. */
@Injectable()
export class FeedbackBulletinsRepository {
  constructor(private readonly db: DataSource) {}

  private get rows() {
    return managerOf(this.db).getRepository(FeedbackBulletinEntity);
  }

  /** Every content drafted from the item, oldest first (a rejected pair stays recorded beside its replacement). */
  forItem(itemId: string): Promise<FeedbackBulletinEntity[]> {
    return this.rows.find({ where: { itemId }, order: { createdAt: 'ASC', contentId: 'ASC' } });
  }

  async insert(row: FeedbackBulletinEntity): Promise<void> {
    await this.rows.insert(row);
  }
}
