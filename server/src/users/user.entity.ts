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
}
