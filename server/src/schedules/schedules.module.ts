import { Module } from '@nestjs/common';
import { ApprovalRulesModule } from '../approvals/approval-rules.module.js';
import { DeliveriesModule } from '../deliveries/deliveries.module.js';
import { ScheduleOccurrencesController } from '../overview/occurrences.controller.js';
import { OverviewModule } from '../overview/overview.module.js';
import { ScheduleReads } from '../overview/schedule-reads.js';
import { PlanningModule } from '../planning/planning.module.js';
import { ContentWithdrawalListener } from './content-withdrawal.listener.js';
import { DEFAULT_HORIZON_ROLL_INTERVAL_MS, HORIZON_ROLL_INTERVAL_MS, HorizonRoller } from './horizon-roller.js';
import { SchedulesController } from './schedules.controller.js';
import { SchedulesRepository } from './schedules.repository.js';
import { SchedulesService } from './schedules.service.js';

/** CRUD and approval of schedules; materialisation and conflicts are planning's (PlanningModule). */
@Module({
  imports: [PlanningModule, DeliveriesModule, ApprovalRulesModule, OverviewModule],
  // Static `occurrences` first: SchedulesController's `GET :id` would take it for an id.
  controllers: [ScheduleOccurrencesController, SchedulesController],
  providers: [
    SchedulesRepository,
    SchedulesService,
    ScheduleReads,
    ContentWithdrawalListener,
    HorizonRoller,
    { provide: HORIZON_ROLL_INTERVAL_MS, useValue: DEFAULT_HORIZON_ROLL_INTERVAL_MS },
  ],
  exports: [SchedulesRepository, SchedulesService],
})
export class SchedulesModule {}
