import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { eventsBatchSchema } from '@loa/shared';
import { DeviceMessageRouter } from '../broker/device-message-router.js';
import { EventIngestService } from './event-ingest.service.js';

@Injectable()
export class DeliveriesMqttHandler implements OnApplicationBootstrap {
  constructor(
    private readonly router: DeviceMessageRouter,
    private readonly ingest: EventIngestService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.router.on('events', eventsBatchSchema, (id, batch) => this.ingest.receive(id, batch.events));
  }
}
