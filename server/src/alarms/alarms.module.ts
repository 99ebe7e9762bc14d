import { Module } from '@nestjs/common';
import { AreasModule } from '../areas/areas.module.js';
import { AlarmsController } from './alarms.controller.js';
import { AlarmsRepository } from './alarms.repository.js';
import { AlarmsService } from './alarms.service.js';

/** A leaf: presence, telemetry and playback ingestion call into it, it depends on none of them. */
@Module({
  imports: [AreasModule],
  controllers: [AlarmsController],
  providers: [AlarmsRepository, AlarmsService],
  exports: [AlarmsService],
})
export class AlarmsModule {}
