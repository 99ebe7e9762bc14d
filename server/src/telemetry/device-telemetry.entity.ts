import { Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';
import { epochMs } from '../database/columns.js';

/** One telemetry sample as the agent sent it; (device, at) absorbs a redelivered sample. */
@Entity('device_telemetry')
export class DeviceTelemetryEntity {
  @ForeignKey('devices', { onDelete: 'CASCADE' }) @PrimaryColumn({ name: 'device_id', type: 'varchar', length: 64 }) deviceId!: string;
  @Index() @PrimaryColumn({ type: 'bigint', transformer: epochMs }) at!: number;
  @Column({ name: 'received_at', type: 'bigint', transformer: epochMs }) receivedAt!: number;
  @Column({ name: 'uptime_s', type: 'bigint', transformer: epochMs }) uptimeS!: number;
  @Column({ name: 'timeline_version', type: 'integer', nullable: true }) timelineVersion!: number | null;
  @Column({ type: 'varchar', length: 128, nullable: true }) playing!: string | null;
  @Column({ type: 'integer', nullable: true }) volume!: number | null;
  @Column({ type: 'boolean', nullable: true }) muted!: boolean | null;
  @Column({ name: 'free_disk_bytes', type: 'bigint', nullable: true, transformer: epochMs }) freeDiskBytes!: number | null;
  @Column({ name: 'rss_bytes', type: 'bigint', nullable: true, transformer: epochMs }) rssBytes!: number | null;
  @Column({ name: 'clock_offset_ms', type: 'bigint', nullable: true, transformer: epochMs }) clockOffsetMs!: number | null;
  @Column({ name: 'outbox_size', type: 'bigint', nullable: true, transformer: epochMs }) outboxSize!: number | null;
  @Column({ name: 'agent_version', type: 'varchar', length: 64, nullable: true }) agentVersion!: string | null;
  @Column({ name: 'output_level_lufs', type: 'real', nullable: true }) outputLevelLufs!: number | null;
  @Column({ name: 'signal_dbm', type: 'real', nullable: true }) signalDbm!: number | null;
  @Column({ name: 'temperature_c', type: 'real', nullable: true }) temperatureC!: number | null;
}
