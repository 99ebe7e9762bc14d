import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { epochMs, jsonArray } from '../database/columns.js';

/**
 * Issue 19: a commune's announcement, the link between the audio content it made and the schedule that plays it. It
 * exists so that an announcement whose content waits for an approver is scheduled when (and only when) it is approved.
 */
@Entity('announcements')
export class AnnouncementEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id!: string;
  @Column({ type: 'varchar', length: 200 }) title!: string;
  @Index('idx_announcements_content') @Column({ name: 'content_id', type: 'varchar', length: 36 }) contentId!: string;
  @Column({ name: 'schedule_id', type: 'varchar', length: 36, nullable: true }) scheduleId!: string | null;
  @Column({ name: 'area_codes', type: 'text', transformer: jsonArray }) areaCodes!: string[];
  /** The user's own area when announcing: lists are scoped by it. */
  @Column({ name: 'area_code', type: 'varchar', length: 32, nullable: true }) areaCode!: string | null;
  @Column({ name: 'start_at', type: 'bigint', nullable: true, transformer: epochMs }) startAt!: number | null;
  @Column({ type: 'integer', nullable: true }) volume!: number | null;
  @Column({ name: 'play_count', type: 'integer', nullable: true }) playCount!: number | null;
  /** awaiting-content, scheduled, rejected, failed (awaiting-schedule is read from the schedule). */
  @Column({ type: 'varchar', length: 24 }) state!: string;
  @Column({ type: 'text', nullable: true }) reason!: string | null;
  @Column({ type: 'text', nullable: true }) text!: string | null;
  @Column({ name: 'created_by', type: 'varchar', length: 36 }) createdBy!: string;
  @Index('idx_announcements_created') @Column({ name: 'created_at', type: 'bigint', transformer: epochMs }) createdAt!: number;
  @Column({ name: 'updated_at', type: 'bigint', nullable: true, transformer: epochMs }) updatedAt!: number | null;
}
