import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { SettingEntity } from '../approvals/setting.entity.js';
import { managerOf } from '../database/transaction-runner.js';

/** The feedback settings document in the `settings` table (one JSON value per key, shared with the approval rules). */
@Injectable()
export class FeedbackSettingsRepository {
  constructor(private readonly db: DataSource) {}

  /** The stored JSON text, undefined when none was ever saved. Parsing is the service's (a bad document is its to judge). */
  async get(key: string): Promise<string | undefined> {
    const row = await managerOf(this.db).getRepository(SettingEntity).findOneBy({ key });
    return row?.value;
  }

  async put(key: string, value: unknown, userId: string | null, at: number): Promise<void> {
    await managerOf(this.db).getRepository(SettingEntity).upsert({ key, value: JSON.stringify(value), updatedBy: userId, updatedAt: at }, ['key']);
  }
}
