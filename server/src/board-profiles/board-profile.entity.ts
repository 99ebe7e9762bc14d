import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { epochMs } from '../database/columns.js';

/** A board model: the resolution images are prepared for and previews are drawn at. */
@Entity('board_profiles')
export class BoardProfileEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id!: string;
  @Index({ unique: true }) @Column({ type: 'varchar', length: 100 }) name!: string;
  @Column({ type: 'integer' }) width!: number;
  @Column({ type: 'integer' }) height!: number;
  @Column({ type: 'varchar', length: 16 }) orientation!: 'landscape' | 'portrait';
  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs }) createdAt!: number;
  @Column({ name: 'updated_at', type: 'bigint', nullable: true, transformer: epochMs }) updatedAt!: number | null;
}
