import { Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';
import type { DeviceKind } from '@loa/shared';
import { epochMs } from '../database/columns.js';

export type EnrollmentState = 'pending' | 'claimed' | 'rejected';

/** A device that enrolled with a provisioning key; its id is reserved, and becomes a device when claimed. */
@Entity('enrollments')
@Index('idx_enrollments_key_hardware', ['keyId', 'hardwareId'])
export class EnrollmentEntity {
  @PrimaryColumn({ name: 'device_id', type: 'varchar', length: 64 }) deviceId!: string;
  @ForeignKey('provisioning_keys') @Column({ name: 'key_id', type: 'varchar', length: 36 }) keyId!: string;
  @Column({ name: 'hardware_id', type: 'varchar', length: 128 }) hardwareId!: string;
  @Column({ type: 'varchar', length: 16 }) kind!: DeviceKind;
  @Column({ type: 'varchar', length: 200, nullable: true }) name!: string | null;
  @Column({ name: 'secret_hash', type: 'varchar', length: 200 }) secretHash!: string;
  @Index('idx_enrollments_state') @Column({ type: 'varchar', length: 16 }) state!: EnrollmentState;
  /** The area it was claimed into. */
  @Column({ name: 'area_code', type: 'varchar', length: 32, nullable: true }) areaCode!: string | null;
  @Column({ name: 'source_address', type: 'varchar', length: 64, nullable: true }) sourceAddress!: string | null;
  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs }) createdAt!: number;
  @Column({ name: 'updated_at', type: 'bigint', transformer: epochMs }) updatedAt!: number;
  @Column({ name: 'decided_at', type: 'bigint', nullable: true, transformer: epochMs }) decidedAt!: number | null;
  @Column({ name: 'decided_by', type: 'varchar', length: 36, nullable: true }) decidedBy!: string | null;
}
