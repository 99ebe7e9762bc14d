import { priorityRank, type Priority } from '@loa/shared';
import type { OtherOccurrence } from './planning.repository.js';
import type { ConflictNotice, ConflictTotals } from '@loa/shared/rest';
export type { ConflictNotice } from '@loa/shared/rest';

export interface ConflictReport {
  /** The first `MAX_NOTICES` notices, earliest first. */
  conflicts: ConflictNotice[];
  totals: ConflictTotals;
}

export const MAX_NOTICES = 200;

export interface NewOccurrence {
  startAt: number;
  durationMs: number;
}

/**
 * Pure: overlaps between the new occurrences (on `deviceIds`) and other schedules' pending occurrences, given which
 * devices each of those holds. Payload is bounded: at most MAX_NOTICES notices, with totals for all.
 */
export function findConflicts(
  mine: readonly NewOccurrence[],
  priority: Priority,
  deviceIds: ReadonlySet<string>,
  others: readonly OtherOccurrence[],
  devicesOf: ReadonlyMap<string, readonly string[]>,
): ConflictReport {
  const sortedMine = [...mine].sort((a, b) => a.startAt - b.startAt);
  const sortedOthers = [...others].sort((a, b) => a.startAt - b.startAt || a.id.localeCompare(b.id));
  const notices: ConflictNotice[] = [];
  let conflicts = 0;
  let preemptions = 0;
  const devices = new Set<string>();
  for (const m of sortedMine) {
    const mEnd = m.startAt + m.durationMs;
    for (const o of sortedOthers) {
      if (o.startAt >= mEnd) break;
      const oEnd = o.startAt + o.durationMs;
      if (oEnd <= m.startAt) continue;
      const same = priorityRank(o.priority) === priorityRank(priority);
      for (const deviceId of devicesOf.get(o.id) ?? []) {
        if (!deviceIds.has(deviceId)) continue;
        devices.add(deviceId);
        if (same) conflicts++;
        else preemptions++;
        if (notices.length < MAX_NOTICES) {
          notices.push({
            deviceId,
            occurrenceStart: new Date(m.startAt).toISOString(),
            occurrenceEnd: new Date(mEnd).toISOString(),
            priority,
            otherScheduleId: o.scheduleId,
            otherOccurrenceId: o.id,
            otherStart: new Date(o.startAt).toISOString(),
            otherEnd: new Date(oEnd).toISOString(),
            otherPriority: o.priority,
            kind: same ? 'conflict' : 'preemption',
            preempts: same ? null : priorityRank(priority) > priorityRank(o.priority) ? 'this' : 'other',
          });
        }
      }
    }
  }
  return { conflicts: notices, totals: { conflicts, preemptions, devices: devices.size, truncated: conflicts + preemptions > notices.length } };
}
