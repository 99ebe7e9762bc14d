import type { COMMAND_STATES } from '@loa/shared/rest';
import { Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';
import { epochMs, jsonOrNull } from '../database/columns.js';

/** Per-device state of a remote command: queued → sent → ok | error | rejected, or expired before an answer. */
/** A command's state on one device; the list is the REST contract's. */
export type CommandState = (typeof COMMAND_STATES)[number];

/** One target device of a command and what became of it there. */
@Entity('command_results')
@Index(['deviceId', 'state'])
@Index(['state', 'expiresAt'])
@Index(['commandId', 'state'])
export class CommandResultEntity {
  @ForeignKey('commands') @PrimaryColumn({ name: 'command_id', type: 'varchar', length: 36 }) commandId!: string;
  @PrimaryColumn({ name: 'device_id', type: 'varchar', length: 64 }) deviceId!: string;
  @Column({ type: 'varchar', length: 16 }) state!: CommandState;
  /** The command's expiry, repeated here so the sweep and the per-device queue need no join. */
  @Column({ name: 'expires_at', type: 'bigint', transformer: epochMs }) expiresAt!: number;
  /** Last (re)send; the agent tells a resend from a replay by it. */
  @Column({ name: 'sent_at', type: 'bigint', nullable: true, transformer: epochMs }) sentAt!: number | null;
  @Column({ type: 'integer', default: 0 }) attempts!: number;
  @Column({ name: 'result_at', type: 'bigint', nullable: true, transformer: epochMs }) resultAt!: number | null;
  @Column({ type: 'varchar', length: 1000, nullable: true }) message!: string | null;
  @Column({ type: 'text', nullable: true, transformer: jsonOrNull }) data!: Record<string, unknown> | null;
  @Column({ name: 'updated_at', type: 'bigint', transformer: epochMs }) updatedAt!: number;
}
