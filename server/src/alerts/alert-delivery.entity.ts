import { Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';
import type { AlertDeliveryState } from '@loa/shared/rest';
import { epochMs } from '../database/columns.js';

/**
 * Issue 18, proof of play for alerts: one record per (alert, device) the alert was meant for, written when the
 * alert went on its channel (AlertDeliveriesRepository.expect) and moved forward by the agent's reports on
 * `alert:<alertId>` (deliveries/alert-reports.repository.ts, in the reports' own transaction). `areaCode`: the device's area
 * then, so the counts by area stay those of the send even if a device moves later.
 */
@Entity('alert_deliveries')
@Index('idx_alert_deliveries_alert_state', ['alertId', 'state'])
@Index('idx_alert_deliveries_alert_area', ['alertId', 'areaCode'])
export class AlertDeliveryEntity {
  @ForeignKey('alerts', { onDelete: 'CASCADE' }) @PrimaryColumn({ name: 'alert_id', type: 'varchar', length: 80 }) alertId!: string;
  @Index('idx_alert_deliveries_device') @ForeignKey('devices', { onDelete: 'CASCADE' }) @PrimaryColumn({ name: 'device_id', type: 'varchar', length: 64 }) deviceId!: string;
  @Column({ name: 'area_code', type: 'varchar', length: 32 }) areaCode!: string;
  @Column({ type: 'varchar', length: 16 }) state!: AlertDeliveryState;
  @Column({ name: 'delivered_at', type: 'bigint', nullable: true, transformer: epochMs }) deliveredAt!: number | null;
  @Column({ name: 'started_at', type: 'bigint', nullable: true, transformer: epochMs }) startedAt!: number | null;
  @Column({ name: 'ended_at', type: 'bigint', nullable: true, transformer: epochMs }) endedAt!: number | null;
  @Column({ type: 'varchar', length: 500, nullable: true }) reason!: string | null;
  @Column({ name: 'updated_at', type: 'bigint', transformer: epochMs }) updatedAt!: number;
}
