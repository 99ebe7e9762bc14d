import { Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';
import { epochMs } from '../database/columns.js';

/** One lifecycle step of a content: who did what, when (and why, for a rejection). */
@Entity('content_events')
export class ContentEventEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id!: string;
  @Index() @ForeignKey('contents') @Column({ name: 'content_id', type: 'varchar', length: 36 }) contentId!: string;
  @Column({ type: 'varchar', length: 16 }) action!: string;
  @Column({ name: 'from_state', type: 'varchar', length: 16, nullable: true }) fromState!: string | null;
  @Column({ name: 'to_state', type: 'varchar', length: 16 }) toState!: string;
  @Column({ name: 'user_id', type: 'varchar', length: 36 }) userId!: string;
  @Column({ type: 'bigint', transformer: epochMs }) at!: number;
  @Column({ type: 'varchar', length: 1000, nullable: true }) reason!: string | null;
}
