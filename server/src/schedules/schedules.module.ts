import { Module } from '@nestjs/common';
import { AreasModule } from '../areas/areas.module.js';
import { DeliveriesModule } from '../deliveries/deliveries.module.js';
import { TimelinesModule } from '../timelines/timelines.module.js';
import { SchedulesController } from './schedules.controller.js';
import { SchedulesRepository } from './schedules.repository.js';
import { SchedulesService } from './schedules.service.js';

@Module({
  imports: [AreasModule, TimelinesModule, DeliveriesModule],
  controllers: [SchedulesController],
  providers: [SchedulesRepository, SchedulesService],
})
export class SchedulesModule {}
