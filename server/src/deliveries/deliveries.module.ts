import { Module } from '@nestjs/common';
import { AreasModule } from '../areas/areas.module.js';
import { AreaDeliveriesController } from './deliveries.controller.js';
import { DeliveriesMqttHandler } from './deliveries.mqtt.js';
import { DeliveriesRepository } from './deliveries.repository.js';
import { DeliveriesService } from './deliveries.service.js';
import { EventIngestService } from './event-ingest.service.js';
import { DeviceDeliveriesController } from './device-deliveries.controller.js';
import { DeviceDeliveriesRepository } from './device-deliveries.repository.js';
import { DeviceDeliveriesService } from './device-deliveries.service.js';

@Module({
  imports: [AreasModule],
  controllers: [AreaDeliveriesController, DeviceDeliveriesController],
  providers: [DeliveriesRepository, DeliveriesService, EventIngestService, DeliveriesMqttHandler, DeviceDeliveriesRepository, DeviceDeliveriesService],
  exports: [DeliveriesService],
})
export class DeliveriesModule {}
