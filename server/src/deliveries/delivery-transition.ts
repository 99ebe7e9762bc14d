import { deliveryStateRank, isTerminalDeliveryState, type DeliveryState, type PlaybackEvent } from '@loa/shared';
import type { DeliveryEntity } from './delivery.entity.js';

export type DeliveryPatch = Partial<Pick<DeliveryEntity, 'state' | 'deliveredAt' | 'startedAt' | 'endedAt' | 'playedMs' | 'heardMs' | 'itemMs' | 'reason' | 'updatedAt'>>;

/**
 * Pure: how one reported event changes a delivery record. Records only move forward (an old `started` replayed
 * after `finished` changes nothing), but timestamps of earlier steps are filled in when they arrive late.
 *
 * `delivered` has one source: the device's ack of the timeline version that carries the occurrence (timelines/,
 * group-committed). The agent's own `delivered` report therefore never moves a record; it only supplies the time
 * when the ack could not (the record had already moved on, e.g. started, before the ack was committed).
 */
export function applyEvent(current: Pick<DeliveryEntity, 'state' | 'deliveredAt' | 'startedAt'>, event: PlaybackEvent, now: number): DeliveryPatch | null {
  const next: DeliveryState = event.type;
  const patch: DeliveryPatch = {};
  if (next === 'delivered') {
    if (current.deliveredAt !== null || deliveryStateRank(current.state) <= deliveryStateRank('delivered')) return null;
    return { deliveredAt: event.at, updatedAt: now };
  }
  if (next === 'started' && current.startedAt === null) patch.startedAt = event.at;
  const advances = deliveryStateRank(next) > deliveryStateRank(current.state);
  if (advances) {
    patch.state = next;
    if (isTerminalDeliveryState(next)) {
      patch.endedAt = event.at;
      if (event.playedMs !== undefined) patch.playedMs = event.playedMs;
      if (event.heardMs !== undefined) patch.heardMs = event.heardMs;
      if (event.itemMs !== undefined) patch.itemMs = event.itemMs;
      if (event.reason !== undefined) patch.reason = event.reason;
    }
  }
  if (Object.keys(patch).length === 0) return null;
  patch.updatedAt = now;
  return patch;
}
