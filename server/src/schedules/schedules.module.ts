import { Module } from '@nestjs/common';
import { ApprovalRulesModule } from '../approvals/approval-rules.module.js';
import { DeliveriesModule } from '../deliveries/deliveries.module.js';
import { OverviewModule } from '../overview/overview.module.js';
import { FanoutsModule } from '../fanouts/fanouts.module.js';
import { PlanningModule } from '../planning/planning.module.js';
import { ContentWithdrawalListener } from './content-withdrawal.listener.js';
import { ScheduleOccurrencesController } from './occurrences.controller.js';
import { ScheduleFanout } from './schedule-fanout.js';
import { ScheduleReads } from './schedule-reads.js';
import { SchedulesController } from './schedules.controller.js';
import { SchedulesRepository } from './schedules.repository.js';
import { SchedulesService } from './schedules.service.js';

/** CRUD and approval of schedules; materialisation and conflicts are planning's (PlanningModule). */
@Module({
  imports: [PlanningModule, DeliveriesModule, ApprovalRulesModule, OverviewModule, FanoutsModule],
  // Static `occurrences` first: SchedulesController's `GET :id` would take it for an id.
  controllers: [ScheduleOccurrencesController, SchedulesController],
  providers: [
    SchedulesRepository,
    SchedulesService,
    ScheduleReads,
    ScheduleFanout,
    ContentWithdrawalListener,
  ],
  exports: [SchedulesRepository, SchedulesService],
})
export class SchedulesModule {}
