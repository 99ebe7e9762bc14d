import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { FanoutKind, FanoutState } from '@loa/shared/rest';
import { epochMs, jsonOrNull } from '../database/columns.js';

/**
 * Issue 14: the durable half of a save that reaches many devices. The save commits this row with the operator's
 * intent (the schedule, command or alert) and answers; a background run does the rest and may be run again after a
 * crash, so the row holds what that run needs and a lease saying which process is on it.
 */
@Entity('fanouts')
@Index(['state', 'leaseUntil'])
@Index(['kind', 'ref'])
export class FanoutEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id!: string;
  @Column({ type: 'varchar', length: 16 }) kind!: FanoutKind;
  /** The schedule, command or alert id. */
  @Column({ type: 'varchar', length: 80 }) ref!: string;
  @Column({ type: 'varchar', length: 16 }) state!: FanoutState;
  /** What the run needs besides the resource itself (e.g. the window a schedule edit re-plans). */
  @Column({ type: 'text', nullable: true, transformer: jsonOrNull }) params!: Record<string, unknown> | null;
  /**
   * Devices still to be sent their new timeline, written in the same transaction as the deliveries that made them
   * dirty: a run resumed after that commit sends to exactly these (the deliveries' diff would find nothing left).
   */
  @Column({ type: 'text', nullable: true, transformer: jsonOrNull }) devices!: string[] | null;
  @Column({ type: 'integer' }) total!: number;
  @Column({ type: 'integer' }) done!: number;
  @Column({ type: 'integer' }) deferred!: number;
  /** The area whose subtree holds every device reached, for scoping live progress; null when there is none. */
  @Column({ name: 'area_code', type: 'varchar', length: 32, nullable: true }) areaCode!: string | null;
  @Column({ type: 'varchar', length: 1000, nullable: true }) error!: string | null;
  @Column({ type: 'integer' }) attempts!: number;
  /** Until when the process running it owns it; a run whose lease lapsed (its process died) is taken up again. */
  @Column({ name: 'lease_until', type: 'bigint', nullable: true, transformer: epochMs }) leaseUntil!: number | null;
  @Column({ name: 'created_by', type: 'varchar', length: 36 }) createdBy!: string;
  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs }) createdAt!: number;
  @Column({ name: 'updated_at', type: 'bigint', transformer: epochMs }) updatedAt!: number;
  @Column({ name: 'finished_at', type: 'bigint', nullable: true, transformer: epochMs }) finishedAt!: number | null;
}
