import { Column, Entity, ForeignKey, Index, PrimaryGeneratedColumn } from 'typeorm';
import { epochMs } from '../database/columns.js';

/** One online↔offline transition of a device (only transitions, never plain heartbeats). */
@Entity('device_connections')
@Index(['deviceId', 'at'])
export class DeviceConnectionEntity {
  /** Tie-breaker for transitions in the same millisecond; bigint on PostgreSQL, rowid on SQLite. */
  @PrimaryGeneratedColumn('increment', { type: 'bigint' }) id?: string;
  @ForeignKey('devices', { onDelete: 'CASCADE' }) @Column({ name: 'device_id', type: 'varchar', length: 64 }) deviceId!: string;
  @Column({ type: 'bigint', transformer: epochMs }) at!: number;
  @Column({ type: 'varchar', length: 8 }) state!: 'online' | 'offline';
  @Column({ type: 'varchar', length: 32 }) reason!: string;
}
