import { Module } from '@nestjs/common';
import { AreasModule } from '../areas/areas.module.js';
import { AlarmsController } from './alarms.controller.js';
import { AlarmsRepository } from './alarms.repository.js';
import { AlarmsService } from './alarms.service.js';
import { OfflineAlarmsJob } from './offline-alarms.job.js';

/** A leaf: it listens to presence, telemetry and playback events (domain events) and depends on none of them. */
@Module({
  imports: [AreasModule],
  controllers: [AlarmsController],
  providers: [AlarmsRepository, AlarmsService, OfflineAlarmsJob],
  exports: [AlarmsService],
})
export class AlarmsModule {}
