import { Column, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import type { DeliveryState, DeviceKind, PreemptPolicy, Priority } from '@loa/shared';
import { epochMs, jsonArray, jsonOrNull } from './columns.js';

// Rows are plain records without ORM relations: services join explicitly, which keeps queries visible and
// portable between SQLite and PostgreSQL.

@Entity('areas')
export class AreaEntity {
  @PrimaryColumn({ type: 'varchar', length: 32 }) code!: string;
  @Column({ type: 'varchar', length: 200 }) name!: string;
  @Column({ type: 'varchar', length: 32 }) level!: string;
  @Column({ name: 'parent_code', type: 'varchar', length: 32, nullable: true }) parentCode!: string | null;
  /** Materialised path of codes, "/01/004/00115/": a subtree is one prefix match. */
  @Index() @Column({ type: 'varchar', length: 400 }) path!: string;
  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs }) createdAt!: number;
}

@Entity('users')
export class UserEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id!: string;
  @Index({ unique: true }) @Column({ type: 'varchar', length: 64 }) username!: string;
  @Column({ name: 'password_hash', type: 'varchar', length: 200 }) passwordHash!: string;
  @Column({ type: 'varchar', length: 32 }) role!: string;
  @Column({ name: 'area_code', type: 'varchar', length: 32, nullable: true }) areaCode!: string | null;
  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs }) createdAt!: number;
  /** Issue 7: a disabled user cannot log in and its sessions are dropped. */
  @Column({ type: 'boolean', default: false }) disabled?: boolean;
  @Column({ name: 'updated_at', type: 'bigint', nullable: true, transformer: epochMs }) updatedAt?: number | null;
}

@Entity('sessions')
export class SessionEntity {
  /** sha256 of the bearer token: a stolen database does not yield usable tokens. */
  @PrimaryColumn({ name: 'token_hash', type: 'varchar', length: 64 }) tokenHash!: string;
  @Index() @Column({ name: 'user_id', type: 'varchar', length: 36 }) userId!: string;
  @Column({ name: 'expires_at', type: 'bigint', transformer: epochMs }) expiresAt!: number;
  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs }) createdAt!: number;
  /** The login (refresh-token family) this access token belongs to: revoking the family ends it too. */
  @Index() @Column({ name: 'family_id', type: 'varchar', length: 36, nullable: true }) familyId?: string | null;
}

/** One refresh token of a login's rotation chain; kept after use (used_at) so that a replay is recognised. */
@Entity('refresh_tokens')
export class RefreshTokenEntity {
  /** sha256 of the token, like sessions. */
  @PrimaryColumn({ name: 'token_hash', type: 'varchar', length: 64 }) tokenHash!: string;
  @Index() @Column({ name: 'family_id', type: 'varchar', length: 36 }) familyId!: string;
  @Column({ name: 'parent_hash', type: 'varchar', length: 64, nullable: true }) parentHash!: string | null;
  @Index() @Column({ name: 'user_id', type: 'varchar', length: 36 }) userId!: string;
  @Column({ name: 'expires_at', type: 'bigint', transformer: epochMs }) expiresAt!: number;
  @Column({ name: 'used_at', type: 'bigint', nullable: true, transformer: epochMs }) usedAt!: number | null;
  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs }) createdAt!: number;
}

/** Failed operator logins per username (known or not), shared by every server process on the database. */
@Entity('login_failures')
export class LoginFailureEntity {
  @PrimaryColumn({ type: 'varchar', length: 64 }) username!: string;
  /** Failures counted since window_start; reset when the window has passed or the account locks. */
  @Column({ type: 'integer' }) failures!: number;
  @Column({ name: 'window_start', type: 'bigint', transformer: epochMs }) windowStart!: number;
  @Column({ name: 'locked_until', type: 'bigint', transformer: epochMs }) lockedUntil!: number;
}

@Entity('devices')
export class DeviceEntity {
  @PrimaryColumn({ type: 'varchar', length: 64 }) id!: string;
  @Column({ type: 'varchar', length: 200 }) name!: string;
  @Column({ type: 'varchar', length: 16 }) kind!: DeviceKind;
  @Index() @Column({ name: 'area_code', type: 'varchar', length: 32 }) areaCode!: string;
  @Column({ name: 'secret_hash', type: 'varchar', length: 200 }) secretHash!: string;
  @Column({ type: 'boolean', default: false }) online!: boolean;
  @Column({ name: 'last_seen_at', type: 'bigint', nullable: true, transformer: epochMs }) lastSeenAt!: number | null;
  @Column({ name: 'agent_version', type: 'varchar', length: 64, nullable: true }) agentVersion!: string | null;
  /** Version of the timeline last compiled for the device, and the one it confirmed storing. */
  @Column({ name: 'timeline_version', type: 'integer', default: 0 }) timelineVersion!: number;
  @Column({ name: 'acked_timeline_version', type: 'integer', default: 0 }) ackedTimelineVersion!: number;
  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs }) createdAt!: number;
  /** Lower-case labels that group tag rules match on; stored as a JSON array of strings. */
  @Column({ type: 'text', default: '[]', transformer: jsonArray }) tags?: string[];
  /** When `online` last changed, and why (a ConnectionReason, see devices/presence-state.ts). */
  @Column({ name: 'presence_changed_at', type: 'bigint', nullable: true, transformer: epochMs }) presenceChangedAt?: number | null;
  @Column({ name: 'presence_reason', type: 'varchar', length: 32, nullable: true }) presenceReason?: string | null;
  /** Board model (issue 6): images are prepared for its resolution. */
  @Column({ name: 'profile_id', type: 'varchar', length: 36, nullable: true }) profileId?: string | null;
}

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
}

export type ContentType = 'audio' | 'text' | 'relay' | 'image';
export type ContentState = 'draft' | 'submitted' | 'approved' | 'rejected' | 'archived';

@Entity('contents')
export class ContentEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id!: string;
  @Column({ type: 'varchar', length: 16 }) type!: ContentType;
  @Column({ type: 'varchar', length: 200 }) title!: string;
  @Column({ name: 'media_sha256', type: 'varchar', length: 64, nullable: true }) mediaSha256!: string | null;
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
}

/** One lifecycle step of a content: who did what, when (and why, for a rejection). */
@Entity('content_events')
export class ContentEventEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id!: string;
  @Index() @Column({ name: 'content_id', type: 'varchar', length: 36 }) contentId!: string;
  @Column({ type: 'varchar', length: 16 }) action!: string;
  @Column({ name: 'from_state', type: 'varchar', length: 16, nullable: true }) fromState!: string | null;
  @Column({ name: 'to_state', type: 'varchar', length: 16 }) toState!: string;
  @Column({ name: 'user_id', type: 'varchar', length: 36 }) userId!: string;
  @Column({ type: 'bigint', transformer: epochMs }) at!: number;
  @Column({ type: 'varchar', length: 1000, nullable: true }) reason!: string | null;
}

/** A board model: the resolution images are prepared for and previews are drawn at. */
@Entity('board_profiles')
export class BoardProfileEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id!: string;
  @Index({ unique: true }) @Column({ type: 'varchar', length: 100 }) name!: string;
  @Column({ type: 'integer' }) width!: number;
  @Column({ type: 'integer' }) height!: number;
  @Column({ type: 'varchar', length: 16 }) orientation!: 'landscape' | 'portrait';
  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs }) createdAt!: number;
  @Column({ name: 'updated_at', type: 'bigint', nullable: true, transformer: epochMs }) updatedAt!: number | null;
}

/** An image content resized for one profile ('-': the default for boards without a profile), stored in media. */
@Entity('content_image_variants')
export class ContentImageVariantEntity {
  @PrimaryColumn({ name: 'content_id', type: 'varchar', length: 36 }) contentId!: string;
  @PrimaryColumn({ name: 'profile_id', type: 'varchar', length: 36 }) profileId!: string;
  @Column({ type: 'varchar', length: 64 }) sha256!: string;
  @Column({ type: 'bigint', transformer: epochMs }) bytes!: number;
  @Column({ type: 'varchar', length: 100 }) mime!: string;
  @Column({ type: 'integer' }) width!: number;
  @Column({ type: 'integer' }) height!: number;
  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs }) createdAt!: number;
}

@Entity('schedules')
export class ScheduleEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id!: string;
  @Index() @Column({ name: 'content_id', type: 'varchar', length: 36 }) contentId!: string;
  @Column({ type: 'varchar', length: 16 }) priority!: Priority;
  @Column({ name: 'start_at', type: 'bigint', transformer: epochMs }) startAt!: number;
  @Column({ type: 'integer', nullable: true }) volume!: number | null;
  @Column({ type: 'varchar', length: 16 }) status!: 'active' | 'cancelled';
  @Column({ name: 'created_by', type: 'varchar', length: 36 }) createdBy!: string;
  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs }) createdAt!: number;
  /** RFC 5545 RRULE value (without the "RRULE:" prefix); null for a one-off. `startAt` is its DTSTART. */
  @Column({ type: 'varchar', length: 500, nullable: true }) rrule?: string | null;
  /** Excluded instants (epoch ms) and whole local days ("YYYY-MM-DD"), as a JSON array. */
  @Column({ type: 'text', nullable: true, transformer: jsonOrNull }) exdates?: Array<number | string> | null;
  /** IANA zone whose wall clock the rule follows. */
  @Column({ type: 'varchar', length: 64, default: 'Asia/Ho_Chi_Minh' }) timezone?: string;
  @Column({ name: 'repeat_count', type: 'integer', default: 1 }) repeat?: number;
  @Column({ name: 'gap_ms', type: 'integer', default: 0 }) gapMs?: number;
  @Column({ name: 'on_preempt', type: 'varchar', length: 16, nullable: true }) onPreempt?: PreemptPolicy | null;
  /** Occurrences (and their deliveries) exist up to this instant; the horizon roller moves it forward. */
  @Column({ name: 'generated_until', type: 'bigint', nullable: true, transformer: epochMs }) generatedUntil?: number | null;
  @Column({ name: 'updated_at', type: 'bigint', nullable: true, transformer: epochMs }) updatedAt?: number | null;
  /** Issue 7: a pending or rejected schedule has no occurrences and reaches no device (see approvals/). */
  @Column({ type: 'varchar', length: 16, default: 'not-required' }) approval?: ScheduleApproval;
  @Column({ name: 'approved_by', type: 'varchar', length: 36, nullable: true }) approvedBy?: string | null;
  @Column({ name: 'approved_at', type: 'bigint', nullable: true, transformer: epochMs }) approvedAt?: number | null;
  @Column({ name: 'rejected_by', type: 'varchar', length: 36, nullable: true }) rejectedBy?: string | null;
  @Column({ name: 'rejected_at', type: 'bigint', nullable: true, transformer: epochMs }) rejectedAt?: number | null;
  @Column({ name: 'rejected_reason', type: 'varchar', length: 1000, nullable: true }) rejectedReason?: string | null;
}

export type ScheduleApproval = 'not-required' | 'pending' | 'approved' | 'rejected';

export type TargetKind = 'area' | 'device' | 'group';

@Entity('schedule_targets')
export class ScheduleTargetEntity {
  @PrimaryColumn({ name: 'schedule_id', type: 'varchar', length: 36 }) scheduleId!: string;
  @PrimaryColumn({ type: 'varchar', length: 16 }) kind!: TargetKind;
  @PrimaryColumn({ type: 'varchar', length: 64 }) ref!: string;
}

@Entity('occurrences')
export class OccurrenceEntity {
  @PrimaryColumn({ type: 'varchar', length: 80 }) id!: string;
  @Index() @Column({ name: 'schedule_id', type: 'varchar', length: 36 }) scheduleId!: string;
  @Index() @Column({ name: 'start_at', type: 'bigint', transformer: epochMs }) startAt!: number;
  @Column({ name: 'duration_ms', type: 'integer' }) durationMs!: number;
}

@Entity('deliveries')
export class DeliveryEntity {
  @PrimaryColumn({ name: 'occurrence_id', type: 'varchar', length: 80 }) occurrenceId!: string;
  @PrimaryColumn({ name: 'device_id', type: 'varchar', length: 64 }) deviceId!: string;
  @Index() @Column({ name: 'schedule_id', type: 'varchar', length: 36 }) scheduleId!: string;
  @Column({ type: 'varchar', length: 16 }) state!: DeliveryState;
  @Column({ name: 'queued_at', type: 'bigint', transformer: epochMs }) queuedAt!: number;
  @Column({ name: 'delivered_at', type: 'bigint', nullable: true, transformer: epochMs }) deliveredAt!: number | null;
  @Column({ name: 'started_at', type: 'bigint', nullable: true, transformer: epochMs }) startedAt!: number | null;
  @Column({ name: 'ended_at', type: 'bigint', nullable: true, transformer: epochMs }) endedAt!: number | null;
  @Column({ name: 'played_ms', type: 'integer', nullable: true }) playedMs!: number | null;
  /** How much of the item was heard, and the whole item's length (issue 12; NULL when the agent did not say). */
  @Column({ name: 'heard_ms', type: 'integer', nullable: true }) heardMs!: number | null;
  @Column({ name: 'item_ms', type: 'integer', nullable: true }) itemMs!: number | null;
  @Column({ type: 'varchar', length: 500, nullable: true }) reason!: string | null;
  @Column({ name: 'updated_at', type: 'bigint', transformer: epochMs }) updatedAt!: number;
}

@Entity('device_events')
export class DeviceEventEntity {
  @PrimaryColumn({ name: 'device_id', type: 'varchar', length: 64 }) deviceId!: string;
  @PrimaryColumn({ name: 'event_id', type: 'varchar', length: 128 }) eventId!: string;
  @Column({ name: 'occurrence_id', type: 'varchar', length: 128 }) occurrenceId!: string;
  @Column({ type: 'varchar', length: 16 }) type!: string;
  @Column({ type: 'bigint', transformer: epochMs }) at!: number;
  @Column({ name: 'played_ms', type: 'integer', nullable: true }) playedMs!: number | null;
  @Column({ name: 'heard_ms', type: 'integer', nullable: true }) heardMs!: number | null;
  @Column({ name: 'item_ms', type: 'integer', nullable: true }) itemMs!: number | null;
  @Column({ type: 'varchar', length: 500, nullable: true }) reason!: string | null;
  /** False when the report names an occurrence not scheduled on this device: kept as evidence, not applied. */
  @Column({ type: 'boolean' }) applied!: boolean;
  @Column({ name: 'received_at', type: 'bigint', transformer: epochMs }) receivedAt!: number;
}

@Entity('timelines')
export class TimelineEntity {
  @PrimaryColumn({ name: 'device_id', type: 'varchar', length: 64 }) deviceId!: string;
  @Column({ type: 'integer' }) version!: number;
  @Column({ name: 'generated_at', type: 'bigint', transformer: epochMs }) generatedAt!: number;
  /** The exact JSON published, so a reconnecting device gets byte-identical content. */
  @Column({ type: 'text' }) payload!: string;
}

/** `pending`: waiting for a second person's confirmation (issue 7), not on the area channel. */
export type AlertStatus = 'pending' | 'active' | 'superseded' | 'cancelled';

@Entity('alerts')
export class AlertEntity {
  @PrimaryColumn({ type: 'varchar', length: 80 }) id!: string;
  @Column({ name: 'area_code', type: 'varchar', length: 32 }) areaCode!: string;
  @Column({ type: 'varchar', length: 16 }) priority!: Priority;
  @Column({ type: 'varchar', length: 200 }) title!: string;
  @Column({ type: 'text', nullable: true }) text!: string | null;
  @Column({ name: 'media_sha256', type: 'varchar', length: 64, nullable: true }) mediaSha256!: string | null;
  @Column({ type: 'integer', nullable: true }) volume!: number | null;
  @Column({ type: 'varchar', length: 16 }) status!: AlertStatus;
  /** The alert this one replaced on the same area channel (CAP `references`). */
  @Column({ type: 'varchar', length: 80, nullable: true }) replaces!: string | null;
  @Column({ name: 'sent_at', type: 'bigint', transformer: epochMs }) sentAt!: number;
  @Column({ name: 'effective_at', type: 'bigint', transformer: epochMs }) effectiveAt!: number;
  @Column({ name: 'expires_at', type: 'bigint', transformer: epochMs }) expiresAt!: number;
  @Column({ name: 'cancelled_at', type: 'bigint', nullable: true, transformer: epochMs }) cancelledAt!: number | null;
  /** When the retained message was removed from the area channel (at expiry). */
  @Column({ name: 'cleared_at', type: 'bigint', nullable: true, transformer: epochMs }) clearedAt!: number | null;
  @Column({ name: 'created_by', type: 'varchar', length: 36 }) createdBy!: string;
  /** Two-person rule (issue 7): when the creator asked for it, and who confirmed it when. */
  @Column({ name: 'requested_at', type: 'bigint', nullable: true, transformer: epochMs }) requestedAt?: number | null;
  @Column({ name: 'confirmed_by', type: 'varchar', length: 36, nullable: true }) confirmedBy?: string | null;
  @Column({ name: 'confirmed_at', type: 'bigint', nullable: true, transformer: epochMs }) confirmedAt?: number | null;
}

/** Issue 7: server-wide settings changed through the API (approval rules), one JSON document per key. */
@Entity('settings')
export class SettingEntity {
  @PrimaryColumn({ type: 'varchar', length: 64 }) key!: string;
  @Column({ type: 'text' }) value!: string;
  @Column({ name: 'updated_by', type: 'varchar', length: 36, nullable: true }) updatedBy!: string | null;
  @Column({ name: 'updated_at', type: 'bigint', transformer: epochMs }) updatedAt!: number;
}

export interface TagRule {
  all?: string[] | undefined;
  any?: string[] | undefined;
}

/** A device group: a static list of devices and/or a tag rule; membership is evaluated whenever it matters. */
@Entity('device_groups')
export class GroupEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id!: string;
  @Column({ type: 'varchar', length: 200 }) name!: string;
  @Column({ name: 'device_ids', type: 'text', transformer: jsonArray }) deviceIds!: string[];
  @Column({ name: 'tag_rule', type: 'text', nullable: true, transformer: jsonOrNull }) tagRule!: TagRule | null;
  @Column({ name: 'created_by', type: 'varchar', length: 36 }) createdBy!: string;
  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs }) createdAt!: number;
  @Column({ name: 'updated_at', type: 'bigint', transformer: epochMs }) updatedAt!: number;
}

/** One online↔offline transition of a device (only transitions, never plain heartbeats). */
@Entity('device_connections')
@Index(['deviceId', 'at'])
export class DeviceConnectionEntity {
  /** Tie-breaker for transitions in the same millisecond; bigint on PostgreSQL, rowid on SQLite. */
  @PrimaryGeneratedColumn('increment', { type: 'bigint' }) id?: string;
  @Column({ name: 'device_id', type: 'varchar', length: 64 }) deviceId!: string;
  @Column({ type: 'bigint', transformer: epochMs }) at!: number;
  @Column({ type: 'varchar', length: 8 }) state!: 'online' | 'offline';
  @Column({ type: 'varchar', length: 32 }) reason!: string;
}

/** One telemetry sample as the agent sent it; (device, at) absorbs a redelivered sample. */
@Entity('device_telemetry')
export class DeviceTelemetryEntity {
  @PrimaryColumn({ name: 'device_id', type: 'varchar', length: 64 }) deviceId!: string;
  @PrimaryColumn({ type: 'bigint', transformer: epochMs }) at!: number;
  @Column({ name: 'received_at', type: 'bigint', transformer: epochMs }) receivedAt!: number;
  @Column({ name: 'uptime_s', type: 'bigint', transformer: epochMs }) uptimeS!: number;
  @Column({ name: 'timeline_version', type: 'integer', nullable: true }) timelineVersion!: number | null;
  @Column({ type: 'varchar', length: 128, nullable: true }) playing!: string | null;
  @Column({ type: 'integer', nullable: true }) volume!: number | null;
  @Column({ type: 'boolean', nullable: true }) muted!: boolean | null;
  @Column({ name: 'free_disk_bytes', type: 'bigint', nullable: true, transformer: epochMs }) freeDiskBytes!: number | null;
  @Column({ name: 'rss_bytes', type: 'bigint', nullable: true, transformer: epochMs }) rssBytes!: number | null;
  @Column({ name: 'clock_offset_ms', type: 'bigint', nullable: true, transformer: epochMs }) clockOffsetMs!: number | null;
  @Column({ name: 'outbox_size', type: 'bigint', nullable: true, transformer: epochMs }) outboxSize!: number | null;
  @Column({ name: 'agent_version', type: 'varchar', length: 64, nullable: true }) agentVersion!: string | null;
  @Column({ name: 'output_level_lufs', type: 'real', nullable: true }) outputLevelLufs!: number | null;
  @Column({ name: 'signal_dbm', type: 'real', nullable: true }) signalDbm!: number | null;
  @Column({ name: 'temperature_c', type: 'real', nullable: true }) temperatureC!: number | null;
}

export type AlarmKind = 'offline' | 'low-disk' | 'playback-failures' | 'silence';

/** A condition on a device that needs a person; at most one active (cleared_at NULL) per device and kind. */
@Entity('alarms')
export class AlarmEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id!: string;
  @Column({ name: 'device_id', type: 'varchar', length: 64 }) deviceId!: string;
  @Column({ type: 'varchar', length: 32 }) kind!: AlarmKind;
  @Column({ type: 'varchar', length: 500 }) detail!: string;
  @Index() @Column({ name: 'raised_at', type: 'bigint', transformer: epochMs }) raisedAt!: number;
  @Column({ name: 'cleared_at', type: 'bigint', nullable: true, transformer: epochMs }) clearedAt!: number | null;
  @Column({ name: 'cleared_detail', type: 'varchar', length: 500, nullable: true }) clearedDetail!: string | null;
  @Column({ name: 'acked_at', type: 'bigint', nullable: true, transformer: epochMs }) ackedAt!: number | null;
  @Column({ name: 'acked_by', type: 'varchar', length: 36, nullable: true }) ackedBy!: string | null;
  @Column({ name: 'acked_by_name', type: 'varchar', length: 64, nullable: true }) ackedByName!: string | null;
}

/** A server message an agent refused (unsigned, forged, expired, replayed), as the agent reported it. */
@Entity('security_events')
@Index(['deviceId', 'receivedAt'])
export class SecurityEventEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id!: string;
  @Column({ name: 'device_id', type: 'varchar', length: 64 }) deviceId!: string;
  /** The agent's clock (corrected) when it refused the message; received_at is the server's. */
  @Column({ type: 'bigint', transformer: epochMs }) at!: number;
  @Index() @Column({ name: 'received_at', type: 'bigint', transformer: epochMs }) receivedAt!: number;
  @Column({ type: 'varchar', length: 300 }) topic!: string;
  @Column({ type: 'varchar', length: 32 }) reason!: string;
  @Column({ type: 'varchar', length: 500, nullable: true }) detail!: string | null;
  @Column({ type: 'varchar', length: 128, nullable: true }) claimed!: string | null;
}

/** Issue 5: a device whose credentials an operator revoked; re-enabled (row deleted) by rotating its secret. */
@Entity('device_revocations')
export class DeviceRevocationEntity {
  @PrimaryColumn({ name: 'device_id', type: 'varchar', length: 64 }) deviceId!: string;
  @Column({ name: 'revoked_at', type: 'bigint', transformer: epochMs }) revokedAt!: number;
  @Column({ name: 'revoked_by', type: 'varchar', length: 36 }) revokedBy!: string;
}

/** A zero-touch provisioning key: whoever holds it may enrol devices (claimed later by an operator). */
@Entity('provisioning_keys')
export class ProvisioningKeyEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id!: string;
  @Column({ type: 'varchar', length: 200 }) label!: string;
  /** sha256 of the key, which is shown only once. */
  @Index({ unique: true }) @Column({ name: 'key_hash', type: 'varchar', length: 100 }) keyHash!: string;
  /** Area proposed when claiming devices enrolled with this key. */
  @Column({ name: 'area_code', type: 'varchar', length: 32, nullable: true }) areaCode!: string | null;
  @Column({ name: 'expires_at', type: 'bigint', transformer: epochMs }) expiresAt!: number;
  @Column({ name: 'max_uses', type: 'integer' }) maxUses!: number;
  @Column({ type: 'integer', default: 0 }) uses!: number;
  @Column({ name: 'created_by', type: 'varchar', length: 36 }) createdBy!: string;
  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs }) createdAt!: number;
  @Column({ name: 'deleted_at', type: 'bigint', nullable: true, transformer: epochMs }) deletedAt!: number | null;
}

export type EnrollmentState = 'pending' | 'claimed' | 'rejected';

/** A device that enrolled with a provisioning key; its id is reserved, and becomes a device when claimed. */
@Entity('enrollments')
@Index(['keyId', 'hardwareId'])
export class EnrollmentEntity {
  @PrimaryColumn({ name: 'device_id', type: 'varchar', length: 64 }) deviceId!: string;
  @Column({ name: 'key_id', type: 'varchar', length: 36 }) keyId!: string;
  @Column({ name: 'hardware_id', type: 'varchar', length: 128 }) hardwareId!: string;
  @Column({ type: 'varchar', length: 16 }) kind!: DeviceKind;
  @Column({ type: 'varchar', length: 200, nullable: true }) name!: string | null;
  @Column({ name: 'secret_hash', type: 'varchar', length: 200 }) secretHash!: string;
  @Index() @Column({ type: 'varchar', length: 16 }) state!: EnrollmentState;
  /** The area it was claimed into. */
  @Column({ name: 'area_code', type: 'varchar', length: 32, nullable: true }) areaCode!: string | null;
  @Column({ name: 'source_address', type: 'varchar', length: 64, nullable: true }) sourceAddress!: string | null;
  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs }) createdAt!: number;
  @Column({ name: 'updated_at', type: 'bigint', transformer: epochMs }) updatedAt!: number;
  @Column({ name: 'decided_at', type: 'bigint', nullable: true, transformer: epochMs }) decidedAt!: number | null;
  @Column({ name: 'decided_by', type: 'varchar', length: 36, nullable: true }) decidedBy!: string | null;
}

export type CommandTargetKind = 'device' | 'group' | 'area';
/** Per-device state of a remote command: queued → sent → ok | error | rejected, or expired before an answer. */
export type CommandState = 'queued' | 'sent' | 'ok' | 'error' | 'rejected' | 'expired';

/** Issue 5: a remote command as an operator gave it (playNow already resolved into a slot). */
@Entity('commands')
export class CommandEntity {
  /** Time-ordered (UUIDv7): ordering by id is creation order. */
  @PrimaryColumn({ type: 'varchar', length: 36 }) id!: string;
  @Column({ type: 'varchar', length: 16 }) type!: string;
  /** The `command` object of the device message, as JSON. */
  @Column({ type: 'text' }) payload!: string;
  @Column({ name: 'target_kind', type: 'varchar', length: 16 }) targetKind!: CommandTargetKind;
  @Column({ name: 'target_ref', type: 'varchar', length: 64 }) targetRef!: string;
  @Column({ name: 'device_count', type: 'integer' }) deviceCount!: number;
  @Column({ name: 'created_by', type: 'varchar', length: 36 }) createdBy!: string;
  @Index() @Column({ name: 'created_at', type: 'bigint', transformer: epochMs }) createdAt!: number;
  @Column({ name: 'expires_at', type: 'bigint', transformer: epochMs }) expiresAt!: number;
}

/** One target device of a command and what became of it there. */
@Entity('command_results')
@Index(['deviceId', 'state'])
@Index(['state', 'expiresAt'])
@Index(['commandId', 'state'])
export class CommandResultEntity {
  @PrimaryColumn({ name: 'command_id', type: 'varchar', length: 36 }) commandId!: string;
  @PrimaryColumn({ name: 'device_id', type: 'varchar', length: 64 }) deviceId!: string;
  @Column({ type: 'varchar', length: 16 }) state!: CommandState;
  /** The command's expiry, repeated here so the sweep and the per-device queue need no join. */
  @Column({ name: 'expires_at', type: 'bigint', transformer: epochMs }) expiresAt!: number;
  /** Last (re)send; the agent tells a resend from a replay by it. */
  @Column({ name: 'sent_at', type: 'bigint', nullable: true, transformer: epochMs }) sentAt!: number | null;
  @Column({ type: 'integer', default: 0 }) attempts!: number;
  @Column({ name: 'result_at', type: 'bigint', nullable: true, transformer: epochMs }) resultAt!: number | null;
  @Column({ type: 'varchar', length: 1000, nullable: true }) message!: string | null;
  @Column({ type: 'text', nullable: true, transformer: jsonOrNull }) data!: Record<string, unknown> | null;
  @Column({ name: 'updated_at', type: 'bigint', transformer: epochMs }) updatedAt!: number;
}

/** Issue 6: how a delivered media file was made from its source (transcode + EBU R128 loudness normalisation). */
@Entity('media_audio')
export class MediaAudioEntity {
  /** sha256 of the uploaded source; (source, profile) is processed once. */
  @PrimaryColumn({ name: 'source_sha256', type: 'varchar', length: 64 }) sourceSha256!: string;
  /** Delivery settings the file was made with, e.g. "mp3/64k/44100/1ch/-16LUFS/-1.5dBTP/notrim". */
  @PrimaryColumn({ type: 'varchar', length: 100 }) profile!: string;
  /** The delivered file (media.sha256); two sources with the same decoded audio may share one. */
  @Column({ type: 'varchar', length: 64 }) sha256!: string;
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

export type MediaJobState = 'queued' | 'receiving' | 'processing' | 'done' | 'failed';

/** Issue 6: one upload (or local file) on its way to a delivered media file. */
@Entity('media_jobs')
export class MediaJobEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id!: string;
  @Column({ type: 'varchar', length: 16 }) state!: MediaJobState;
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
  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs }) createdAt!: number;
  @Column({ name: 'updated_at', type: 'bigint', transformer: epochMs }) updatedAt!: number;
}

/**
 * Issue 7: one audited API call (who, what, when, outcome, before/after). `before`, `after` and `detail` are redacted
 * JSON texts (see audit/redact.ts); `area_code` is where the resource lies, when known, so scoped readers see it.
 */
@Entity('audit_log')
@Index(['resourceType', 'resourceId'])
export class AuditEntryEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id!: string;
  @Index() @Column({ type: 'bigint', transformer: epochMs }) at!: number;
  @Index() @Column({ name: 'actor_id', type: 'varchar', length: 36, nullable: true }) actorId!: string | null;
  @Column({ name: 'actor_name', type: 'varchar', length: 64 }) actorName!: string;
  @Column({ name: 'actor_role', type: 'varchar', length: 32 }) actorRole!: string;
  @Column({ name: 'actor_area_code', type: 'varchar', length: 32, nullable: true }) actorAreaCode!: string | null;
  @Column({ type: 'varchar', length: 100 }) action!: string;
  @Column({ name: 'resource_type', type: 'varchar', length: 32, nullable: true }) resourceType!: string | null;
  @Column({ name: 'resource_id', type: 'varchar', length: 100, nullable: true }) resourceId!: string | null;
  @Column({ name: 'area_code', type: 'varchar', length: 32, nullable: true }) areaCode!: string | null;
  @Column({ type: 'varchar', length: 8 }) outcome!: 'ok' | 'refused' | 'error';
  @Column({ type: 'integer' }) status!: number;
  @Column({ type: 'text', nullable: true }) before!: string | null;
  @Column({ type: 'text', nullable: true }) after!: string | null;
  @Column({ type: 'text', nullable: true }) detail!: string | null;
  @Column({ type: 'varchar', length: 64, nullable: true }) ip!: string | null;
}

export const ENTITIES = [
  SettingEntity,
  GroupEntity,
  AlertEntity,
  AreaEntity,
  UserEntity,
  SessionEntity,
  RefreshTokenEntity,
  LoginFailureEntity,
  DeviceEntity,
  MediaEntity,
  ContentEntity,
  ScheduleEntity,
  ScheduleTargetEntity,
  OccurrenceEntity,
  DeliveryEntity,
  DeviceEventEntity,
  TimelineEntity,
  DeviceConnectionEntity,
  DeviceTelemetryEntity,
  AlarmEntity,
  SecurityEventEntity,
  DeviceRevocationEntity,
  ProvisioningKeyEntity,
  EnrollmentEntity,
  CommandEntity,
  CommandResultEntity,
  MediaAudioEntity,
  MediaJobEntity,
  ContentEventEntity,
  BoardProfileEntity,
  ContentImageVariantEntity,
  AuditEntryEntity,
];
