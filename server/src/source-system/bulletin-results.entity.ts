import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { BulletinResultPayload } from '@loa/shared/rest';
import { epochMs, jsonOrNull } from '../database/columns.js';

/** At an upper Loa: the latest playback results a lower peer reported for one of our bulletins. */
@Entity('source_remote_results')
@Index('idx_source_remote_results_origin', ['originId'])
export class RemoteResultEntity {
  @PrimaryColumn({ name: 'peer_id', type: 'varchar', length: 64 }) peerId!: string;
  @PrimaryColumn({ name: 'origin_id', type: 'varchar', length: 120 }) originId!: string;
  @Column({ type: 'varchar', length: 16 }) status!: BulletinResultPayload['status'];
  @Column({ type: 'integer' }) due!: number;
  @Column({ type: 'integer' }) played!: number;
  @Column({ type: 'integer' }) failed!: number;
  @Column({ name: 'device_rows', type: 'text', transformer: jsonOrNull }) rows!: BulletinResultPayload['rows'];
  @Column({ name: 'idempotency_key', type: 'varchar', length: 120 }) idempotencyKey!: string;
  /** When the sender produced the report (its `asOf`, else the envelope's sentAt): an older one arriving late never overwrites a newer one. */
  @Column({ name: 'sent_at', type: 'bigint', transformer: epochMs }) sentAt!: number;
  @Column({ name: 'received_at', type: 'bigint', transformer: epochMs }) receivedAt!: number;
}
