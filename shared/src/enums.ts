import { z } from 'zod';

export const DEVICE_KINDS = ['speaker', 'board'] as const;
export const deviceKindSchema = z.enum(DEVICE_KINDS);
export type DeviceKind = z.infer<typeof deviceKindSchema>;

/** Circular 39/2020/TT-BTTTT ordering: a later entry preempts an earlier one. */
export const PRIORITIES = ['normal', 'priority', 'emergency'] as const;
export const prioritySchema = z.enum(PRIORITIES);
export type Priority = z.infer<typeof prioritySchema>;
export const priorityRank = (p: Priority): number => PRIORITIES.indexOf(p);

/**
 * Proof-of-play states of one occurrence on one device. `queued` is set by the server when the slot is
 * compiled into the device's timeline; the rest are driven by what the agent reports.
 */
export const DELIVERY_STATES = [
  'queued',
  'delivered',
  'started',
  'finished',
  'failed',
  'preempted',
  'skipped',
  'expired',
] as const;
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
