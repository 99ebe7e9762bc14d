import type { CapPriorityRule, Priority } from '@loa/shared/rest';
import type { CapArea, CapInfo } from './cap-parse.js';

/** The first rule matching the info's urgency, severity and certainty; none: `normal`. */
export function mapPriority(info: Pick<CapInfo, 'urgency' | 'severity' | 'certainty'>, rules: CapPriorityRule[]): Priority {
  for (const r of rules) {
    if (r.urgency && !r.urgency.includes(info.urgency)) continue;
    if (r.severity && !r.severity.includes(info.severity)) continue;
    if (r.certainty && !r.certainty.includes(info.certainty)) continue;
    return r.priority;
  }
  return 'normal';
}

/**
 * The infos Loa broadcasts: those in Vietnamese when there are any (infos in other languages are translations of
 * the same warning), else those in the first info's language.
 */
export function pickInfos(infos: CapInfo[]): CapInfo[] {
  if (infos.length === 0) return [];
  const vi = infos.filter((i) => /^vi(-|$)/i.test(i.language));
  if (vi.length > 0) return vi;
  const lang = infos[0]!.language.toLowerCase();
  return infos.filter((i) => i.language.toLowerCase() === lang);
}

/** Geocode values read as area codes: those whose valueName the source accepts (any case). */
export function geocodeCodes(areas: CapArea[], names: string[]): { codes: string[]; ignored: string[] } {
  const accepted = new Set(names.map((n) => n.toLowerCase()));
  const codes: string[] = [];
  const ignored: string[] = [];
  for (const a of areas) {
    for (const g of a.geocodes) {
      if (accepted.has(g.valueName.toLowerCase())) codes.push(g.value.trim());
      else ignored.push(`${g.valueName}=${g.value}`);
    }
  }
  return { codes, ignored };
}

/** `effective`/`onset` → when it takes effect (the later of them, never before now); `expires` or the default → expiry. */
export function alertTimes(info: CapInfo, now: number, defaultExpiresS: number): { effectiveAt: number; expiresAt: number } {
  const effectiveAt = Math.max(now, info.effective ?? now, info.onset ?? now);
  const expiresAt = info.expires ?? effectiveAt + defaultExpiresS * 1000;
  return { effectiveAt, expiresAt };
}

export const titleOf = (info: CapInfo): string => (info.headline ?? info.event).trim().slice(0, 200);

/** Board text: the description, then the instruction. */
export function boardText(info: CapInfo): string | undefined {
  const text = [info.description, info.instruction].filter((s): s is string => !!s && s.trim() !== '').join('\n\n').trim();
  return text === '' ? undefined : text.slice(0, 5000);
}
