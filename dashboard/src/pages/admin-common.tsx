/**
 * Small pieces shared by the administration pages (users, areas, audit): level and role words, role tones, a tree
 * of areas, and a commune picker for commune officers.
 */
import { useLang, type Lang } from '../i18n.js';
import type { Tone } from '../ui.js';
import type { AreaView } from '@loa/shared/rest';

export const AREA_LEVELS = ['country', 'province', 'district', 'commune', 'village'] as const;
export type AreaLevel = (typeof AREA_LEVELS)[number];

const LEVEL_WORDS: Record<Lang, Record<AreaLevel, string>> = {
  vi: { country: 'Quốc gia', province: 'Tỉnh/Thành phố', district: 'Huyện/Quận', commune: 'Xã/Phường', village: 'Thôn/Tổ dân phố' },
  en: { country: 'Country', province: 'Province', district: 'District', commune: 'Commune', village: 'Village' },
};

/** "commune" → "Xã/Phường"; an unknown level stays as it is. */
export function useLevelWord(): (level: string) => string {
  const lang = useLang();
  return (level) => LEVEL_WORDS[lang][level as AreaLevel] ?? level;
}

/**
 * Which levels may hold which (the server's import rules, server/src/areas/areas-csv.ts): province → district →
 * commune (→ village), and since the 2025 two-tier reform a commune directly under a province.
 */
export const ALLOWED_PARENT_LEVELS: Record<AreaLevel, ReadonlyArray<AreaLevel | null>> = {
  country: [null],
  province: [null, 'country'],
  district: ['province'],
  commune: ['district', 'province'],
  village: ['commune'],
};

export const ROLE_TONES: Record<string, Tone> = { admin: 'bad', operator: 'info', approver: 'ok', commune_officer: 'warn' };

/** Children by parent code; roots are the areas whose parent is not visible (a scoped user's subtree root). */
export interface AreaTree {
  byCode: Map<string, AreaView>;
  children: Map<string, AreaView[]>;
  roots: AreaView[];
}

export function buildTree(areas: AreaView[]): AreaTree {
  const byCode = new Map(areas.map((a) => [a.code, a]));
  const children = new Map<string, AreaView[]>();
  const roots: AreaView[] = [];
  for (const a of areas) {
    if (a.parentCode !== null && byCode.has(a.parentCode)) {
      const list = children.get(a.parentCode) ?? [];
      list.push(a);
      children.set(a.parentCode, list);
    } else roots.push(a);
  }
  const order = (x: AreaView, y: AreaView) => x.name.localeCompare(y.name, 'vi') || x.code.localeCompare(y.code);
  roots.sort(order);
  for (const list of children.values()) list.sort(order);
  return { byCode, children, roots };
}

/** "Xã Tây Đằng — Huyện Ba Vì": a commune with its parent, for pickers. */
export const withParent = (areas: Map<string, AreaView>, a: AreaView): string => {
  const p = a.parentCode ? areas.get(a.parentCode) : undefined;
  return p ? `${a.name} — ${p.name}` : a.name;
};

/** A select of communes only (a commune officer works in one commune), sorted by name. */
export function CommuneSelect({ areas, value, onChange, id, placeholder }: { areas: AreaView[]; value: string; onChange: (code: string) => void; id?: string; placeholder: string }) {
  const byCode = new Map(areas.map((a) => [a.code, a]));
  const communes = areas.filter((a) => a.level === 'commune').sort((x, y) => x.name.localeCompare(y.name, 'vi'));
  return (
    <select id={id} value={value} required onChange={(e) => onChange((e.target as HTMLSelectElement).value)}>
      <option value="" disabled>
        {placeholder}
      </option>
      {communes.map((a) => (
        <option key={a.code} value={a.code}>
          {withParent(byCode, a)} ({a.code})
        </option>
      ))}
    </select>
  );
}
