import { Column, Entity, PrimaryColumn } from 'typeorm';
import { epochMs } from '../database/columns.js';

/** Issue 7: server-wide settings changed through the API (approval rules), one JSON document per key. */
@Entity('settings')
export class SettingEntity {
  @PrimaryColumn({ type: 'varchar', length: 64 }) key!: string;
  @Column({ type: 'text' }) value!: string;
  @Column({ name: 'updated_by', type: 'varchar', length: 36, nullable: true }) updatedBy!: string | null;
  @Column({ name: 'updated_at', type: 'bigint', transformer: epochMs }) updatedAt!: number;
}
