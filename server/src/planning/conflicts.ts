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
/** Devices named in one notice at most (`deviceCount` tells how many share the overlap). */
export const MAX_DEVICES_NAMED = 20;

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
  // Issue 19: counted per occurrence of the schedule being saved, not per device × occurrence pair: a province
  // bulletin overlapping another on 180 speakers is one conflict to resolve, not 180.
  let conflicts = 0;
  let preemptions = 0;
  let pairs = 0;
  const devices = new Set<string>();
  for (const m of sortedMine) {
    const mEnd = m.startAt + m.durationMs;
    let conflicting = false;
    let preempting = false;
    for (const o of sortedOthers) {
      if (o.startAt >= mEnd) break;
      const oEnd = o.startAt + o.durationMs;
      if (oEnd <= m.startAt) continue;
      const shared = (devicesOf.get(o.id) ?? []).filter((d) => deviceIds.has(d));
      if (shared.length === 0) continue;
      const same = priorityRank(o.priority) === priorityRank(priority);
      shared.forEach((d) => devices.add(d));
      pairs++;
      if (same) conflicting = true;
      else preempting = true;
      if (notices.length < MAX_NOTICES) {
        const sorted = [...shared].sort();
        notices.push({
          deviceId: sorted[0]!,
          deviceIds: sorted.slice(0, MAX_DEVICES_NAMED),
          deviceCount: sorted.length,
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
    if (conflicting) conflicts++;
    if (preempting) preemptions++;
  }
  return { conflicts: notices, totals: { conflicts, preemptions, devices: devices.size, pairs, truncated: pairs > notices.length } };
}
