import { Global, Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { EventBus } from './event-bus.js';
import { EventsGateway } from './events.gateway.js';
import { LiveEventsRelay } from './live-events.relay.js';

/**
 * The operators' event stream: EventBus (publish from any feature) and the WebSocket stream at /api/v1/events.
 * The dashboard's device, delivery, alarm, command and content events come from LiveEventsModule. With several
 * instances (PostgreSQL), LiveEventsRelay carries them between instances over the ClusterBus.
 */
@Global()
@Module({
  imports: [AuthModule],
  providers: [EventBus, EventsGateway, LiveEventsRelay],
  exports: [EventBus],
})
export class EventsModule {}
