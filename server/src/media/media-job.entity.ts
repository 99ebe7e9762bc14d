import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { epochMs } from '../database/columns.js';

export type MediaJobState = 'queued' | 'receiving' | 'processing' | 'done' | 'failed';

/** Issue 6: one upload (or local file) on its way to a delivered media file. */
@Entity('media_jobs')
export class MediaJobEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id!: string;
  @Index() @Column({ type: 'varchar', length: 16 }) state!: MediaJobState;
  @Column({ type: 'real' }) progress!: number;
  @Column({ name: 'original_name', type: 'varchar', length: 255 }) originalName!: string;
  @Column({ name: 'created_by', type: 'varchar', length: 36 }) createdBy!: string;
  /** The source kept under dataDir/tmp while the job is pending, so a restart can resume it. */
  @Column({ name: 'source_path', type: 'varchar', length: 1000, nullable: true }) sourcePath!: string | null;
  @Column({ name: 'source_sha256', type: 'varchar', length: 64, nullable: true }) sourceSha256!: string | null;
  @Column({ name: 'source_bytes', type: 'bigint', nullable: true, transformer: epochMs }) sourceBytes!: number | null;
  @Column({ name: 'media_sha256', type: 'varchar', length: 64, nullable: true }) mediaSha256!: string | null;
  @Column({ type: 'boolean', nullable: true }) created!: boolean | null;
  @Column({ type: 'varchar', length: 32, nullable: true }) reason!: string | null;
  @Column({ type: 'varchar', length: 1000, nullable: true }) message!: string | null;
  @Index() @Column({ name: 'created_at', type: 'bigint', transformer: epochMs }) createdAt!: number;
  @Column({ name: 'updated_at', type: 'bigint', transformer: epochMs }) updatedAt!: number;
}
