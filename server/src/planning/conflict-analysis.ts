import { Injectable } from '@nestjs/common';
import type { Priority } from '@loa/shared';
import type { OccurrenceEntity } from '../schedules/occurrence.entity.js';
import { findConflicts, type ConflictReport } from './conflicts.js';
import type { Plan } from './materializer.js';
import { PlanningRepository, type OtherOccurrence } from './planning.repository.js';

/**
 * A saved schedule whose deliveries are not written yet (its background materialisation is pending, issue 14): its
 * rows say nothing reliable (none yet, or those of before an edit), so it counts by what it will hold.
 */
export interface UnsettledSchedule {
  scheduleId: string;
  priority: Priority;
  occurrences: readonly OccurrenceEntity[];
  /** Asked only when one of its occurrences overlaps the plan. */
  devices: () => Promise<readonly string[]>;
}

/** Overlaps between a planned schedule and the other active schedules' pending occurrences on the same devices. */
@Injectable()
export class ConflictAnalysis {
  constructor(private readonly repo: PlanningRepository) {}

  async analyse(plan: Plan, priority: Priority, excludeScheduleId: string | null, now: number, unsettled: readonly UnsettledSchedule[] = []): Promise<ConflictReport> {
    if (plan.occurrences.length === 0 || plan.deviceIds.length === 0) return findConflicts([], priority, new Set(), [], new Map());
    const from = Math.min(...plan.occurrences.map((o) => o.startAt));
    const to = Math.max(...plan.occurrences.map((o) => o.startAt + o.durationMs));
    const mine = plan.occurrences.map((o) => ({ startAt: o.startAt, durationMs: o.durationMs }));
    const overlaps = (o: { startAt: number; durationMs: number }) => mine.some((m) => o.startAt < m.startAt + m.durationMs && o.startAt + o.durationMs > m.startAt);
    const others = unsettled.filter((u) => u.scheduleId !== excludeScheduleId);
    const skip = new Set(others.map((u) => u.scheduleId));
    const candidates = (await this.repo.overlapping(from, to, now, excludeScheduleId)).filter((o) => !skip.has(o.scheduleId) && overlaps(o));
    const devicesOf = new Map<string, readonly string[]>();
    for (const p of await this.repo.pendingDevicesOf(candidates.map((c) => c.id))) {
      const list = devicesOf.get(p.occurrenceId) as string[] | undefined;
      if (list) list.push(p.deviceId);
      else devicesOf.set(p.occurrenceId, [p.deviceId]);
    }
    for (const u of others) {
      const hits: OtherOccurrence[] = u.occurrences
        .filter((o) => o.startAt + o.durationMs > now && overlaps(o))
        .map((o) => ({ id: o.id, scheduleId: u.scheduleId, startAt: o.startAt, durationMs: o.durationMs, priority: u.priority }));
      if (hits.length === 0) continue;
      const devices = await u.devices();
      for (const h of hits) devicesOf.set(h.id, devices);
      candidates.push(...hits);
    }
    return findConflicts(mine, priority, new Set(plan.deviceIds), candidates, devicesOf);
  }
}
