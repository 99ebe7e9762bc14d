/**
 * Vietnamese number reading, as a listener of a commune loudspeaker expects it (Northern usage by default).
 *
 *   21 → "hai mươi mốt", 15 → "mười lăm", 24 → "hai mươi tư", 105 → "một trăm linh năm",
 *   2020 → "hai nghìn không trăm hai mươi", 1250000 → "một triệu hai trăm năm mươi nghìn".
 *
 * Southern usage (accent "south") says "lẻ" for "linh" and "ngàn" for "nghìn". Pure functions, no I/O.
 */

export type Dialect = 'north' | 'central' | 'south';

export interface NumberReadingOptions {
  dialect?: Dialect;
}

const DIGITS = ['không', 'một', 'hai', 'ba', 'bốn', 'năm', 'sáu', 'bảy', 'tám', 'chín'] as const;

export function digitWord(d: number): string {
  const w = DIGITS[d];
  if (w === undefined) throw new RangeError(`not a digit: ${d}`);
  return w;
}

/** Each digit on its own: "0912" → "không chín một hai" (telephone numbers, long codes). */
export function readDigits(digits: string): string {
  return [...digits].filter((c) => c >= '0' && c <= '9').map((c) => digitWord(Number(c))).join(' ');
}

/**
 * 0–999 as one group. `full` (an inner group of a larger number) says the hundreds and "linh" even when they are
 * zero: 1005 → "một nghìn không trăm linh năm".
 */
function readGroup(n: number, full: boolean, o: Required<NumberReadingOptions>): string {
  const h = Math.floor(n / 100);
  const t = Math.floor((n % 100) / 10);
  const u = n % 10;
  const words: string[] = [];
  if (h > 0 || full) words.push(digitWord(h), 'trăm');
  if (t === 0) {
    if (u > 0 && words.length > 0) words.push(o.dialect === 'south' ? 'lẻ' : 'linh', digitWord(u));
    else if (u > 0 || words.length === 0) words.push(digitWord(u));
  } else if (t === 1) {
    words.push('mười');
    if (u === 5) words.push('lăm');
    else if (u > 0) words.push(digitWord(u));
  } else {
    words.push(digitWord(t), 'mươi');
    if (u === 1) words.push('mốt');
    else if (u === 4) words.push('tư');
    else if (u === 5) words.push('lăm');
    else if (u > 0) words.push(digitWord(u));
  }
  return words.join(' ');
}

/**
 * A non-negative integer in words. Accepts a bigint or a digit string for numbers beyond 2^53 (budgets in đồng).
 * Groups of three: nghìn, triệu, tỷ; above a tỷ the reading recurses ("một nghìn tỷ", "một triệu tỷ").
 */
export function readInteger(value: number | bigint | string, options: NumberReadingOptions = {}): string {
  const o: Required<NumberReadingOptions> = { dialect: options.dialect ?? 'north' };
  let n: bigint;
  if (typeof value === 'string') {
    if (!/^\d+$/.test(value)) throw new RangeError(`not an integer: ${value}`);
    n = BigInt(value);
  } else {
    if (typeof value === 'number' && (!Number.isInteger(value) || value < 0)) throw new RangeError(`not a non-negative integer: ${value}`);
    n = BigInt(value);
  }
  if (n < 0n) throw new RangeError(`negative: ${n}`);
  if (n === 0n) return 'không';
  return readBig(n, false, o);
}

const BILLION = 1_000_000_000n;

function readBig(n: bigint, full: boolean, o: Required<NumberReadingOptions>): string {
  if (n >= BILLION) {
    const high = n / BILLION;
    const low = n % BILLION;
    const head = `${readBig(high, full, o)} tỷ`;
    return low === 0n ? head : `${head} ${readBig(low, true, o)}`;
  }
  const thousand = o.dialect === 'south' ? 'ngàn' : 'nghìn';
  const groups = [Number(n / 1_000_000n), Number((n / 1000n) % 1000n), Number(n % 1000n)];
  const names = ['triệu', thousand, ''];
  const out: string[] = [];
  let started = full;
  groups.forEach((g, i) => {
    const name = names[i] ?? '';
    if (g === 0) return;
    // A group after a non-empty higher one (or inside a larger number) says its zero hundreds: "một triệu không trăm năm mươi".
    out.push(readGroup(g, started && (out.length > 0 || full), o) + (name ? ` ${name}` : ''));
    started = true;
  });
  return out.join(' ');
}

/**
 * The digits after a decimal comma: leading zeros one by one, then up to three digits as a number, longer tails
 * digit by digit. "5" → "năm", "25" → "hai mươi lăm", "05" → "không năm", "1416" → "một bốn một sáu".
 */
export function readFraction(digits: string, options: NumberReadingOptions = {}): string {
  const zeros = /^0*/.exec(digits)?.[0].length ?? 0;
  const rest = digits.slice(zeros);
  const words: string[] = Array.from({ length: zeros }, () => 'không');
  if (rest.length > 0) words.push(rest.length <= 3 ? readInteger(rest, options) : readDigits(rest));
  return words.join(' ');
}

/** "2,5" → "hai phẩy năm"; integer part may carry thousands dots ("1.250,75"). */
export function readDecimal(intPart: string, fracPart: string, options: NumberReadingOptions = {}): string {
  return `${readInteger(intPart.replace(/\./g, ''), options)} phẩy ${readFraction(fracPart, options)}`;
}

/** Ordinal after "thứ": 1 → "nhất", 4 → "tư", others the cardinal ("thứ hai", "thứ mười bốn"). */
export function readOrdinal(n: number, options: NumberReadingOptions = {}): string {
  if (n === 1) return 'nhất';
  if (n === 4) return 'tư';
  return readInteger(n, options);
}

/** Month names as said after "tháng": 4 → "tư", otherwise the cardinal ("tháng một", "tháng mười hai"). */
export function readMonth(m: number, options: NumberReadingOptions = {}): string {
  return m === 4 ? 'tư' : readInteger(m, options);
}

const ROMAN: Record<string, number> = { I: 1, V: 5, X: 10, L: 50, C: 100, D: 500, M: 1000 };

/** A well-formed Roman numeral (I–MMMCMXCIX) as a number, or null. */
export function parseRoman(s: string): number | null {
  if (!/^M{0,3}(CM|CD|D?C{0,3})(XC|XL|L?X{0,3})(IX|IV|V?I{0,3})$/.test(s) || s === '') return null;
  let total = 0;
  for (let i = 0; i < s.length; i++) {
    const v = ROMAN[s[i] ?? ''] ?? 0;
    const next = ROMAN[s[i + 1] ?? ''] ?? 0;
    total += v < next ? -v : v;
  }
  return total;
}
