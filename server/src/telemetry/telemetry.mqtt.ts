import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { telemetryMessageSchema } from '@loa/shared';
import { DeviceMessageRouter } from '../broker/device-message-router.js';
import { TelemetryService } from './telemetry.service.js';

@Injectable()
export class TelemetryMqttHandler implements OnApplicationBootstrap {
  constructor(
    private readonly router: DeviceMessageRouter,
    private readonly telemetry: TelemetryService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.router.on('telemetry', telemetryMessageSchema, (id, msg) => this.telemetry.receive(id, msg));
  }
}
