import { Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';
import { epochMs } from '../database/columns.js';

export type AlarmKind = 'offline' | 'low-disk' | 'playback-failures' | 'silence';

/** A condition on a device that needs a person; at most one active (cleared_at NULL) per device and kind. */
@Entity('alarms')
@Index(['deviceId', 'raisedAt'])
@Index('uq_alarms_active', ['deviceId', 'kind'], { unique: true, where: 'cleared_at IS NULL' })
export class AlarmEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id!: string;
  @ForeignKey('devices', { onDelete: 'CASCADE' }) @Column({ name: 'device_id', type: 'varchar', length: 64 }) deviceId!: string;
  @Column({ type: 'varchar', length: 32 }) kind!: AlarmKind;
  @Column({ type: 'varchar', length: 500 }) detail!: string;
  @Index() @Column({ name: 'raised_at', type: 'bigint', transformer: epochMs }) raisedAt!: number;
  @Column({ name: 'cleared_at', type: 'bigint', nullable: true, transformer: epochMs }) clearedAt!: number | null;
  @Column({ name: 'cleared_detail', type: 'varchar', length: 500, nullable: true }) clearedDetail!: string | null;
  @Column({ name: 'acked_at', type: 'bigint', nullable: true, transformer: epochMs }) ackedAt!: number | null;
  @Column({ name: 'acked_by', type: 'varchar', length: 36, nullable: true }) ackedBy!: string | null;
  @Column({ name: 'acked_by_name', type: 'varchar', length: 64, nullable: true }) ackedByName!: string | null;
}
