import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { SettingEntity } from './setting.entity.js';

/** Key/value JSON documents in the `settings` table. */
@Injectable()
export class SettingsRepository {
  constructor(private readonly db: DataSource) {}

  async get(key: string): Promise<unknown> {
    const row = await this.db.getRepository(SettingEntity).findOneBy({ key });
    return row ? (JSON.parse(row.value) as unknown) : undefined;
  }

  async put(key: string, value: unknown, userId: string | null, at: number): Promise<void> {
    await this.db.getRepository(SettingEntity).upsert({ key, value: JSON.stringify(value), updatedBy: userId, updatedAt: at }, ['key']);
  }
}
