import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { statusMessageSchema } from '@loa/shared';
import { DeviceMessageRouter } from '../broker/device-message-router.js';
import { DevicesService } from './devices.service.js';
import { PresenceService } from './presence.service.js';

/**
 * `status` (retained; the last will says offline) drives presence. Playback reports and timeline acks also prove the
 * device alive: they are watched here for the topic alone (their payloads are validated and handled by their own
 * features); telemetry counts through the telemetry feature.
 */
@Injectable()
export class DevicesMqttHandler implements OnApplicationBootstrap {
  constructor(
    private readonly router: DeviceMessageRouter,
    private readonly devices: DevicesService,
    private readonly presence: PresenceService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.router.on('status', statusMessageSchema, (id, msg) => this.devices.handleStatus(id, msg));
    for (const channel of ['events', 'timeline/ack'] as const) await this.router.onSender(channel, (id) => this.presence.seen(id));
  }
}
