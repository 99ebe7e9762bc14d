import type { DataSource } from 'typeorm';
import type { DatabaseTarget } from './config/app-config.js';
import { openDatabase } from './database/data-source.js';
import { AlarmEntity } from './alarms/alarm.entity.js';
import { AlertEntity } from './alerts/alert.entity.js';
import { AlertDeliveryEntity } from './alerts/alert-delivery.entity.js';
import { SettingEntity } from './approvals/setting.entity.js';
import { AreaEntity } from './areas/area.entity.js';
import { AuditEntryEntity } from './audit/audit-entry.entity.js';
import { LoginFailureEntity } from './auth/login-failure.entity.js';
import { RefreshTokenEntity } from './auth/refresh-token.entity.js';
import { SessionEntity } from './auth/session.entity.js';
import { BoardProfileEntity } from './board-profiles/board-profile.entity.js';
import { CommandResultEntity } from './commands/command-result.entity.js';
import { CommandEntity } from './commands/command.entity.js';
import { ContentEventEntity } from './contents/content-event.entity.js';
import { ContentImageVariantEntity } from './contents/content-image-variant.entity.js';
import { ContentEntity } from './contents/content.entity.js';
import { DeliveryEntity } from './deliveries/delivery.entity.js';
import { DeviceEventEntity } from './deliveries/device-event.entity.js';
import { DeviceRevocationEntity } from './device-auth/device-revocation.entity.js';
import { DeviceConnectionEntity } from './devices/device-connection.entity.js';
import { DeviceEntity } from './devices/device.entity.js';
import { GroupEntity } from './groups/group.entity.js';
import { MediaAudioEntity } from './media/media-audio.entity.js';
import { MediaJobEntity } from './media/media-job.entity.js';
import { MediaEntity } from './media/media.entity.js';
import { FanoutEntity } from './fanouts/fanout.entity.js';
import { CalendarTokenEntity } from './calendar/calendar-token.entity.js';
import { EnrollmentEntity } from './provisioning/enrollment.entity.js';
import { ProvisioningKeyEntity } from './provisioning/provisioning-key.entity.js';
import { OccurrenceEntity } from './schedules/occurrence.entity.js';
import { ScheduleTargetEntity } from './schedules/schedule-target.entity.js';
import { ScheduleEntity } from './schedules/schedule.entity.js';
import { SecurityEventEntity } from './security-events/security-event.entity.js';
import { DeviceTelemetryEntity } from './telemetry/device-telemetry.entity.js';
import { TimelineEntity } from './timelines/timeline.entity.js';
import { UserEntity } from './users/user.entity.js';
import { ContentCategoryEntity } from './content-categories/content-category.entity.js';
import { ROLLUP_ENTITIES } from './reports/rollup.entities.js';
import { SourcePeerEntity } from './source-system/peer.entity.js';
import { SourceExchangeEntity } from './source-system/exchange.entity.js';
import { InboundExchangeEntity } from './source-system/inbound-exchange.entity.js';
import { RemoteResultEntity } from './source-system/bulletin-results.entity.js';
import { FEEDBACK_ENTITIES } from './feedback/feedback.entities.js';
import { CAP_ENTITIES } from './cap/cap.entities.js';
import { AnnouncementEntity } from './announcements/announcement.entity.js';
import { NOTIFICATION_ENTITIES } from './notifications/notification.entities.js';
import { TtsDictionaryEntity } from './tts/tts-dictionary.entity.js';
import { OTA_ENTITIES } from './ota/ota.entities.js';
import { PRACTICE_ENTITIES } from './practice/practice-sandbox.entity.js';
import { TRAINING_ENTITIES } from './training/training.entities.js';

// Each entity lives beside its feature. Rows are plain records without ORM relations: services join explicitly,
// which keeps queries visible and portable between SQLite and PostgreSQL; foreign keys and indexes are still
// declared (@ForeignKey, @Index) so the entities describe the schema the migrations build (test/schema-drift).

/** Every entity, for the DataSource. Features import their entities from their own files, never from here. */
/**
 * Every entity, each declared beside its feature. The list lives at the composition root (beside app.module.ts),
 * not in database/, so the database layer imports no feature.
 */
export const ENTITIES = [
  SettingEntity,
  GroupEntity,
  AlertEntity,
  AlertDeliveryEntity,
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
  FanoutEntity,
  ContentCategoryEntity,
  ...ROLLUP_ENTITIES,
  CalendarTokenEntity,
  SourcePeerEntity,
  SourceExchangeEntity,
  InboundExchangeEntity,
  RemoteResultEntity,
  ...FEEDBACK_ENTITIES,
  ...CAP_ENTITIES,
  AnnouncementEntity,
  ...NOTIFICATION_ENTITIES,
  TtsDictionaryEntity,
  ...OTA_ENTITIES,
  ...PRACTICE_ENTITIES,
  ...TRAINING_ENTITIES,
];

/** Opens (and migrates) Loa's database with every feature's entities. */
export function openAppDatabase(target: DatabaseTarget): Promise<DataSource> {
  return openDatabase(target, ENTITIES);
}
