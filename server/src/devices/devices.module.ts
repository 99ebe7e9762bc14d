import { Module } from '@nestjs/common';
import { AlarmsModule } from '../alarms/alarms.module.js';
import { AreasModule } from '../areas/areas.module.js';
import { DeviceAuthModule } from '../device-auth/device-auth.module.js';
import { SchedulesModule } from '../schedules/schedules.module.js';
import { TimelinesModule } from '../timelines/timelines.module.js';
import { DevicesController } from './devices.controller.js';
import { DevicesMqttHandler } from './devices.mqtt.js';
import { DevicesRepository } from './devices.repository.js';
import { DevicesService } from './devices.service.js';
import { PresenceWriter } from './presence-writer.js';
import { PresenceService } from './presence.service.js';

@Module({
  imports: [AreasModule, DeviceAuthModule, TimelinesModule, SchedulesModule, AlarmsModule],
  controllers: [DevicesController],
  providers: [DevicesRepository, DevicesService, DevicesMqttHandler, PresenceWriter, PresenceService],
  exports: [DevicesService, PresenceService],
})
export class DevicesModule {}
