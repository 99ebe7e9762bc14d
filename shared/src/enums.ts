import { z } from 'zod';
import { DELIVERY_STATES, DEVICE_KINDS, PRIORITIES } from './constants.js';

export const deviceKindSchema = z.enum(DEVICE_KINDS);
export type DeviceKind = z.infer<typeof deviceKindSchema>;

export const prioritySchema = z.enum(PRIORITIES);
export type Priority = z.infer<typeof prioritySchema>;
export const priorityRank = (p: Priority): number => PRIORITIES.indexOf(p);

export const deliveryStateSchema = z.enum(DELIVERY_STATES);
export type DeliveryState = z.infer<typeof deliveryStateSchema>;

const TERMINAL: ReadonlySet<DeliveryState> = new Set(['finished', 'failed', 'preempted', 'skipped', 'expired']);
export const isTerminalDeliveryState = (s: DeliveryState): boolean => TERMINAL.has(s);

/**
 * Reports can arrive late and out of order (outbox replays after an outage), so a record only ever moves
 * forward: a state may replace another only if its rank is higher.
 */
export const deliveryStateRank = (s: DeliveryState): number => {
  switch (s) {
    case 'queued':
      return 0;
    case 'delivered':
      return 1;
    case 'started':
      return 2;
    default:
      return 3;
  }
};
