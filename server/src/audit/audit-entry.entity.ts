import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { epochMs } from '../database/columns.js';

/**
 * Issue 7: one audited API call (who, what, when, outcome, before/after). `before`, `after` and `detail` are redacted
 * JSON texts (see audit/redact.ts); `area_code` is where the resource lies, when known, so scoped readers see it.
 */
@Entity('audit_log')
@Index(['resourceType', 'resourceId'])
export class AuditEntryEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id!: string;
  @Index() @Column({ type: 'bigint', transformer: epochMs }) at!: number;
  @Index() @Column({ name: 'actor_id', type: 'varchar', length: 36, nullable: true }) actorId!: string | null;
  @Column({ name: 'actor_name', type: 'varchar', length: 64 }) actorName!: string;
  @Column({ name: 'actor_role', type: 'varchar', length: 32 }) actorRole!: string;
  @Column({ name: 'actor_area_code', type: 'varchar', length: 32, nullable: true }) actorAreaCode!: string | null;
  @Column({ type: 'varchar', length: 100 }) action!: string;
  @Column({ name: 'resource_type', type: 'varchar', length: 32, nullable: true }) resourceType!: string | null;
  @Column({ name: 'resource_id', type: 'varchar', length: 100, nullable: true }) resourceId!: string | null;
  @Column({ name: 'area_code', type: 'varchar', length: 32, nullable: true }) areaCode!: string | null;
  @Column({ type: 'varchar', length: 8 }) outcome!: 'ok' | 'refused' | 'error';
  @Column({ type: 'integer' }) status!: number;
  @Column({ type: 'text', nullable: true }) before!: string | null;
  @Column({ type: 'text', nullable: true }) after!: string | null;
  @Column({ type: 'text', nullable: true }) detail!: string | null;
  @Column({ type: 'varchar', length: 64, nullable: true }) ip!: string | null;
}
