/**
 * Pure pieces of an alert's proof of play, shared by the red banner (components/alert-banner.tsx) and the alert
 * page (alert-detail.tsx): reading `alert.progress` events, "played on N of M", per-area ordering, the banner list
 * as summaries arrive, and which server refusals the alert form explains in its own words. No Preact here: unit
 * tested in node (dashboard/test/alert-progress.spec.ts).
 */
import type { AlertAreaCounts, AlertBannerItem, AlertSummary } from '@loa/shared/rest';

/** N of "played on N of M": devices that started or finished the alert. */
export const playedOf = (s: Pick<AlertSummary, 'byState'>): number => (s.byState.started ?? 0) + (s.byState.finished ?? 0);

/** Whole percent, 0 when nothing was meant for anyone (an empty area is not "100 % played"). */
export const pctOf = (n: number, of: number): number => (of > 0 ? Math.floor((Math.min(n, of) / of) * 100) : 0);

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const looksLikeSummary = (v: unknown): v is AlertSummary =>
  isRecord(v) && typeof v.alertId === 'string' && typeof v.total === 'number' && isRecord(v.byState) && Array.isArray(v.areas);

/**
 * The summary an `alert.progress` event carries: the event is the summary itself (beside `type` and the `areaCode`
 * that scopes it) or holds it under `summary`. Anything else is not ours and gives null.
 */
export function summaryFromEvent(e: Record<string, unknown>): AlertSummary | null {
  if (looksLikeSummary(e.summary)) return e.summary;
  if (looksLikeSummary(e)) {
    const { type: _type, areaCode: _area, ...rest } = e as AlertSummary & { type?: unknown; areaCode?: unknown };
    return rest as AlertSummary;
  }
  return null;
}

/** A summary is news only if it is not older than the one shown (events and a re-read may cross). */
export const isNewer = (next: AlertSummary, shown: AlertSummary | null | undefined): boolean =>
  !shown || shown.alertId !== next.alertId || Date.parse(next.updatedAt) >= Date.parse(shown.updatedAt);

/**
 * The alert's own area first (it holds everything below it), then the areas with failures (most first), then
 * those played least, by name last: whoever looks for trouble sees it at the top.
 */
export function orderAreas(areas: readonly AlertAreaCounts[], alertArea: string | null): AlertAreaCounts[] {
  const share = (a: AlertAreaCounts) => (a.total > 0 ? a.played / a.total : 1);
  return [...areas].sort((a, b) => {
    if (alertArea !== null && (a.areaCode === alertArea) !== (b.areaCode === alertArea)) return a.areaCode === alertArea ? -1 : 1;
    return b.failed - a.failed || share(a) - share(b) || a.name.localeCompare(b.name, 'vi');
  });
}

export interface BannerUpdate {
  items: AlertBannerItem[];
  /** The summary's alert is not in the banner: the caller re-reads it (an alert may just have come into force). */
  unknown: boolean;
}

/** The banner after a live summary: the matching alert's counts replaced, nothing else touched. */
export function applySummary(items: readonly AlertBannerItem[], s: AlertSummary): BannerUpdate {
  let found = false;
  const next = items.map((b) => {
    if (b.id !== s.alertId) return b;
    found = true;
    return { ...b, total: s.total, played: playedOf(s) };
  });
  return { items: next, unknown: !found };
}

/** What the banner shows now: alerts not yet expired (the server is asked again when one lapses), soonest end last. */
export const inForce = (items: readonly AlertBannerItem[], now: number): AlertBannerItem[] =>
  items.filter((b) => Date.parse(b.expiresAt) > now && Date.parse(b.effectiveAt) <= now + 5_000);

/** When the banner must look again without being told: the next start or end among its alerts (null: none). */
export function nextChange(items: readonly AlertBannerItem[], now: number): number | null {
  const times = items.flatMap((b) => [Date.parse(b.effectiveAt), Date.parse(b.expiresAt)]).filter((t) => Number.isFinite(t) && t > now);
  return times.length ? Math.min(...times) : null;
}

/** Server refusals of an alert (send, confirm, stop) that the pages explain in words of their own (the server's text otherwise). */
export type AlertRefusal =
  | 'speakWithAudio'
  | 'speakNoText'
  | 'ttsUnavailable'
  | 'notEmergencyContent'
  | 'mediaUnknown'
  | 'secondPerson'
  | 'confirmLapsed'
  | 'notPending'
  | 'notActive'
  | 'outOfScope'
  | 'forbidden';

export function refusalOf(status: number, message: string): AlertRefusal | null {
  const m = message.toLowerCase();
  const speak = /speaktext/.test(m);
  // Before the speakText cases: this refusal suggests speakText as the way out.
  if (/marked for emergenc|emergency content|not .*for emergenc/.test(m)) return 'notEmergencyContent';
  if (speak && /mediasha256|not both|audio file/.test(m)) return 'speakWithAudio';
  if (/\btts\b|text-to-speech|speech/.test(m)) return 'ttsUnavailable';
  if (speak && /needs the text|give text|needs text|without text/.test(m)) return 'speakNoText';
  if (/media/.test(m) && /(unknown|not found|no such|no longer exists)/.test(m)) return 'mediaUnknown';
  if (/second person/.test(m)) return 'secondPerson';
  if (/expired/.test(m) && /confirm/.test(m)) return 'confirmLapsed';
  if (/only a pending alert/.test(m)) return 'notPending';
  if (/only an active alert/.test(m)) return 'notActive';
  if (status === 403 && /area|scope/.test(m)) return 'outOfScope';
  if (status === 403) return 'forbidden';
  return null;
}
