import type { DeviceKind } from '@loa/shared';
import type { OtaFailureCode, OtaRolloutDeviceState, OtaRolloutState, OtaStopReason } from '@loa/shared/rest';
import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { epochMs, jsonArray } from '../database/columns.js';

/** An uploaded, verified agent release; its package is stored content-addressed under `${dataDir}/ota/<sha256>`. */
@Entity('agent_releases')
export class AgentReleaseEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id!: string;
  @Index('uq_agent_releases_version', { unique: true }) @Column({ type: 'varchar', length: 64 }) version!: string;
  @Column({ type: 'varchar', length: 64 }) sha256!: string;
  @Column({ type: 'bigint', transformer: epochMs }) size!: number;
  @Column({ type: 'varchar', length: 16 }) kid!: string;
  /** The detached signature JSON as uploaded (sent to devices verbatim in the update command). */
  @Column({ type: 'text' }) signature!: string;
  /** The package's manifest.json as validated. */
  @Column({ type: 'text' }) manifest!: string;
  @Column({ type: 'varchar', length: 64, transformer: jsonArray }) kinds!: DeviceKind[];
  @Column({ name: 'uploaded_by', type: 'varchar', length: 36 }) uploadedBy!: string;
  @Column({ name: 'uploaded_at', type: 'bigint', transformer: epochMs }) uploadedAt!: number;
}

export type RolloutTargetKind = 'area' | 'group';

/** A staged rollout of a release to an area subtree or a group. */
@Entity('ota_rollouts')
export class OtaRolloutEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id!: string;
  @Index('idx_ota_rollouts_release') @Column({ name: 'release_id', type: 'varchar', length: 36 }) releaseId!: string;
  @Column({ name: 'target_kind', type: 'varchar', length: 8 }) targetKind!: RolloutTargetKind;
  @Column({ name: 'target_ref', type: 'varchar', length: 36 }) targetRef!: string;
  /** The area live events are scoped to: the target area, or the creator's (a group); null: nationwide. */
  @Column({ name: 'area_code', type: 'varchar', length: 32, nullable: true }) areaCode!: string | null;
  @Column({ type: 'varchar', length: 64, transformer: jsonArray }) kinds!: DeviceKind[];
  @Column({ type: 'varchar', length: 200, transformer: jsonArray }) stages!: number[];
  @Column({ name: 'current_stage', type: 'integer', default: 0 }) currentStage!: number;
  @Column({ name: 'success_threshold', type: 'integer' }) successThreshold!: number;
  @Column({ name: 'error_threshold', type: 'integer' }) errorThreshold!: number;
  @Column({ name: 'health_timeout_s', type: 'integer' }) healthTimeoutS!: number;
  @Column({ name: 'device_timeout_s', type: 'integer' }) deviceTimeoutS!: number;
  @Column({ name: 'window_from', type: 'varchar', length: 5, nullable: true }) windowFrom!: string | null;
  @Column({ name: 'window_to', type: 'varchar', length: 5, nullable: true }) windowTo!: string | null;
  @Index('idx_ota_rollouts_state') @Column({ type: 'varchar', length: 16 }) state!: OtaRolloutState;
  @Column({ name: 'stop_reason', type: 'varchar', length: 32, nullable: true }) stopReason!: OtaStopReason | null;
  @Column({ name: 'stop_detail', type: 'varchar', length: 500, nullable: true }) stopDetail!: string | null;
  @Column({ name: 'device_count', type: 'integer' }) deviceCount!: number;
  @Column({ name: 'created_by', type: 'varchar', length: 36 }) createdBy!: string;
  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs }) createdAt!: number;
  @Column({ name: 'updated_at', type: 'bigint', transformer: epochMs }) updatedAt!: number;
  @Column({ name: 'ended_at', type: 'bigint', nullable: true, transformer: epochMs }) endedAt!: number | null;
}

/**
 * One device of a rollout: its stage (fixed at creation, by the hash order `ord`) and how far its update got.
 * Rows are made for every eligible device when the rollout is created, so stages never shift under it.
 */
@Entity('ota_device_updates')
@Index('idx_ota_device_updates_state', ['rolloutId', 'state'])
@Index('idx_ota_device_updates_device', ['deviceId', 'state'])
export class OtaDeviceUpdateEntity {
  @PrimaryColumn({ name: 'rollout_id', type: 'varchar', length: 36 }) rolloutId!: string;
  @PrimaryColumn({ name: 'device_id', type: 'varchar', length: 64 }) deviceId!: string;
  @Column({ type: 'integer' }) stage!: number;
  @Column({ type: 'integer' }) ord!: number;
  @Column({ type: 'varchar', length: 16 }) state!: OtaRolloutDeviceState;
  @Index('idx_ota_device_updates_command') @Column({ name: 'command_id', type: 'varchar', length: 36, nullable: true }) commandId!: string | null;
  @Column({ name: 'running_version', type: 'varchar', length: 64, nullable: true }) runningVersion!: string | null;
  @Column({ name: 'progress_bytes', type: 'bigint', nullable: true, transformer: epochMs }) progressBytes!: number | null;
  @Column({ name: 'progress_total', type: 'bigint', nullable: true, transformer: epochMs }) progressTotal!: number | null;
  @Column({ name: 'error_code', type: 'varchar', length: 32, nullable: true }) errorCode!: OtaFailureCode | null;
  @Column({ name: 'error_message', type: 'varchar', length: 1000, nullable: true }) errorMessage!: string | null;
  @Column({ name: 'offered_at', type: 'bigint', nullable: true, transformer: epochMs }) offeredAt!: number | null;
  @Column({ name: 'reported_at', type: 'bigint', nullable: true, transformer: epochMs }) reportedAt!: number | null;
  @Column({ name: 'updated_at', type: 'bigint', transformer: epochMs }) updatedAt!: number;
}

export const OTA_ENTITIES = [AgentReleaseEntity, OtaRolloutEntity, OtaDeviceUpdateEntity];
