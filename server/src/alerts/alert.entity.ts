import { Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';
import type { Priority } from '@loa/shared';
import type { AlertSource } from '@loa/shared/rest';
import { epochMs } from '../database/columns.js';

/** `pending`: waiting for a second person's confirmation (issue 7), not on the area channel. */
export type AlertStatus = 'pending' | 'active' | 'superseded' | 'cancelled';

@Entity('alerts')
@Index(['areaCode', 'status'])
@Index(['clearedAt', 'expiresAt'])
export class AlertEntity {
  @PrimaryColumn({ type: 'varchar', length: 80 }) id!: string;
  @ForeignKey('areas') @Column({ name: 'area_code', type: 'varchar', length: 32 }) areaCode!: string;
  @Column({ type: 'varchar', length: 16 }) priority!: Priority;
  @Column({ type: 'varchar', length: 200 }) title!: string;
  @Column({ type: 'text', nullable: true }) text!: string | null;
  @ForeignKey('media') @Column({ name: 'media_sha256', type: 'varchar', length: 64, nullable: true }) mediaSha256!: string | null;
  @Column({ type: 'integer', nullable: true }) volume!: number | null;
  @Column({ type: 'varchar', length: 16 }) status!: AlertStatus;
  /** The alert this one replaced on the same area channel (CAP `references`). */
  @Column({ type: 'varchar', length: 80, nullable: true }) replaces!: string | null;
  @Column({ name: 'sent_at', type: 'bigint', transformer: epochMs }) sentAt!: number;
  @Column({ name: 'effective_at', type: 'bigint', transformer: epochMs }) effectiveAt!: number;
  @Column({ name: 'expires_at', type: 'bigint', transformer: epochMs }) expiresAt!: number;
  @Column({ name: 'cancelled_at', type: 'bigint', nullable: true, transformer: epochMs }) cancelledAt!: number | null;
  /** When the retained message was removed from the area channel (at expiry). */
  @Column({ name: 'cleared_at', type: 'bigint', nullable: true, transformer: epochMs }) clearedAt!: number | null;
  @Column({ name: 'created_by', type: 'varchar', length: 36 }) createdBy!: string;
  /** Two-person rule (issue 7): when the creator asked for it, and who confirmed it when. */
  @Column({ name: 'requested_at', type: 'bigint', nullable: true, transformer: epochMs }) requestedAt?: number | null;
  @Column({ name: 'confirmed_by', type: 'varchar', length: 36, nullable: true }) confirmedBy?: string | null;
  @Column({ name: 'confirmed_at', type: 'bigint', nullable: true, transformer: epochMs }) confirmedAt?: number | null;
  /** Issue 18: manual | cap | live | relay (AlertSource). */
  @Column({ type: 'varchar', length: 16, default: 'manual' }) source?: AlertSource;
  /** Issue 18: a live or relayed stream the speakers play (AlertMessage.stream). */
  @Column({ name: 'stream_url', type: 'text', nullable: true }) streamUrl?: string | null;
}
