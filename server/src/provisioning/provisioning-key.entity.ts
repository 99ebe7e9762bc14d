import { Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';
import { epochMs } from '../database/columns.js';

/** A zero-touch provisioning key: whoever holds it may enrol devices (claimed later by an operator). */
@Entity('provisioning_keys')
export class ProvisioningKeyEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id!: string;
  @Column({ type: 'varchar', length: 200 }) label!: string;
  /** sha256 of the key, which is shown only once. */
  @Index('idx_provisioning_keys_hash', { unique: true }) @Column({ name: 'key_hash', type: 'varchar', length: 100 }) keyHash!: string;
  /** Area proposed when claiming devices enrolled with this key. */
  @ForeignKey('areas') @Column({ name: 'area_code', type: 'varchar', length: 32, nullable: true }) areaCode!: string | null;
  @Column({ name: 'expires_at', type: 'bigint', transformer: epochMs }) expiresAt!: number;
  @Column({ name: 'max_uses', type: 'integer' }) maxUses!: number;
  @Column({ type: 'integer', default: 0 }) uses!: number;
  @Column({ name: 'created_by', type: 'varchar', length: 36 }) createdBy!: string;
  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs }) createdAt!: number;
  @Column({ name: 'deleted_at', type: 'bigint', nullable: true, transformer: epochMs }) deletedAt!: number | null;
}
