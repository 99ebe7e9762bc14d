import { Module } from '@nestjs/common';
import { OverviewModule } from '../overview/overview.module.js';
import { ScheduleResultsController } from './schedule-results.controller.js';
import { ScheduleResultsRepository } from './schedule-results.repository.js';
import { ScheduleResultsService } from './schedule-results.service.js';

/** Issue 19: a schedule's results by area (reads only; visibility is the overview's ScheduleVisibility). */
@Module({
  imports: [OverviewModule],
  controllers: [ScheduleResultsController],
  providers: [ScheduleResultsRepository, ScheduleResultsService],
})
export class ScheduleResultsModule {}
