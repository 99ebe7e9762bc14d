import { Module } from '@nestjs/common';
import { AlarmsModule } from '../alarms/alarms.module.js';
import { OverviewController } from './overview.controller.js';
import { OverviewRepository } from './overview.repository.js';
import { OverviewService } from './overview.service.js';
import { ScheduleVisibility } from './schedule-visibility.repository.js';

/**
 * The dashboard's reporting API (issue 7): GET /api/v1/overview here; the calendar and the scoped schedule reads
 * (ScheduleOccurrencesController, ScheduleReads) are mounted by SchedulesModule, which imports this module, so the
 * static `schedules/occurrences` route is registered ahead of `schedules/:id`.
 */
@Module({
  imports: [AlarmsModule],
  controllers: [OverviewController],
  providers: [OverviewRepository, OverviewService, ScheduleVisibility],
  exports: [OverviewService, ScheduleVisibility],
})
export class OverviewModule {}
