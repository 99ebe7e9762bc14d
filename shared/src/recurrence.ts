/**
 * A focused RFC 5545 recurrence expander, evaluated on the wall clock of an IANA time zone (so 06:30 stays 06:30
 * local across DST changes in zones that have them). Written here rather than taken from `rrule` because the
 * semantics the broadcast domain needs are small and must be exact, and the package's CommonJS/ESM packaging
 * fights NodeNext.
 *
 * Supported: FREQ=DAILY|WEEKLY|MONTHLY|YEARLY, INTERVAL, COUNT, UNTIL, BYDAY (with ordinals such as 1MO or -1FR in
 * MONTHLY/YEARLY), BYMONTHDAY (negative counts from the month end), BYMONTH, BYHOUR, BYMINUTE, WKST.
 * Semantics:
 * - DTSTART gives the time of day (unless BYHOUR/BYMINUTE) and the first period; occurrences are the rule's matches at
 *   or after DTSTART (DTSTART itself only if it matches, as in common calendar software).
 * - Days that do not exist are skipped, not clamped (BYMONTHDAY=31 has no February occurrence; use -1 for month ends).
 * - COUNT counts the rule's matches before exception dates are removed (RFC 5545: EXDATE applies to the set).
 * - EXDATE entries are instants (epoch ms; exact match) or local dates "YYYY-MM-DD" (the whole day in the zone).
 * - Times of day (issue 19): a list of local "HH:MM" replaces DTSTART's time of day, so one schedule plays at 06:00
 *   and 17:00 on every day the rule selects (a one-off: on DTSTART's day). Unlike BYHOUR × BYMINUTE it needs no
 *   shared minute. Each time counts towards COUNT; times before DTSTART on its first day are not occurrences.
 * - RDATE instants (epoch ms) are added to the set (a moved occurrence: its old start an EXDATE, its new one an RDATE);
 *   they are not bound by COUNT or UNTIL, and exception dates still remove them.
 */

export class RecurrenceError extends Error {}

const WEEKDAYS = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'] as const;
const FREQS = ['DAILY', 'WEEKLY', 'MONTHLY', 'YEARLY'] as const;
type Freq = (typeof FREQS)[number];
const DAY_MS = 86_400_000;

export interface ByDay {
  /** 0 = Monday … 6 = Sunday. */
  weekday: number;
  /** Ordinal within the month (1 = first, -1 = last); null = every such weekday. */
  n: number | null;
}

export interface Rule {
  freq: Freq;
  interval: number;
  count: number | null;
  until: number | null;
  byDay: ByDay[] | null;
  byMonthDay: number[] | null;
  byMonth: number[] | null;
  byHour: number[] | null;
  byMinute: number[] | null;
  wkst: number;
}

export interface RecurrenceSpec {
  /** First occurrence (DTSTART), epoch ms. */
  dtstart: number;
  /** RRULE value, with or without the "RRULE:" prefix; null for a one-off. */
  rrule: string | null;
  exdates: ReadonlyArray<number | string>;
  timezone: string;
  /** Local times of day "HH:MM"; empty or absent: DTSTART's (or BYHOUR/BYMINUTE's). */
  times?: readonly string[] | null | undefined;
  /** Extra occurrences (epoch ms). */
  rdates?: readonly number[] | null | undefined;
}

const TIME_OF_DAY = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** "HH:MM" → [hour, minute], sorted and without duplicates; throws RecurrenceError on a malformed entry. */
export function parseTimesOfDay(times: readonly string[]): Array<[number, number]> {
  const out = new Map<number, [number, number]>();
  for (const t of times) {
    const m = TIME_OF_DAY.exec(t);
    if (!m) throw new RecurrenceError(`time of day "${t}" is not HH:MM (00:00 to 23:59)`);
    const hh = Number(m[1]);
    const mm = Number(m[2]);
    out.set(hh * 60 + mm, [hh, mm]);
  }
  return [...out.entries()].sort((a, b) => a[0] - b[0]).map(([, v]) => v);
}

/** Normalised times of day: sorted, unique, "HH:MM". */
export const normaliseTimesOfDay = (times: readonly string[]): string[] =>
  parseTimesOfDay(times).map(([h, m]) => `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`);

// ---- time-zone arithmetic ------------------------------------------------------------------------------------

interface LocalParts {
  y: number;
  m: number; // 1-12
  d: number;
  hh: number;
  mm: number;
  ss: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(zone, f);
  }
  return f;
}

/** Wall-clock parts of an instant in a zone. */
export function localParts(ms: number, zone: string): LocalParts {
  const out: Record<string, number> = {};
  for (const p of formatter(zone).formatToParts(new Date(ms))) if (p.type !== 'literal') out[p.type] = Number(p.value);
  return { y: out.year ?? 0, m: out.month ?? 0, d: out.day ?? 0, hh: (out.hour ?? 0) % 24, mm: out.minute ?? 0, ss: out.second ?? 0 };
}

/** Offset of the zone from UTC at an instant, in ms (Asia/Ho_Chi_Minh: +7 h). */
function offsetAt(ms: number, zone: string): number {
  const p = localParts(ms, zone);
  const wall = Date.UTC(p.y, p.m - 1, p.d, p.hh, p.mm, p.ss);
  return wall - Math.floor(ms / 1000) * 1000;
}

/**
 * The instant at which the zone's wall clock shows this local time. A time skipped by a DST jump moves forward by
 * the jump; an ambiguous one takes the earlier instant.
 */
export function zonedToUtc(y: number, m: number, d: number, hh: number, mm: number, ss: number, zone: string): number {
  const wall = Date.UTC(y, m - 1, d, hh, mm, ss);
  const first = wall - offsetAt(wall, zone);
  const second = wall - offsetAt(first, zone);
  if (first === second) return first;
  // Offsets differ around a transition: prefer the candidate whose wall clock matches; else the later (gap).
  const earlier = Math.min(first, second);
  const later = Math.max(first, second);
  if (earlier + offsetAt(earlier, zone) === wall) return earlier;
  if (later + offsetAt(later, zone) === wall) return later;
  return later;
}

// ---- calendar day numbers (days since 1970-01-01, proleptic Gregorian) -----------------------------------------

const dayNum = (y: number, m: number, d: number): number => Date.UTC(y, m - 1, d) / DAY_MS;
const fromDayNum = (n: number): { y: number; m: number; d: number } => {
  const dt = new Date(n * DAY_MS);
  return { y: dt.getUTCFullYear(), m: dt.getUTCMonth() + 1, d: dt.getUTCDate() };
};
/** 0 = Monday … 6 = Sunday. */
const weekdayOf = (n: number): number => (new Date(n * DAY_MS).getUTCDay() + 6) % 7;
const monthLength = (y: number, m: number): number => new Date(Date.UTC(y, m, 0)).getUTCDate();

// ---- parsing ------------------------------------------------------------------------------------------------

const intList = (name: string, value: string, min: number, max: number, allowNegative = false): number[] => {
  const out = value.split(',').map((v) => {
    if (!/^[+-]?\d{1,4}$/.test(v)) throw new RecurrenceError(`${name}: "${v}" is not an integer`);
    const n = Number(v);
    const ok = allowNegative ? Math.abs(n) >= 1 && Math.abs(n) <= max : n >= min && n <= max;
    if (!ok) throw new RecurrenceError(`${name}: ${v} is out of range`);
    return n;
  });
  return [...new Set(out)].sort((a, b) => a - b);
};

function parseUntil(value: string, zone: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})(Z)?)?$/.exec(value);
  if (!m) throw new RecurrenceError(`UNTIL: "${value}" is not a DATE or DATE-TIME such as 20261231T235959Z`);
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (m[4] === undefined) return zonedToUtc(y, mo, d, 23, 59, 59, zone) + 999; // a date: through that whole local day
  const [hh, mi, ss] = [Number(m[4]), Number(m[5]), Number(m[6])];
  return m[7] ? Date.UTC(y, mo - 1, d, hh, mi, ss) : zonedToUtc(y, mo, d, hh, mi, ss, zone);
}

export function parseRule(text: string, zone: string): Rule {
  const body = text.trim().replace(/^RRULE:/i, '');
  if (body.length === 0) throw new RecurrenceError('rrule is empty');
  const parts = new Map<string, string>();
  for (const piece of body.split(';')) {
    if (piece === '') continue;
    const eq = piece.indexOf('=');
    if (eq <= 0) throw new RecurrenceError(`rrule: "${piece}" is not NAME=VALUE`);
    const name = piece.slice(0, eq).toUpperCase();
    if (parts.has(name)) throw new RecurrenceError(`rrule: ${name} is given twice`);
    parts.set(name, piece.slice(eq + 1).toUpperCase());
  }
  const known = new Set(['FREQ', 'INTERVAL', 'COUNT', 'UNTIL', 'BYDAY', 'BYMONTHDAY', 'BYMONTH', 'BYHOUR', 'BYMINUTE', 'WKST']);
  for (const name of parts.keys()) if (!known.has(name)) throw new RecurrenceError(`rrule: ${name} is not supported (supported: ${[...known].join(', ')})`);
  const freq = parts.get('FREQ');
  if (!freq) throw new RecurrenceError('rrule: FREQ is required');
  if (!(FREQS as readonly string[]).includes(freq)) throw new RecurrenceError(`rrule: FREQ=${freq} is not supported (use ${FREQS.join(', ')})`);
  if (parts.has('COUNT') && parts.has('UNTIL')) throw new RecurrenceError('rrule: COUNT and UNTIL must not both be given');
  const interval = parts.has('INTERVAL') ? intList('INTERVAL', parts.get('INTERVAL')!, 1, 1000) : [1];
  if (interval.length !== 1) throw new RecurrenceError('INTERVAL takes one value');
  const count = parts.has('COUNT') ? intList('COUNT', parts.get('COUNT')!, 1, 10_000) : null;
  if (count && count.length !== 1) throw new RecurrenceError('COUNT takes one value');
  let byDay: ByDay[] | null = null;
  if (parts.has('BYDAY')) {
    byDay = parts
      .get('BYDAY')!
      .split(',')
      .map((v) => {
        const m = /^([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)$/.exec(v);
        if (!m) throw new RecurrenceError(`BYDAY: "${v}" is not a weekday such as MO or 1MO or -1FR`);
        const n = m[1] === undefined ? null : Number(m[1]);
        if (n !== null && (n === 0 || Math.abs(n) > 5)) throw new RecurrenceError(`BYDAY: ordinal in "${v}" must be 1..5 or -1..-5`);
        if (n !== null && freq !== 'MONTHLY' && freq !== 'YEARLY') throw new RecurrenceError(`BYDAY: an ordinal ("${v}") needs FREQ=MONTHLY or YEARLY`);
        return { weekday: WEEKDAYS.indexOf(m[2] as (typeof WEEKDAYS)[number]), n };
      });
  }
  const wkstText = parts.get('WKST') ?? 'MO';
  const wkst = WEEKDAYS.indexOf(wkstText as (typeof WEEKDAYS)[number]);
  if (wkst < 0) throw new RecurrenceError(`WKST: "${wkstText}" is not a weekday`);
  return {
    freq: freq as Freq,
    interval: interval[0]!,
    count: count ? count[0]! : null,
    until: parts.has('UNTIL') ? parseUntil(parts.get('UNTIL')!, zone) : null,
    byDay,
    byMonthDay: parts.has('BYMONTHDAY') ? intList('BYMONTHDAY', parts.get('BYMONTHDAY')!, 1, 31, true) : null,
    byMonth: parts.has('BYMONTH') ? intList('BYMONTH', parts.get('BYMONTH')!, 1, 12) : null,
    byHour: parts.has('BYHOUR') ? intList('BYHOUR', parts.get('BYHOUR')!, 0, 23) : null,
    byMinute: parts.has('BYMINUTE') ? intList('BYMINUTE', parts.get('BYMINUTE')!, 0, 59) : null,
    wkst,
  };
}

// ---- expansion ----------------------------------------------------------------------------------------------

/** Days of one month that a MONTHLY/YEARLY rule selects, sorted. */
function daysInMonth(rule: Rule, y: number, m: number, defaultDay: number): number[] {
  const len = monthLength(y, m);
  let fromMonthDay: number[] | null = null;
  if (rule.byMonthDay) {
    fromMonthDay = rule.byMonthDay.map((md) => (md > 0 ? md : len + md + 1)).filter((d) => d >= 1 && d <= len);
  }
  let fromByDay: number[] | null = null;
  if (rule.byDay) {
    const first = dayNum(y, m, 1);
    const set = new Set<number>();
    for (const bd of rule.byDay) {
      const matches: number[] = [];
      for (let d = 1; d <= len; d++) if (weekdayOf(first + d - 1) === bd.weekday) matches.push(d);
      if (bd.n === null) matches.forEach((d) => set.add(d));
      else {
        const pick = bd.n > 0 ? matches[bd.n - 1] : matches[matches.length + bd.n];
        if (pick !== undefined) set.add(pick);
      }
    }
    fromByDay = [...set];
  }
  let days: number[];
  if (fromMonthDay && fromByDay) days = fromMonthDay.filter((d) => fromByDay.includes(d));
  else days = fromMonthDay ?? fromByDay ?? (defaultDay <= len ? [defaultDay] : []);
  return [...new Set(days)].sort((a, b) => a - b).map((d) => dayNum(y, m, d));
}

function candidateDays(rule: Rule, k: number, start: LocalParts, startDay: number): { periodStart: number; days: number[] } {
  const monthOk = (n: number) => !rule.byMonth || rule.byMonth.includes(fromDayNum(n).m);
  switch (rule.freq) {
    case 'DAILY': {
      const day = startDay + k * rule.interval;
      const { d, m, y } = fromDayNum(day);
      const len = monthLength(y, m);
      const ok =
        monthOk(day) &&
        (!rule.byMonthDay || rule.byMonthDay.some((md) => (md > 0 ? md : len + md + 1) === d)) &&
        (!rule.byDay || rule.byDay.some((b) => b.weekday === weekdayOf(day)));
      return { periodStart: day, days: ok ? [day] : [] };
    }
    case 'WEEKLY': {
      const weekStart = startDay - ((weekdayOf(startDay) - rule.wkst + 7) % 7) + k * 7 * rule.interval;
      const wanted = rule.byDay ? rule.byDay.map((b) => b.weekday) : [weekdayOf(startDay)];
      const days: number[] = [];
      for (let i = 0; i < 7; i++) if (wanted.includes(weekdayOf(weekStart + i)) && monthOk(weekStart + i)) days.push(weekStart + i);
      return { periodStart: weekStart, days };
    }
    case 'MONTHLY': {
      const idx = start.y * 12 + (start.m - 1) + k * rule.interval;
      const y = Math.floor(idx / 12);
      const m = (idx % 12) + 1;
      return { periodStart: dayNum(y, m, 1), days: rule.byMonth && !rule.byMonth.includes(m) ? [] : daysInMonth(rule, y, m, start.d) };
    }
    case 'YEARLY': {
      const y = start.y + k * rule.interval;
      const months = rule.byMonth ?? [start.m];
      return { periodStart: dayNum(y, 1, 1), days: months.flatMap((m) => daysInMonth(rule, y, m, start.d)) };
    }
  }
}

/** Validates a spec without expanding it; throws RecurrenceError with a readable message. */
export function validateSpec(spec: RecurrenceSpec): Rule | null {
  const times = spec.times && spec.times.length > 0 ? parseTimesOfDay(spec.times) : null;
  if (spec.rrule === null) return null;
  const rule = parseRule(spec.rrule, spec.timezone);
  if (times && (rule.byHour || rule.byMinute)) throw new RecurrenceError('times of day and BYHOUR/BYMINUTE must not both be given');
  return rule;
}

const MAX_PERIODS = 200_000;

/**
 * Occurrence starts in [from, to), in order. COUNT and UNTIL are honoured from DTSTART regardless of `from`.
 * `limit` bounds the result.
 */
export function expand(spec: RecurrenceSpec, from: number, to: number, limit = 10_000): number[] {
  const exInstants = new Set<number>();
  const exDays = new Set<string>();
  for (const e of spec.exdates) {
    if (typeof e === 'number') exInstants.add(e);
    else exDays.add(e);
  }
  const excluded = (t: number): boolean => {
    if (exInstants.has(t)) return true;
    if (exDays.size === 0) return false;
    const p = localParts(t, spec.timezone);
    return exDays.has(`${p.y}-${String(p.m).padStart(2, '0')}-${String(p.d).padStart(2, '0')}`);
  };
  const extra = (spec.rdates ?? []).filter((t) => t >= from && t < to && !excluded(t));
  const ruled = expandRule(spec, from, to, limit, excluded);
  if (extra.length === 0) return ruled;
  return [...new Set([...ruled, ...extra])].sort((a, b) => a - b).slice(0, limit);
}

/** The rule's own occurrences (DTSTART, RRULE, times of day) in [from, to), without RDATEs. */
function expandRule(spec: RecurrenceSpec, from: number, to: number, limit: number, excluded: (t: number) => boolean): number[] {
  const start = localParts(spec.dtstart, spec.timezone);
  const explicit = spec.times && spec.times.length > 0 ? parseTimesOfDay(spec.times) : null;
  const at = (day: number, hh: number, mi: number): number => {
    const { y, m, d } = fromDayNum(day);
    return zonedToUtc(y, m, d, hh, mi, start.ss, spec.timezone) + (spec.dtstart % 1000);
  };
  const startDay = dayNum(start.y, start.m, start.d);
  if (spec.rrule === null) {
    if (!explicit) return spec.dtstart >= from && spec.dtstart < to && !excluded(spec.dtstart) ? [spec.dtstart] : [];
    // A one-off with times of day: each of them on DTSTART's day, from DTSTART on.
    return explicit
      .map(([hh, mi]) => at(startDay, hh, mi))
      .filter((t) => t >= spec.dtstart && t >= from && t < to && !excluded(t))
      .slice(0, limit);
  }

  const rule = parseRule(spec.rrule, spec.timezone);
  const times: Array<[number, number]> = [];
  if (explicit) times.push(...explicit);
  else for (const h of rule.byHour ?? [start.hh]) for (const mi of rule.byMinute ?? [start.mm]) times.push([h, mi]);
  const end = rule.until === null ? to : Math.min(to, rule.until + 1);
  const endDay = Math.floor(end / DAY_MS) + 2;

  const out: number[] = [];
  let counted = 0;
  for (let k = 0; k < MAX_PERIODS; k++) {
    const { periodStart, days } = candidateDays(rule, k, start, startDay);
    if (periodStart > endDay) break;
    for (const day of days) {
      for (const [hh, mi] of times) {
        const t = at(day, hh, mi);
        if (t < spec.dtstart) continue;
        if (rule.until !== null && t > rule.until) return out;
        counted++;
        if (rule.count !== null && counted > rule.count) return out;
        if (t >= to) return out;
        if (t >= from && !excluded(t)) {
          out.push(t);
          if (out.length >= limit) return out;
        }
      }
    }
  }
  return out;
}

/** Whether the rule is finished by `at` (COUNT exhausted or UNTIL passed): no occurrence at or after `at`. */
export function lastPossible(spec: RecurrenceSpec): number | null {
  const lastExtra = Math.max(spec.dtstart, ...(spec.rdates ?? []));
  if (spec.rrule === null) {
    const day = spec.times && spec.times.length > 0 ? expand({ ...spec, exdates: [], rdates: [] }, spec.dtstart, Number.MAX_SAFE_INTEGER) : [];
    return Math.max(lastExtra, ...day);
  }
  const rule = parseRule(spec.rrule, spec.timezone);
  if (rule.until !== null) return Math.max(rule.until, lastExtra);
  if (rule.count !== null) {
    const all = expand({ ...spec, exdates: [], rdates: [] }, spec.dtstart, Number.MAX_SAFE_INTEGER, rule.count);
    return Math.max(all[all.length - 1] ?? spec.dtstart, lastExtra);
  }
  return null;
}
