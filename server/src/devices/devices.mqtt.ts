import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { statusMessageSchema, telemetryMessageSchema } from '@loa/shared';
import { DeviceMessageRouter } from '../broker/device-message-router.js';
import { DevicesService } from './devices.service.js';

@Injectable()
export class DevicesMqttHandler implements OnApplicationBootstrap {
  constructor(
    private readonly router: DeviceMessageRouter,
    private readonly devices: DevicesService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.router.on('status', statusMessageSchema, (id, msg) => this.devices.handleStatus(id, msg));
    await this.router.on('telemetry', telemetryMessageSchema, (id, msg) => this.devices.handleTelemetry(id, msg));
  }
}
