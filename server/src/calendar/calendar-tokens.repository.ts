import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { rawNumOrNull as numOrNull, rawStrOrNull as strOrNull } from '../database/raw-values.js';
import { CalendarTokenEntity } from './calendar-token.entity.js';

/** The account a calendar token belongs to, as it is now (role, area and whether it is disabled). */
export interface TokenOwner {
  userId: string;
  username: string;
  role: string;
  areaCode: string | null;
  disabled: boolean;
  lastUsedAt: number | null;
}

/** Calendar links: one row per user, found by the token's hash. */
@Injectable()
export class CalendarTokensRepository {
  constructor(private readonly db: DataSource) {}

  get(userId: string): Promise<CalendarTokenEntity | null> {
    return this.db.getRepository(CalendarTokenEntity).findOneBy({ userId });
  }

  /** Creates the user's link or replaces it: the old hash is gone in the same statement, so the old URL stops at once. */
  async put(row: CalendarTokenEntity): Promise<void> {
    await this.db.getRepository(CalendarTokenEntity).upsert(row, ['userId']);
  }

  /** True when there was a link to remove. */
  async remove(userId: string): Promise<boolean> {
    const r = await this.db.getRepository(CalendarTokenEntity).delete({ userId });
    return (r.affected ?? 0) > 0;
  }

  /** The owner of the link with this hash (a unique index: one lookup), or null. */
  async ownerOf(tokenHash: string): Promise<TokenOwner | null> {
    const r = await this.db
      .createQueryBuilder()
      .select(['t.user_id AS "userId"', 't.last_used_at AS "lastUsedAt"', 'u.username AS "username"', 'u.role AS "role"', 'u.area_code AS "areaCode"', 'u.disabled AS "disabled"'])
      .from('calendar_tokens', 't')
      .innerJoin('users', 'u', 'u.id = t.user_id')
      .where('t.token_hash = :h', { h: tokenHash })
      .getRawOne<Record<string, unknown>>();
    if (!r) return null;
    // SQLite answers booleans as 0/1, PostgreSQL as true/false.
    return { userId: String(r.userId), username: String(r.username), role: String(r.role), areaCode: strOrNull(r.areaCode), disabled: r.disabled === true || r.disabled === 1 || r.disabled === '1', lastUsedAt: numOrNull(r.lastUsedAt) };
  }

  /** Records a fetch; keyed by the hash too, so a fetch racing a rotation never marks the new link used. */
  async touch(userId: string, tokenHash: string, now: number): Promise<void> {
    await this.db.getRepository(CalendarTokenEntity).update({ userId, tokenHash }, { lastUsedAt: now });
  }
}
