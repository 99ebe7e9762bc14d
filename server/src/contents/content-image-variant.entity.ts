import { Column, Entity, ForeignKey, PrimaryColumn } from 'typeorm';
import { epochMs } from '../database/columns.js';

/** An image content resized for one profile ('-': the default for boards without a profile), stored in media. */
@Entity('content_image_variants')
export class ContentImageVariantEntity {
  @ForeignKey('contents') @PrimaryColumn({ name: 'content_id', type: 'varchar', length: 36 }) contentId!: string;
  @PrimaryColumn({ name: 'profile_id', type: 'varchar', length: 36 }) profileId!: string;
  @Column({ type: 'varchar', length: 64 }) sha256!: string;
  @Column({ type: 'bigint', transformer: epochMs }) bytes!: number;
  @Column({ type: 'varchar', length: 100 }) mime!: string;
  @Column({ type: 'integer' }) width!: number;
  @Column({ type: 'integer' }) height!: number;
  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs }) createdAt!: number;
}
