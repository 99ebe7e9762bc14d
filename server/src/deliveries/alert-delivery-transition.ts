import type { PlaybackEvent } from '@loa/shared';
import type { AlertDeliveryState } from '@loa/shared/rest';

/** The occurrence id agents give an alert's slot (agent/src/features/alerts/alert-book.ts). */
export const ALERT_OCCURRENCE_PREFIX = 'alert:';

/** The alert an occurrence id names, or null for a schedule's occurrence. */
export const alertIdOf = (occurrenceId: string): string | null => (occurrenceId.startsWith(ALERT_OCCURRENCE_PREFIX) ? occurrenceId.slice(ALERT_OCCURRENCE_PREFIX.length) : null);

export interface AlertDeliveryFields {
  state: AlertDeliveryState;
  deliveredAt: number | null;
  startedAt: number | null;
  endedAt: number | null;
  reason: string | null;
}
export type AlertDeliveryPatch = Partial<AlertDeliveryFields> & { updatedAt?: number };

/**
 * What an agent's report means for an alert. `preempted`, `skipped` and `expired` all say the device stopped (or
 * never started) the alert for a reason that is not a fault: the alert was cancelled, replaced or expired while it
 * waited or played (the agent removes the slot), an operator stopped it, or a higher alert took the output. They
 * become `withdrawn`, the agent's reason kept ("removed from the timeline while playing", "preempted by …"); only
 * `failed` counts as a failure.
 */
export function alertStateOf(type: PlaybackEvent['type']): AlertDeliveryState {
  switch (type) {
    case 'delivered':
    case 'started':
    case 'finished':
    case 'failed':
      return type;
    default:
      return 'withdrawn';
  }
}

/** expected < delivered < started < every end (finished, failed, withdrawn): an end is never replaced. */
export function alertStateRank(s: AlertDeliveryState): number {
  switch (s) {
    case 'expected':
      return 0;
    case 'delivered':
      return 1;
    case 'started':
      return 2;
    default:
      return 3;
  }
}

export const isAlertDeliveryEnd = (s: AlertDeliveryState): boolean => alertStateRank(s) === 3;

/**
 * Pure: how one report changes an alert delivery record. Records only move forward (a late `delivered` after
 * `finished` changes nothing), but the time of an earlier step is filled in when its report arrives late — a device
 * whose alert was withdrawn by the cancel while it had in fact just started keeps its `startedAt`.
 */
export function applyAlertReport(current: AlertDeliveryFields, event: Pick<PlaybackEvent, 'type' | 'at' | 'reason'>, now: number): AlertDeliveryPatch | null {
  const next = alertStateOf(event.type);
  const patch: AlertDeliveryPatch = {};
  if (next === 'delivered' && current.deliveredAt === null) patch.deliveredAt = event.at;
  if (next === 'started' && current.startedAt === null) patch.startedAt = event.at;
  if (alertStateRank(next) > alertStateRank(current.state)) {
    patch.state = next;
    if (isAlertDeliveryEnd(next)) {
      patch.endedAt = event.at;
      if (event.reason !== undefined) patch.reason = event.reason.slice(0, 500);
    }
  }
  if (Object.keys(patch).length === 0) return null;
  patch.updatedAt = now;
  return patch;
}
