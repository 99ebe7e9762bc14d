/**
 * How exports meant for people (a district's report upward) write times and name their files: `dd/mm/yyyy HH:mm` on
 * the configured zone (LOA_TIMEZONE, Asia/Ho_Chi_Minh), and a file name made of what the file is, the area and the
 * period. API clients that want machine values ask for `format=iso` and get ISO-8601 UTC instead.
 */

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterOf(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    formatters.set(zone, f);
  }
  return f;
}

function partsOf(ms: number, zone: string): Record<'year' | 'month' | 'day' | 'hour' | 'minute', string> {
  const p: Record<string, string> = {};
  for (const part of formatterOf(zone).formatToParts(new Date(ms))) p[part.type] = part.value;
  return { year: p.year ?? '', month: p.month ?? '', day: p.day ?? '', hour: p.hour ?? '', minute: p.minute ?? '' };
}

/** 1764904620000 on Asia/Ho_Chi_Minh → "05/12/2026 10:17"; null stays empty. */
export function localDateTime(ms: number | null, zone: string): string | null {
  if (ms === null) return null;
  const p = partsOf(ms, zone);
  return `${p.day}/${p.month}/${p.year} ${p.hour}:${p.minute}`;
}

/** The calendar date on the zone as yyyy-mm-dd (file names, periods). */
export function localDate(ms: number, zone: string): string {
  const p = partsOf(ms, zone);
  return `${p.year}-${p.month}-${p.day}`;
}

/** An ISO-8601 UTC instant for machine formats; null stays empty. */
export const isoInstant = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/**
 * Vietnamese text to a file-name slug: diacritics dropped (đ → d, which NFD does not decompose), lower case, any
 * other run of characters a single dash. "Xã Tây Đằng" → "xa-tay-dang".
 */
export function asciiFold(text: string): string {
  return text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[đĐ]/g, 'd')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/** RFC 5987 value-chars: encodeURIComponent leaves ' ( ) * ! unescaped, which attr-char does not allow. */
const rfc5987 = (text: string): string => encodeURIComponent(text).replace(/['()*!]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/**
 * An attachment named by its parts ("Lịch phát", "Xã Tây Đằng", "2026-11"): an ASCII-folded `filename` every
 * client understands (`lich-phat-xa-tay-dang-2026-11.csv`) and the Vietnamese one as RFC 5987 `filename*`, which
 * browsers prefer when they understand it.
 */
export function attachmentDisposition(parts: ReadonlyArray<string | null | undefined>, extension: string): { header: string; asciiName: string } {
  const kept = parts.filter((p): p is string => typeof p === 'string' && p.trim().length > 0).map((p) => p.trim());
  const asciiName = `${asciiFold(kept.join(' ')) || 'export'}.${extension}`;
  // Path separators and control characters have no place in a name a browser saves to disk.
  const human = `${kept.join(' ').replace(/[\\/\u0000-\u001f"]/g, '_') || 'export'}.${extension}`;
  return { header: `attachment; filename="${asciiName}"; filename*=UTF-8''${rfc5987(human)}`, asciiName };
}
