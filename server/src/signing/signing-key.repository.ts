import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { SettingEntity } from '../approvals/setting.entity.js';

/** The settings row naming the key every instance on this database signs with. */
export const SIGNING_KEY_SETTING = 'signing.key';

const recordedKeySchema = z.object({ kid: z.string().min(1), publicKey: z.string().min(1) });
export type RecordedSigningKey = z.infer<typeof recordedKeySchema>;

/** Which device signing key the database's instances use, in the `settings` table (no table of its own needed). */
@Injectable()
export class SigningKeyRepository {
  constructor(private readonly db: DataSource) {}

  /**
   * Records `key` unless a key is recorded already, and returns the recorded one. Insert-or-ignore then read: two
   * instances starting together on an empty database agree on whichever committed first.
   */
  async claim(key: RecordedSigningKey, at: number): Promise<RecordedSigningKey | { unreadable: string }> {
    await this.db
      .createQueryBuilder()
      .insert()
      .into(SettingEntity)
      .values({ key: SIGNING_KEY_SETTING, value: JSON.stringify(key), updatedBy: null, updatedAt: at })
      .orIgnore()
      .execute();
    const row = await this.db.getRepository(SettingEntity).findOneByOrFail({ key: SIGNING_KEY_SETTING });
    try {
      const parsed = recordedKeySchema.safeParse(JSON.parse(row.value));
      return parsed.success ? parsed.data : { unreadable: row.value };
    } catch {
      return { unreadable: row.value };
    }
  }
}
