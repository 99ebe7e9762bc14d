import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { ExchangeDirection, ExchangeKind, ExchangeState } from '@loa/shared/rest';
import { epochMs } from '../database/columns.js';

/**
 * Issue 16: one exchange with a peer, the transactional outbox (direction `out`) and the record of what came in
 * (`in`). A producer inserts an `out` row in its own transaction; the dispatcher claims due rows with a lease, sends
 * them, and records the outcome. The idempotency key is unique per peer and direction: enqueuing twice is a no-op,
 * and the receiver answers a repeat as the first time.
 */
@Entity('source_exchanges')
@Index(['peerId', 'direction', 'idempotencyKey'], { unique: true })
@Index(['state', 'nextAttemptAt'])
@Index(['createdAt'])
export class SourceExchangeEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id!: string;
  @Column({ name: 'peer_id', type: 'varchar', length: 36 }) peerId!: string;
  @Column({ type: 'varchar', length: 4 }) direction!: ExchangeDirection;
  @Column({ type: 'varchar', length: 32 }) kind!: ExchangeKind;
  @Column({ name: 'idempotency_key', type: 'varchar', length: 120 }) idempotencyKey!: string;
  /** The payload as JSON text (the envelope is built from it at each attempt). */
  @Column({ type: 'text' }) payload!: string;
  @Column({ type: 'varchar', length: 8 }) state!: ExchangeState;
  @Column({ type: 'integer' }) attempts!: number;
  /** When it may be claimed (pending/failed); null once settled. */
  @Column({ name: 'next_attempt_at', type: 'bigint', nullable: true, transformer: epochMs }) nextAttemptAt!: number | null;
  /** While `sending`: until when the claiming process owns it; past that a crashed sender's row is claimed again. */
  @Column({ name: 'lease_until', type: 'bigint', nullable: true, transformer: epochMs }) leaseUntil!: number | null;
  @Column({ name: 'last_error', type: 'varchar', length: 1000, nullable: true }) lastError!: string | null;
  @Column({ name: 'http_status', type: 'integer', nullable: true }) httpStatus!: number | null;
  @Column({ name: 'remote_ref', type: 'varchar', length: 200, nullable: true }) remoteRef!: string | null;
  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs }) createdAt!: number;
  @Column({ name: 'updated_at', type: 'bigint', transformer: epochMs }) updatedAt!: number;
  @Column({ name: 'sent_at', type: 'bigint', nullable: true, transformer: epochMs }) sentAt!: number | null;
}
