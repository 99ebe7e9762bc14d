/**
 * Text as the device list searches and sorts it, computed once when a device is written (and by the migration that
 * added the columns), so SQLite and PostgreSQL compare plain lower-case ASCII the same way: SQLite's LOWER and LIKE
 * know no letter beyond ASCII, and an operator on a phone types "cho dong" for "Chợ Đông".
 */

/** Lower case without diacritics: "Cụm loa Chợ Đông" → "cum loa cho dong". */
export const foldText = (s: string): string =>
  s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[đĐ]/g, 'd')
    .toLowerCase();

/** Longest stored sort key; the column is varchar(200). */
const NAME_KEY_MAX = 200;

/**
 * The `name` sort key: folded, spaces collapsed, every run of digits padded to 10, so "Loa 2" sorts before "Loa 10"
 * as the dashboard's numeric collator did.
 */
export const nameSortKey = (name: string): string =>
  foldText(name)
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/\d+/g, (d) => d.padStart(10, '0'))
    .slice(0, NAME_KEY_MAX);

/** One line per field (id, name, each tag), so a search word never matches across two fields. */
export const deviceSearchText = (id: string, name: string, tags: readonly string[]): string => [id, name, ...tags].map(foldText).join('\n');

/** The words of a query, folded; every one must occur. Bounded, so a pasted paragraph is not a 100-clause query. */
export const searchTerms = (q: string): string[] => [...new Set(foldText(q).split(/\s+/).filter(Boolean))].slice(0, 8);
