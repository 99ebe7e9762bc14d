import { zonedToUtc } from '@loa/shared';

/** A report's period as instants, [from, to), and how a file name says it ("2026-11", "2026-11-01_2026-11-15"). */
export interface ReportPeriod {
  from: number;
  to: number;
  label: string;
}

/** Why a period the schema let through names no period (an impossible date, `to` before `from`); null when fine. */
export type PeriodResult = { ok: true; period: ReportPeriod } | { ok: false; reason: string };

const ymd = (text: string): [number, number, number] => {
  const [y, m, d] = text.split('-').map(Number);
  return [y ?? 0, m ?? 1, d ?? 1];
};

/** Does y-m-d exist on the calendar (no 2026-02-30)? */
const exists = (y: number, m: number, d: number): boolean => {
  const t = new Date(Date.UTC(y, m - 1, d));
  return t.getUTCFullYear() === y && t.getUTCMonth() === m - 1 && t.getUTCDate() === d;
};

/** Local midnight of the day after y-m-d, on the zone. */
const nextMidnight = (y: number, m: number, d: number, zone: string): number => {
  const t = new Date(Date.UTC(y, m - 1, d + 1));
  return zonedToUtc(t.getUTCFullYear(), t.getUTCMonth() + 1, t.getUTCDate(), 0, 0, 0, zone);
};

/**
 * The calendar period of a report query (reportPeriodQuerySchema has checked the shapes) on `zone`: a month from its
 * first local midnight to the next month's; from/to from the first day's local midnight to the midnight after the
 * last day (`to` is inclusive, as people say "1 to 30 November").
 */
export function resolvePeriod(q: { month?: string | undefined; quarter?: string | undefined; year?: string | undefined; from?: string | undefined; to?: string | undefined }, zone: string): PeriodResult {
  // A quarter or a year: from its first month's first local midnight to the first of the month after its last.
  const months = (y: number, first: number, count: number, label: string): PeriodResult => {
    if (y < 2000 || y > 2999) return { ok: false, reason: `${label} is not in 2000-2999` };
    const end = first + count; // 1-based month after the last, may be 13
    return { ok: true, period: { from: zonedToUtc(y, first, 1, 0, 0, 0, zone), to: zonedToUtc(end > 12 ? y + 1 : y, end > 12 ? end - 12 : end, 1, 0, 0, 0, zone), label } };
  };
  if (q.quarter !== undefined) {
    const [y, n] = [Number(q.quarter.slice(0, 4)), Number(q.quarter.slice(6))];
    if (!(n >= 1 && n <= 4)) return { ok: false, reason: `quarter ${q.quarter} is not a quarter (yyyy-Qn, n 1-4)` };
    return months(y, 3 * (n - 1) + 1, 3, q.quarter);
  }
  if (q.year !== undefined) return months(Number(q.year), 1, 12, q.year);
  if (q.month !== undefined) {
    const [y, m] = ymd(q.month);
    if (m < 1 || m > 12 || y < 2000 || y > 2999) return { ok: false, reason: `month ${q.month} is not a month (yyyy-mm, 2000-2999)` };
    return { ok: true, period: { from: zonedToUtc(y, m, 1, 0, 0, 0, zone), to: zonedToUtc(m === 12 ? y + 1 : y, m === 12 ? 1 : m + 1, 1, 0, 0, 0, zone), label: q.month } };
  }
  if (q.from === undefined || q.to === undefined) return { ok: false, reason: 'give a period: month=yyyy-mm, quarter=yyyy-Qn, year=yyyy, or from and to (yyyy-mm-dd)' };
  const f = ymd(q.from);
  const t = ymd(q.to);
  if (!exists(...f) || f[0] < 2000) return { ok: false, reason: `from ${q.from} is not a date` };
  if (!exists(...t) || t[0] > 2999) return { ok: false, reason: `to ${q.to} is not a date` };
  if (q.to < q.from) return { ok: false, reason: `to ${q.to} is before from ${q.from}` };
  return { ok: true, period: { from: zonedToUtc(f[0], f[1], f[2], 0, 0, 0, zone), to: nextMidnight(t[0], t[1], t[2], zone), label: q.from === q.to ? q.from : `${q.from}_${q.to}` } };
}
