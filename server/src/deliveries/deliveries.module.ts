import { Module } from '@nestjs/common';
import { DeliveriesMqttHandler } from './deliveries.mqtt.js';
import { DeliveriesRepository } from './deliveries.repository.js';
import { DeliveriesService } from './deliveries.service.js';
import { EventIngestService } from './event-ingest.service.js';

@Module({
  providers: [DeliveriesRepository, DeliveriesService, EventIngestService, DeliveriesMqttHandler],
  exports: [DeliveriesService],
})
export class DeliveriesModule {}
