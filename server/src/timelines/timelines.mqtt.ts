import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { timelineAckSchema } from '@loa/shared';
import { DeviceMessageRouter } from '../broker/device-message-router.js';
import { TimelinesService } from './timelines.service.js';

@Injectable()
export class TimelinesMqttHandler implements OnApplicationBootstrap {
  constructor(
    private readonly router: DeviceMessageRouter,
    private readonly timelines: TimelinesService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.router.on('timeline/ack', timelineAckSchema, (id, msg) => this.timelines.handleAck(id, msg.version));
  }
}
