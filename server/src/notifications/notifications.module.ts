import { Module } from '@nestjs/common';
import { AlertsModule } from '../alerts/alerts.module.js';
import { ContentsModule } from '../contents/contents.module.js';
import { EventsModule } from '../events/events.module.js';
import { FanoutsModule } from '../fanouts/fanouts.module.js';
import { SchedulesModule } from '../schedules/schedules.module.js';
import { TargetingModule } from '../targeting/targeting.module.js';
import { ApprovalNotifier } from './approval-notifier.js';
import { NotificationOutbox } from './notification-outbox.js';
import { HttpSmsNotifier, NOTIFIERS, SmtpNotifier, type Notifier } from './notifiers.js';
import { NotificationsController } from './notifications.controller.js';
import { NotificationsRepository } from './notifications.repository.js';
import { NotificationsService } from './notifications.service.js';

/**
 * Issue 19 item 7: per-user notifications about approvals (in the app, live, and by e-mail or SMS through the
 * configured adapters, from an outbox). Listens to domain events; nothing imports this module.
 */
@Module({
  imports: [EventsModule, SchedulesModule, ContentsModule, AlertsModule, FanoutsModule, TargetingModule],
  controllers: [NotificationsController],
  providers: [
    NotificationsRepository,
    NotificationsService,
    NotificationOutbox,
    ApprovalNotifier,
    SmtpNotifier,
    HttpSmsNotifier,
    { provide: NOTIFIERS, useFactory: (mail: SmtpNotifier, sms: HttpSmsNotifier): Notifier[] => [mail, sms], inject: [SmtpNotifier, HttpSmsNotifier] },
  ],
})
export class NotificationsModule {}
