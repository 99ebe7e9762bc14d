import { Injectable } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import type { DomainEventMap } from '../domain-events/domain-events.js';
import { Materializer } from './materializer.js';

/**
 * Devices under a re-parented area have new ancestors: schedules aimed at the old or new ones are re-evaluated
 * for them and their timelines rebuilt. The area import awaits this (emitAsync), so its answer follows the rebuild.
 */
@Injectable()
export class AreaMovesListener {
  constructor(private readonly materializer: Materializer) {}

  @OnEvent('areas.moved')
  async onAreasMoved({ deviceIds }: DomainEventMap['areas.moved']): Promise<void> {
    await this.materializer.reconcileDevices(deviceIds, deviceIds);
  }
}
