import { Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';
import type { FeedbackChannel, FeedbackEventKind, FeedbackOverdueKind, FeedbackPriority, FeedbackState } from '@loa/shared/rest';
import { epochMs } from '../database/columns.js';

/**
 * One feedback item (issue 17). Deadlines are stored (computed from the settings when the item is received or its
 * priority changes), so lists sort and filter on them in SQL and a settings change does not move promises already
 * made to residents. The resident's data (name, phone, e-mail) is erased after the retention period; `phone_hash`
 * (sha256 of the normal form, keyed with the server secret) stays for rate limits and duplicate detection.
 */
@Entity('feedback_items')
@Index('idx_feedback_items_area_state', ['areaCode', 'state'])
@Index('idx_feedback_items_answer_due', ['state', 'answerDueAt'])
@Index('idx_feedback_items_created', ['createdAt'])
@Index('idx_feedback_items_phone_hash', ['phoneHash', 'createdAt'])
@Index('idx_feedback_items_address_hash', ['addressHash', 'createdAt'])
export class FeedbackItemEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id!: string;
  @Index('uq_feedback_items_code', { unique: true }) @Column({ type: 'varchar', length: 16 }) code!: string;
  @ForeignKey('areas') @Column({ name: 'area_code', type: 'varchar', length: 32 }) areaCode!: string;
  @Column({ type: 'varchar', length: 120, nullable: true }) village!: string | null;
  @Column({ type: 'varchar', length: 32, nullable: true }) department!: string | null;
  @Column({ type: 'varchar', length: 32 }) category!: string;
  @Column({ type: 'varchar', length: 200 }) title!: string;
  @Column({ type: 'text' }) content!: string;
  /**
   * Title, content and village folded to lower-case ASCII (common/search-text), one field per line: SQLite's LOWER
   * and LIKE know no letter beyond ASCII, and an officer types "duong ngap" for "Đường ngập".
   */
  @Column({ name: 'search_text', type: 'text' }) searchText!: string;
  @Column({ type: 'varchar', length: 16 }) channel!: FeedbackChannel;
  @Column({ type: 'varchar', length: 16 }) state!: FeedbackState;
  @Column({ type: 'varchar', length: 16 }) priority!: FeedbackPriority;
  @ForeignKey('users', { onDelete: 'SET NULL' }) @Column({ name: 'assignee_user_id', type: 'varchar', length: 36, nullable: true }) assigneeUserId!: string | null;
  /** Null once erased (retention). */
  @Column({ name: 'resident_name', type: 'varchar', length: 120, nullable: true }) residentName!: string | null;
  @Column({ name: 'resident_phone', type: 'varchar', length: 16, nullable: true }) residentPhone!: string | null;
  @Column({ name: 'resident_email', type: 'varchar', length: 200, nullable: true }) residentEmail!: string | null;
  /** Keyed sha256 of the normalised phone: kept after erasure (limits, duplicates), reveals nothing without the key. */
  @Column({ name: 'phone_hash', type: 'varchar', length: 64 }) phoneHash!: string;
  /** Keyed sha256 of the sender's IP address (public page), null for other channels. */
  @Column({ name: 'address_hash', type: 'varchar', length: 64, nullable: true }) addressHash!: string | null;
  /** sha256 of the normalised title + content, for exact duplicates (same phone, same text). */
  @Column({ name: 'content_hash', type: 'varchar', length: 64 }) contentHash!: string;
  /** The SMS gateway's message id (or another channel's id): a redelivered message creates nothing new. */
  @Index('uq_feedback_items_external', { unique: true }) @Column({ name: 'external_id', type: 'varchar', length: 200, nullable: true }) externalId!: string | null;
  @Column({ name: 'consent_at', type: 'bigint', transformer: epochMs }) consentAt!: number;
  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs }) createdAt!: number;
  @Column({ name: 'ack_due_at', type: 'bigint', transformer: epochMs }) ackDueAt!: number;
  @Column({ name: 'acknowledged_at', type: 'bigint', nullable: true, transformer: epochMs }) acknowledgedAt!: number | null;
  @Column({ name: 'answer_due_at', type: 'bigint', transformer: epochMs }) answerDueAt!: number;
  @Column({ name: 'answered_at', type: 'bigint', nullable: true, transformer: epochMs }) answeredAt!: number | null;
  /** The first answer's time (reopening does not erase that it was answered, on time or not). */
  @Column({ name: 'first_answered_at', type: 'bigint', nullable: true, transformer: epochMs }) firstAnsweredAt!: number | null;
  @Column({ name: 'closed_at', type: 'bigint', nullable: true, transformer: epochMs }) closedAt!: number | null;
  /** Working milliseconds from receipt to the first answer (statistics), fixed when answered. */
  @Column({ name: 'answer_working_ms', type: 'bigint', nullable: true, transformer: epochMs }) answerWorkingMs!: number | null;
  /** Which deadline is missed now (kept by the overdue job and by every action); null when none. */
  @Column({ type: 'varchar', length: 8, nullable: true }) overdue!: FeedbackOverdueKind | null;
  /** Set once an item has ever missed a deadline (statistics: handled late). */
  @Column({ name: 'was_overdue', type: 'boolean' }) wasOverdue!: boolean;
  @Column({ type: 'text', nullable: true }) answer!: string | null;
  @Column({ name: 'answered_by', type: 'varchar', length: 36, nullable: true }) answeredBy!: string | null;
  @Column({ name: 'public_interest', type: 'boolean' }) publicInterest!: boolean;
  @Column({ name: 'reject_reason', type: 'text', nullable: true }) rejectReason!: string | null;
  @Column({ type: 'boolean', nullable: true }) satisfied!: boolean | null;
  @Column({ name: 'rated_at', type: 'bigint', nullable: true, transformer: epochMs }) ratedAt!: number | null;
  @Column({ name: 'reopen_count', type: 'integer', default: 0 }) reopenCount!: number;
  @Column({ name: 'merged_into', type: 'varchar', length: 36, nullable: true }) mergedInto!: string | null;
  @Column({ name: 'personal_data_erased_at', type: 'bigint', nullable: true, transformer: epochMs }) personalDataErasedAt!: number | null;
  @Column({ name: 'updated_at', type: 'bigint', transformer: epochMs }) updatedAt!: number;
  @Column({ type: 'integer', default: 0 }) version!: number;
}

/** The history of an item: every step, who and when (the audit log has them too, this is the item's own view). */
@Entity('feedback_events')
@Index('idx_feedback_events_item', ['itemId', 'at'])
export class FeedbackEventEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id!: string;
  @ForeignKey('feedback_items', { onDelete: 'CASCADE' }) @Column({ name: 'item_id', type: 'varchar', length: 36 }) itemId!: string;
  @Column({ type: 'bigint', transformer: epochMs }) at!: number;
  @Column({ type: 'varchar', length: 24 }) kind!: FeedbackEventKind;
  /** A user's id; null for the resident or the system (`actor_kind`). */
  @Column({ name: 'actor_user_id', type: 'varchar', length: 36, nullable: true }) actorUserId!: string | null;
  @Column({ name: 'actor_kind', type: 'varchar', length: 8 }) actorKind!: 'user' | 'resident' | 'system';
  @Column({ name: 'from_state', type: 'varchar', length: 16, nullable: true }) fromState!: FeedbackState | null;
  @Column({ name: 'to_state', type: 'varchar', length: 16, nullable: true }) toState!: FeedbackState | null;
  @Column({ type: 'text', nullable: true }) text!: string | null;
  @Column({ type: 'boolean' }) internal!: boolean;
}

/** A photo or PDF sent with an item, checked by decoding before anything is stored; the file lives under the data directory. */
@Entity('feedback_attachments')
@Index('idx_feedback_attachments_item', ['itemId'])
export class FeedbackAttachmentEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id!: string;
  @ForeignKey('feedback_items', { onDelete: 'CASCADE' }) @Column({ name: 'item_id', type: 'varchar', length: 36 }) itemId!: string;
  @Column({ type: 'varchar', length: 32 }) mime!: string;
  @Column({ type: 'integer' }) bytes!: number;
  @Column({ type: 'varchar', length: 64 }) sha256!: string;
  @Column({ type: 'integer', nullable: true }) width!: number | null;
  @Column({ type: 'integer', nullable: true }) height!: number | null;
  /** Path relative to the feedback storage directory. */
  @Column({ name: 'storage_key', type: 'varchar', length: 200 }) storageKey!: string;
  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs }) createdAt!: number;
}

/** Contents drafted from an item's answer (close the loop): which item each came from. */
@Entity('feedback_bulletins')
export class FeedbackBulletinEntity {
  @ForeignKey('feedback_items', { onDelete: 'CASCADE' }) @PrimaryColumn({ name: 'item_id', type: 'varchar', length: 36 }) itemId!: string;
  @PrimaryColumn({ name: 'content_id', type: 'varchar', length: 36 }) contentId!: string;
  @Column({ type: 'varchar', length: 16 }) role!: 'speaker' | 'board';
  @Column({ name: 'created_by', type: 'varchar', length: 36 }) createdBy!: string;
  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs }) createdAt!: number;
}

/**
 * Counters of public requests per key and window (rate limits shared by every server instance): key is
 * "<purpose>:<keyed hash>", window the start of the fixed window (epoch ms).
 */
@Entity('feedback_throttle')
export class FeedbackThrottleEntity {
  @PrimaryColumn({ type: 'varchar', length: 100 }) key!: string;
  @PrimaryColumn({ name: 'window_start', type: 'bigint', transformer: epochMs }) windowStart!: number;
  @Column({ type: 'integer' }) count!: number;
}

export const FEEDBACK_ENTITIES = [FeedbackItemEntity, FeedbackEventEntity, FeedbackAttachmentEntity, FeedbackBulletinEntity, FeedbackThrottleEntity];
