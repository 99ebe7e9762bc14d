import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { eventsBatchSchema } from '@loa/shared';
import { DeviceMessageRouter } from '../broker/device-message-router.js';
import { DomainEvents } from '../domain-events/domain-events.js';
import { EventIngestService } from './event-ingest.service.js';

@Injectable()
export class DeliveriesMqttHandler implements OnApplicationBootstrap {
  constructor(
    private readonly router: DeviceMessageRouter,
    private readonly ingest: EventIngestService,
    private readonly events: DomainEvents,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.router.on('events', eventsBatchSchema, async (id, batch) => {
      await this.ingest.receive(id, batch.events);
      this.events.emit('playback.reported', { deviceId: id, events: batch.events }); // after the commit; listeners detached
    });
  }
}
