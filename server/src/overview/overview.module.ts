import { Module } from '@nestjs/common';
import { AlarmsModule } from '../alarms/alarms.module.js';
import { OverviewController } from './overview.controller.js';
import { OverviewRepository } from './overview.repository.js';
import { OverviewService } from './overview.service.js';
import { ScheduleVisibility } from './schedule-visibility.repository.js';

/**
 * The dashboard's reporting API (issue 7): GET /api/v1/overview, and the read model of what a user sees
 * (OverviewService, ScheduleVisibility). The calendar route and the scoped schedule reads live in schedules/
 * (ScheduleOccurrencesController, ScheduleReads), which imports this module; overview knows nothing of schedules.
 */
@Module({
  imports: [AlarmsModule],
  controllers: [OverviewController],
  providers: [OverviewRepository, OverviewService, ScheduleVisibility],
  exports: [OverviewService, ScheduleVisibility],
})
export class OverviewModule {}
