import { Column, Entity, PrimaryColumn } from 'typeorm';
import { epochMs } from '../database/columns.js';

@Entity('media')
export class MediaEntity {
  @PrimaryColumn({ type: 'varchar', length: 64 }) sha256!: string;
  @Column({ type: 'bigint', transformer: epochMs }) bytes!: number;
  @Column({ type: 'varchar', length: 100 }) mime!: string;
  @Column({ type: 'varchar', length: 50 }) codec!: string;
  @Column({ name: 'duration_ms', type: 'integer' }) durationMs!: number;
  @Column({ name: 'original_name', type: 'varchar', length: 255 }) originalName!: string;
  @Column({ name: 'created_by', type: 'varchar', length: 36 }) createdBy!: string;
  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs }) createdAt!: number;
  /** Issue 18: what a synthesised media says, as typed (tts/); audio content made from it shows it on boards. */
  @Column({ name: 'spoken_text', type: 'text', nullable: true }) spokenText?: string | null;
}
