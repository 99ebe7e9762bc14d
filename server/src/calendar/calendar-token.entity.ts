import { Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';
import { epochMs } from '../database/columns.js';

/**
 * A user's calendar link (issue 16): one per user, replaced when rotated, deleted when revoked or with the user. Only
 * the sha256 of the token is kept, like sessions: a leaked table opens no calendar.
 */
@Entity('calendar_tokens')
export class CalendarTokenEntity {
  @ForeignKey('users', { onDelete: 'CASCADE' }) @PrimaryColumn({ name: 'user_id', type: 'varchar', length: 36 }) userId!: string;
  @Index('uq_calendar_tokens_hash', { unique: true }) @Column({ name: 'token_hash', type: 'varchar', length: 64 }) tokenHash!: string;
  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs }) createdAt!: number;
  @Column({ name: 'last_used_at', type: 'bigint', nullable: true, transformer: epochMs }) lastUsedAt!: number | null;
}
