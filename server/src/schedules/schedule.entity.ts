import { Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';
import type { PreemptPolicy, Priority } from '@loa/shared';
import { epochMs, jsonOrNull } from '../database/columns.js';

@Entity('schedules')
export class ScheduleEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id!: string;
  @Index() @ForeignKey('contents') @Column({ name: 'content_id', type: 'varchar', length: 36 }) contentId!: string;
  @Column({ type: 'varchar', length: 16 }) priority!: Priority;
  @Column({ name: 'start_at', type: 'bigint', transformer: epochMs }) startAt!: number;
  @Column({ type: 'integer', nullable: true }) volume!: number | null;
  @Index('idx_schedules_status') @Column({ type: 'varchar', length: 16 }) status!: 'active' | 'cancelled';
  @Column({ name: 'created_by', type: 'varchar', length: 36 }) createdBy!: string;
  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs }) createdAt!: number;
  /** RFC 5545 RRULE value (without the "RRULE:" prefix); null for a one-off. `startAt` is its DTSTART. */
  @Column({ type: 'varchar', length: 500, nullable: true }) rrule?: string | null;
  /** Excluded instants (epoch ms) and whole local days ("YYYY-MM-DD"), as a JSON array. */
  @Column({ type: 'text', nullable: true, transformer: jsonOrNull }) exdates?: Array<number | string> | null;
  /** Issue 19: local times of day "HH:MM" (JSON array) replacing startAt's; null or empty for startAt's only. */
  @Column({ name: 'times_of_day', type: 'text', nullable: true, transformer: jsonOrNull }) timesOfDay?: string[] | null;
  /** Issue 19: added occurrences (epoch ms, JSON array): a moved occurrence's new start (its old one is an exdate). */
  @Column({ type: 'text', nullable: true, transformer: jsonOrNull }) rdates?: number[] | null;
  /** IANA zone whose wall clock the rule follows. */
  @Column({ type: 'varchar', length: 64, default: 'Asia/Ho_Chi_Minh' }) timezone?: string;
  @Column({ name: 'repeat_count', type: 'integer', default: 1 }) repeat?: number;
  @Column({ name: 'gap_ms', type: 'integer', default: 0 }) gapMs?: number;
  @Column({ name: 'on_preempt', type: 'varchar', length: 16, nullable: true }) onPreempt?: PreemptPolicy | null;
  /** Occurrences (and their deliveries) exist up to this instant; the horizon roller moves it forward. */
  @Column({ name: 'generated_until', type: 'bigint', nullable: true, transformer: epochMs }) generatedUntil?: number | null;
  @Column({ name: 'updated_at', type: 'bigint', nullable: true, transformer: epochMs }) updatedAt?: number | null;
  /** Issue 7: a pending or rejected schedule has no occurrences and reaches no device (see approvals/). */
  @Column({ type: 'varchar', length: 16, default: 'not-required' }) approval?: ScheduleApproval;
  @Column({ name: 'approved_by', type: 'varchar', length: 36, nullable: true }) approvedBy?: string | null;
  @Column({ name: 'approved_at', type: 'bigint', nullable: true, transformer: epochMs }) approvedAt?: number | null;
  @Column({ name: 'rejected_by', type: 'varchar', length: 36, nullable: true }) rejectedBy?: string | null;
  @Column({ name: 'rejected_at', type: 'bigint', nullable: true, transformer: epochMs }) rejectedAt?: number | null;
  @Column({ name: 'rejected_reason', type: 'varchar', length: 1000, nullable: true }) rejectedReason?: string | null;
}

export type ScheduleApproval = 'not-required' | 'pending' | 'approved' | 'rejected';
