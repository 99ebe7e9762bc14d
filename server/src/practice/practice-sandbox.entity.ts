import { Column, Entity, PrimaryColumn } from 'typeorm';
import { epochMs } from '../database/columns.js';

/**
 * Issue 21: which server instance runs a practice sandbox (its process and data directory are that instance's own,
 * bound to 127.0.0.1). Migration 1765590900000. Never holds the sandbox secret: that lives in the supervising
 * process only, and a restarted main server restarts its sandboxes with a new one.
 */
@Entity('practice_sandboxes')
export class PracticeSandboxEntity {
  @PrimaryColumn({ name: 'sandbox_id', type: 'varchar', length: 80 }) sandboxId!: string;
  @Column({ name: 'instance_id', type: 'varchar', length: 64, nullable: true }) instanceId!: string | null;
  @Column({ type: 'varchar', length: 16 }) state!: string;
  @Column({ name: 'http_port', type: 'integer', nullable: true }) httpPort!: number | null;
  @Column({ name: 'started_at', type: 'bigint', nullable: true, transformer: epochMs }) startedAt!: number | null;
  @Column({ name: 'last_used_at', type: 'bigint', nullable: true, transformer: epochMs }) lastUsedAt!: number | null;
  /** Refreshed by the running instance every minute: a row older than a few minutes is an instance that died. */
  @Column({ name: 'updated_at', type: 'bigint', transformer: epochMs }) updatedAt!: number;
}

export const PRACTICE_ENTITIES = [PracticeSandboxEntity];
