import { Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';
import type { DeliveryState } from '@loa/shared';
import { epochMs } from '../database/columns.js';

@Entity('deliveries')
@Index('idx_deliveries_device_state', ['deviceId', 'state'])
/** Issue 16: the coverage rollup job finds the deliveries changed since its last run by this. */
@Index('idx_deliveries_updated_at', ['updatedAt'])
export class DeliveryEntity {
  @ForeignKey('occurrences', { onDelete: 'CASCADE' }) @PrimaryColumn({ name: 'occurrence_id', type: 'varchar', length: 80 }) occurrenceId!: string;
  @Index() @ForeignKey('devices', { onDelete: 'CASCADE' }) @PrimaryColumn({ name: 'device_id', type: 'varchar', length: 64 }) deviceId!: string;
  @Index() @Column({ name: 'schedule_id', type: 'varchar', length: 36 }) scheduleId!: string;
  @Column({ type: 'varchar', length: 16 }) state!: DeliveryState;
  @Column({ name: 'queued_at', type: 'bigint', transformer: epochMs }) queuedAt!: number;
  @Column({ name: 'delivered_at', type: 'bigint', nullable: true, transformer: epochMs }) deliveredAt!: number | null;
  @Column({ name: 'started_at', type: 'bigint', nullable: true, transformer: epochMs }) startedAt!: number | null;
  @Column({ name: 'ended_at', type: 'bigint', nullable: true, transformer: epochMs }) endedAt!: number | null;
  @Column({ name: 'played_ms', type: 'integer', nullable: true }) playedMs!: number | null;
  /** How much of the item was heard, and the whole item's length (issue 12; NULL when the agent did not say). */
  @Column({ name: 'heard_ms', type: 'integer', nullable: true }) heardMs!: number | null;
  @Column({ name: 'item_ms', type: 'integer', nullable: true }) itemMs!: number | null;
  @Column({ type: 'varchar', length: 500, nullable: true }) reason!: string | null;
  @Column({ name: 'updated_at', type: 'bigint', transformer: epochMs }) updatedAt!: number;
}
