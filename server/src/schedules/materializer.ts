import { BadRequestException, Inject, Injectable } from '@nestjs/common';
import type { DeviceKind } from '@loa/shared';
import { AreasService } from '../areas/areas.service.js';
import { AppConfig } from '../config/app-config.js';
import { Clock } from '../common/clock.js';
import type { ContentEntity, OccurrenceEntity, ScheduleEntity, ScheduleTargetEntity } from '../database/entities.js';
import { LOGGER } from '../logging/logging.module.js';
import type { AppLogger } from '../logging/logger.js';
import { TimelinesService } from '../timelines/timelines.service.js';
import { expand } from './recurrence.js';
import { SchedulesRepository, WITHDRAWABLE, type DeliveryKey } from './schedules.repository.js';
import { RENDERS, targetsReach, type DeviceFacts } from './targeting.js';

/** Deterministic, so recurring occurrences compiled twice keep the same id. */
export const occurrenceId = (scheduleId: string, startAt: number): string => `${scheduleId}:${startAt}`;

/** The slot window of one occurrence: N plays of the content with a gap between them. */
export const windowMs = (content: Pick<ContentEntity, 'type' | 'durationMs'>, repeat: number, gapMs: number): number =>
  content.type === 'audio' ? repeat * content.durationMs + (repeat - 1) * gapMs : content.durationMs;

/** Starts of a schedule's occurrences in [from, to) that fall inside the content's validity window. */
export function occurrenceStarts(s: ScheduleEntity, content: Pick<ContentEntity, 'validFrom' | 'validUntil'>, from: number, to: number, limit = 10_000): number[] {
  const lo = Math.max(from, content.validFrom ?? from);
  const hi = Math.min(to, content.validUntil ?? to);
  if (hi <= lo) return [];
  return expand({ dtstart: s.startAt, rrule: s.rrule ?? null, exdates: s.exdates ?? [], timezone: s.timezone ?? 'Asia/Ho_Chi_Minh' }, lo, hi, limit);
}

export interface TargetSpec {
  areas: string[];
  groups: string[];
  devices: string[];
}

export const targetRows = (scheduleId: string, t: TargetSpec): ScheduleTargetEntity[] => [
  ...t.areas.map((ref) => ({ scheduleId, kind: 'area' as const, ref })),
  ...t.groups.map((ref) => ({ scheduleId, kind: 'group' as const, ref })),
  ...t.devices.map((ref) => ({ scheduleId, kind: 'device' as const, ref })),
];

export const targetSpec = (rows: readonly ScheduleTargetEntity[]): TargetSpec => ({
  areas: rows.filter((t) => t.kind === 'area').map((t) => t.ref),
  groups: rows.filter((t) => t.kind === 'group').map((t) => t.ref),
  devices: rows.filter((t) => t.kind === 'device').map((t) => t.ref),
});

export interface Plan {
  occurrences: OccurrenceEntity[];
  deviceIds: string[];
}

/**
 * Keeps occurrences and per-device queued deliveries in step with schedules, targets and devices, and tells the
 * timeline service which devices changed. All mutations run one at a time (an in-process queue), so the horizon
 * roller, an edit and a device move never interleave their read-diff-write steps.
 */
@Injectable()
export class Materializer {
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly repo: SchedulesRepository,
    private readonly areas: AreasService,
    private readonly timelines: TimelinesService,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: AppLogger,
  ) {}

  /** Runs `work` after every mutation queued before it. */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.chain.then(work);
    this.chain = run.catch(() => undefined);
    return run;
  }

  get horizonMs(): number {
    return this.config.timelineHorizonMs;
  }

  /**
   * Area subtrees, groups and listed devices, restricted to devices that can render the content. Unknown codes,
   * groups or ids refuse the whole request, so an operator's typo never silently narrows a broadcast.
   */
  async resolveTargets(targets: TargetSpec, kind: DeviceKind, strict: boolean): Promise<string[]> {
    const areas = [...new Set(targets.areas)];
    const listed = [...new Set(targets.devices)];
    const groupIds = [...new Set(targets.groups)];
    const paths = strict ? await this.areas.requirePaths(areas) : new Map((await Promise.all(areas.map((a) => this.areas.get(a).catch(() => null)))).filter((a) => a !== null).map((a) => [a.code, a.path]));
    const found = await this.repo.devicesByIds(listed);
    if (strict) {
      const foundIds = new Set(found.map((d) => d.id));
      const missing = listed.filter((id) => !foundIds.has(id));
      if (missing.length > 0) throw new BadRequestException(`unknown device(s): ${missing.slice(0, 20).join(', ')}`);
      const wrongKind = found.filter((d) => d.kind !== kind).map((d) => d.id);
      if (wrongKind.length > 0) throw new BadRequestException(`device(s) ${wrongKind.slice(0, 20).join(', ')} cannot play this content (needs a ${kind})`);
    }
    const groups = await this.repo.groups(groupIds);
    if (strict) {
      const missing = groupIds.filter((g) => !groups.has(g));
      if (missing.length > 0) throw new BadRequestException(`unknown group(s): ${missing.join(', ')}`);
    }
    const ids = new Set(found.filter((d) => d.kind === kind).map((d) => d.id));
    for (const d of await this.repo.devicesInSubtrees([...paths.values()])) if (d.kind === kind) ids.add(d.id);
    for (const g of groups.values()) {
      const members = await this.repo.devicesByIds(g.deviceIds);
      for (const d of members) if (d.kind === kind) ids.add(d.id);
      if (g.tagRule) for (const d of await this.repo.devicesByTagRule(g.tagRule, kind)) ids.add(d.id);
    }
    return [...ids].sort();
  }

  /** Occurrences of a schedule in [from, to) and the devices they go to. */
  async plan(s: ScheduleEntity, content: ContentEntity, targets: TargetSpec, from: number, to: number, strict: boolean): Promise<Plan> {
    const duration = windowMs(content, s.repeat ?? 1, s.gapMs ?? 0);
    const occurrences = occurrenceStarts(s, content, from, to).map((startAt) => ({ id: occurrenceId(s.id, startAt), scheduleId: s.id, startAt, durationMs: duration }));
    const deviceIds = await this.resolveTargets(targets, RENDERS[content.type], strict);
    return { occurrences, deviceIds };
  }

  /** Stores a new schedule with its planned occurrences and deliveries; the caller recompiles. */
  async insertNew(s: ScheduleEntity, targets: readonly ScheduleTargetEntity[], plan: Plan): Promise<void> {
    const now = this.clock.now();
    await this.repo.transaction(async (tx) => {
      await this.repo.insertSchedule(tx, s, targets);
      await this.repo.insertOccurrences(tx, plan.occurrences);
      await this.repo.insertDeliveries(tx, pairsOf(plan, s.id), now);
    });
  }

  /**
   * Brings the future (start > now) of an existing schedule to `plan`: missing deliveries are queued, ones no longer
   * wanted are withdrawn if not yet playing, emptied occurrences are dropped. Past and started ones are untouched.
   * Returns the devices whose deliveries changed.
   */
  async applyEdit(s: ScheduleEntity, targets: readonly ScheduleTargetEntity[] | null, plan: Plan, now: number): Promise<Set<string>> {
    const existing = await this.repo.scheduleDeliveriesAfter(s.id, now);
    const wanted = new Set(pairsOf(plan, s.id).map(key));
    const have = new Set(existing.map(key));
    const toDelete = existing.filter((d) => !wanted.has(key(d)) && WITHDRAWABLE.includes(d.state));
    const toInsert = pairsOf(plan, s.id).filter((p) => !have.has(key(p)));
    const plannedIds = new Set(plan.occurrences.map((o) => o.id));
    const dropped = [...new Set(existing.map((d) => d.occurrenceId))].filter((id) => !plannedIds.has(id));
    await this.repo.transaction(async (tx) => {
      await this.repo.updateSchedule(tx, s, targets);
      const duration = plan.occurrences[0]?.durationMs;
      if (duration !== undefined) await this.repo.setDurations(tx, s.id, duration, now);
      await this.repo.insertOccurrences(tx, plan.occurrences);
      await this.repo.deletePending(tx, toDelete);
      await this.repo.insertDeliveries(tx, toInsert, now);
      await this.repo.deleteEmptyOccurrences(tx, dropped);
    });
    return new Set([...toDelete.map((d) => d.deviceId), ...toInsert.map((d) => d.deviceId)]);
  }

  /**
   * Extends every active schedule's occurrences to now + horizon, queuing deliveries for the devices its targets
   * reach today. Idempotent (deterministic ids, inserts ignore existing rows). Returns the devices recompiled.
   */
  rollHorizon(): Promise<string[]> {
    return this.exclusive(async () => {
      const now = this.clock.now();
      const until = now + this.horizonMs;
      const due = await this.repo.dueForRoll(until);
      const contents = await this.repo.contents([...new Set(due.map((s) => s.contentId))]);
      const affected = new Set<string>();
      for (const s of due) {
        const content = contents.get(s.contentId);
        if (!content) continue;
        const from = Math.max(s.generatedUntil ?? now, now);
        const plan = await this.plan(s, content, targetSpec(await this.repo.targets(s.id)), from, until, false);
        await this.repo.transaction(async (tx) => {
          await this.repo.insertOccurrences(tx, plan.occurrences);
          await this.repo.insertDeliveries(tx, pairsOf(plan, s.id), now);
          await this.repo.setGeneratedUntil(tx, s.id, until);
        });
        if (plan.occurrences.length > 0) plan.deviceIds.forEach((d) => affected.add(d));
      }
      const ids = [...affected].sort();
      if (ids.length > 0) await this.timelines.recompile(ids);
      if (due.length > 0) this.logger.info({ ctx: 'schedules', schedules: due.length, devices: ids.length }, 'horizon rolled');
      return ids;
    });
  }

  /**
   * Device-side reconciliation, for devices whose area, tags or group membership changed (or that were just
   * registered): queues what applies to them now and withdraws what no longer does, for occurrences starting
   * after now. Recompiles the devices whose deliveries changed, plus `alwaysRecompile` (e.g. a moved device, whose
   * area channels changed). Returns the recompiled devices.
   */
  reconcileDevices(deviceIds: readonly string[], alwaysRecompile: readonly string[] = []): Promise<string[]> {
    return this.exclusive(async () => {
      const now = this.clock.now();
      const changed = new Set<string>(alwaysRecompile);
      if (deviceIds.length > 0) {
        const devices = await this.repo.deviceFacts(deviceIds);
        const active = await this.repo.activeWithTargets();
        const groups = await this.repo.groups();
        const contents = await this.repo.contents([...new Set(active.map((a) => a.schedule.contentId))]);
        const reaches = new Map<string, Set<string>>(); // deviceId → scheduleIds
        for (const d of devices) {
          const set = new Set<string>();
          for (const { schedule, targets } of active) {
            const c = contents.get(schedule.contentId);
            if (c && RENDERS[c.type] === d.kind && targetsReach(targets, d, groups)) set.add(schedule.id);
          }
          reaches.set(d.id, set);
        }
        const scheduleIds = [...new Set([...reaches.values()].flatMap((s) => [...s]))];
        const occurrences = await this.repo.futureOccurrences(scheduleIds, now);
        const bySchedule = new Map<string, OccurrenceEntity[]>();
        for (const o of occurrences) {
          const list = bySchedule.get(o.scheduleId);
          if (list) list.push(o);
          else bySchedule.set(o.scheduleId, [o]);
        }
        const existing = await this.repo.deviceDeliveriesAfter(devices.map((d) => d.id), now);
        const have = new Set(existing.map(key));
        const wanted = new Set<string>();
        const toInsert: Array<{ occurrenceId: string; deviceId: string; scheduleId: string }> = [];
        for (const d of devices) {
          for (const sid of reaches.get(d.id) ?? []) {
            for (const o of bySchedule.get(sid) ?? []) {
              const p = { occurrenceId: o.id, deviceId: d.id, scheduleId: sid };
              wanted.add(key(p));
              if (!have.has(key(p))) toInsert.push(p);
            }
          }
        }
        const activeIds = new Set(active.map((a) => a.schedule.id));
        const toDelete = existing.filter((e: DeliveryKey) => activeIds.has(e.scheduleId) && !wanted.has(key(e)) && WITHDRAWABLE.includes(e.state));
        if (toInsert.length > 0 || toDelete.length > 0) {
          await this.repo.transaction(async (tx) => {
            await this.repo.deletePending(tx, toDelete);
            await this.repo.insertDeliveries(tx, toInsert, now);
          });
        }
        for (const p of [...toInsert, ...toDelete]) changed.add(p.deviceId);
        this.logger.info({ ctx: 'schedules', devices: devices.length, queued: toInsert.length, withdrawn: toDelete.length }, 'devices reconciled');
      }
      const ids = [...changed].sort();
      if (ids.length > 0) await this.timelines.recompile(ids);
      return ids;
    });
  }
}

const key = (p: { occurrenceId: string; deviceId: string }): string => `${p.occurrenceId}\u0000${p.deviceId}`;

function pairsOf(plan: Plan, scheduleId: string): Array<{ occurrenceId: string; deviceId: string; scheduleId: string }> {
  const out: Array<{ occurrenceId: string; deviceId: string; scheduleId: string }> = [];
  for (const o of plan.occurrences) for (const deviceId of plan.deviceIds) out.push({ occurrenceId: o.id, deviceId, scheduleId });
  return out;
}

export type { DeviceFacts };
