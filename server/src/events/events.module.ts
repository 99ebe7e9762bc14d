import { Global, Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { EventBus } from './event-bus.js';
import { EventsGateway } from './events.gateway.js';

/**
 * The operators' event stream: EventBus (publish from any feature) and the WebSocket stream at /api/v1/events.
 * The dashboard's device, delivery, alarm, command and content events come from LiveEventsModule.
 */
@Global()
@Module({
  imports: [AuthModule],
  providers: [EventBus, EventsGateway],
  exports: [EventBus],
})
export class EventsModule {}
