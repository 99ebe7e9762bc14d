import { Column, Entity, ForeignKey, PrimaryColumn } from 'typeorm';
import { epochMs } from '../database/columns.js';

@Entity('timelines')
export class TimelineEntity {
  @ForeignKey('devices', { onDelete: 'CASCADE' }) @PrimaryColumn({ name: 'device_id', type: 'varchar', length: 64 }) deviceId!: string;
  @Column({ type: 'integer' }) version!: number;
  @Column({ name: 'generated_at', type: 'bigint', transformer: epochMs }) generatedAt!: number;
  /** The exact JSON published, so a reconnecting device gets byte-identical content. */
  @Column({ type: 'text' }) payload!: string;
}
