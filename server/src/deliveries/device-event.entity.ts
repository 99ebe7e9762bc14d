import { Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';
import { epochMs } from '../database/columns.js';

@Entity('device_events')
@Index('idx_device_events_device_at', ['deviceId', 'at'])
export class DeviceEventEntity {
  @ForeignKey('devices', { onDelete: 'CASCADE' }) @PrimaryColumn({ name: 'device_id', type: 'varchar', length: 64 }) deviceId!: string;
  @PrimaryColumn({ name: 'event_id', type: 'varchar', length: 128 }) eventId!: string;
  @Index() @Column({ name: 'occurrence_id', type: 'varchar', length: 128 }) occurrenceId!: string;
  @Column({ type: 'varchar', length: 16 }) type!: string;
  @Column({ type: 'bigint', transformer: epochMs }) at!: number;
  @Column({ name: 'played_ms', type: 'integer', nullable: true }) playedMs!: number | null;
  @Column({ name: 'heard_ms', type: 'integer', nullable: true }) heardMs!: number | null;
  @Column({ name: 'item_ms', type: 'integer', nullable: true }) itemMs!: number | null;
  @Column({ type: 'varchar', length: 500, nullable: true }) reason!: string | null;
  /** False when the report names an occurrence not scheduled on this device: kept as evidence, not applied. */
  @Column({ type: 'boolean' }) applied!: boolean;
  @Column({ name: 'received_at', type: 'bigint', transformer: epochMs }) receivedAt!: number;
}
