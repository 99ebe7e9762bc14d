import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { Clock } from '../common/clock.js';
import { AppConfig } from '../config/app-config.js';
import { JobScheduler, type JobOutcome } from '../jobs/job-scheduler.js';
import { LOGGER } from '../logging/logging.module.js';
import type { AppLogger } from '../logging/logger.js';
import { dayBounds, dayOf, daysBetween, monthOfDay, nextMonth } from './rollup-days.js';
import { ID_CHUNK, RollupRepository, type AvailabilityRow, type CoverageRules } from './rollup.repository.js';

export const COVERAGE_ROLLUP_JOB = 'reports.coverage-rollup';

/** How the figures are counted (docs/reports.md, Coverage). */
export const ROLLUP_RULES = {
  /** An occurrence not over by its end plus this counts as failed ("không báo cáo"); a later report still counts. */
  graceMs: 10 * 60_000,
  /** A start within this of the scheduled start, either way, is on time. */
  onTimeMs: 60_000,
} as const;

const INTERVAL_MS = 30_000;
/** Rows written by a transaction still open when a run reads are found by the next run: it reads back this far. */
const LAG_MS = 2 * 60_000;
/** Presence transition ids are allotted before commit (PostgreSQL sequences): the next run rereads this many ids back. */
const ID_LAG = 1_000;
/** The longest occurrence the time-driven recount looks back for (relays may run for hours). */
const MAX_OCCURRENCE_MS = 24 * 3_600_000;
/** Deliveries read per step; the watermark is saved after each, so a restart resumes there. */
const CHANGES_PER_STEP = 20_000;
/** Availability of every device is recomputed this often (a device online all day has no transition to notice). */
const FULL_AVAILABILITY_MS = 5 * 60_000;
/** A first run rebuilds availability this far back at most. */
const FIRST_AVAILABILITY_DAYS = 400;

/** What one run did: the bench reads it. */
export interface RollupRunStats {
  deliveriesRead: number;
  coverageDays: number;
  availabilityDays: number;
  months: number;
  ms: number;
}

/** device ids by local day (or month). */
class Pairs {
  readonly byKey = new Map<string, Set<string>>();
  add(key: string, deviceId: string): void {
    let s = this.byKey.get(key);
    if (!s) this.byKey.set(key, (s = new Set()));
    s.add(deviceId);
  }
  get size(): number {
    let n = 0;
    for (const s of this.byKey.values()) n += s.size;
    return n;
  }
}

const chunks = <T>(items: readonly T[], size = ID_CHUNK): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
};

/**
 * Keeps the coverage rollups (rollup.entities.ts) up to date without touching the ingestion path: every 30 s on the
 * leader (JobScheduler: one run at a time across instances), it finds the (device, day) pairs whose figures may
 * have changed and recomputes each from the source rows, then sums the months they fall in:
 * - deliveries changed since the last run (`deliveries.updated_at`, indexed), read back LAG_MS for transactions
 *   that committed late;
 * - deliveries whose figures change with time alone: their occurrence started (now due), or its end + grace passed
 *   (now failed unless reported);
 * - presence transitions and alarms since the last run (availability, alarms), and every 5 minutes every device's
 *   days since the last such pass (availability grows while a device stays online without any transition).
 * Recomputing replaces whole (device, day) slices, so a run repeated, overlapping or cut short by a crash leaves
 * the same rows; the watermarks (`rollup_state`) move only after what they cover is committed.
 */
@Injectable()
export class CoverageRollupJob implements OnApplicationBootstrap {
  constructor(
    private readonly repo: RollupRepository,
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly jobs: JobScheduler,
    @Inject(LOGGER) private readonly logger: AppLogger,
  ) {}

  onApplicationBootstrap(): void {
    this.jobs.schedule({ name: COVERAGE_ROLLUP_JOB, intervalMs: INTERVAL_MS, runAtStart: true, run: () => this.run() });
  }

  /** On demand (tests, the refresh route): one run now on the leader, never overlapping the periodic one. */
  refresh(): Promise<JobOutcome> {
    return this.jobs.runNow(COVERAGE_ROLLUP_JOB);
  }

  /** One pass; call it through the scheduler (refresh), which holds the job's lock. */
  async run(): Promise<RollupRunStats> {
    const started = this.clock.now();
    const now = started;
    const zone = this.config.timezone;
    const rules: CoverageRules = { now, ...ROLLUP_RULES };
    const state = await this.repo.state();
    const stats: RollupRunStats = { deliveriesRead: 0, coverageDays: 0, availabilityDays: 0, months: 0, ms: 0 };
    const months = new Pairs();

    // Deliveries changed, in steps; each step's pairs are committed before the watermark passes them.
    let cursor = Math.max(0, (state.get('deliveries') ?? 0) - LAG_MS);
    for (;;) {
      const changed = await this.repo.changedDeliveries(cursor, now, CHANGES_PER_STEP);
      if (changed.length === 0) break;
      stats.deliveriesRead += changed.length;
      const pairs = new Pairs();
      for (const c of changed) pairs.add(dayOf(c.startAt, zone), c.deviceId);
      stats.coverageDays += await this.recomputeCoverage(pairs, rules, months);
      cursor = changed[changed.length - 1]!.updatedAt;
      if (changed.length < CHANGES_PER_STEP) break;
      await this.rollMonths(months, stats);
      await this.repo.saveState({ deliveries: cursor });
    }

    // What time alone changed since the previous run (the first run's deliveries scan covered everything).
    const prev = state.get('clock');
    if (prev !== undefined && prev < now) {
      const pairs = new Pairs();
      for (const c of await this.repo.crossed(prev, now, ROLLUP_RULES.graceMs, MAX_OCCURRENCE_MS)) pairs.add(dayOf(c.startAt, zone), c.deviceId);
      stats.coverageDays += await this.recomputeCoverage(pairs, rules, months);
    }

    // Availability and alarms: the days of new transitions and alarms, and periodically every device's recent days.
    const availability = new Pairs();
    const lastFull = state.get('availability');
    // A first run's full pass below covers every transition so far: only later ones are read.
    const transitions = lastFull === undefined ? [] : await this.repo.transitionsAfter(Math.max(0, (state.get('connections') ?? 0) - ID_LAG));
    let lastId = lastFull === undefined ? await this.repo.maxTransitionId() : (state.get('connections') ?? 0);
    for (const t of transitions) {
      lastId = Math.max(lastId, t.id);
      // A transition changes its day and every later one up to today (the state carries over midnight).
      for (const day of daysBetween(dayOf(t.at, zone), dayOf(now, zone))) availability.add(day, t.deviceId);
    }
    for (const a of await this.repo.alarmsRaised(Math.max(0, (state.get('alarms') ?? 0) - LAG_MS), now)) availability.add(dayOf(a.raisedAt, zone), a.deviceId);
    stats.availabilityDays += await this.recomputeAvailability(availability, now, months);

    let full = lastFull;
    if (lastFull === undefined || now - lastFull >= FULL_AVAILABILITY_MS) {
      const from = lastFull ?? Math.max(now - FIRST_AVAILABILITY_DAYS * 86_400_000, (await this.repo.firstDeviceCreatedAt()) ?? now);
      const days = daysBetween(dayOf(from, zone), dayOf(now, zone));
      for await (const ids of this.repo.deviceIds()) {
        const pairs = new Pairs();
        for (const day of days) for (const id of ids) pairs.add(day, id);
        stats.availabilityDays += await this.recomputeAvailability(pairs, now, months);
      }
      full = now;
    }

    await this.rollMonths(months, stats);
    await this.repo.saveState({ deliveries: now, clock: now, connections: lastId, alarms: now, ...(full !== undefined ? { availability: full } : {}) });
    stats.ms = this.clock.now() - started;
    if (stats.coverageDays + stats.availabilityDays > 0) this.logger.debug({ ctx: 'reports', ...stats }, 'coverage rollups updated');
    return stats;
  }

  /** Recomputes the coverage of every (day, device) pair; notes the months to sum. Returns the device-days done. */
  private async recomputeCoverage(pairs: Pairs, rules: CoverageRules, months: Pairs): Promise<number> {
    let n = 0;
    for (const [day, devices] of pairs.byKey) {
      const { from, to } = dayBounds(day, this.config.timezone);
      if (from > rules.now) continue; // nothing due yet
      for (const ids of chunks([...devices])) {
        await this.repo.replaceCoverageDay(day, ids, await this.repo.coverageOf(from, to, ids, rules));
        this.touchedDays.add(day);
        for (const id of ids) months.add(monthOfDay(day), id);
        n += ids.length;
      }
    }
    return n;
  }

  /** Recomputes the availability (online time over the observed part of the day) and alarms of every pair. */
  private async recomputeAvailability(pairs: Pairs, now: number, months: Pairs): Promise<number> {
    let n = 0;
    for (const [day, devices] of pairs.byKey) {
      const { from, to } = dayBounds(day, this.config.timezone);
      if (from > now) continue;
      const until = Math.min(to, now);
      for (const ids of chunks([...devices])) {
        const presence = await this.repo.presenceOf(from, until, ids);
        const alarms = await this.repo.alarmsOf(from, to, ids);
        const moves = new Map<string, Array<{ at: number; online: boolean }>>();
        for (const t of presence.transitions) {
          let list = moves.get(t.deviceId);
          if (!list) moves.set(t.deviceId, (list = []));
          list.push(t);
        }
        const rows: AvailabilityRow[] = [];
        for (const id of ids) {
          const created = presence.created.get(id);
          if (created === undefined) continue; // removed meanwhile
          const start = Math.max(from, created);
          if (start >= until) continue; // did not exist yet
          rows.push({ deviceId: id, onlineMs: onlineWithin(start, until, from, presence.initial.get(id) ?? false, moves.get(id) ?? []), spanMs: until - start, alarms: alarms.get(id) ?? 0 });
        }
        await this.repo.replaceAvailabilityDay(day, ids, rows);
        this.touchedDays.add(day);
        for (const id of ids) months.add(monthOfDay(day), id);
        n += ids.length;
      }
    }
    return n;
  }

  /** Sums the devices' touched months, then the all-devices totals of every day and month touched. */
  private async rollMonths(months: Pairs, stats: RollupRunStats): Promise<void> {
    for (const [month, devices] of months.byKey) {
      for (const ids of chunks([...devices])) await this.repo.rollMonth(month, nextMonth(month), ids);
      stats.months += devices.size;
      await this.repo.rollTotals(month);
    }
    for (const day of this.touchedDays) await this.repo.rollTotals(day);
    months.byKey.clear();
    this.touchedDays.clear();
  }

  /** Days recomputed since the totals were last summed. */
  private readonly touchedDays = new Set<string>();
}

/**
 * Online time within [start, until) of a device whose state at `from` (≤ start) was `online`, given its transitions
 * from `from` on, in order.
 */
export function onlineWithin(start: number, until: number, from: number, online: boolean, moves: ReadonlyArray<{ at: number; online: boolean }>): number {
  let total = 0;
  let t = from;
  let on = online;
  const add = (a: number, b: number): void => {
    const lo = Math.max(a, start);
    const hi = Math.min(b, until);
    if (hi > lo) total += hi - lo;
  };
  for (const m of moves) {
    if (on) add(t, m.at);
    on = m.online;
    t = m.at;
  }
  if (on) add(t, until);
  return total;
}
