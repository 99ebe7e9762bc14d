import { Column, Entity, ForeignKey, PrimaryColumn } from 'typeorm';
import { epochMs } from '../database/columns.js';

/** Issue 5: a device whose credentials an operator revoked; re-enabled (row deleted) by rotating its secret. */
@Entity('device_revocations')
export class DeviceRevocationEntity {
  @ForeignKey('devices', { onDelete: 'CASCADE' }) @PrimaryColumn({ name: 'device_id', type: 'varchar', length: 64 }) deviceId!: string;
  @Column({ name: 'revoked_at', type: 'bigint', transformer: epochMs }) revokedAt!: number;
  @Column({ name: 'revoked_by', type: 'varchar', length: 36 }) revokedBy!: string;
}
