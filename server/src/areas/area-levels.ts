/**
 * The level rules of the administrative tree, in one place: the single create (POST /api/v1/areas) and the CSV
 * import both ask `levelProblem`, so the two can never accept different trees.
 *
 * Levels are labels, not fixed depths: the same tree holds the pre-2025 province → district → commune units and
 * the two-tier province → commune → village ones.
 */
import { AREA_LEVELS, type AreaLevel } from '@loa/shared/rest';

// The levels themselves are part of the REST contract (a request names one).
export { AREA_LEVELS, type AreaLevel };

/**
 * Which levels may hold which: province → district → commune (→ village), and since the 2025 two-tier reform a
 * commune directly under a province. Only a country or a province may be a root.
 */
const ALLOWED_PARENT_LEVELS: Record<AreaLevel, ReadonlyArray<AreaLevel | null>> = {
  country: [null],
  province: [null, 'country'],
  district: ['province'],
  commune: ['district', 'province'],
  village: ['commune'],
};

const isAreaLevel = (level: string): level is AreaLevel => (AREA_LEVELS as readonly string[]).includes(level);

const rootLevels = (): AreaLevel[] => AREA_LEVELS.filter((l) => ALLOWED_PARENT_LEVELS[l].includes(null));

/**
 * Why an area of `level` cannot sit under `parent` (null: at the top), or null when it fits. Levels are strings
 * because stored rows are: a level this version does not know fits nowhere.
 */
export function levelProblem(level: string, parent: { code: string; level: string } | null): string | null {
  if (!isAreaLevel(level)) return `unknown level "${level}"`;
  if (parent === null) return ALLOWED_PARENT_LEVELS[level].includes(null) ? null : `a ${level} needs a parent (only ${rootLevels().join(' or ')} may be at the top)`;
  return isAreaLevel(parent.level) && ALLOWED_PARENT_LEVELS[level].includes(parent.level) ? null : `a ${level} cannot be under a ${parent.level} (${parent.code})`;
}
