import type { CoverageFigures, CoverageRow } from '@loa/shared/rest';
import { parseHash } from '../src/router.js';
import { coverageQuery, lastMonth, pct, periodQuery, routeQuery, selectionOf, sortRows } from '../src/pages/reports-common.js';

const fig = (due: number, played: number): CoverageFigures => ({
  due,
  played,
  coverage: due === 0 ? null : played / due,
  onTime: played,
  onTimeRate: null,
  airedSeconds: 0,
  failed: due - played,
  devices: 1,
  availability: null,
  alarms: 0,
});
const row = (key: string, due: number, played: number): CoverageRow => ({ kind: 'area', key, name: key, level: 'commune', figures: fig(due, played) });

describe('Reports page: selection, queries and order (issue 16)', () => {
  it('opens on last month on Vietnam’s calendar', () => {
    // 31/12/2026 20:00Z is already 1 January 2027 in Vietnam: last month is December.
    expect(lastMonth(Date.parse('2026-12-31T20:00:00Z'))).toBe('2026-12');
    expect(lastMonth(Date.parse('2027-01-15T03:00:00Z'))).toBe('2026-12');
    expect(lastMonth(Date.parse('2026-11-05T03:00:00Z'))).toBe('2026-10');
  });

  it('keeps the period in the URL and asks the API for the same period', () => {
    const q = selectionOf(parseHash('#/reports?period=quarter&quarter=2026-Q4&areaCode=271&essential=1'));
    expect(periodQuery(q)).toEqual({ quarter: '2026-Q4' });
    expect(coverageQuery(q)).toEqual({ quarter: '2026-Q4', areaCode: '271', category: 'essential' });
    expect(selectionOf(parseHash(`#/reports?${new URLSearchParams(Object.entries(routeQuery(q)).filter((e): e is [string, string] => e[1] !== undefined)).toString()}`))).toEqual(q);
    expect(periodQuery(selectionOf(parseHash('#/reports?month=2026-11')))).toEqual({ month: '2026-11' });
    expect(periodQuery(selectionOf(parseHash('#/reports?period=year&year=2026')))).toEqual({ year: '2026' });
    expect(periodQuery(selectionOf(parseHash('#/reports?period=range&from=2026-11-01&to=2026-11-15')))).toEqual({ from: '2026-11-01', to: '2026-11-15' });
    // A custom range defaults to the month shown, first to last day.
    const r = selectionOf(parseHash('#/reports?month=2026-02'));
    expect([r.from, r.to]).toEqual(['2026-02-01', '2026-02-28']);
  });

  it('sorts the worst first, nothing-due last, and flips on request', () => {
    const rows = [row('full', 4, 4), row('none', 0, 0), row('half', 8, 4), row('most', 4, 3)];
    expect(sortRows(rows, 'coverage', true).map((r) => r.key)).toEqual(['half', 'most', 'full', 'none']);
    expect(sortRows(rows, 'coverage', false).map((r) => r.key)).toEqual(['full', 'most', 'half', 'none']);
    expect(sortRows(rows, 'failed', false).map((r) => r.key)).toEqual(['half', 'most', 'full', 'none']);
  });

  it('never rounds a share up to a figure not reached', () => {
    expect(pct(0.99996)).toBe('99,9 %');
    expect(pct(0.6875)).toBe('68,7 %');
    expect(pct(1)).toBe('100,0 %');
    expect(pct(null)).toBe('—');
  });
});
