import {
  VI_ABBREVIATIONS,
  VI_DOCUMENT_PARTS,
  VI_LETTER_NAMES,
  VI_PLACE_PREFIXES,
  VI_ROAD_PREFIXES,
  VI_UNITS,
  type AbbreviationTable,
} from './vi-abbreviations.js';
import { parseRoman, readDecimal, readDigits, readFraction, readInteger, readMonth, readOrdinal, type Dialect } from './vi-numbers.js';
import { applyPronunciations, type PronunciationEntry } from './vi-dictionary.js';
import { readPhoneNumbers } from './vi-phones.js';

/**
 * Turns Vietnamese bulletin text into what a speech engine should say: numbers, dates, times, units, document
 * numbers and abbreviations written out in words, punctuation reduced to pauses, everything lower case.
 *
 *   "Ngày 07/9/2020, UBND Thành phố ban hành Kế hoạch số 179/KH-UBND"
 *   → "ngày bảy tháng chín năm hai nghìn không trăm hai mươi, ủy ban nhân dân thành phố ban hành kế hoạch số
 *      một trăm bảy mươi chín kế hoạch ủy ban nhân dân"
 *
 * Pure (no I/O); rules apply in a fixed order, each on what the previous left (see docs/tts.md).
 */
export interface NormalizeOptions {
  /** Northern (default) says "nghìn", "linh"; Southern "ngàn", "lẻ". */
  dialect?: Dialect;
  /** Extra or overriding abbreviations (LOA_TTS_ABBREVIATIONS). */
  abbreviations?: AbbreviationTable;
  /** The installation's pronunciation dictionary (tts_dictionary), applied first: its entries win over every rule. */
  dictionary?: readonly PronunciationEntry[];
}

const L = '\\p{L}';
/** Not glued to a letter or digit on the left / right. */
const NB = `(?<![${L}\\p{N}_])`;
const NA = `(?![${L}\\p{N}_])`;

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Builds the matchers once per abbreviation table (the built-in table is compiled at load). */
class Tables {
  readonly abbreviations: Map<string, string>;
  readonly abbreviationRe: RegExp | null;

  constructor(extra: AbbreviationTable | undefined) {
    this.abbreviations = new Map(Object.entries({ ...VI_ABBREVIATIONS, ...(extra ?? {}) }));
    const keys = [...this.abbreviations.keys()].filter((k) => k.trim() !== '').sort((a, b) => b.length - a.length);
    this.abbreviationRe = keys.length === 0 ? null : new RegExp(`${NB}(${keys.map(escapeRe).join('|')})(?![${L}\\p{N}_&])`, 'gu');
  }
}

const builtInTables = new Tables(undefined);
const tableCache = new WeakMap<AbbreviationTable, Tables>();

function tablesFor(extra: AbbreviationTable | undefined): Tables {
  if (!extra || Object.keys(extra).length === 0) return builtInTables;
  let t = tableCache.get(extra);
  if (!t) {
    t = new Tables(extra);
    tableCache.set(extra, t);
  }
  return t;
}

const UNIT_KEYS = Object.keys(VI_UNITS).sort((a, b) => b.length - a.length);
const UNIT_RE = new RegExp(`(\\d)\\s?(${UNIT_KEYS.map(escapeRe).join('|')})(?![${L}\\p{N}_])`, 'gu');

const PLACE_RE = new RegExp(`(?<![${L}\\p{N}_&])(TP|Tp|TX|TT|Q|P|X|H)\\.\\s*(?=\\p{Lu})`, 'gu');

const ROAD_KEYS = Object.keys(VI_ROAD_PREFIXES).sort((a, b) => b.length - a.length);
/** "QL1A", "QL 14", "QL.1A", "ĐT741", "ĐT.741B": a road class, its number and an optional branch letter. */
const ROAD_RE = new RegExp(`(?<![${L}\\p{N}_])(${ROAD_KEYS.map(escapeRe).join('|')})\\.?\\s?(\\d{1,4})([A-Z])?(?![${L}\\p{N}_])`, 'gu');

/** Money: "đ", "đồng", "VNĐ"… after a number (or after "triệu", "nghìn"…), with "/unit" per-unit rates following. */
const CURRENCY = ['VNĐ', 'VND', 'vnđ', 'USD', 'đồng', 'đ'];
const PER_UNIT_RE = new RegExp(
  `(?<=\\d\\s?|(?:trăm|nghìn|ngàn|triệu|tỷ|tỉ)\\s)(${CURRENCY.map(escapeRe).join('|')})((?:\\s?/\\s?[${L}][${L}\\d²³]*)+)(?![${L}\\p{N}_])`,
  'gu',
);

/** Words after which a range is already introduced ("từ 7-9", "giai đoạn 2021-2025"): no extra "từ". */
const RANGE_LEAD_RE = /(?:từ|khoảng|giai đoạn|nhiệm kỳ|năm học|niên khóa|niên khoá|niên độ|mùa vụ)\s*$/iu;
/** Words before a bare "17g" that make it a time of day rather than 17 grams. */
const TIME_LEAD_RE = /(?:lúc|từ|đến|tới|vào|khoảng|trước|sau|hồi)\s*$/iu;

const ROMAN_KEYWORDS = new Set([
  'khóa', 'khoá', 'quý', 'thứ', 'lần thứ', 'đại hội', 'kỳ', 'kì', 'phần', 'chương', 'mục', 'thế kỷ', 'thế kỉ',
  'giai đoạn', 'đợt', 'hội nghị', 'trung ương', 'phụ lục', 'vòng', 'cấp', 'tập', 'số',
]);

/** A string of a Vietnamese syllable written in capitals without tone marks ("TIN", "TRUNG"): not spelled out. */
const SYLLABLE_RE = /^(?:NGH|NG|NH|CH|GH|GI|KH|PH|QU|TH|TR|[BCDĐGHKLMNPRSTVX])?[AEIOUY]{1,3}(?:NG|NH|CH|[CMNPTIUOY])?$/u;

export function normalizeVietnamese(input: string, options: NormalizeOptions = {}): string {
  const dialect = options.dialect ?? 'north';
  const num = { dialect };
  const tables = tablesFor(options.abbreviations);
  const int = (digits: string): string => readInteger(stripZeros(digits), num);
  const w = (s: string): string => ` ${s} `;

  // 0. The installation's pronunciation dictionary, on the text as typed.
  let t = applyPronunciations(input.normalize('NFC'), options.dictionary);

  // 1. Characters: dashes, quotes, invisible characters, ellipses.
  t = t
    .replace(/[\u200B-\u200D\uFEFF]/g, '')
    .replace(/[\u2010-\u2015\u2212]/g, '-')
    .replace(/[“”„«»"]/g, ' ')
    .replace(/[‘’`]/g, "'")
    .replace(/…/g, '...')
    .replace(/\u00A0/g, ' ')
    .replace(/[ \t]+/g, ' ');

  // 2. E-mail addresses and web addresses: "a còng", "chấm".
  t = t.replace(/[\w.+-]+@[\w-]+(?:\.[\w-]+)+/gu, (m) => w(m.replace(/@/g, ' a còng ').replace(/\./g, ' chấm ').replace(/[_+-]/g, ' ')));
  t = t.replace(
    /(?:https?:\/\/)?(?:www\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:vn|com|net|org|gov|edu|info)(?:\.vn)?(?:\/[\w./-]*)?(?![\p{L}\p{N}])/giu,
    (m) => w(m.replace(/^https?:\/\//i, '').replace(/^www\./i, 'vê kép vê kép vê kép chấm ').replace(/\/+$/, '').replace(/\//g, ' gạch chéo ').replace(/\./g, ' chấm ').replace(/-/g, ' ')),
  );

  // 2b. Telephone numbers digit by digit in their groups (before thousands dots and dates see them).
  t = readPhoneNumbers(t, w);

  // 3. Document numbers: "135/QĐ-TTg", "77/2012/NĐ-CP", "3814-QĐ/TU".
  const docPart = (part: string): string =>
    part
      .split(/[-/]/)
      .filter((p) => p !== '')
      .map((p) => VI_DOCUMENT_PARTS[p] ?? tables.abbreviations.get(p) ?? spell(p))
      .join(' ');
  t = t.replace(new RegExp(`${NB}(\\d+)(?:/(\\d{4}))?/(\\p{Lu}[${L}&]*(?:-[${L}&]+)*)${NA}`, 'gu'), (_m, n: string, year: string | undefined, parts: string) =>
    w([int(n), year ? `năm ${int(year)}` : '', docPart(parts)].filter(Boolean).join(' ')),
  );
  t = t.replace(new RegExp(`${NB}(\\d+)-(\\p{Lu}[${L}]*)/(\\p{Lu}[${L}]*(?:-[${L}]+)*)${NA}`, 'gu'), (_m, n: string, kind: string, issuer: string) =>
    w(`${int(n)} ${docPart(kind)} ${docPart(issuer)}`),
  );

  // 3b. Road names: "QL1A" → "quốc lộ một a", "ĐT.741" → "đường tỉnh bảy trăm bốn mươi mốt".
  t = t.replace(ROAD_RE, (_m, p: string, n: string, letter: string | undefined) => w(`${VI_ROAD_PREFIXES[p] ?? p} ${int(n)}${letter ? ` ${spell(letter)}` : ''}`));

  // 3c. Per-unit prices: "1.500.000đ/hộ" → "… đồng mỗi hộ", "50.000 VNĐ/kg" → "… đồng mỗi ki lô gam".
  t = t.replace(PER_UNIT_RE, (_m, cur: string, per: string) => {
    const units = per.split('/').map((u) => u.trim()).filter((u) => u !== '');
    return w(`${VI_UNITS[cur] ?? cur} ${units.map((u) => `mỗi ${VI_UNITS[u] ?? u}`).join(' ')}`);
  });

  // 4. Administrative prefixes before a name: "TP. Hà Nội", "Q. Ba Đình".
  t = t.replace(PLACE_RE, (_m, p: string) => `${VI_PLACE_PREFIXES[p === 'Tp' ? 'TP' : p] ?? p} `);

  // 5. Abbreviations from the table (operators' entries override the built-in ones).
  if (tables.abbreviationRe) t = t.replace(tables.abbreviationRe, (m: string) => w(tables.abbreviations.get(m) ?? m));

  // 6. Times: "14h30", "14h", "7h05'", "14:30", "14:30:15", "4:51 PM".
  const time = (h: string, m: string | undefined, s: string | undefined, ampm: string | undefined): string => {
    const parts = [`${int(h)} giờ`];
    if (m !== undefined && Number(m) > 0) parts.push(`${int(m)} phút`);
    if (s !== undefined && Number(s) > 0) parts.push(`${int(s)} giây`);
    if (ampm) parts.push(/^(a|s)/i.test(ampm) ? 'sáng' : 'chiều');
    return w(parts.join(' '));
  };
  const validTime = (h: string, m?: string, s?: string): boolean =>
    Number(h) <= 24 && (m === undefined || Number(m) < 60) && (s === undefined || Number(s) < 60);
  // Ranges of times: "6h-8h", "7h30-9h", "7-9h", "7:30-9:00" → "từ … đến …".
  t = t.replace(
    new RegExp(`${NB}(\\d{1,2})((?:[hg]|:(?=\\d{2}))(\\d{2})?)?\\s?-\\s?(\\d{1,2})(?:[hg]|:(?=\\d{2}))(\\d{2})?${NA}`, 'gu'),
    (m, h1: string, mark: string | undefined, m1: string | undefined, h2: string, m2: string | undefined, at: number, all: string) => {
      if (!validTime(h1, m1) || !validTime(h2, m2)) return m;
      const from = mark ? time(h1, m1, undefined, undefined) : w(int(h1));
      return w(`${RANGE_LEAD_RE.test(all.slice(0, at)) ? '' : 'từ '}${from} đến ${time(h2, m2, undefined, undefined)}`);
    },
  );
  // "17g30" is a time; a bare "17g" only after "lúc", "từ"… or before "ngày", "sáng"… (else it is 17 grams).
  t = t.replace(new RegExp(`${NB}(\\d{1,2})g(\\d{2})${NA}`, 'gu'), (m, h: string, min: string) => (validTime(h, min) ? time(h, min, undefined, undefined) : m));
  t = t.replace(new RegExp(`${NB}(\\d{1,2})g${NA}`, 'gu'), (m, h: string, at: number, all: string) =>
    validTime(h) && (TIME_LEAD_RE.test(all.slice(0, at)) || /^\s+(?:ngày|hôm|sáng|chiều|tối|đêm|trưa|hằng|hàng|cùng)(?![\p{L}])/u.test(all.slice(at + m.length)))
      ? time(h, undefined, undefined, undefined)
      : m,
  );
  t = t.replace(new RegExp(`${NB}(\\d{1,2})\\s?h\\s?(\\d{2})?(?:'|p|ph)?${NA}`, 'gu'), (m, h: string, min: string | undefined) =>
    validTime(h, min) ? time(h, min, undefined, undefined) : m,
  );
  t = t.replace(new RegExp(`${NB}(\\d{1,2}):(\\d{2})(?::(\\d{2}))?(?:\\s?(AM|PM|am|pm|SA|CH))?${NA}`, 'gu'), (m, h: string, min: string, s: string | undefined, ampm: string | undefined) =>
    validTime(h, min, s) ? time(h, min, s, ampm) : m,
  );

  // 7. Dates. "ngày 07/9/2020" keeps one "ngày"; "tháng 9/2020"; "29/01".
  const day = (d: string): string => int(d);
  const validDay = (d: string): boolean => Number(d) >= 1 && Number(d) <= 31;
  const validMonth = (m: string): boolean => Number(m) >= 1 && Number(m) <= 12;
  const month = (m: string): string => readMonth(Number(m), num);
  t = t.replace(
    new RegExp(`${NB}(?:([Nn]gày|NGÀY)\\s+)?(\\d{1,2})([/.-])(\\d{1,2})\\3(\\d{4})${NA}`, 'gu'),
    (m, prefix: string | undefined, d: string, _sep: string, mo: string, y: string) =>
      validDay(d) && validMonth(mo) ? w(`${prefix ?? 'ngày'} ${day(d)} tháng ${month(mo)} năm ${int(y)}`) : m,
  );
  t = t.replace(new RegExp(`${NB}(?:([Tt]háng|THÁNG)\\s+)?(\\d{1,2})[/-](\\d{4})${NA}`, 'gu'), (m, prefix: string | undefined, mo: string, y: string) =>
    validMonth(mo) ? w(`${prefix ?? 'tháng'} ${month(mo)} năm ${int(y)}`) : m,
  );
  t = t.replace(new RegExp(`${NB}(?:([Nn]gày|NGÀY)\\s+)?(\\d{1,2})/(\\d{1,2})(?![${L}\\p{N}_/])`, 'gu'), (m, prefix: string | undefined, d: string, mo: string) =>
    validDay(d) && validMonth(mo) ? w(`${prefix ?? 'ngày'} ${day(d)} tháng ${month(mo)}`) : m,
  );
  t = t.replace(new RegExp(`${NB}([Tt]háng|THÁNG)\\s+(\\d{1,2})${NA}`, 'gu'), (m, prefix: string, mo: string) =>
    validMonth(mo) ? w(`${prefix} ${month(mo)}`) : m,
  );

  // 8. Ordinals and Roman numerals: "thứ 4" → "thứ tư", "lần thứ XIII", "khóa XV", "Quý II/2020".
  t = t.replace(new RegExp(`${NB}([Tt]hứ|THỨ)\\s+(\\d{1,3})${NA}`, 'gu'), (_m, k: string, n: string) => w(`${k} ${readOrdinal(Number(n), num)}`));
  t = t.replace(
    new RegExp(`${NB}((?:${L}+\\s)?${L}+)\\s+([IVXLCDM]+)(?:/(\\d{4}))?${NA}`, 'gu'),
    (m, words: string, roman: string, year: string | undefined) => {
      const value = parseRoman(roman);
      const lower = words.toLocaleLowerCase('vi');
      const last = lower.split(' ').pop() ?? '';
      if (value === null || !(ROMAN_KEYWORDS.has(lower) || ROMAN_KEYWORDS.has(last))) return m;
      const ordinal = last === 'thứ' ? readOrdinal(value, num) : readInteger(value, num);
      return w(`${words} ${ordinal}${year ? ` năm ${int(year)}` : ''}`);
    },
  );

  // 9. Ranges of numbers: "2016-2020", "10 - 15" → "… đến …".
  t = t.replace(new RegExp(`${NB}(\\d+(?:[.,]\\d+)*)\\s?-\\s?(\\d+(?:[.,]\\d+)*)${NA}`, 'gu'), (_m, a: string, b: string, at: number, all: string) =>
    `${RANGE_LEAD_RE.test(all.slice(0, at)) ? '' : 'từ '}${a} đến ${b}`,
  );

  // 10. Units after a number: "5 km", "30°C", "100%", "1.250.000đ".
  t = t.replace(UNIT_RE, (_m, d: string, unit: string) => `${d} ${VI_UNITS[unit] ?? unit} `);

  // 11. Negative numbers: "-5 độ" → "âm 5 độ".
  t = t.replace(new RegExp(`(^|[\\s(])-(?=\\d)`, 'gu'), '$1âm ');

  // 12. Numbers. Thousands dots and decimal comma (Vietnamese style), version-like dots, telephone numbers.
  t = t.replace(new RegExp(`${NB}(\\d{1,3}(?:\\.\\d{3})+)(?:,(\\d+))?${NA}`, 'gu'), (_m, i: string, f: string | undefined) =>
    w(f === undefined ? readInteger(i.replace(/\./g, ''), num) : readDecimal(i, f, num)),
  );
  t = t.replace(new RegExp(`${NB}(\\d+),(\\d+)${NA}`, 'gu'), (_m, i: string, f: string) => w(readDecimal(i, f, num)));
  t = t.replace(new RegExp(`${NB}\\d+(?:\\.\\d+)+${NA}`, 'gu'), (m) => w(m.split('.').map((p) => readFraction(p, num) || 'không').join(' chấm ')));
  t = t.replace(/\d+/gu, (m) => w(m.length >= 9 && m.startsWith('0') ? readDigits(m) : m.length > 15 ? readDigits(m) : int(m)));

  // 13. Acronyms no table knows: spelled with Vietnamese letter names ("VTV" → "vê tê vê"); "TIN" stays a word.
  t = t.replace(new RegExp(`${NB}[A-ZĐ]{1,6}${NA}`, 'gu'), (m) => (m.length > 1 && SYLLABLE_RE.test(m) ? m : m.length === 1 && /[AEIOUY]/.test(m) ? m : w(spell(m))));

  // 14. Punctuation to pauses, spacing, lower case.
  t = t
    .replace(/&/g, ' và ')
    .replace(/@/g, ' a còng ')
    .replace(/\+/g, ' cộng ')
    .replace(/[()[\]{}|]/g, ', ')
    .replace(/\s-\s/g, ', ')
    .replace(/[-/\\*#_~^=<>'"]/g, ' ')
    .replace(/\.{2,}/g, '.')
    .replace(/[ \t]+/g, ' ')
    .replace(/ ([,.;:!?])/g, '$1')
    .replace(/([,;:])(?:[ ]?[,;:])+/g, '$1')
    .replace(/[,;:]\s*([.!?])/g, '$1')
    .replace(/([.!?])(?:\s*[.,;:])+/g, '$1')
    .replace(/([,.;:!?])(?=[^\s,.;:!?])/g, '$1 ');
  const lines = t
    .split(/\r?\n/)
    .map((line) => line.trim().replace(/^[,.;:!?\s]+/, '').replace(/[,;:\s]+$/, ''))
    .filter((line) => line !== '')
    .map((line) => (/[.!?]$/.test(line) ? line : `${line}.`));
  return lines.join('\n').toLocaleLowerCase('vi');
}

function stripZeros(digits: string): string {
  const s = digits.replace(/^0+(?=\d)/, '');
  return s === '' ? '0' : s;
}

/** "VTV" → "vê tê vê"; letters without a Vietnamese name are left as they are. */
export function spell(token: string): string {
  return [...token].map((c) => VI_LETTER_NAMES[c.toUpperCase()] ?? c).join(' ');
}

/**
 * Splits normalised text into pieces of at most `maxChars`, at sentence ends first, then at commas, then at
 * spaces; never inside a word. Used when an engine limits the length of one request.
 */
export function splitForSynthesis(text: string, maxChars: number): string[] {
  const sentences = text.match(/[^.!?\n]+(?:[.!?]+|\n|$)/g)?.map((s) => s.trim()).filter((s) => s !== '') ?? [];
  const out: string[] = [];
  let current = '';
  const push = (piece: string): void => {
    if (current === '') current = piece;
    else if (current.length + 1 + piece.length <= maxChars) current = `${current} ${piece}`;
    else {
      out.push(current);
      current = piece;
    }
  };
  for (const sentence of sentences) {
    if (sentence.length <= maxChars) {
      push(sentence);
      continue;
    }
    for (const clause of sentence.split(/(?<=[,;:])\s+/)) {
      if (clause.length <= maxChars) {
        push(clause);
        continue;
      }
      let piece = '';
      for (const word of clause.split(/\s+/)) {
        if (piece !== '' && piece.length + 1 + word.length > maxChars) {
          push(piece);
          piece = word;
        } else piece = piece === '' ? word : `${piece} ${word}`;
      }
      if (piece !== '') push(piece);
    }
  }
  if (current !== '') out.push(current);
  return out;
}
