import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { timelineAckSchema } from '@loa/shared';
import { DeviceMessageRouter } from '../broker/device-message-router.js';
import { MessageBroker } from '../broker/message-broker.js';
import { TimelinesService } from './timelines.service.js';

@Injectable()
export class TimelinesMqttHandler implements OnApplicationBootstrap {
  constructor(
    private readonly router: DeviceMessageRouter,
    private readonly timelines: TimelinesService,
    private readonly broker: MessageBroker,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    // An external broker that came back may have restarted without persistence, its retained timelines gone.
    this.broker.onReconnect(() => this.timelines.forgetRetained());
    await this.router.on('timeline/ack', timelineAckSchema, (id, msg) => this.timelines.handleAck(id, msg.version));
  }
}
