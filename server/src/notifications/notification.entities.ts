import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { epochMs } from '../database/columns.js';

/** One user's notification (issue 19 item 7). No foreign key: a removed user's rows are harmless and small. */
@Entity('notifications')
@Index('idx_notifications_user', ['userId', 'createdAt'])
export class NotificationEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id!: string;
  @Column({ name: 'user_id', type: 'varchar', length: 36 }) userId!: string;
  @Column({ type: 'varchar', length: 32 }) kind!: string;
  @Column({ type: 'varchar', length: 16 }) subject!: string;
  @Column({ name: 'subject_id', type: 'varchar', length: 64 }) subjectId!: string;
  @Column({ type: 'varchar', length: 200 }) title!: string;
  @Column({ type: 'varchar', length: 1000, nullable: true }) detail!: string | null;
  @Column({ type: 'varchar', length: 64, nullable: true }) actor!: string | null;
  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs }) createdAt!: number;
  @Column({ name: 'read_at', type: 'bigint', nullable: true, transformer: epochMs }) readAt!: number | null;
}

/**
 * An e-mail or text to send for a notification. `next_attempt_at` null: nothing more to do (sent, or given up after
 * the configured attempts: `failed_at`).
 */
@Entity('notification_outbox')
export class NotificationOutboxEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id!: string;
  @Column({ name: 'notification_id', type: 'varchar', length: 36 }) notificationId!: string;
  @Column({ name: 'user_id', type: 'varchar', length: 36 }) userId!: string;
  @Column({ type: 'varchar', length: 8 }) channel!: string;
  @Column({ type: 'varchar', length: 320 }) address!: string;
  @Column({ type: 'varchar', length: 300 }) subject!: string;
  @Column({ type: 'text' }) body!: string;
  @Column({ type: 'integer' }) attempts!: number;
  @Index('idx_notification_outbox_due') @Column({ name: 'next_attempt_at', type: 'bigint', nullable: true, transformer: epochMs }) nextAttemptAt!: number | null;
  @Column({ name: 'sent_at', type: 'bigint', nullable: true, transformer: epochMs }) sentAt!: number | null;
  @Column({ name: 'failed_at', type: 'bigint', nullable: true, transformer: epochMs }) failedAt!: number | null;
  @Column({ name: 'last_error', type: 'varchar', length: 500, nullable: true }) lastError!: string | null;
  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs }) createdAt!: number;
}

export const NOTIFICATION_ENTITIES = [NotificationEntity, NotificationOutboxEntity];
