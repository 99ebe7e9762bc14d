import { Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';
import { epochMs } from '../database/columns.js';

/** Issue 6: how a delivered media file was made from its source (transcode + EBU R128 loudness normalisation). */
@Entity('media_audio')
export class MediaAudioEntity {
  /** sha256 of the uploaded source; (source, profile) is processed once. */
  @PrimaryColumn({ name: 'source_sha256', type: 'varchar', length: 64 }) sourceSha256!: string;
  /** Delivery settings the file was made with, e.g. "mp3/64k/44100/1ch/-16LUFS/-1.5dBTP/notrim". */
  @PrimaryColumn({ type: 'varchar', length: 100 }) profile!: string;
  /** The delivered file (media.sha256); two sources with the same decoded audio may share one. */
  @Index() @ForeignKey('media') @Column({ type: 'varchar', length: 64 }) sha256!: string;
  @Column({ name: 'source_bytes', type: 'bigint', transformer: epochMs }) sourceBytes!: number;
  @Column({ name: 'source_mime', type: 'varchar', length: 100 }) sourceMime!: string;
  @Column({ name: 'source_codec', type: 'varchar', length: 50 }) sourceCodec!: string;
  @Column({ name: 'source_duration_ms', type: 'integer' }) sourceDurationMs!: number;
  @Column({ name: 'input_lufs', type: 'real', nullable: true }) inputLufs!: number | null;
  @Column({ name: 'input_true_peak_dbtp', type: 'real', nullable: true }) inputTruePeakDbtp!: number | null;
  @Column({ name: 'input_lra', type: 'real', nullable: true }) inputLra!: number | null;
  @Column({ name: 'output_lufs', type: 'real', nullable: true }) outputLufs!: number | null;
  @Column({ name: 'output_true_peak_dbtp', type: 'real', nullable: true }) outputTruePeakDbtp!: number | null;
  @Column({ name: 'output_lra', type: 'real', nullable: true }) outputLra!: number | null;
  /** loudnorm's "linear" (one gain) or "dynamic" (when one gain would break the true-peak limit). */
  @Column({ name: 'normalization', type: 'varchar', length: 16 }) normalization!: string;
  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs }) createdAt!: number;
}
