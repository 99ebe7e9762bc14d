import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { epochMs, jsonOrNull } from '../database/columns.js';

/**
 * What happened to an exchange received in the inbox. `bulletin`: received → fetching (its audio) → queued (a content
 * in the approval queue) | failed (reason in `error`); `bulletin-result` and other kinds: `stored`.
 */
export type InboundState = 'received' | 'fetching' | 'queued' | 'failed' | 'stored';

/** One exchange a peer sent us, once per (peer, idempotency key): the unique index absorbs repeats and races. */
@Entity('source_inbound')
@Index('uq_source_inbound_peer_key', ['peerId', 'idempotencyKey'], { unique: true })
@Index('idx_source_inbound_state', ['state', 'nextAttemptAt'])
@Index('idx_source_inbound_content', ['contentId'])
export class InboundExchangeEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id!: string;
  @Column({ name: 'peer_id', type: 'varchar', length: 64 }) peerId!: string;
  @Column({ name: 'idempotency_key', type: 'varchar', length: 120 }) idempotencyKey!: string;
  @Column({ type: 'varchar', length: 32 }) kind!: string;
  @Column({ name: 'origin_id', type: 'varchar', length: 120, nullable: true }) originId!: string | null;
  @Column({ type: 'varchar', length: 16 }) state!: InboundState;
  /** The bulletin as received, kept while its audio is still to be fetched (a retry needs it). */
  @Column({ type: 'text', nullable: true, transformer: jsonOrNull }) payload!: object | null;
  @Column({ name: 'content_id', type: 'varchar', length: 36, nullable: true }) contentId!: string | null;
  @Column({ type: 'integer' }) attempts!: number;
  @Column({ name: 'next_attempt_at', type: 'bigint', nullable: true, transformer: epochMs }) nextAttemptAt!: number | null;
  /** A fetch in progress holds the row until then; a fetch whose process died is taken up after it. */
  @Column({ name: 'lease_until', type: 'bigint', nullable: true, transformer: epochMs }) leaseUntil!: number | null;
  @Column({ type: 'varchar', length: 1000, nullable: true }) error!: string | null;
  /** Set when the content's deliveries (or state) changed since the last results were reported up. */
  @Column({ name: 'results_changed_at', type: 'bigint', nullable: true, transformer: epochMs }) resultsChangedAt!: number | null;
  /** Idempotency key of the last results enqueued up: it changes only when the results do. */
  @Column({ name: 'results_key', type: 'varchar', length: 120, nullable: true }) resultsKey!: string | null;
  @Column({ name: 'received_at', type: 'bigint', transformer: epochMs }) receivedAt!: number;
  @Column({ name: 'updated_at', type: 'bigint', transformer: epochMs }) updatedAt!: number;
}
