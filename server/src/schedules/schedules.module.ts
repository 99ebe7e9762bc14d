import { Module } from '@nestjs/common';
import { AreasModule } from '../areas/areas.module.js';
import { DeliveriesModule } from '../deliveries/deliveries.module.js';
import { TimelinesModule } from '../timelines/timelines.module.js';
import { DEFAULT_HORIZON_ROLL_INTERVAL_MS, HORIZON_ROLL_INTERVAL_MS, HorizonRoller } from './horizon-roller.js';
import { Materializer } from './materializer.js';
import { SchedulesController } from './schedules.controller.js';
import { SchedulesRepository } from './schedules.repository.js';
import { SchedulesService } from './schedules.service.js';

@Module({
  imports: [AreasModule, TimelinesModule, DeliveriesModule],
  controllers: [SchedulesController],
  providers: [
    SchedulesRepository,
    SchedulesService,
    Materializer,
    HorizonRoller,
    { provide: HORIZON_ROLL_INTERVAL_MS, useValue: DEFAULT_HORIZON_ROLL_INTERVAL_MS },
  ],
  exports: [Materializer, SchedulesRepository],
})
export class SchedulesModule {}
