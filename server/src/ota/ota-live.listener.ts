import { Injectable } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import type { DomainEventMap } from '../domain-events/domain-events.js';
import { EventBus } from '../events/event-bus.js';

/** The live event the rollout page listens to (docs/ota.md); it then reads the rollout again. */
export const OTA_EVENT = 'ota.rollout';

/** Rollout changes to the dashboards, scoped to the rollout's area (none: every admin). */
@Injectable()
export class OtaLiveListener {
  constructor(private readonly bus: EventBus) {}

  @OnEvent('ota.changed')
  onChanged({ rolloutId, areaCode, state, deviceIds }: DomainEventMap['ota.changed']): void {
    if (!this.bus.listening) return;
    this.bus.publish({ type: OTA_EVENT, rolloutId, state, deviceIds: deviceIds.slice(0, 100), ...(areaCode ? { areaCode } : {}) });
  }
}
