import { Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';
import type { CapFeedAuth, CapMessageState, CapPriorityRule, CapSourceKind } from '@loa/shared/rest';
import { epochMs, jsonArray, jsonOrNull } from '../database/columns.js';

@Entity('cap_sources')
export class CapSourceEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id!: string;
  @Column({ type: 'varchar', length: 200 }) name!: string;
  @Column({ type: 'varchar', length: 8 }) kind!: CapSourceKind;
  @Column({ type: 'boolean' }) enabled!: boolean;
  @Column({ name: 'feed_url', type: 'text', nullable: true }) feedUrl!: string | null;
  @Column({ name: 'poll_interval_s', type: 'integer' }) pollIntervalS!: number;
  /** Kept readable: we must send it to the feed (unlike `secretHash`, which only checks what a source sends us). */
  @Column({ name: 'feed_auth', type: 'text', transformer: jsonOrNull }) feedAuth!: CapFeedAuth;
  /** SHA-256 of the push secret (a 256-bit random token: a slow hash adds nothing against guessing). */
  @Column({ name: 'secret_hash', type: 'varchar', length: 64, nullable: true }) secretHash!: string | null;
  @Column({ type: 'boolean' }) trusted!: boolean;
  @Column({ name: 'allow_test', type: 'boolean' }) allowTest!: boolean;
  @Column({ name: 'priority_rules', type: 'text', transformer: jsonArray }) priorityRules!: CapPriorityRule[];
  @Column({ name: 'geocode_names', type: 'text', transformer: jsonArray }) geocodeNames!: string[];
  @Column({ name: 'speak_description', type: 'boolean' }) speakDescription!: boolean;
  @Column({ name: 'default_expires_s', type: 'integer' }) defaultExpiresS!: number;
  @Column({ name: 'resource_origins', type: 'text', transformer: jsonArray }) resourceOrigins!: string[];
  @Column({ name: 'last_polled_at', type: 'bigint', nullable: true, transformer: epochMs }) lastPolledAt!: number | null;
  @Column({ name: 'last_poll_error', type: 'text', nullable: true }) lastPollError!: string | null;
  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs }) createdAt!: number;
}

@Entity('cap_messages')
@Index('uq_cap_messages_key', ['sourceId', 'sender', 'identifier', 'sentAt'], { unique: true })
@Index('idx_cap_messages_entry', ['sourceId', 'entryId'])
@Index('idx_cap_messages_received', ['receivedAt'])
export class CapMessageEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id!: string;
  @ForeignKey('cap_sources', { onDelete: 'CASCADE' }) @Column({ name: 'source_id', type: 'varchar', length: 36 }) sourceId!: string;
  @Column({ type: 'varchar', length: 8 }) via!: 'push' | 'feed';
  /** The feed entry it came from (Atom id / RSS guid or link): entries already recorded are not fetched again. */
  @Column({ name: 'entry_id', type: 'varchar', length: 500, nullable: true }) entryId!: string | null;
  @Column({ type: 'varchar', length: 255, nullable: true }) sender!: string | null;
  @Column({ type: 'varchar', length: 255, nullable: true }) identifier!: string | null;
  /** `sent` as written (references repeat it); `sentAt` the instant, part of the duplicate key. */
  @Column({ type: 'varchar', length: 40, nullable: true }) sent!: string | null;
  @Column({ name: 'sent_at', type: 'bigint', nullable: true, transformer: epochMs }) sentAt!: number | null;
  @Column({ name: 'msg_type', type: 'varchar', length: 16, nullable: true }) msgType!: string | null;
  @Column({ type: 'varchar', length: 16, nullable: true }) status!: string | null;
  @Column({ type: 'varchar', length: 300, nullable: true }) headline!: string | null;
  @Column({ name: 'refs', type: 'text', nullable: true }) refs!: string | null;
  @Column({ type: 'varchar', length: 16 }) state!: CapMessageState;
  @Column({ type: 'text', nullable: true }) reason!: string | null;
  /** The HTTP status answered, answered again to a duplicate. */
  @Column({ name: 'answer_status', type: 'integer' }) answerStatus!: number;
  @Column({ name: 'alert_ids', type: 'text', transformer: jsonArray }) alertIds!: string[];
  @Column({ name: 'raw_xml', type: 'text' }) rawXml!: string;
  @Column({ name: 'received_at', type: 'bigint', transformer: epochMs }) receivedAt!: number;
}

export const CAP_ENTITIES = [CapSourceEntity, CapMessageEntity];
