import { Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';
import { epochMs } from '../database/columns.js';

@Entity('occurrences')
export class OccurrenceEntity {
  @PrimaryColumn({ type: 'varchar', length: 80 }) id!: string;
  @Index() @ForeignKey('schedules', { onDelete: 'CASCADE' }) @Column({ name: 'schedule_id', type: 'varchar', length: 36 }) scheduleId!: string;
  @Index() @Column({ name: 'start_at', type: 'bigint', transformer: epochMs }) startAt!: number;
  @Column({ name: 'duration_ms', type: 'integer' }) durationMs!: number;
}
