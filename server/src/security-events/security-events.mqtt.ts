import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { securityReportSchema } from '@loa/shared';
import { DeviceMessageRouter } from '../broker/device-message-router.js';
import { SecurityEventsService } from './security-events.service.js';

@Injectable()
export class SecurityEventsMqttHandler implements OnApplicationBootstrap {
  constructor(
    private readonly router: DeviceMessageRouter,
    private readonly security: SecurityEventsService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.router.on('security', securityReportSchema, (id, report) => this.security.receive(id, report));
  }
}
