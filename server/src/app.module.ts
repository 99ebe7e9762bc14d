import { Module, type DynamicModule } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { AlertsModule } from './alerts/alerts.module.js';
import { AreasModule } from './areas/areas.module.js';
import { ContentsModule } from './contents/contents.module.js';
import { DeliveriesModule } from './deliveries/deliveries.module.js';
import { DevicesModule } from './devices/devices.module.js';
import { GroupsModule } from './groups/groups.module.js';
import { SchedulesModule } from './schedules/schedules.module.js';
import { TimelinesModule } from './timelines/timelines.module.js';
import { TimeModule } from './time/time.module.js';
import { AuthModule } from './auth/auth.module.js';
import { AnnouncementsModule } from './announcements/announcements.module.js';
import { OtaModule } from './ota/ota.module.js';
import { TrainingModule } from './training/training.module.js';
import { VirtualDevicesModule } from './virtual-devices/virtual-devices.module.js';
import { UsersModule } from './users/users.module.js';
import { BrokerModule } from './broker/broker.module.js';
import { DeviceGatewayModule } from './device-gateway/device-gateway.module.js';
import { CommonModule } from './common/common.module.js';
import { JobsModule } from './jobs/jobs.module.js';
import { ClusterModule } from './cluster/cluster.module.js';
import type { AppConfig } from './config/app-config.js';
import { ConfigModule } from './config/config.module.js';
import { DatabaseModule } from './database/database.module.js';
import { HealthModule } from './health/health.module.js';
import { MediaModule } from './media/media.module.js';
import type { AppLogger } from './logging/logger.js';
import { LoggingModule } from './logging/logging.module.js';
import { SigningModule } from './signing/signing.module.js';
import { AlarmsModule } from './alarms/alarms.module.js';
import { TelemetryModule } from './telemetry/telemetry.module.js';
import { SecurityEventsModule } from './security-events/security-events.module.js';
import { CommandsModule } from './commands/commands.module.js';
import { DeviceSecurityModule } from './device-security/device-security.module.js';
import { ProvisioningModule } from './provisioning/provisioning.module.js';
import { TtsModule } from './tts/tts.module.js';
import { EventsModule } from './events/events.module.js';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { DomainEventsModule } from './domain-events/domain-events.js';
import { LiveEventsModule } from './events/live-events.module.js';
import { BoardProfilesModule } from './board-profiles/board-profiles.module.js';
import { ApprovalsModule } from './approval-inbox/approvals.module.js';
import { NotificationsModule } from './notifications/notifications.module.js';
import { AuditModule } from './audit/audit.module.js';
import { ReportsModule } from './reports/reports.module.js';
import { CalendarModule } from './calendar/calendar.module.js';
import { ScheduleResultsModule } from './results/schedule-results.module.js';
import { ContentCategoriesModule } from './content-categories/content-categories.module.js';
import { DeviceEndpointsModule } from './device-endpoints/device-endpoints.module.js';
import { FanoutsModule } from './fanouts/fanouts.module.js';
import { BrokerAuthModule } from './broker-auth/broker-auth.module.js';
import { BrokerAccountsModule } from './broker-accounts/broker-accounts.module.js';
import { SourceSystemModule } from './source-system/source-system.module.js';
import { FeedbackCoreModule } from './feedback/feedback-core.module.js';
import { FeedbackIntakeModule } from './feedback/feedback-intake.module.js';
import { FeedbackJobsModule } from './feedback/feedback.jobs.js';
import { FeedbackSettingsModule } from './feedback/feedback-settings.module.js';
import { FeedbackStatsModule } from './feedback/feedback-stats.module.js';
import { InboundModule } from './source-system/inbound.module.js';
import { SourcePullModule } from './source-system/pull.module.js';
import { LiveModule } from './live/live.module.js';
import { CapModule } from './cap/cap.module.js';
import { DashboardConfigModule } from './dashboard/dashboard-config.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { PracticeModule } from './practice/practice.module.js';

export interface AppDeps {
  config: AppConfig;
  logger: AppLogger;
  dataSource: DataSource;
}

@Module({})
export class AppModule {
  static forRoot(deps: AppDeps): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(deps.config),
        LoggingModule.forRoot(deps.logger),
        DatabaseModule.forRoot(deps.dataSource),
        CommonModule,
        // Leader election, cross-instance locks and the cluster bus on PostgreSQL; in-process classes on SQLite.
        ClusterModule,
        // Periodic work (sweeps, retention, the horizon roll) on the leader instance only; see jobs/job-scheduler.ts.
        JobsModule,
        // Domain events: producers publish what happened, listeners (@OnEvent) react; see events/domain-events.ts.
        EventEmitterModule.forRoot({ wildcard: false, maxListeners: 50 }),
        DomainEventsModule,
        // The operators' event stream (EventBus, WebSocket); no feature module imports it any more.
        EventsModule,
        SigningModule,
        BrokerModule,
        // Device accounts at a broker that keeps its own (LOA_BROKER_ACCOUNTS=dynsec: Mosquitto dynamic security).
        BrokerAccountsModule,
        DeviceGatewayModule,
        AuthModule,
        UsersModule,
        // Issue 20: /metrics for Prometheus and the LoaMetrics port features report to.
        MetricsModule,
        HealthModule,
        // The dashboard's settings (issue 19: the map's tile server).
        DashboardConfigModule,
        AreasModule,
        MediaModule,
        DevicesModule,
        LiveEventsModule,
        GroupsModule,
        ContentsModule,
        // Background fan-out jobs of schedules, commands and alerts (issue 14), resumed after a restart.
        FanoutsModule,
        SchedulesModule,
        TimelinesModule,
        DeliveriesModule,
        AlertsModule,
        TimeModule,
        CommandsModule,
        AlarmsModule,
        TelemetryModule,
        SecurityEventsModule,
        DeviceSecurityModule,
        ProvisioningModule,
        BoardProfilesModule,
        ApprovalsModule,
        // Approvers and submitters told in the app, by e-mail and SMS (issue 19 item 7).
        NotificationsModule,
        TtsModule,
        AuditModule,
        ReportsModule,
        // iCalendar feed of an area's schedules behind per-user links (issue 16).
        CalendarModule,
        ScheduleResultsModule,
        ContentCategoriesModule,
        DeviceEndpointsModule,
        // The HTTP auth endpoint external brokers call (EMQX, mosquitto-go-auth, VerneMQ), issue 15.
        BrokerAuthModule,
        // The source-system connector (issue 16): peers, the outbox and its dispatcher, the up feeds.
        SourceSystemModule,
        FeedbackSettingsModule,
        // Before the core: Nest registers routes in this order, so GET /api/v1/feedback/export.csv is matched before the core's /:id.
        FeedbackStatsModule,
        FeedbackCoreModule,
        FeedbackIntakeModule,
        // Issue 17: the feedback sweeps (overdue, auto-close, retention) on the leader.
        FeedbackJobsModule,
        // Issue 16: the source-system inbox, bulletins from above into the approval queue, their results back up.
        InboundModule,
        // Issue 16: pull by polling from REST peers (uses both halves of the connector).
        SourcePullModule,
        // Issue 18: live microphone sessions and relays on demand (area alerts carrying a stream).
        LiveModule,
        // Issue 18: CAP 1.2 in (push and feeds, onto alerts) and out (Atom and CAP of Loa's alerts).
        CapModule,
        // Issue 19: the commune's own mode (announcements, test play, self-test, volume).
        AnnouncementsModule,
        // Issue 20: agent updates over the air (releases, staged rollouts).
        OtaModule,
        // Issue 21: practice sandboxes (separate practice instances), the /practice/api proxy; in practice mode, its seed.
        PracticeModule,
        // Issue 21: lessons, training records and classes.
        TrainingModule,
        // Issue 21: virtual speakers and boards, on a practice instance (LOA_PRACTICE_MODE=1) only.
        VirtualDevicesModule.forRoot(deps.config.practice.mode),
      ],
    };
  }
}
