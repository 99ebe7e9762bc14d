import { Global, Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { EventBus } from './event-bus.js';
import { EventsGateway } from './events.gateway.js';
import { LiveEvents } from './live-events.js';

/**
 * Live events for operators: EventBus (publish from any feature), LiveEvents (the dashboard's device, delivery,
 * alarm, command and content events) and the WebSocket stream at /api/v1/events.
 */
@Global()
@Module({
  imports: [AuthModule],
  providers: [EventBus, EventsGateway, LiveEvents],
  exports: [EventBus, LiveEvents],
})
export class EventsModule {}
