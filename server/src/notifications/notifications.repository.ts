import { Injectable } from '@nestjs/common';
import { DataSource, In, IsNull, LessThanOrEqual } from 'typeorm';
import { rawStrOrNull as strOrNull } from '../database/raw-values.js';
import { NotificationEntity, NotificationOutboxEntity } from './notification.entities.js';

/** A user who may be told something: who they are, where they act, and where to reach them. */
export interface Recipient {
  userId: string;
  username: string;
  fullName: string | null;
  role: string;
  areaCode: string | null;
  phone: string | null;
  email: string | null;
}

/** Notifications, their outbox, and the users they go to. */
@Injectable()
export class NotificationsRepository {
  constructor(private readonly db: DataSource) {}

  async insert(rows: readonly NotificationEntity[], outbox: readonly NotificationOutboxEntity[]): Promise<void> {
    if (rows.length === 0) return;
    await this.db.transaction(async (m) => {
      await m.getRepository(NotificationEntity).insert([...rows]);
      if (outbox.length > 0) await m.getRepository(NotificationOutboxEntity).insert([...outbox]);
    });
  }

  list(userId: string, limit: number, unreadOnly: boolean): Promise<NotificationEntity[]> {
    return this.db.getRepository(NotificationEntity).find({
      where: unreadOnly ? { userId, readAt: IsNull() } : { userId },
      order: { createdAt: 'DESC', id: 'DESC' },
      take: limit,
    });
  }

  unread(userId: string): Promise<number> {
    return this.db.getRepository(NotificationEntity).countBy({ userId, readAt: IsNull() });
  }

  /** Marks the user's unread ones read (the listed ones, or all: `ids` null); other users' ids are left alone. */
  async markRead(userId: string, ids: readonly string[] | null, at: number): Promise<number> {
    const q = this.db.createQueryBuilder().update(NotificationEntity).set({ readAt: at }).where('user_id = :userId AND read_at IS NULL', { userId });
    if (ids !== null) q.andWhere('id IN (:...ids)', { ids });
    return (await q.execute()).affected ?? 0;
  }

  /**
   * Marks read the unread "needs your approval" notifications of an item that no longer waits (decided or withdrawn);
   * returns the users whose count changed.
   */
  async settleSubmitted(subject: string, subjectId: string, at: number): Promise<string[]> {
    const where = { subject, subjectId, kind: 'approval.submitted', readAt: IsNull() };
    const rows = await this.db.getRepository(NotificationEntity).find({ where, select: { userId: true } });
    if (rows.length === 0) return [];
    await this.db.getRepository(NotificationEntity).update(where, { readAt: at });
    return [...new Set(rows.map((r) => r.userId))];
  }

  /** Users of these roles who may log in (the approvers of an item are picked among them by area). */
  async usersWithRoles(roles: readonly string[]): Promise<Recipient[]> {
    const rows = await this.db
      .createQueryBuilder()
      .select('u.*')
      .from('users', 'u')
      .where('u.role IN (:...roles)', { roles })
      .getRawMany<Record<string, unknown>>();
    return rows.filter((r) => !truthy(r.disabled)).map(recipient);
  }

  async user(userId: string): Promise<Recipient | null> {
    const r = await this.db.createQueryBuilder().select('u.*').from('users', 'u').where('u.id = :userId', { userId }).getRawOne<Record<string, unknown>>();
    return r && !truthy(r.disabled) ? recipient(r) : null;
  }

  /** What a synthesised media says (as typed), or null: a content not made by TTS. */
  async spokenText(mediaSha256: string | null): Promise<string | null> {
    if (mediaSha256 === null) return null;
    const r = await this.db.createQueryBuilder().select('m.spoken_text', 'spokenText').from('media', 'm').where('m.sha256 = :sha', { sha: mediaSha256 }).getRawOne<{ spokenText: unknown }>();
    return strOrNull(r?.spokenText);
  }

  // ---- outbox --------------------------------------------------------------------------------------------------

  due(now: number, limit: number): Promise<NotificationOutboxEntity[]> {
    return this.db.getRepository(NotificationOutboxEntity).find({ where: { nextAttemptAt: LessThanOrEqual(now) }, order: { nextAttemptAt: 'ASC', id: 'ASC' }, take: limit });
  }

  async updateOutbox(id: string, patch: Partial<NotificationOutboxEntity>): Promise<void> {
    await this.db.getRepository(NotificationOutboxEntity).update({ id }, patch);
  }

  outboxOf(notificationIds: readonly string[]): Promise<NotificationOutboxEntity[]> {
    if (notificationIds.length === 0) return Promise.resolve([]);
    return this.db.getRepository(NotificationOutboxEntity).findBy({ notificationId: In([...notificationIds]) });
  }
}

/** SQLite answers booleans as 0/1, PostgreSQL as true/false. */
const truthy = (v: unknown): boolean => v === true || v === 1 || v === '1' || v === 't' || v === 'true';

/** The contact columns are read defensively: `phone` (accounts, issue 19 item 10) and `email` (this feature). */
function recipient(r: Record<string, unknown>): Recipient {
  const phone = strOrNull(r.phone)?.trim() || null;
  const email = strOrNull(r.email)?.trim() || null;
  return {
    userId: String(r.id),
    username: String(r.username),
    fullName: strOrNull(r.full_name),
    role: String(r.role),
    areaCode: strOrNull(r.area_code),
    phone,
    email,
  };
}
