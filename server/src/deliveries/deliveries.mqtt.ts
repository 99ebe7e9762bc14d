import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { eventsBatchSchema } from '@loa/shared';
import { AlarmsService } from '../alarms/alarms.service.js';
import { DeviceMessageRouter } from '../broker/device-message-router.js';
import { EventIngestService } from './event-ingest.service.js';

@Injectable()
export class DeliveriesMqttHandler implements OnApplicationBootstrap {
  constructor(
    private readonly router: DeviceMessageRouter,
    private readonly ingest: EventIngestService,
    private readonly alarms: AlarmsService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.router.on('events', eventsBatchSchema, async (id, batch) => {
      await this.ingest.receive(id, batch.events);
      void this.alarms.onPlaybackEvents(id, batch.events); // after the commit; never throws
    });
  }
}
