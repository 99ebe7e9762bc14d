import { areaCodeSchema } from '@loa/shared';
import { detectSeparator, parseCsvRecords } from '../common/csv.js';
import { areaPath } from './area.entity.js';
import { AREA_LEVELS, levelProblem, type AreaLevel } from './area-levels.js';

/** One problem of an import file: the line it is on (1 = header) and the code of that row when it has one. */
export interface ImportError {
  line: number;
  code: string | null;
  message: string;
}

export interface AreaRow {
  line: number;
  code: string;
  name: string;
  level: AreaLevel;
  parentCode: string | null;
}

/** An area as stored (only what the import needs). */
export interface ExistingArea {
  code: string;
  name: string;
  level: string;
  parentCode: string | null;
  path: string;
}

export interface AreaWrite {
  code: string;
  name: string;
  level: string;
  parentCode: string | null;
  path: string;
}

export interface ImportPlan {
  /** New areas, parents before children. */
  creates: AreaWrite[];
  /** Changed areas: renamed, re-levelled, moved, or with a rewritten path because an ancestor moved. */
  updates: AreaWrite[];
  created: string[];
  updated: string[];
  unchanged: string[];
  moved: string[];
}

/** Header names, English or Vietnamese (with or without diacritics), all mapped to the canonical column. */
const COLUMN_ALIASES: Record<string, keyof Omit<AreaRow, 'line'>> = {
  code: 'code',
  ma: 'code',
  name: 'name',
  ten: 'name',
  level: 'level',
  cap: 'level',
  parentcode: 'parentCode',
  parent_code: 'parentCode',
  ma_cha: 'parentCode',
  macha: 'parentCode',
};

/** Vietnamese unit kinds as officials write them, reduced to the levels of the tree. */
const LEVEL_ALIASES: Record<string, AreaLevel> = {
  ...Object.fromEntries(AREA_LEVELS.map((l) => [l, l])),
  'quoc gia': 'country',
  tinh: 'province',
  'thanh pho truc thuoc trung uong': 'province',
  huyen: 'district',
  quan: 'district',
  'thi xa': 'district',
  xa: 'commune',
  phuong: 'commune',
  'thi tran': 'commune',
  'dac khu': 'commune',
  thon: 'village',
  ap: 'village',
  ban: 'village',
  'to dan pho': 'village',
};

/** "Tỉnh", "Thị trấn", "MÃ_CHA" → "tinh", "thi tran", "ma_cha": case, diacritics and đ folded. */
const fold = (s: string): string =>
  s
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .replace(/[đĐ]/g, 'd')
    .toLowerCase()
    .trim()
    .replace(/\s+/g, ' ');

/**
 * Parses and checks every row on its own (format, level, duplicates); what needs the tree comes in planAreaImport.
 * `ok: false` is a file that cannot be read at all (header, quoting); otherwise `rows` are the good rows and
 * `errors` the bad ones, so that the tree checks can still run on the rest and one answer names every bad line.
 */
export function parseAreasCsv(text: string): { ok: true; rows: AreaRow[]; errors: ImportError[] } | { ok: false; errors: ImportError[] } {
  let records;
  try {
    records = parseCsvRecords(text, detectSeparator(text));
  } catch (err) {
    const m = /^line (\d+): (.*)$/.exec((err as Error).message);
    return { ok: false, errors: [{ line: m ? Number(m[1]) : 1, code: null, message: m?.[2] ?? (err as Error).message }] };
  }
  const [header, ...body] = records;
  if (!header) return { ok: false, errors: [{ line: 1, code: null, message: 'the file is empty: expected a header code,name,level,parentCode (or ma,ten,cap,ma_cha)' }] };
  const cols = header.cells.map((h) => COLUMN_ALIASES[fold(h).replace(/ /g, '_')] ?? null);
  const unknown = header.cells.filter((_, i) => cols[i] === null).map((h) => h.trim());
  const missing = (['code', 'name', 'level'] as const).filter((c) => !cols.includes(c));
  const dup = cols.filter((c, i) => c !== null && cols.indexOf(c) !== i);
  if (unknown.length > 0 || missing.length > 0 || dup.length > 0) {
    const parts = [
      ...(missing.length > 0 ? [`missing column(s) ${missing.join(', ')}`] : []),
      ...(unknown.length > 0 ? [`unknown column(s) ${unknown.join(', ')}`] : []),
      ...(dup.length > 0 ? [`column(s) given twice: ${[...new Set(dup)].join(', ')}`] : []),
    ];
    return { ok: false, errors: [{ line: header.line, code: null, message: `header: ${parts.join('; ')} (expected code,name,level,parentCode or ma,ten,cap,ma_cha)` }] };
  }
  if (body.length === 0) return { ok: false, errors: [{ line: header.line, code: null, message: 'no area rows after the header' }] };

  const rows: AreaRow[] = [];
  const errors: ImportError[] = [];
  const firstLine = new Map<string, number>();
  for (const rec of body) {
    const get = (c: keyof Omit<AreaRow, 'line'>) => (rec.cells[cols.indexOf(c)] ?? '').trim();
    const code = get('code');
    const name = get('name');
    const levelText = get('level');
    const parentCode = get('parentCode');
    const problems: string[] = [];
    if (!areaCodeSchema.safeParse(code).success) problems.push(code === '' ? 'the code is empty' : `invalid code "${code}" (1-32 letters, digits, "-" or "_")`);
    if (name === '') problems.push('the name is empty');
    else if (name.length > 200) problems.push('the name is longer than 200 characters');
    const level = LEVEL_ALIASES[fold(levelText)];
    if (level === undefined) problems.push(`unknown level "${levelText}" (one of ${AREA_LEVELS.join(', ')})`);
    if (parentCode !== '' && !areaCodeSchema.safeParse(parentCode).success) problems.push(`invalid parent code "${parentCode}"`);
    if (parentCode !== '' && parentCode === code) problems.push('an area cannot be its own parent');
    const seen = firstLine.get(code);
    if (code !== '' && seen !== undefined) problems.push(`duplicate code: also on line ${seen}`);
    else if (code !== '') firstLine.set(code, rec.line);
    if (problems.length > 0) errors.push({ line: rec.line, code: code || null, message: problems.join('; ') });
    else rows.push({ line: rec.line, code, name, level: level!, parentCode: parentCode === '' ? null : parentCode });
  }
  return { ok: true, rows, errors };
}

/**
 * Checks the rows against the stored tree and works out what to write: every parent must exist (in the database or
 * in the file) and fit the level, no cycle may form, and a row that moves an existing area to another parent needs
 * `allowMove`. Paths are recomputed for the whole resulting tree, so the subtree of a moved area follows it.
 */
export function planAreaImport(
  rows: readonly AreaRow[],
  existing: readonly ExistingArea[],
  /** Codes of the rows parseAreasCsv refused, with their line: rows under them are named, not judged. */
  opts: { allowMove: boolean; badRows?: ReadonlyMap<string, number> },
): { ok: true; plan: ImportPlan } | { ok: false; errors: ImportError[] } {
  const stored = new Map(existing.map((a) => [a.code, a]));
  const byCode = new Map(rows.map((r) => [r.code, r]));
  // The tree as it will be: the database overlaid with the file.
  const parentOf = new Map<string, string | null>(existing.map((a) => [a.code, a.parentCode]));
  const levelOf = new Map<string, string>(existing.map((a) => [a.code, a.level]));
  for (const r of rows) {
    parentOf.set(r.code, r.parentCode);
    levelOf.set(r.code, r.level);
  }
  const errors: ImportError[] = [];
  const fail = (r: AreaRow, message: string) => errors.push({ line: r.line, code: r.code, message });

  for (const r of rows) {
    const old = stored.get(r.code);
    const badParentLine = r.parentCode === null || parentOf.has(r.parentCode) ? undefined : opts.badRows?.get(r.parentCode);
    if (badParentLine !== undefined) {
      // Its level cannot be judged against a row that is itself bad; saying so keeps the answer to one round.
      fail(r, `parent row ${badParentLine} is invalid`);
      continue;
    }
    if (r.parentCode !== null && !parentOf.has(r.parentCode)) {
      fail(r, `unknown parent ${r.parentCode}: neither in the database nor in the file`);
      continue;
    }
    const misfit = levelProblem(r.level, r.parentCode === null ? null : { code: r.parentCode, level: levelOf.get(r.parentCode)! });
    if (misfit !== null) {
      fail(r, misfit);
      continue;
    }
    if (old && old.parentCode !== r.parentCode && !opts.allowMove) {
      fail(r, `area ${r.code} is under ${old.parentCode ?? 'no parent'} in the database; moving it to ${r.parentCode ?? 'the top'} needs ?allowMove=true`);
      continue;
    }
    if (old && old.level !== r.level) {
      // Stored children that the file does not also move must still fit the new level.
      const misfits = existing.filter((c) => c.parentCode === r.code && parentOf.get(c.code) === r.code && !byCode.has(c.code) && levelProblem(c.level, { code: r.code, level: r.level }) !== null);
      if (misfits.length > 0) fail(r, `cannot become a ${r.level}: its ${misfits.map((c) => `${c.level} ${c.code}`).join(', ')} would no longer fit`);
    }
  }
  for (const r of rows) {
    const cycle = cycleThrough(r.code, parentOf);
    if (cycle) fail(r, `cycle: ${cycle.join(' → ')}`);
  }
  if (errors.length > 0) return { ok: false, errors: dedupe(errors) };

  // Paths of the whole resulting tree, computed once per code from the root down.
  const paths = new Map<string, string>();
  const pathOf = (code: string): string => {
    const known = paths.get(code);
    if (known !== undefined) return known;
    const parent = parentOf.get(code) ?? null;
    const p = areaPath(parent === null ? null : pathOf(parent), code);
    paths.set(code, p);
    return p;
  };
  const plan: ImportPlan = { creates: [], updates: [], created: [], updated: [], unchanged: [], moved: [] };
  const depth = (code: string) => pathOf(code).split('/').length;
  for (const r of [...rows].sort((a, b) => depth(a.code) - depth(b.code) || a.line - b.line)) {
    const write: AreaWrite = { code: r.code, name: r.name, level: r.level, parentCode: r.parentCode, path: pathOf(r.code) };
    const old = stored.get(r.code);
    if (!old) {
      plan.creates.push(write);
      plan.created.push(r.code);
    } else if (old.parentCode !== r.parentCode) {
      plan.updates.push(write);
      plan.moved.push(r.code);
    } else if (old.name !== r.name || old.level !== r.level || old.path !== write.path) {
      plan.updates.push(write);
      plan.updated.push(r.code);
    } else plan.unchanged.push(r.code);
  }
  // Descendants not named in the file, whose path changes because an ancestor moved.
  for (const a of existing) {
    if (byCode.has(a.code)) continue;
    const p = pathOf(a.code);
    if (p !== a.path) plan.updates.push({ code: a.code, name: a.name, level: a.level, parentCode: a.parentCode, path: p });
  }
  return { ok: true, plan };
}

/** The codes of the loop `code` sits on, if following parents from it comes back to it. */
function cycleThrough(code: string, parentOf: ReadonlyMap<string, string | null>): string[] | null {
  const seen: string[] = [code];
  let at = parentOf.get(code) ?? null;
  while (at !== null) {
    if (at === code) return [...seen, code];
    if (seen.includes(at)) return null; // a loop further up, reported on its own rows
    seen.push(at);
    at = parentOf.get(at) ?? null;
  }
  return null;
}

/** One entry per line, problems of the same row joined. */
function dedupe(errors: ImportError[]): ImportError[] {
  const byLine = new Map<number, ImportError>();
  for (const e of errors) {
    const prev = byLine.get(e.line);
    byLine.set(e.line, prev ? { ...prev, message: `${prev.message}; ${e.message}` } : e);
  }
  return [...byLine.values()].sort((a, b) => a.line - b.line);
}
