import { Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';

export type TargetKind = 'area' | 'device' | 'group';

@Entity('schedule_targets')
@Index(['kind', 'ref'])
export class ScheduleTargetEntity {
  @ForeignKey('schedules', { onDelete: 'CASCADE' }) @PrimaryColumn({ name: 'schedule_id', type: 'varchar', length: 36 }) scheduleId!: string;
  @PrimaryColumn({ type: 'varchar', length: 16 }) kind!: TargetKind;
  @PrimaryColumn({ type: 'varchar', length: 64 }) ref!: string;
}
