import { readDigits } from './vi-numbers.js';

/**
 * Telephone numbers read the way a person reads them out on the loudspeaker: digit by digit, in the groups they are
 * written in ("0912.345.678" → "không chín một hai, ba bốn năm, sáu bảy tám"), a comma (a pause) between groups so
 * listeners can write them down. Without separators the usual grouping is used: mobile 4-3-3, landline 3-4-4,
 * hotline 1900/1800 4-4 or 4-3-3.
 *
 * Pure; the patterns are applied by vi-normalize before any other number rule (thousands dots would otherwise read
 * "0912.345.678" as nine hundred twelve thousand…).
 */

const L = '\\p{L}';
const NB = `(?<![${L}\\p{N}_])`;
const NA = `(?![${L}\\p{N}_])`;
/** Groups of digits written with one kind of separator (dot, space, dash) used consistently. */
const grouped = (first: string) => `${first}(?:([. -])\\d{2,7}(?:\\1\\d{2,7}){0,3})`;

/** Vietnamese numbers: 0 + 9 digits (mobile) or 0 + 10 (landline with area code). */
const LOCAL_RE = new RegExp(`${NB}(?:0\\d{9,10}|${grouped('0\\d{1,3}')})${NA}`, 'gu');
/** International form: +84 then the number without its 0. */
const INTL_RE = new RegExp(`(?<![${L}\\p{N}_+])\\+\\s?84[. -]?(?:\\d{9,10}|${grouped('\\d{1,3}')})${NA}`, 'gu');
/** Hotlines 1900 xxxx(xx) / 1800 xxxx(xx). */
const HOTLINE_RE = new RegExp(`${NB}(?:1900|1800)(?:[. -]?\\d{2,6}){1,3}${NA}`, 'gu');
/**
 * Three-digit emergency and public numbers (111 child protection, 112 rescue, 113 police, 114 fire, 115 ambulance)
 * are only numbers to dial after a word that says so; "115 hộ" stays a hundred and fifteen households.
 */
const SHORT_RE = new RegExp(
  `${NB}((?:gọi|Gọi|GỌI|tổng đài|Tổng đài|đường dây nóng|Đường dây nóng|hotline|Hotline|HOTLINE|điện thoại|Điện thoại|liên hệ|Liên hệ|SĐT|ĐT|số máy)(?:\\s+${L}+){0,2}\\s*:?\\s*)(11[1-5])${NA}`,
  'gu',
);

const digitCount = (s: string): number => s.replace(/\D/g, '').length;

/** Splits a run of digits into the usual spoken groups. */
function chunk(digits: string, sizes: number[]): string[] {
  const out: string[] = [];
  let i = 0;
  for (const n of sizes) {
    if (i >= digits.length) break;
    out.push(digits.slice(i, i + n));
    i += n;
  }
  if (i < digits.length) out.push(digits.slice(i));
  return out;
}

const say = (groups: string[]): string => groups.map(readDigits).join(', ');
const groupsOf = (written: string): string[] => written.split(/[. -]+/).filter((g) => g !== '');

export function readLocalPhone(written: string): string | null {
  const n = digitCount(written);
  if (n !== 10 && n !== 11) return null;
  const groups = groupsOf(written);
  if (groups.length > 1) return say(groups);
  const d = groups[0] ?? '';
  // Landlines: 02x + 8 digits. Mobiles: 0 + 9 digits.
  return say(n === 11 ? chunk(d, [3, 4, 4]) : chunk(d, [4, 3, 3]));
}

export function readIntlPhone(written: string): string | null {
  const rest = written.replace(/^\+\s?84[. -]?/, '');
  const n = digitCount(rest);
  if (n !== 9 && n !== 10) return null;
  const groups = groupsOf(rest);
  return `cộng tám bốn, ${say(groups.length > 1 ? groups : chunk(rest, n === 9 ? [3, 3, 3] : [3, 3, 4]))}`;
}

export function readHotline(written: string): string | null {
  const n = digitCount(written);
  if (n !== 8 && n !== 10) return null;
  const groups = groupsOf(written);
  const d = written.replace(/\D/g, '');
  return say(groups.length > 1 ? groups : chunk(d, n === 8 ? [4, 4] : [4, 3, 3]));
}

/** Rewrites every telephone number of `text` in words; `w` pads a replacement with spaces (the normaliser's habit). */
export function readPhoneNumbers(text: string, w: (s: string) => string): string {
  return text
    .replace(INTL_RE, (m) => (readIntlPhone(m) === null ? m : w(readIntlPhone(m)!)))
    .replace(HOTLINE_RE, (m) => (readHotline(m) === null ? m : w(readHotline(m)!)))
    .replace(LOCAL_RE, (m) => (readLocalPhone(m) === null ? m : w(readLocalPhone(m)!)))
    .replace(SHORT_RE, (_m, lead: string, n: string) => `${lead}${w(readDigits(n))}`);
}
