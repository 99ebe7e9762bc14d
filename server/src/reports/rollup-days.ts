import { zonedToUtc } from '@loa/shared';
import { localDate } from '../common/export-format.js';

/** Local calendar days (yyyy-mm-dd) and months (yyyy-mm) on LOA_TIMEZONE, the keys of the coverage rollups. */

export const dayOf = (ms: number, zone: string): string => localDate(ms, zone);

const parts = (day: string): [number, number, number] => {
  const [y, m, d] = day.split('-').map(Number);
  return [y ?? 0, m ?? 1, d ?? 1];
};

/** The day after (calendar arithmetic, no zone involved). */
export function nextDay(day: string): string {
  const [y, m, d] = parts(day);
  return new Date(Date.UTC(y, m - 1, d + 1)).toISOString().slice(0, 10);
}

/** The local day as instants [from, to): its midnight and the next one on the zone. */
export function dayBounds(day: string, zone: string): { from: number; to: number } {
  const [y, m, d] = parts(day);
  const [ny, nm, nd] = parts(nextDay(day));
  return { from: zonedToUtc(y, m, d, 0, 0, 0, zone), to: zonedToUtc(ny, nm, nd, 0, 0, 0, zone) };
}

export const monthOfDay = (day: string): string => day.slice(0, 7);

/** The month after yyyy-mm. */
export function nextMonth(month: string): string {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`;
}

/** Every day from `first` to `last`, both included. */
export function daysBetween(first: string, last: string): string[] {
  const out: string[] = [];
  for (let d = first; d <= last; d = nextDay(d)) out.push(d);
  return out;
}
