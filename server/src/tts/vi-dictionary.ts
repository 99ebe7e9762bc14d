/**
 * The installation's own pronunciation dictionary (issue 19 item 9), applied to the typed text before every other
 * rule, so an entry wins over the built-in readings ("Zalo" → "da lô", "KCN" → "khu công nghiệp", "QL1A" → anything).
 *
 * Matching:
 * - whole words only: a term never matches inside a longer word or number ("An" matches in "xã An Bình", not in
 *   "Anh"; "5G" not in "15G");
 * - a term written with a capital letter matches exactly that spelling (acronyms: "KCN" but not "kcn");
 *   a term written all in lower case matches whatever its case ("zalo" matches "Zalo" and "ZALO");
 * - the longest term wins where two overlap.
 * The spoken form is put in lower case, so the later rules never spell it out as an acronym.
 *
 * Pure, no I/O.
 */
export interface PronunciationEntry {
  readonly term: string;
  readonly spoken: string;
}

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const hasCapital = (s: string): boolean => s !== s.toLocaleLowerCase('vi');

interface Compiled {
  re: RegExp;
  exact: Map<string, string>;
  folded: Map<string, string>;
}

const cache = new WeakMap<readonly PronunciationEntry[], Compiled | null>();

function compile(entries: readonly PronunciationEntry[]): Compiled | null {
  const exact = new Map<string, string>();
  const folded = new Map<string, string>();
  for (const e of entries) {
    const term = e.term.normalize('NFC').trim();
    if (term === '') continue;
    const spoken = ` ${e.spoken.normalize('NFC').trim().toLocaleLowerCase('vi')} `;
    if (hasCapital(term)) exact.set(term, spoken);
    else folded.set(term, spoken);
  }
  const terms = [...new Set([...exact.keys(), ...folded.keys()])].sort((a, b) => b.length - a.length);
  if (terms.length === 0) return null;
  // Case-insensitive search; the callback then applies the case rule.
  const re = new RegExp(`(?<![\\p{L}\\p{N}_])(?:${terms.map(escapeRe).join('|')})(?![\\p{L}\\p{N}_])`, 'giu');
  return { re, exact, folded };
}

export function applyPronunciations(text: string, entries: readonly PronunciationEntry[] | undefined): string {
  if (!entries || entries.length === 0) return text;
  let c = cache.get(entries);
  if (c === undefined) {
    c = compile(entries);
    cache.set(entries, c);
  }
  if (!c) return text;
  const { exact, folded } = c;
  return text.normalize('NFC').replace(c.re, (m) => exact.get(m) ?? folded.get(m.toLocaleLowerCase('vi')) ?? m);
}
