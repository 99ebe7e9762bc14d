import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { epochMs, jsonArray } from '../database/columns.js';

/** Issue 21: a training class — its members share one practice sandbox (`class-<id>`) and a lesson set. */
@Entity('training_classes')
export class TrainingClassEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id!: string;
  @Column({ type: 'varchar', length: 200 }) name!: string;
  @Index('idx_training_classes_area') @Column({ name: 'area_code', type: 'varchar', length: 32 }) areaCode!: string;
  @Column({ name: 'lesson_ids', type: 'text', transformer: jsonArray }) lessonIds!: string[];
  @Column({ name: 'created_by', type: 'varchar', length: 36 }) createdBy!: string;
  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs }) createdAt!: number;
}

@Entity('training_class_members')
@Index('idx_training_class_members_user', ['userId'])
export class TrainingClassMemberEntity {
  @PrimaryColumn({ name: 'class_id', type: 'varchar', length: 36 }) classId!: string;
  @PrimaryColumn({ name: 'user_id', type: 'varchar', length: 36 }) userId!: string;
}

/**
 * One user × lesson: attempts counted from the first check, `completed_at` set once by the first passing check
 * (later checks never move it), with the user's area and class at that moment (the report counts by them).
 */
@Entity('training_records')
@Index('uq_training_records_user_lesson', ['userId', 'lessonId'], { unique: true })
export class TrainingRecordEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id!: string;
  @Column({ name: 'user_id', type: 'varchar', length: 36 }) userId!: string;
  @Column({ name: 'lesson_id', type: 'varchar', length: 64 }) lessonId!: string;
  @Column({ name: 'completed_at', type: 'bigint', nullable: true, transformer: epochMs }) completedAt!: number | null;
  @Column({ name: 'area_code', type: 'varchar', length: 32, nullable: true }) areaCode!: string | null;
  @Column({ name: 'class_id', type: 'varchar', length: 36, nullable: true }) classId!: string | null;
  @Column({ type: 'integer', default: 0 }) attempts!: number;
  @Column({ name: 'updated_at', type: 'bigint', transformer: epochMs }) updatedAt!: number;
}

export const TRAINING_ENTITIES = [TrainingClassEntity, TrainingClassMemberEntity, TrainingRecordEntity];
