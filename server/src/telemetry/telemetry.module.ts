import { Module } from '@nestjs/common';
import { AlarmsModule } from '../alarms/alarms.module.js';
import { DevicesModule } from '../devices/devices.module.js';
import { TelemetryController } from './telemetry.controller.js';
import { TelemetryMqttHandler } from './telemetry.mqtt.js';
import { TelemetryRepository } from './telemetry.repository.js';
import { TelemetryService } from './telemetry.service.js';

@Module({
  imports: [DevicesModule, AlarmsModule],
  controllers: [TelemetryController],
  providers: [TelemetryRepository, TelemetryService, TelemetryMqttHandler],
  exports: [TelemetryService],
})
export class TelemetryModule {}
