/**
 * Pure pieces of a schedule's results by area (issue 19): which level the rows are grouped at, the smallest area
 * holding every delivery, and the tally and order of the rows. No database here: unit tested in node.
 */
import { AREA_LEVELS, RESULT_FAILED_STATES, RESULT_PLAYED_STATES, type AreaLevel, type AreaResult } from '@loa/shared/rest';

/** What the grouping query gives: deliveries of one row area in one state. */
export interface GroupCount {
  code: string;
  name: string;
  level: AreaLevel;
  state: string;
  n: number;
  /** Of `n`, how many sit in areas strictly below the row's area (it can be opened one level down). */
  deeper: number;
  /** The row is a device's own area above the grouping level (no area of that level holds it). */
  own: boolean;
}

const rank = (l: AreaLevel): number => AREA_LEVELS.indexOf(l);

/**
 * The level rows are grouped at: the one asked for, else communes (what a district or province operator reads a
 * bulletin by), else — inside a commune or lower — the level just below the area (villages).
 */
export function groupLevel(areaLevel: AreaLevel, asked: AreaLevel | undefined): AreaLevel {
  if (asked) return asked;
  if (rank(areaLevel) < rank('commune')) return 'commune';
  return AREA_LEVELS[Math.min(rank(areaLevel) + 1, AREA_LEVELS.length - 1)]!;
}

/** A grouping level above the area itself cannot hold its devices apart. */
export const levelAboveArea = (areaLevel: AreaLevel, level: AreaLevel): boolean => rank(level) < rank(areaLevel);

/** "/01/004/00115/" and "/01/004/00120/" → "/01/004/": the deepest area holding all of these paths (null: none). */
export function commonPath(paths: readonly string[]): string | null {
  if (paths.length === 0) return null;
  let common = paths[0]!.split('/').filter(Boolean);
  for (const p of paths.slice(1)) {
    const parts = p.split('/').filter(Boolean);
    let i = 0;
    while (i < common.length && i < parts.length && common[i] === parts[i]) i++;
    common = common.slice(0, i);
  }
  return common.length === 0 ? null : `/${common.join('/')}/`;
}

export const pct = (n: number, of: number): number => (of > 0 ? Math.floor((Math.min(n, of) / of) * 100) : 0);

const PLAYED: ReadonlySet<string> = new Set(RESULT_PLAYED_STATES);
const FAILED: ReadonlySet<string> = new Set(RESULT_FAILED_STATES);

export interface Tally {
  total: number;
  delivered: number;
  played: number;
  failed: number;
  pct: number;
  byState: Record<string, number>;
}

export function tally(counts: ReadonlyArray<Pick<GroupCount, 'state' | 'n'>>): Tally {
  const t: Tally = { total: 0, delivered: 0, played: 0, failed: 0, pct: 0, byState: {} };
  for (const c of counts) {
    t.total += c.n;
    t.byState[c.state] = (t.byState[c.state] ?? 0) + c.n;
    if (c.state !== 'queued') t.delivered += c.n;
    if (PLAYED.has(c.state)) t.played += c.n;
    if (FAILED.has(c.state)) t.failed += c.n;
  }
  t.pct = pct(t.played, t.total);
  return t;
}

/**
 * The rows from the grouped counts: failures first (most first), then the least played share, then by name — so
 * whoever looks for trouble in a province-wide bulletin finds it at the top.
 */
export function areaRows(counts: readonly GroupCount[]): AreaResult[] {
  const by = new Map<string, GroupCount[]>();
  for (const c of counts) {
    const list = by.get(c.code);
    if (list) list.push(c);
    else by.set(c.code, [c]);
  }
  const rows: AreaResult[] = [...by.values()].map((cs) => {
    const first = cs[0]!;
    return { areaCode: first.code, name: first.name, level: first.level, ...tally(cs), drillable: cs.some((c) => c.deeper > 0), own: first.own };
  });
  return rows.sort(compareRows);
}

export function compareRows(a: AreaResult, b: AreaResult): number {
  const share = (r: AreaResult) => (r.total > 0 ? r.played / r.total : 1);
  return b.failed - a.failed || share(a) - share(b) || a.name.localeCompare(b.name, 'vi') || a.areaCode.localeCompare(b.areaCode);
}
