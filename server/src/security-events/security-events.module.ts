import { Module } from '@nestjs/common';
import { SecurityEventsController } from './security-events.controller.js';
import { SecurityEventsMqttHandler } from './security-events.mqtt.js';
import { SecurityEventsRepository } from './security-events.repository.js';
import { SecurityEventsService } from './security-events.service.js';

@Module({
  controllers: [SecurityEventsController],
  providers: [SecurityEventsRepository, SecurityEventsService, SecurityEventsMqttHandler],
  exports: [SecurityEventsService],
})
export class SecurityEventsModule {}
