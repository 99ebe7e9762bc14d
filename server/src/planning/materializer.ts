import { Inject, Injectable } from '@nestjs/common';
import { expand, type RecurrenceSpec } from '@loa/shared';
import { AppConfig } from '../config/app-config.js';
import { Clock } from '../common/clock.js';
import { NamedLocks } from '../common/named-locks.js';
import type { ContentEntity } from '../contents/content.entity.js';
import type { OccurrenceEntity } from '../schedules/occurrence.entity.js';
import type { ScheduleTargetEntity } from '../schedules/schedule-target.entity.js';
import type { ScheduleEntity } from '../schedules/schedule.entity.js';
import { TransactionRunner } from '../database/transaction-runner.js';
import { DomainEvents } from '../domain-events/domain-events.js';
import { LOGGER } from '../logging/logging.module.js';
import type { AppLogger } from '../logging/logger.js';
import { TargetResolver, type TargetSpec } from '../targeting/target-resolver.js';
import { reachedKinds, targetsReach } from '../targeting/targeting.js';
import { PlanningRepository, REACHING, WITHDRAWABLE, type DeliveryKey } from './planning.repository.js';

export type { TargetSpec };

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
  return expand(recurrenceOf(s), lo, hi, limit);
}

/** The recurrence a schedule row describes (times of day and added dates of issue 19 included). */
export function recurrenceOf(s: Pick<ScheduleEntity, 'startAt' | 'rrule' | 'exdates' | 'timezone' | 'timesOfDay' | 'rdates'>): RecurrenceSpec {
  return { dtstart: s.startAt, rrule: s.rrule ?? null, exdates: s.exdates ?? [], timezone: s.timezone ?? 'Asia/Ho_Chi_Minh', times: s.timesOfDay ?? [], rdates: s.rdates ?? [] };
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

/** What a pending schedule is saved with: no occurrence, no device. */
export const NOTHING: Plan = { occurrences: [], deviceIds: [] };

/** The one lock every read-diff-write of occurrences and deliveries runs under (any process, via NamedLocks). */
export const PLANNING_LOCK = 'planning.materialize';

/**
 * What a schedule's background materialisation re-plans (issue 14): occurrences starting in [from, now + horizon),
 * against its deliveries of occurrences starting after `after`; `allDirty`: every targeted device needs a new
 * timeline (a slot attribute such as volume or priority changed), not only those whose deliveries changed.
 */
export interface MaterializeParams {
  from: number;
  after: number;
  allDirty: boolean;
}

/**
 * Keeps occurrences and per-device queued deliveries in step with schedules, targets and devices, and is the only
 * producer of `timelines.dirty`: after each committed change it names the devices whose timelines must be rebuilt,
 * and awaits dispatch (emitAsync). All mutations run under one named lock, so the horizon roller, a schedule's
 * materialisation and a device move never interleave their read-diff-write steps.
 *
 * A schedule save (issue 14) stores only the schedule and a fan-out job; the job then calls `materialize` (the
 * deliveries, committed with the job's record of the devices to send to) and `dispatch` (their timelines, in batches,
 * outside the planning lock so the next save is not held behind a province's compile).
 */
@Injectable()
export class Materializer {
  constructor(
    private readonly repo: PlanningRepository,
    private readonly targets: TargetResolver,
    private readonly tx: TransactionRunner,
    private readonly locks: NamedLocks,
    private readonly events: DomainEvents,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: AppLogger,
  ) {}

  /** Runs `work` after every planning mutation queued before it (not re-entrant). */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    return this.locks.run(PLANNING_LOCK, work);
  }

  get horizonMs(): number {
    return this.config.timelineHorizonMs;
  }

  /** See TargetResolver.resolve: the devices the targets reach that a schedule of this content reaches (reachedKinds). */
  resolveTargets(targets: TargetSpec, content: Pick<ContentEntity, 'type' | 'text'>, strict: boolean): Promise<string[]> {
    return this.targets.resolve(targets, reachedKinds(content), strict);
  }

  /** Occurrences of a schedule in [from, to) and the devices they go to. */
  async plan(s: ScheduleEntity, content: ContentEntity, targets: TargetSpec, from: number, to: number, strict: boolean): Promise<Plan> {
    const duration = windowMs(content, s.repeat ?? 1, s.gapMs ?? 0);
    const occurrences = occurrenceStarts(s, content, from, to).map((startAt) => ({ id: occurrenceId(s.id, startAt), scheduleId: s.id, startAt, durationMs: duration }));
    const deviceIds = await this.resolveTargets(targets, content, strict);
    return { occurrences, deviceIds };
  }

  /**
   * Brings a schedule's future to what its row says now: an active schedule that reaches devices (not awaiting an
   * approver) gets its occurrences in [from, now + horizon) and a queued delivery per occurrence and device its
   * targets reach now; deliveries no longer wanted are withdrawn if not yet playing, emptied occurrences dropped. A
   * cancelled one has its deliveries of occurrences starting after `after` skipped ("cancelled"). Idempotent: a
   * second run finds nothing to change. `record` runs in the same transaction, with the devices whose timelines
   * must be rebuilt; they are returned, not dispatched (see `dispatch`).
   */
  materialize(scheduleId: string, p: MaterializeParams, record: (dirty: string[]) => Promise<void>): Promise<string[]> {
    return this.exclusive(async () => {
      const now = this.clock.now();
      const s = await this.repo.schedule(scheduleId);
      if (s?.status === 'cancelled') {
        return this.tx.run(async () => {
          const held = [...new Set(await this.repo.withdrawAll(scheduleId, p.after))].sort();
          await record(held);
          return held;
        });
      }
      const content = s ? (await this.repo.contents([s.contentId])).get(s.contentId) : undefined;
      const reaching = s !== null && content !== undefined && REACHING.includes(s.approval ?? 'not-required');
      const until = now + this.horizonMs;
      const plan = reaching ? await this.plan(s, content, targetSpec(await this.repo.targets(scheduleId)), p.from, until, false) : NOTHING;
      const existing = await this.repo.scheduleDeliveriesAfter(scheduleId, p.after);
      const pairs = pairsOf(plan, scheduleId);
      const wanted = new Set(pairs.map(key));
      const have = new Set(existing.map(key));
      const toDelete = existing.filter((d) => !wanted.has(key(d)) && WITHDRAWABLE.includes(d.state));
      const toInsert = pairs.filter((x) => !have.has(key(x)));
      const plannedIds = new Set(plan.occurrences.map((o) => o.id));
      const dropped = [...new Set(existing.map((d) => d.occurrenceId))].filter((id) => !plannedIds.has(id));
      const changed = [...toDelete.map((d) => d.deviceId), ...toInsert.map((d) => d.deviceId)];
      // An occurrence of the new plan with no device: nothing to send, but no slot attribute reached anyone either.
      const dirty = [...new Set([...changed, ...(p.allDirty && plan.occurrences.length > 0 ? plan.deviceIds : [])])].sort();
      await this.tx.run(async () => {
        const duration = plan.occurrences[0]?.durationMs;
        if (duration !== undefined) await this.repo.setDurations(scheduleId, duration, p.after);
        await this.repo.insertOccurrences(plan.occurrences);
        await this.repo.deletePending(toDelete);
        await this.repo.insertDeliveries(toInsert, now);
        await this.repo.deleteEmptyOccurrences(dropped);
        if (reaching) await this.repo.setGeneratedUntil(scheduleId, until);
        await record(dirty);
      });
      this.logger.info({ ctx: 'schedules', scheduleId, devices: plan.deviceIds.length, occurrences: plan.occurrences.length, queued: toInsert.length, withdrawn: toDelete.length }, 'schedule materialised');
      return dirty;
    });
  }

  /**
   * Rebuilds and sends these devices' timelines (dispatch listens to `timelines.dirty`, compiles and publishes them in
   * batches, the first devices having theirs while later ones compile) and resolves once they were published.
   * `fanoutId`: the job sending them, told of each batch (`timelines.sent`).
   */
  dispatch(deviceIds: readonly string[], fanoutId?: string): Promise<void> {
    return deviceIds.length > 0 ? this.events.emitAsync('timelines.dirty', { deviceIds, ...(fanoutId === undefined ? {} : { fanoutId }) }) : Promise.resolve();
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
        await this.tx.run(async () => {
          await this.repo.insertOccurrences(plan.occurrences);
          await this.repo.insertDeliveries(pairsOf(plan, s.id), now);
          await this.repo.setGeneratedUntil(s.id, until);
        });
        if (plan.occurrences.length > 0) plan.deviceIds.forEach((d) => affected.add(d));
      }
      const ids = [...affected].sort();
      await this.dirty(ids);
      if (due.length > 0) this.logger.info({ ctx: 'schedules', schedules: due.length, devices: ids.length }, 'horizon rolled');
      return ids;
    });
  }

  /**
   * Device-side reconciliation, for devices whose area, tags or group membership changed (or that were just
   * registered): queues what applies to them now and withdraws what no longer does, for occurrences starting
   * after now. Marks dirty the devices whose deliveries changed, plus `alwaysRecompile` (e.g. a moved device, whose
   * area channels changed). Returns those devices.
   */
  reconcileDevices(deviceIds: readonly string[], alwaysRecompile: readonly string[] = []): Promise<string[]> {
    return this.exclusive(async () => {
      const now = this.clock.now();
      const changed = new Set<string>(alwaysRecompile);
      if (deviceIds.length > 0) {
        const devices = await this.repo.deviceFacts(deviceIds);
        const active = await this.repo.activeWithTargets();
        const groups = await this.targets.groups();
        const contents = await this.repo.contents([...new Set(active.map((a) => a.schedule.contentId))]);
        const reaches = new Map<string, Set<string>>(); // deviceId → scheduleIds
        for (const d of devices) {
          const set = new Set<string>();
          for (const { schedule, targets } of active) {
            const c = contents.get(schedule.contentId);
            if (c && reachedKinds(c).includes(d.kind) && targetsReach(targets, d, groups)) set.add(schedule.id);
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
          await this.tx.run(async () => {
            await this.repo.deletePending(toDelete);
            await this.repo.insertDeliveries(toInsert, now);
          });
        }
        for (const p of [...toInsert, ...toDelete]) changed.add(p.deviceId);
        this.logger.info({ ctx: 'schedules', devices: devices.length, queued: toInsert.length, withdrawn: toDelete.length }, 'devices reconciled');
      }
      const ids = [...changed].sort();
      await this.dirty(ids);
      return ids;
    });
  }

  /** Tells dispatch which timelines to rebuild, after the commit, and waits for it (see the class comment). */
  private async dirty(deviceIds: readonly string[]): Promise<void> {
    if (deviceIds.length > 0) await this.events.emitAsync('timelines.dirty', { deviceIds });
  }
}

const key = (p: { occurrenceId: string; deviceId: string }): string => `${p.occurrenceId}\u0000${p.deviceId}`;

function pairsOf(plan: Plan, scheduleId: string): Array<{ occurrenceId: string; deviceId: string; scheduleId: string }> {
  const out: Array<{ occurrenceId: string; deviceId: string; scheduleId: string }> = [];
  for (const o of plan.occurrences) for (const deviceId of plan.deviceIds) out.push({ occurrenceId: o.id, deviceId, scheduleId });
  return out;
}
