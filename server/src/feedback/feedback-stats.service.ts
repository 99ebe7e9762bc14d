import { Injectable } from '@nestjs/common';
import { zonedToUtc } from '@loa/shared';
import { FEEDBACK_CHANNELS, FEEDBACK_PRIORITIES, type FeedbackStatsQuery, type FeedbackStatsSlice, type FeedbackStatsView } from '@loa/shared/rest';
import { areaCodesOf } from '../areas/area.entity.js';
import { ScopeService } from '../auth/area-scope.js';
import type { UserPrincipal } from '../auth/principal.js';
import { Clock } from '../common/clock.js';
import { localDate } from '../common/export-format.js';
import { AppConfig } from '../config/app-config.js';
import { resolvePeriod, type ReportPeriod } from '../reports/report-period.js';
import { FeedbackSettingsService } from './feedback-settings.service.js';
import { addCounts, FeedbackStatsRepository, ZERO_COUNTS, type StatsArea, type StatsCounts, type StatsFilter } from './feedback-stats.repository.js';
import { badRequest, notFound } from '../common/loa-error.js';

/** Periods up to this many days get one series point per day; longer ones one per month (as coverage). */
const DAILY_SERIES_MAX_DAYS = 92;
/** Below these levels there is no child area to break down by: the area itself is the one row. */
const LEAF_LEVELS = new Set(['commune', 'village']);
const HOUR_MS = 3_600_000;

const share = (n: number, d: number): number | null => (d > 0 ? n / d : null);
const hours = (ms: number, n: number): number | null => (n > 0 ? Math.round((ms / n / HOUR_MS) * 100) / 100 : null);

/** The figures of a slice from its sums: shares and averages are taken only here, after every addition. */
export function sliceOf(c: StatsCounts): FeedbackStatsSlice {
  return {
    received: c.received,
    handled: c.handled,
    handledOnTime: c.handledOnTime,
    overdue: c.overdue,
    open: c.received - c.handled,
    handledShare: share(c.handled, c.received),
    onTimeShare: share(c.handledOnTime, c.handled),
    avgAnswerWorkingHours: hours(c.workingMs, c.workingN),
    avgAnswerHours: hours(c.calendarMs, c.calendarN),
    rated: c.rated,
    satisfied: c.satisfied,
    satisfactionShare: share(c.satisfied, c.rated),
  };
}

/** The upward feed's figures of one commune (no personal data: counts only). */
export interface FeedbackCommuneStats extends FeedbackStatsSlice {
  areaCode: string;
  areaName: string;
}

/** The payload of a `feedback-stats` exchange: one local day, per commune, and the totals of the whole tree. */
export interface FeedbackStatsPayload {
  day: string;
  period: { from: string; to: string };
  /** When the figures were taken (items still open then may be handled later: the next days' exchanges say so in their own days only). */
  at: string;
  target: number;
  rootAreaCode: string | null;
  rootAreaName: string;
  totals: FeedbackStatsSlice;
  communes: FeedbackCommuneStats[];
}

/**
 * Issue 17's statistics: items received in a period (Vietnam time) in an area subtree the reader may see, with what
 * became of them — handled (the KH 179 figure, target 100 %), on time, overdue, open, time to answer (working and
 * calendar hours) and satisfaction — by child area, category, priority, channel and day or month. Merged items are
 * left out: they count once, in the item they were merged into.
 */
@Injectable()
export class FeedbackStatsService {
  constructor(
    private readonly repo: FeedbackStatsRepository,
    private readonly scope: ScopeService,
    private readonly settings: FeedbackSettingsService,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  async report(user: UserPrincipal, q: FeedbackStatsQuery): Promise<FeedbackStatsView> {
    const period = this.period(q);
    const scope = await this.scope.of(user);
    const code = q.areaCode ?? (scope.all ? null : user.areaCode);
    const root = code === null ? null : await this.repo.area(code);
    // Outside the reader's subtree it is reported as absent, as every read outside the scope is (area-scope.ts).
    if (code !== null && (!root || !scope.contains(root.code))) throw notFound('area.not-found', { id: code });
    return this.compute(root, period, q.category ?? null);
  }

  /** The whole view for a subtree (null: the whole tree) and a period; no scope check (the caller made it). */
  async compute(root: StatsArea | null, period: ReportPeriod, category: string | null): Promise<FeedbackStatsView> {
    const settings = await this.settings.get();
    if (category !== null && !settings.categories.some((c) => c.code === category)) throw badRequest('feedback.stats-category-unknown', { category });
    // The one top area (a province server's province) is the whole tree: no subtree filter, so the period's index
    // bounds the scan rather than every item of every area.
    const tops = root === null || root.path !== `/${root.code}/` ? null : await this.repo.children(null);
    const whole = root === null || (tops !== null && tops.length === 1);
    const f: StatsFilter = { from: period.from, to: period.to, pathPrefix: whole ? null : root.path, category, now: this.clock.now() };
    const { keys, bounds } = this.buckets(period);
    const [groups, series] = await Promise.all([this.repo.byDimensions(f), this.repo.series(f, bounds)]);
    const fold = (key: (g: (typeof groups)[number]) => string): Map<string, StatsCounts> => {
      const m = new Map<string, StatsCounts>();
      for (const g of groups) m.set(key(g), addCounts(m.get(key(g)) ?? ZERO_COUNTS, g));
      return m;
    };
    const paths = [...fold((g) => g.path)].map(([key, c]) => ({ key, ...c }));

    // Child rows: the communes of a district, the districts of a province; a commune is its own one row.
    const leaf = root !== null && LEAF_LEVELS.has(root.level);
    const children = leaf ? [] : (await this.repo.children(root?.code ?? null)).filter((c) => c.level !== 'village');
    const depth = root === null ? 0 : areaCodesOf(root.path).length;
    let totals = ZERO_COUNTS;
    const rows = new Map<string, StatsCounts>();
    for (const p of paths) {
      totals = addCounts(totals, p);
      const child = leaf ? undefined : areaCodesOf(p.key)[depth];
      const k = child ?? root?.code ?? '';
      rows.set(k, addCounts(rows.get(k) ?? ZERO_COUNTS, p));
    }
    const byArea: FeedbackStatsView['byArea'] = children.map((c) => ({ areaCode: c.code, areaName: c.name, ...sliceOf(rows.get(c.code) ?? ZERO_COUNTS) }));
    // Items on the root itself (a commune's own items; a district's items filed at district level).
    if (root !== null && (leaf || rows.has(root.code))) byArea.unshift({ areaCode: root.code, areaName: root.name, ...sliceOf(rows.get(root.code) ?? ZERO_COUNTS) });

    const labels = new Map(settings.categories.map((c) => [c.code, c.label]));
    const catRows = fold((g) => g.category);
    // Every configured category (zeros included, in the settings' order), then codes no longer configured.
    const catCodes = [...settings.categories.map((c) => c.code).filter((c) => category === null || c === category), ...[...catRows.keys()].filter((k) => !labels.has(k))];
    const prioRows = fold((g) => g.priority);
    const channelRows = fold((g) => g.channel);
    return {
      areaCode: root?.code ?? null,
      areaName: root?.name ?? 'Toàn quốc',
      from: new Date(period.from).toISOString(),
      to: new Date(period.to).toISOString(),
      target: 1,
      totals: sliceOf(totals),
      byArea,
      byCategory: catCodes.map((code) => ({ category: code, label: labels.get(code) ?? code, ...sliceOf(catRows.get(code) ?? ZERO_COUNTS) })),
      byPriority: FEEDBACK_PRIORITIES.map((priority) => ({ priority, ...sliceOf(prioRows.get(priority) ?? ZERO_COUNTS) })),
      byChannel: FEEDBACK_CHANNELS.map((channel) => ({ channel, received: channelRows.get(channel)?.received ?? 0 })),
      series: keys.map((bucket, i) => ({ bucket, ...sliceOf(series.get(i) ?? ZERO_COUNTS) })),
    };
  }

  /**
   * The upward feed's figures of one local day (items received that day, as they stand now): per commune of the
   * whole tree, and the totals. Counts only: nothing about a resident.
   */
  async dailyForUpperLevel(day: string): Promise<FeedbackStatsPayload> {
    const zone = this.config.timezone;
    const resolved = resolvePeriod({ from: day, to: day }, zone);
    if (!resolved.ok) throw badRequest('report.range-invalid', { detail: resolved.reason });
    const period = resolved.period;
    const f: StatsFilter = { from: period.from, to: period.to, pathPrefix: null, category: null, now: this.clock.now() };
    const [groups, communes, tops] = await Promise.all([this.repo.byDimensions(f), this.repo.communes(null), this.repo.children(null)]);
    const paths = groups.map((g) => ({ key: g.path, ...g }));
    const pathOf = new Map(communes.map((c) => [c.path, c]));
    const perCommune = new Map<string, StatsCounts>();
    let totals = ZERO_COUNTS;
    for (const p of paths) {
      totals = addCounts(totals, p);
      // The commune an item's area is in: the area itself or its nearest commune ancestor.
      const codes = areaCodesOf(p.key);
      for (let n = codes.length; n > 0; n--) {
        const c = pathOf.get(`/${codes.slice(0, n).join('/')}/`);
        if (c) {
          perCommune.set(c.code, addCounts(perCommune.get(c.code) ?? ZERO_COUNTS, p));
          break;
        }
      }
    }
    const top = tops.length === 1 ? tops[0]! : null;
    return {
      day,
      period: { from: new Date(period.from).toISOString(), to: new Date(period.to).toISOString() },
      at: new Date(f.now).toISOString(),
      target: 1,
      rootAreaCode: top?.code ?? null,
      rootAreaName: top?.name ?? 'Toàn quốc',
      totals: sliceOf(totals),
      communes: communes.map((c) => ({ areaCode: c.code, areaName: c.name, ...sliceOf(perCommune.get(c.code) ?? ZERO_COUNTS) })),
    };
  }

  /** `period` (YYYY-MM, YYYY-Qn, YYYY) or `from`/`to` (local dates, inclusive); the current month when neither. */
  period(q: { period?: string | undefined; from?: string | undefined; to?: string | undefined }): ReportPeriod {
    const zone = this.config.timezone;
    let shape: Parameters<typeof resolvePeriod>[0];
    if (q.period !== undefined) {
      if (q.from !== undefined || q.to !== undefined) throw badRequest('feedback.period-and-range');
      const p = q.period.trim();
      if (/^\d{4}-\d{2}$/.test(p)) shape = { month: p };
      else if (/^\d{4}-Q[1-4]$/i.test(p)) shape = { quarter: p.toUpperCase() };
      else if (/^\d{4}$/.test(p)) shape = { year: p };
      else throw badRequest('feedback.period-invalid', { period: q.period });
    } else if (q.from !== undefined || q.to !== undefined) {
      const date = /^\d{4}-\d{2}-\d{2}$/;
      if (q.from === undefined || q.to === undefined || !date.test(q.from) || !date.test(q.to)) throw badRequest('feedback.range-invalid');
      shape = { from: q.from, to: q.to };
    } else {
      shape = { month: localDate(this.clock.now(), zone).slice(0, 7) };
    }
    const resolved = resolvePeriod(shape, zone);
    if (!resolved.ok) throw badRequest('report.range-invalid', { detail: resolved.reason });
    return resolved.period;
  }

  /** The series' buckets: every local day of a month (or a short range), every month of a quarter, a year or a long range. */
  private buckets(p: ReportPeriod): { keys: string[]; bounds: number[] } {
    const zone = this.config.timezone;
    const first = localDate(p.from, zone);
    const days: string[] = [];
    for (let d = first; ; ) {
      const [y, m, dd] = d.split('-').map(Number) as [number, number, number];
      if (zonedToUtc(y, m, dd, 0, 0, 0, zone) >= p.to) break;
      days.push(d);
      d = new Date(Date.UTC(y, m - 1, dd + 1)).toISOString().slice(0, 10);
    }
    const monthly = /^\d{4}(-Q[1-4])?$/i.test(p.label) || days.length > DAILY_SERIES_MAX_DAYS;
    const keys = monthly ? [...new Set(days.map((d) => d.slice(0, 7)))] : days;
    const bounds = keys.map((k) => {
      const [y, m, d] = k.split('-').map(Number) as [number, number, number | undefined];
      return Math.max(p.from, zonedToUtc(y, m, d ?? 1, 0, 0, 0, zone));
    });
    bounds.push(p.to);
    return { keys, bounds };
  }
}
