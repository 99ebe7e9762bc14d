import { localParts, zonedToUtc } from '@loa/shared';
import { dayNumber, isoOfDay, isoWeekday, vnHolidays } from './vn-holidays.js';

/** What the working-time clock counts with (the `workingHours` and `holidays` of the feedback settings, and a zone). */
export interface WorkingTimeRules {
  /** ISO weekdays worked: 1 = Monday … 7 = Sunday. */
  days: readonly number[];
  /** Periods of a working day, "HH:MM" wall-clock time in `zone`. */
  periods: ReadonlyArray<readonly [string, string]>;
  /** The statutory Vietnamese holidays (with their compensation days) count as days off. */
  builtIn: boolean;
  /** Extra days off (ISO dates). */
  extra: readonly string[];
  /** Days worked that would otherwise be off (a make-up Saturday, a holiday moved by the Government). Wins over all. */
  workdays: readonly string[];
  zone: string;
}

const DAY_MS = 86_400_000;
/**
 * How far the clock looks ahead or back before giving up: limits are up to a year of hours (`answerHours` ≤ 8760),
 * which at 7.5 working hours a day is ~4.6 years of calendar. Past this the remainder is counted as calendar time
 * (only reached with settings no office has, e.g. one working minute a week).
 */
const MAX_DAYS = 6 * 366;

/** Minutes since midnight of "HH:MM". */
const minutesOf = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/**
 * Working periods that are usable: each end after its start, sorted and merged where they overlap. The settings
 * schema lets any two times through; validation of the settings (feedback-settings.service) refuses bad ones, and
 * this stays defensive for documents stored before.
 */
export function normalizePeriods(periods: ReadonlyArray<readonly [string, string]>): Array<[number, number]> {
  const list = periods.map(([a, b]) => [minutesOf(a), minutesOf(b)] as [number, number]).filter(([a, b]) => b > a);
  list.sort((x, y) => x[0] - y[0]);
  const out: Array<[number, number]> = [];
  for (const p of list) {
    const last = out[out.length - 1];
    if (last && p[0] <= last[1]) last[1] = Math.max(last[1], p[1]);
    else out.push([p[0], p[1]]);
  }
  return out;
}

/**
 * The working-time clock: which days are worked, and working time between instants, on the server's zone. Built once
 * per settings document; each day's working intervals (UTC instants) are computed on first use and kept, so a list
 * view computing hundreds of deadlines reads maps.
 */
export class WorkingCalendar {
  private readonly weekdays: Set<number>;
  private readonly periods: Array<[number, number]>;
  private readonly extra: Set<number>;
  private readonly workdays: Set<number>;
  private readonly holidaysByYear = new Map<number, Map<number, string>>();
  private readonly intervals = new Map<number, ReadonlyArray<readonly [number, number]>>();
  private readonly midnights = new Map<number, number>();
  /** Zone offset (ms) last seen by localDay. */
  private offsetGuess = 0;

  constructor(private readonly rules: WorkingTimeRules) {
    this.weekdays = new Set(rules.days);
    this.periods = normalizePeriods(rules.periods);
    this.extra = new Set(rules.extra.map(dayNumber));
    this.workdays = new Set(rules.workdays.map(dayNumber));
  }

  /** The holiday (or extra day off) on a date, by its Vietnamese name; null on other days. */
  holidayName(date: string): string | null {
    return this.holidayOf(dayNumber(date));
  }

  /** Whether the date (YYYY-MM-DD, local) is a working day: a make-up workday, or a weekly working day that is no holiday. */
  isWorkingDay(date: string): boolean {
    return this.isWorking(dayNumber(date));
  }

  /** Each date from `from` to `to` (inclusive, ISO dates), worked or not, with its holiday name. */
  days(from: string, to: string): Array<{ date: string; working: boolean; holiday: string | null }> {
    const out: Array<{ date: string; working: boolean; holiday: string | null }> = [];
    for (let n = dayNumber(from), end = dayNumber(to); n <= end; n++) out.push({ date: isoOfDay(n), working: this.isWorking(n), holiday: this.holidayOf(n) });
    return out;
  }

  /**
   * The instant at which `ms` of working time has elapsed from `start`. A start outside working time starts the
   * clock at the next working period; a deadline landing exactly at a period's end stays there (it is not pushed to
   * the next period's start).
   */
  addWorkingMs(start: number, ms: number): number {
    if (ms <= 0) return start;
    let left = ms;
    const first = this.localDay(start);
    for (let n = first; n < first + MAX_DAYS; n++) {
      for (const [a, b] of this.intervalsOf(n)) {
        if (b <= start) continue;
        const from = Math.max(a, start);
        if (from + left <= b) return from + left;
        left -= b - from;
      }
    }
    return start + ms; // unreachable with any real settings: see MAX_DAYS
  }

  /** Working milliseconds in [from, to) (0 when `to` is not after `from`). */
  workingMsBetween(from: number, to: number): number {
    if (to <= from) return 0;
    let total = 0;
    const last = Math.min(this.localDay(to), this.localDay(from) + MAX_DAYS);
    for (let n = this.localDay(from); n <= last; n++) {
      for (const [a, b] of this.intervalsOf(n)) {
        const lo = Math.max(a, from);
        const hi = Math.min(b, to);
        if (hi > lo) total += hi - lo;
      }
    }
    return total;
  }

  /**
   * The local calendar day (day number) an instant falls on, in the zone: guessed from the last offset seen, then
   * checked against the cached local midnights (Intl formatting costs microseconds; list views call this a lot).
   */
  private localDay(ms: number): number {
    let n = Math.floor((ms + this.offsetGuess) / DAY_MS);
    for (let i = 0; i < 3; i++) {
      if (ms < this.midnight(n)) n--;
      else if (ms >= this.midnight(n + 1)) n++;
      else return n;
    }
    const p = localParts(ms, this.rules.zone);
    n = Date.UTC(p.y, p.m - 1, p.d) / DAY_MS;
    this.offsetGuess = n * DAY_MS - this.midnight(n);
    return n;
  }

  /** The instant a local day starts (cached). */
  private midnight(n: number): number {
    let m = this.midnights.get(n);
    if (m === undefined) {
      const d = new Date(n * DAY_MS);
      m = zonedToUtc(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), 0, 0, 0, this.rules.zone);
      this.midnights.set(n, m);
    }
    return m;
  }

  private isWorking(n: number): boolean {
    if (this.workdays.has(n)) return true;
    if (!this.weekdays.has(isoWeekday(n))) return false;
    return this.holidayOf(n) === null;
  }

  private holidayOf(n: number): string | null {
    if (this.rules.builtIn) {
      const y = new Date(n * DAY_MS).getUTCFullYear();
      const name = this.holidaysOfYear(y).get(n) ?? this.holidaysOfYear(y - 1).get(n);
      if (name !== undefined) return name;
    }
    return this.extra.has(n) ? 'Ngày nghỉ bổ sung (theo quyết định)' : null;
  }

  /** The statutory holidays of a year with their compensation days (which may spill into the next January). */
  private holidaysOfYear(y: number): Map<number, string> {
    let m = this.holidaysByYear.get(y);
    if (!m) {
      m = new Map(vnHolidays(y, this.rules.days).map((h) => [dayNumber(h.date), h.name]));
      this.holidaysByYear.set(y, m);
    }
    return m;
  }

  /** A day's working intervals as UTC instants (none on a day off). */
  private intervalsOf(n: number): ReadonlyArray<readonly [number, number]> {
    let list = this.intervals.get(n);
    if (!list) {
      if (!this.isWorking(n)) list = [];
      else if (this.midnight(n + 1) - this.midnight(n) === DAY_MS) {
        // No clock change that day (every day, on Vietnam's zone): wall-clock minutes after midnight.
        const start = this.midnight(n);
        list = this.periods.map(([a, b]) => [start + a * 60_000, start + b * 60_000] as const);
      } else {
        const d = new Date(n * DAY_MS);
        const [y, m, day] = [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate()];
        const at = (min: number): number => zonedToUtc(y, m, day, Math.floor(min / 60), min % 60, 0, this.rules.zone);
        list = this.periods.map(([a, b]) => [at(a), at(b)] as const);
      }
      this.intervals.set(n, list);
    }
    return list;
  }
}
