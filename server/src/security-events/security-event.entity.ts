import { Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';
import { epochMs } from '../database/columns.js';

/** A server message an agent refused (unsigned, forged, expired, replayed), as the agent reported it. */
@Entity('security_events')
@Index(['deviceId', 'receivedAt'])
export class SecurityEventEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id!: string;
  @ForeignKey('devices', { onDelete: 'CASCADE' }) @Column({ name: 'device_id', type: 'varchar', length: 64 }) deviceId!: string;
  /** The agent's clock (corrected) when it refused the message; received_at is the server's. */
  @Column({ type: 'bigint', transformer: epochMs }) at!: number;
  @Index() @Column({ name: 'received_at', type: 'bigint', transformer: epochMs }) receivedAt!: number;
  @Column({ type: 'varchar', length: 300 }) topic!: string;
  @Column({ type: 'varchar', length: 32 }) reason!: string;
  @Column({ type: 'varchar', length: 500, nullable: true }) detail!: string | null;
  @Column({ type: 'varchar', length: 128, nullable: true }) claimed!: string | null;
}
