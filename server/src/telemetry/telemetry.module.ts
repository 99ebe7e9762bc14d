import { Module } from '@nestjs/common';
import { DevicesModule } from '../devices/devices.module.js';
import { TelemetryController } from './telemetry.controller.js';
import { TelemetryMqttHandler } from './telemetry.mqtt.js';
import { TelemetryRepository } from './telemetry.repository.js';
import { TelemetryRetentionJob } from './telemetry-retention.job.js';
import { TelemetryService } from './telemetry.service.js';

@Module({
  imports: [DevicesModule],
  controllers: [TelemetryController],
  providers: [TelemetryRepository, TelemetryService, TelemetryMqttHandler, TelemetryRetentionJob],
  exports: [TelemetryService],
})
export class TelemetryModule {}
