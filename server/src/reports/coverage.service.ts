import { Injectable } from '@nestjs/common';
import { coverageReasonLabelVi, PRIORITIES, type CoverageFigures, type CoverageQuery, type CoverageReport, type CoverageRow, type DeviceCoverage, type Priority } from '@loa/shared/rest';
import { areaCodesOf } from '../areas/area.entity.js';
import { ScopeService } from '../auth/area-scope.js';
import type { UserPrincipal } from '../auth/principal.js';
import { AppConfig } from '../config/app-config.js';
import { CoverageRepository, type AvailabilityPoint, type DeviceAvailability, type RollupFilter, type RollupSpan, type SeriesPoint, type SubtreeDevice } from './coverage.repository.js';
import { resolvePeriod, type ReportPeriod } from './report-period.js';
import { dayOf, daysBetween, nextDay, nextMonth } from './rollup-days.js';
import type { CoverageCounts } from './rollup.repository.js';
import { badRequest, notFound } from '../common/loa-error.js';

/** Periods up to this many days get one series point per day; longer ones one per month. */
const DAILY_SERIES_MAX_DAYS = 92;
/** Below these levels a report lists devices rather than areas. */
const DEVICE_ROW_LEVELS = new Set(['commune', 'village']);

/** Counts being summed for one slice, and the devices in it. */
class Acc {
  due = 0;
  played = 0;
  started = 0;
  onTime = 0;
  airedMs = 0;
  failed = 0;
  onlineMs = 0;
  spanMs = 0;
  alarms = 0;
  readonly devices = new Set<string>();

  addCounts(c: CoverageCounts): void {
    this.due += c.due;
    this.played += c.played;
    this.started += c.started;
    this.onTime += c.onTime;
    this.airedMs += c.airedMs;
    this.failed += c.failed;
  }

  addAvailability(a: DeviceAvailability | undefined): void {
    if (!a) return;
    this.onlineMs += a.onlineMs;
    this.spanMs += a.spanMs;
    this.alarms += a.alarms;
  }

  figures(): CoverageFigures {
    return figuresOf(this, this.devices.size, this);
  }
}

const rate = (n: number, d: number): number | null => (d > 0 ? n / d : null);

function figuresOf(c: CoverageCounts, devices: number, a: { onlineMs: number; spanMs: number; alarms: number }): CoverageFigures {
  return {
    due: c.due,
    played: c.played,
    coverage: rate(c.played, c.due),
    onTime: c.onTime,
    onTimeRate: rate(c.onTime, c.started),
    airedSeconds: c.airedMs / 1000,
    failed: c.failed,
    devices,
    availability: rate(a.onlineMs, a.spanMs),
    alarms: a.alarms,
  };
}

const ZERO: CoverageCounts = { due: 0, played: 0, started: 0, onTime: 0, airedMs: 0, failed: 0 };

/** Worst coverage first; slices with nothing due last; then by name. */
const worstFirst = (a: CoverageRow, b: CoverageRow): number => {
  const ca = a.figures.coverage;
  const cb = b.figures.coverage;
  if (ca === null || cb === null) return ca === cb ? a.name.localeCompare(b.name, 'vi') : ca === null ? 1 : -1;
  return ca - cb || a.name.localeCompare(b.name, 'vi');
};

/** The rollup rows of a period: whole local months from the monthly tables, the days around them from the daily ones. */
export function spanOf(firstDay: string, endDay: string): RollupSpan {
  const span: RollupSpan = { months: [], days: [] };
  let d = firstDay;
  while (d < endDay) {
    const monthEnd = `${nextMonth(d.slice(0, 7))}-01`;
    if (d.endsWith('-01') && monthEnd <= endDay) {
      span.months.push(d.slice(0, 7));
      d = monthEnd;
    } else {
      const e = monthEnd < endDay ? monthEnd : endDay;
      span.days.push([d, e]);
      d = e;
    }
  }
  return span;
}

/**
 * The KH 179 figure (issue 16): occurrences played to the end ÷ occurrences due, for a period on LOA_TIMEZONE and
 * an area subtree the reader may see, with on-time starts, minutes aired, availability, failures by reason and
 * alarms; broken down by child area (devices below a commune), area level, priority, category and day or month.
 * Reads only the rollups the CoverageRollupJob keeps (never the deliveries), so a province's year answers at once.
 */
@Injectable()
export class CoverageService {
  constructor(
    private readonly repo: CoverageRepository,
    private readonly scope: ScopeService,
    private readonly config: AppConfig,
  ) {}

  async report(user: UserPrincipal, query: CoverageQuery): Promise<CoverageReport> {
    const period = this.period(query);
    const scope = await this.scope.of(user);
    const code = query.areaCode ?? (scope.all ? null : user.areaCode);
    const root = code === null ? null : await this.repo.area(code);
    // Outside the reader's subtree it is reported as absent, as every read outside the scope is (area-scope.ts).
    if (code !== null && (!root || !scope.contains(root.code))) throw notFound('area.not-found', { id: code });

    const devices = await this.repo.devices(root?.path ?? null);
    // Every device of the database: no IN list at all (the province's common case).
    const deviceIds = root === null || devices.length === (await this.repo.deviceCount()) ? null : devices.map((d) => d.id);
    const filter = await this.filter(query, deviceIds);
    const { span, seriesSpan, bucket, keys } = this.spanAndBuckets(period);

    const [slices, availability, failures, [series, availabilitySeries], categories] = await Promise.all([
      this.repo.byDevice(span, filter),
      this.repo.availabilityByDevice(span, deviceIds),
      this.repo.failuresByReason(span, filter),
      deviceIds === null ? this.seriesFromTotals(seriesSpan, filter, bucket) : Promise.all([this.repo.series(seriesSpan, filter, bucket), this.repo.availabilitySeries(seriesSpan, deviceIds, bucket)]),
      this.repo.categories(),
    ]);
    const inSubtree = new Map(devices.map((d) => [d.id, d]));
    const availabilityOf = new Map(availability.filter((a) => inSubtree.has(a.deviceId)).map((a) => [a.deviceId, a]));

    // Rows: the root's child areas, or its devices at a commune and below (and devices sitting on the root itself).
    const deviceRows = root !== null && DEVICE_ROW_LEVELS.has(root.level);
    const children = deviceRows ? [] : await this.repo.children(root?.code ?? null);
    const depth = root === null ? 0 : areaCodesOf(root.path).length;
    const rowOf = (d: SubtreeDevice): string => {
      const child = deviceRows ? undefined : areaCodesOf(d.areaPath)[depth];
      return child === undefined ? `device:${d.id}` : `area:${child}`;
    };

    const totals = new Acc();
    const rows = new Map<string, Acc>();
    const levels = new Map<string, Acc>();
    const priorities = new Map<string, Acc>();
    const cats = new Map<string, Acc>();
    const acc = (m: Map<string, Acc>, k: string): Acc => {
      let a = m.get(k);
      if (!a) m.set(k, (a = new Acc()));
      return a;
    };
    for (const s of slices) {
      const d = inSubtree.get(s.deviceId);
      if (!d) continue; // a device removed, or moved out of the subtree since
      for (const a of [totals, acc(rows, rowOf(d)), acc(levels, d.areaLevel), acc(priorities, s.priority), acc(cats, s.category)]) {
        a.addCounts(s);
        a.devices.add(d.id);
      }
    }
    for (const [id, a] of availabilityOf) {
      const d = inSubtree.get(id)!;
      for (const x of [totals, acc(rows, rowOf(d)), acc(levels, d.areaLevel)]) {
        x.addAvailability(a);
        x.devices.add(id);
      }
    }
    // A priority or category slice: the availability and alarms of the devices it counted.
    for (const m of [priorities, cats]) for (const a of m.values()) for (const id of a.devices) a.addAvailability(availabilityOf.get(id));

    const rowList: CoverageRow[] = [];
    for (const c of children) rowList.push({ kind: 'area', key: c.code, name: c.name, level: c.level, figures: (rows.get(`area:${c.code}`) ?? new Acc()).figures() });
    for (const d of devices) {
      const a = rows.get(`device:${d.id}`);
      if (rowOf(d) === `device:${d.id}`) rowList.push({ kind: 'device', key: d.id, name: d.name ?? d.id, level: d.kind, figures: (a ?? new Acc()).figures() });
    }
    rowList.sort(worstFirst);

    const categoryNames = new Map(categories.map((c) => [c.code, c]));
    return {
      period: this.periodView(period),
      area: { code: root?.code ?? null, name: root?.name ?? 'Toàn quốc', level: root?.level ?? null },
      totals: totals.figures(),
      rows: rowList,
      byLevel: [...levels].map(([level, a]) => ({ level, figures: a.figures() })).sort((x, y) => x.level.localeCompare(y.level)),
      byPriority: PRIORITIES.filter((p) => priorities.has(p)).map((priority: Priority) => ({ priority, figures: priorities.get(priority)!.figures() })),
      byCategory: [...cats]
        .map(([code, a]) => {
          const c = categoryNames.get(code);
          return { category: code === '' ? null : code, name: code === '' ? 'Chưa phân loại' : (c?.name ?? code), essential: c?.essential ?? false, figures: a.figures() };
        })
        .sort((x, y) => Number(y.essential) - Number(x.essential) || x.name.localeCompare(y.name, 'vi')),
      series: this.seriesView(keys, series, availabilitySeries),
      failuresByReason: this.failuresView(failures),
    };
  }

  async deviceCoverage(user: UserPrincipal, deviceId: string, query: CoverageQuery): Promise<DeviceCoverage> {
    const period = this.period(query);
    const device = await this.repo.device(deviceId);
    const scope = await this.scope.of(user);
    if (!device || !scope.contains(device.areaCode)) throw notFound('device.not-found', { id: deviceId });
    const filter = await this.filter(query, [device.id]);
    const { span, seriesSpan, bucket, keys } = this.spanAndBuckets(period);
    const [slices, availability, failures, series, availabilitySeries] = await Promise.all([
      this.repo.byDevice(span, filter),
      this.repo.availabilityByDevice(span, [device.id]),
      this.repo.failuresByReason(span, filter),
      this.repo.series(seriesSpan, filter, bucket),
      this.repo.availabilitySeries(seriesSpan, [device.id], bucket),
    ]);
    const totals = new Acc();
    for (const s of slices) {
      totals.addCounts(s);
      totals.devices.add(device.id);
    }
    for (const a of availability) {
      totals.addAvailability(a);
      totals.devices.add(device.id);
    }
    return {
      device: { id: device.id, name: device.name, areaCode: device.areaCode, kind: device.kind },
      period: this.periodView(period),
      totals: totals.figures(),
      series: this.seriesView(keys, series, availabilitySeries),
      failuresByReason: this.failuresView(failures),
    };
  }

  private period(q: CoverageQuery): ReportPeriod {
    const resolved = resolvePeriod(q, this.config.timezone);
    if (!resolved.ok) throw badRequest('report.range-invalid', { detail: resolved.reason });
    return resolved.period;
  }

  private periodView(p: ReportPeriod): CoverageReport['period'] {
    return { from: new Date(p.from).toISOString(), to: new Date(p.to).toISOString(), label: p.label };
  }

  /** The rollup span of the period, and its series buckets (every day or month of it, so a chart has no gaps). */
  private spanAndBuckets(p: ReportPeriod): { span: RollupSpan; seriesSpan: RollupSpan; bucket: 'day' | 'month'; keys: string[] } {
    const zone = this.config.timezone;
    const first = dayOf(p.from, zone);
    const end = dayOf(p.to, zone);
    const days = daysBetween(first, end).slice(0, -1);
    const bucket = days.length <= DAILY_SERIES_MAX_DAYS ? 'day' : 'month';
    const keys = bucket === 'day' ? days : [...new Set(days.map((d) => d.slice(0, 7)))];
    const span = spanOf(first, end === first ? nextDay(first) : end);
    // A daily series reads the daily rows even of whole months; a monthly one the span as it is.
    return { span, seriesSpan: bucket === 'day' ? { months: [], days: [[first, end]] } : span, bucket, keys };
  }

  /** Priorities as asked; `category=essential` is every category marked essential now; an unknown category is 400. */
  private async filter(q: CoverageQuery, deviceIds: readonly string[] | null): Promise<RollupFilter> {
    let categories: string[] | null = null;
    if (q.category !== undefined) {
      const known = await this.repo.categories();
      if (q.category === 'essential') categories = known.filter((c) => c.essential).map((c) => c.code);
      else if (known.some((c) => c.code === q.category)) categories = [q.category];
      else throw badRequest('report.category-unknown', { code: q.category });
    }
    return { deviceIds, priorities: q.priority ?? null, categories };
  }

  /**
   * Every device's series from the all-devices totals: whole months as they are, days (or the days of a partial month,
   * folded into it) summed here. A partial month's device count is its busiest day's.
   */
  private async seriesFromTotals(span: RollupSpan, filter: RollupFilter, bucket: 'day' | 'month'): Promise<[SeriesPoint[], AvailabilityPoint[]]> {
    const days = span.days.flatMap(([first, end]) => daysBetween(first, end).slice(0, -1));
    const t = await this.repo.totals([...span.months, ...days], filter);
    const key = (k: string): string => (bucket === 'month' ? k.slice(0, 7) : k);
    const coverage = new Map<string, SeriesPoint>();
    for (const p of t.coverage) {
      const k = key(p.key);
      const seen = coverage.get(k);
      coverage.set(k, seen ? { key: k, due: seen.due + p.due, played: seen.played + p.played, started: seen.started + p.started, onTime: seen.onTime + p.onTime, airedMs: seen.airedMs + p.airedMs, failed: seen.failed + p.failed } : { ...p, key: k });
    }
    const availability = new Map<string, AvailabilityPoint>();
    for (const p of t.availability) {
      const k = key(p.key);
      const seen = availability.get(k);
      availability.set(k, seen ? { key: k, onlineMs: seen.onlineMs + p.onlineMs, spanMs: seen.spanMs + p.spanMs, alarms: seen.alarms + p.alarms, devices: Math.max(seen.devices, p.devices) } : { ...p, key: k });
    }
    return [[...coverage.values()], [...availability.values()]];
  }

  private seriesView(keys: readonly string[], points: readonly SeriesPoint[], availability: readonly AvailabilityPoint[]): CoverageReport['series'] {
    const byKey = new Map(points.map((p) => [p.key, p]));
    const avail = new Map(availability.map((p) => [p.key, p]));
    return keys.map((date) => {
      const p = byKey.get(date);
      const a = avail.get(date);
      return { date, figures: figuresOf(p ?? ZERO, a?.devices ?? 0, a ?? { onlineMs: 0, spanMs: 0, alarms: 0 }) };
    });
  }

  private failuresView(failures: ReadonlyMap<string, number>): CoverageReport['failuresByReason'] {
    return [...failures]
      .filter(([, count]) => count > 0)
      .map(([reason, count]) => ({ reason, label: coverageReasonLabelVi(reason), count }))
      .sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason));
  }
}
