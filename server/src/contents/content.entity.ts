import { Column, Entity, ForeignKey, PrimaryColumn } from 'typeorm';
import { epochMs, jsonOrNull } from '../database/columns.js';

export type ContentType = 'audio' | 'text' | 'relay' | 'image';

export type ContentState = 'draft' | 'submitted' | 'approved' | 'rejected' | 'archived';

@Entity('contents')
export class ContentEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id!: string;
  @Column({ type: 'varchar', length: 16 }) type!: ContentType;
  @Column({ type: 'varchar', length: 200 }) title!: string;
  @ForeignKey('media') @Column({ name: 'media_sha256', type: 'varchar', length: 64, nullable: true }) mediaSha256!: string | null;
  @Column({ type: 'text', nullable: true }) text!: string | null;
  @Column({ name: 'duration_ms', type: 'integer' }) durationMs!: number;
  @Column({ name: 'created_by', type: 'varchar', length: 36 }) createdBy!: string;
  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs }) createdAt!: number;
  /** Validity window: occurrences starting outside [validFrom, validUntil) are never generated. */
  @Column({ name: 'valid_from', type: 'bigint', nullable: true, transformer: epochMs }) validFrom?: number | null;
  @Column({ name: 'valid_until', type: 'bigint', nullable: true, transformer: epochMs }) validUntil?: number | null;
  /** Upstream stream of a relay content (http/https). */
  @Column({ type: 'varchar', length: 2000, nullable: true }) url?: string | null;
  /** Issue 6: lifecycle (draft → submitted → approved | rejected → archived); each step is also a content_events row. */
  @Column({ type: 'varchar', length: 16, default: 'draft' }) state?: ContentState;
  @Column({ name: 'reject_reason', type: 'varchar', length: 1000, nullable: true }) rejectReason?: string | null;
  @Column({ name: 'updated_at', type: 'bigint', nullable: true, transformer: epochMs }) updatedAt?: number | null;
  /** Board presentation of a text (TextStyle JSON); the uploaded original of an image content. */
  @Column({ type: 'text', nullable: true, transformer: jsonOrNull }) style?: Record<string, string | number | boolean> | null;
  @Column({ name: 'image_sha256', type: 'varchar', length: 64, nullable: true }) imageSha256?: string | null;
  @Column({ name: 'image_width', type: 'integer', nullable: true }) imageWidth?: number | null;
  @Column({ name: 'image_height', type: 'integer', nullable: true }) imageHeight?: number | null;
  /** Issue 16: the content category (content_categories.code); null when unclassified. */
  @Column({ type: 'varchar', length: 32, nullable: true }) category?: string | null;
  /** Issue 16: a bulletin received from an upper peer (source system or a province Loa); null for our own. */
  @Column({ name: 'origin_peer_id', type: 'varchar', length: 64, nullable: true }) originPeerId?: string | null;
  @Column({ name: 'origin_peer_name', type: 'varchar', length: 200, nullable: true }) originPeerName?: string | null;
  /** The bulletin's id at its origin: the results reported back up quote it. */
  @Column({ name: 'origin_id', type: 'varchar', length: 120, nullable: true }) originId?: string | null;
  @Column({ name: 'origin_priority', type: 'varchar', length: 16, nullable: true }) originPriority?: string | null;
  @Column({ name: 'origin_category', type: 'varchar', length: 32, nullable: true }) originCategory?: string | null;
  /** Issue 18: marked for emergencies (the approval rules may limit alert audio to such content). */
  @Column({ type: 'boolean', default: false }) emergency?: boolean;
}
