import { Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';
import { epochMs } from '../database/columns.js';

@Entity('users')
export class UserEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id!: string;
  @Index({ unique: true }) @Column({ type: 'varchar', length: 64 }) username!: string;
  @Column({ name: 'password_hash', type: 'varchar', length: 200 }) passwordHash!: string;
  @Column({ type: 'varchar', length: 32 }) role!: string;
  @ForeignKey('areas') @Column({ name: 'area_code', type: 'varchar', length: 32, nullable: true }) areaCode!: string | null;
  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs }) createdAt!: number;
  /** Issue 7: a disabled user cannot log in and its sessions are dropped. */
  @Column({ type: 'boolean', default: false }) disabled?: boolean;
  @Column({ name: 'updated_at', type: 'bigint', nullable: true, transformer: epochMs }) updatedAt?: number | null;
  /** Issue 19 item 7: where e-mail notifications go (none: in-app and SMS only). Migration 1765590400000. */
  @Column({ type: 'varchar', length: 254, nullable: true }) email?: string | null;
  /** Issue 19: the person's name, shown in the audit and to approvers (the username is a login, not a name). */
  @Column({ name: 'full_name', type: 'varchar', length: 100, nullable: true }) fullName?: string | null;
  /** Issue 19: a Vietnamese phone number in normal form (0xxxxxxxxx), for notifications. */
  @Column({ type: 'varchar', length: 16, nullable: true }) phone?: string | null;
  /** Issue 19: an administrator set the password; until the user changes it, only its own account routes answer. */
  @Column({ name: 'must_change_password', type: 'boolean', default: false }) mustChangePassword?: boolean;
}
