import { Injectable } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import type { DomainEventMap } from '../domain-events/domain-events.js';
import { DeviceCredentialsService } from './device-credentials.service.js';

/**
 * The credentials cache holds each device's secret hash and area chain (the broker's login and alert-channel
 * ACL), and remembers unknown ids: whatever adds, moves or removes a device makes its entry stale. Runs inside the
 * producer's emit (synchronous work only), so the entry is gone before the producer publishes anything that
 * depends on it.
 */
@Injectable()
export class CredentialsCacheListener {
  constructor(private readonly credentials: DeviceCredentialsService) {}

  /** New devices usually log in soon after (a commissioned batch powered on together): read them ahead, in bulk. */
  @OnEvent('device.registered')
  onRegistered({ deviceIds }: DomainEventMap['device.registered']): void {
    for (const id of deviceIds) this.credentials.forget(id);
    this.credentials.prefetch(deviceIds);
  }

  @OnEvent('device.moved')
  onMoved({ deviceId }: DomainEventMap['device.moved']): void {
    this.credentials.forget(deviceId);
  }

  @OnEvent('device.removed')
  onRemoved({ deviceId }: DomainEventMap['device.removed']): void {
    this.credentials.forget(deviceId);
  }

  /** Devices under a re-parented area keep their code, but their ancestors (alert channels) changed. */
  @OnEvent('areas.moved')
  onAreasMoved({ deviceIds }: DomainEventMap['areas.moved']): void {
    for (const id of deviceIds) this.credentials.forget(id);
  }
}
