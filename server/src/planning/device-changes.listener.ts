import { Injectable } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import type { DomainEventMap } from '../domain-events/domain-events.js';
import { Materializer } from './materializer.js';

/**
 * Devices and groups announce their changes; planning re-evaluates which schedules reach the devices concerned and
 * rebuilds their timelines. The producers emit with emitAsync, so their REST answers follow the re-planning, as
 * when they called the materializer themselves.
 */
@Injectable()
export class DeviceChangesListener {
  constructor(private readonly materializer: Materializer) {}

  /** Whatever already targets their area (or matches their tags) applies at once; each gets a first timeline. */
  @OnEvent('device.registered')
  async onRegistered({ deviceIds }: DomainEventMap['device.registered']): Promise<void> {
    await this.materializer.reconcileDevices(deviceIds, deviceIds);
  }

  /**
   * A move or a tag change re-evaluates the device's targets; a move or a new board profile always yields a new
   * timeline (its area channels, or the image variants it is sent, change with it). A rename changes nothing here.
   */
  @OnEvent('device.updated')
  async onUpdated({ deviceId, moved, retagged, reprofiled }: DomainEventMap['device.updated']): Promise<void> {
    if (!moved && !retagged && !reprofiled) return;
    await this.materializer.reconcileDevices(moved || retagged ? [deviceId] : [], moved || reprofiled ? [deviceId] : []);
  }

  /** Only devices entering or leaving the group can be affected; reconciliation recompiles those that changed. */
  @OnEvent('group.changed')
  async onGroupChanged({ deviceIds }: DomainEventMap['group.changed']): Promise<void> {
    await this.materializer.reconcileDevices(deviceIds);
  }
}
