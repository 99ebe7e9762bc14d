import { Injectable } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import type { DomainEventMap } from '../domain-events/domain-events.js';
import { DeviceLocationsService } from './device-locations.service.js';

/** Agents' reported positions (telemetry, issue 19) reach the device's location through this. */
@Injectable()
export class DeviceLocationsListener {
  constructor(private readonly locations: DeviceLocationsService) {}

  @OnEvent('device.locationReported')
  async onReported({ deviceId, location }: DomainEventMap['device.locationReported']): Promise<void> {
    await this.locations.reported(deviceId, location);
  }
}
