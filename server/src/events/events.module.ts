import { Global, Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { EventBus } from './event-bus.js';
import { EventsGateway } from './events.gateway.js';

/** Live events for operators: EventBus (publish from any feature) and the WebSocket stream at /api/v1/events. */
@Global()
@Module({
  imports: [AuthModule],
  providers: [EventBus, EventsGateway],
  exports: [EventBus],
})
export class EventsModule {}
