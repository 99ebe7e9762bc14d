import { Injectable } from '@nestjs/common';
import type { Priority } from '@loa/shared';
import { findConflicts, type ConflictReport } from './conflicts.js';
import type { Plan } from './materializer.js';
import { PlanningRepository } from './planning.repository.js';

/** Overlaps between a planned schedule and the other active schedules' pending occurrences on the same devices. */
@Injectable()
export class ConflictAnalysis {
  constructor(private readonly repo: PlanningRepository) {}

  async analyse(plan: Plan, priority: Priority, excludeScheduleId: string | null, now: number): Promise<ConflictReport> {
    if (plan.occurrences.length === 0 || plan.deviceIds.length === 0) return findConflicts([], priority, new Set(), [], new Map());
    const from = Math.min(...plan.occurrences.map((o) => o.startAt));
    const to = Math.max(...plan.occurrences.map((o) => o.startAt + o.durationMs));
    const mine = plan.occurrences.map((o) => ({ startAt: o.startAt, durationMs: o.durationMs }));
    const candidates = (await this.repo.overlapping(from, to, now, excludeScheduleId)).filter((o) =>
      mine.some((m) => o.startAt < m.startAt + m.durationMs && o.startAt + o.durationMs > m.startAt),
    );
    const devicesOf = new Map<string, string[]>();
    for (const p of await this.repo.pendingDevicesOf(candidates.map((c) => c.id))) {
      const list = devicesOf.get(p.occurrenceId);
      if (list) list.push(p.deviceId);
      else devicesOf.set(p.occurrenceId, [p.deviceId]);
    }
    return findConflicts(mine, priority, new Set(plan.deviceIds), candidates, devicesOf);
  }
}
