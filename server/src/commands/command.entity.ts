import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { epochMs } from '../database/columns.js';

export type CommandTargetKind = 'device' | 'group' | 'area';

/** Issue 5: a remote command as an operator gave it (playNow already resolved into a slot). */
@Entity('commands')
export class CommandEntity {
  /** Time-ordered (UUIDv7): ordering by id is creation order. */
  @PrimaryColumn({ type: 'varchar', length: 36 }) id!: string;
  @Column({ type: 'varchar', length: 16 }) type!: string;
  /** The `command` object of the device message, as JSON. */
  @Column({ type: 'text' }) payload!: string;
  @Column({ name: 'target_kind', type: 'varchar', length: 16 }) targetKind!: CommandTargetKind;
  @Column({ name: 'target_ref', type: 'varchar', length: 64 }) targetRef!: string;
  @Column({ name: 'device_count', type: 'integer' }) deviceCount!: number;
  @Column({ name: 'created_by', type: 'varchar', length: 36 }) createdBy!: string;
  @Index() @Column({ name: 'created_at', type: 'bigint', transformer: epochMs }) createdAt!: number;
  @Column({ name: 'expires_at', type: 'bigint', transformer: epochMs }) expiresAt!: number;
}
