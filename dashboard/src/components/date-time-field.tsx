import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { useLang } from '../i18n.js';
import { zonedParts } from '../format.js';

/**
 * The dashboard's own date/time pickers. Native `<input type="date|time|datetime-local">` show the browser's locale
 * (mm/dd/yyyy, 12 h AM/PM on an English laptop) and, for datetime-local, the browser's time zone — officers in Vietnam
 * using a borrowed laptop set to New York would schedule a bulletin 12 hours off. These fields always read and write
 * Vietnam wall-clock time (Asia/Ho_Chi_Minh, UTC+7, no daylight saving) in dd/mm/yyyy and 24 h HH:mm.
 *
 * Each is a text input with a digit mask (the phone shows the numeric keypad) plus a small month-grid popup.
 */

const two = (n: number) => String(n).padStart(2, '0');
const daysIn = (y: number, m: number) => new Date(Date.UTC(y, m, 0)).getUTCDate();

export interface Ymd {
  y: number;
  m: number;
  d: number;
}

/** "05/12/2026" → {y:2026,m:12,d:5}; null when not a real calendar day. */
export function parseDmy(s: string): Ymd | null {
  const x = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(s.trim());
  if (!x) return null;
  const d = Number(x[1]);
  const m = Number(x[2]);
  const y = Number(x[3]);
  if (m < 1 || m > 12 || d < 1 || d > daysIn(y, m) || y < 1900) return null;
  return { y, m, d };
}

/** "7:05" / "07:05" → "07:05"; null when not a 24 h time. */
export function parseHm(s: string): string | null {
  const x = /^(\d{1,2}):(\d{2})$/.exec(s.trim());
  if (!x) return null;
  const h = Number(x[1]);
  const mi = Number(x[2]);
  return h <= 23 && mi <= 59 ? `${two(h)}:${two(mi)}` : null;
}

export const ymdToIso = (v: Ymd) => `${v.y}-${two(v.m)}-${two(v.d)}`;
export function isoToYmd(s: string): Ymd | null {
  const x = /^(\d{4})-(\d{2})-(\d{2})/.exec(s);
  return x ? { y: Number(x[1]), m: Number(x[2]), d: Number(x[3]) } : null;
}
export const ymdToDmy = (v: Ymd) => `${two(v.d)}/${two(v.m)}/${v.y}`;

/** An instant (any offset) → its Vietnam wall-clock date and time. */
export function instantToVn(iso: string): { ymd: Ymd; hm: string } | null {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return null;
  const p = zonedParts(new Date(t));
  return { ymd: { y: p.y, m: p.m, d: p.day }, hm: `${two(p.hh)}:${two(p.mm)}` };
}

/** Vietnam wall-clock date + time → ISO-8601 with the +07:00 offset the server stores as given. */
export const vnToInstant = (ymd: Ymd, hm: string) => `${ymdToIso(ymd)}T${hm}:00+07:00`;

/** Formats typed digits progressively into the mask, adding a separator only once a digit follows it (so backspace works). */
export function applyMask(raw: string, kind: 'date' | 'time' | 'datetime'): string {
  const seps: Record<string, Array<[number, string]>> = {
    date: [[2, '/'], [4, '/']],
    time: [[2, ':']],
    datetime: [[2, '/'], [4, '/'], [8, ' '], [10, ':']],
  };
  const max = { date: 8, time: 4, datetime: 12 }[kind];
  // A pasted ISO form ("2026-12-05", "2026-12-05T06:30") is reordered to day/month/year first.
  const iso = /^\s*(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2}))?/.exec(raw);
  const source = iso && kind !== 'time' ? `${iso[3]}${iso[2]}${iso[1]}${iso[4] ?? ''}${iso[5] ?? ''}` : raw;
  const digits = source.replace(/\D/g, '').slice(0, max);
  let out = '';
  for (let i = 0; i < digits.length; i++) {
    const sep = seps[kind]!.find(([at]) => at === i);
    if (sep) out += sep[1];
    out += digits[i];
  }
  return out;
}

const cmpYmd = (a: Ymd, b: Ymd) => a.y - b.y || a.m - b.m || a.d - b.d;

const WEEKDAYS = { vi: ['T2', 'T3', 'T4', 'T5', 'T6', 'T7', 'CN'], en: ['Mo', 'Tu', 'We', 'Th', 'Fr', 'Sa', 'Su'] };
const MONTHS_EN = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const WORDS = {
  vi: { open: 'Chọn ngày', prev: 'Tháng trước', next: 'Tháng sau', today: 'Hôm nay', done: 'Xong', time: 'Giờ', invalid: 'Ngày giờ không hợp lệ', tooEarly: 'Sớm hơn mức cho phép', month: (m: number, y: number) => `Tháng ${m}/${y}` },
  en: { open: 'Pick a date', prev: 'Previous month', next: 'Next month', today: 'Today', done: 'Done', time: 'Time', invalid: 'Invalid date or time', tooEarly: 'Earlier than allowed', month: (m: number, y: number) => `${MONTHS_EN[m - 1]} ${y}` },
};

const todayVn = (): Ymd => {
  const p = zonedParts(new Date());
  return { y: p.y, m: p.m, d: p.day };
};

const S: Record<string, JSX.CSSProperties> = {
  wrap: { position: 'relative', display: 'inline-flex', alignItems: 'center', gap: '.25rem', maxWidth: '100%' },
  btn: { minWidth: '2.75rem', minHeight: '2.75rem', padding: '0 .5rem', justifyContent: 'center' },
  pop: {
    position: 'absolute', top: '100%', left: 0, zIndex: 50, background: 'var(--card, #fff)', border: '1px solid var(--line, #ccc)',
    borderRadius: '8px', padding: '.5rem', boxShadow: '0 4px 16px rgba(0,0,0,.15)', width: '18.5rem', maxWidth: 'calc(100vw - 2rem)',
  },
  head: { display: 'flex', justifyContent: 'space-between', alignItems: 'center', marginBottom: '.25rem' },
  grid: { display: 'grid', gridTemplateColumns: 'repeat(7, 1fr)', gap: '2px', textAlign: 'center' },
  day: { minHeight: '2.75rem', padding: 0, border: '1px solid transparent', borderRadius: '6px', background: 'transparent', cursor: 'pointer' },
  foot: { display: 'flex', gap: '.5rem', alignItems: 'center', justifyContent: 'space-between', marginTop: '.5rem', flexWrap: 'wrap' },
};

/** Drawn, not an emoji: phones and headless browsers without an emoji font would show a box. */
const CalendarIcon = () => (
  <svg width="18" height="18" viewBox="0 0 24 24" aria-hidden="true" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round">
    <rect x="3" y="5" width="18" height="16" rx="2" />
    <path d="M3 10h18M8 3v4M16 3v4" />
  </svg>
);

/** The month grid: Monday first, as Vietnamese calendars are. */
function MonthGrid({ selected, min, onPick, testid }: { selected: Ymd | null; min: Ymd | null; onPick: (v: Ymd) => void; testid: string }) {
  const lang = useLang();
  const w = WORDS[lang];
  const today = todayVn();
  const [view, setView] = useState<{ y: number; m: number }>(() => ({ y: (selected ?? today).y, m: (selected ?? today).m }));
  const first = (new Date(Date.UTC(view.y, view.m - 1, 1)).getUTCDay() + 6) % 7; // 0 = Monday
  const n = daysIn(view.y, view.m);
  const move = (k: number) => setView((v) => ({ y: v.y + Math.floor((v.m - 1 + k) / 12), m: ((((v.m - 1 + k) % 12) + 12) % 12) + 1 }));
  const cells: Array<number | null> = [...Array.from({ length: first }, () => null), ...Array.from({ length: n }, (_, i) => i + 1)];
  return (
    <div>
      <div style={S.head}>
        <button type="button" style={S.btn} aria-label={w.prev} data-testid={`${testid}-prev`} onClick={() => move(-1)}>‹</button>
        <strong data-testid={`${testid}-month`}>{w.month(view.m, view.y)}</strong>
        <button type="button" style={S.btn} aria-label={w.next} data-testid={`${testid}-next`} onClick={() => move(1)}>›</button>
      </div>
      <div style={S.grid} role="grid">
        {WEEKDAYS[lang].map((d) => (
          <span key={d} class="muted small" role="columnheader">{d}</span>
        ))}
        {cells.map((d, i) => {
          if (d === null) return <span key={`b${i}`} />;
          const v = { y: view.y, m: view.m, d };
          const isSel = selected !== null && cmpYmd(v, selected) === 0;
          const isToday = cmpYmd(v, today) === 0;
          const off = min !== null && cmpYmd(v, min) < 0;
          return (
            <button
              key={d}
              type="button"
              disabled={off}
              aria-pressed={isSel}
              aria-label={ymdToDmy(v)}
              data-testid={`${testid}-day-${d}`}
              style={{ ...S.day, ...(isSel ? { background: 'var(--primary, #b3261e)', color: '#fff' } : {}), ...(isToday && !isSel ? { borderColor: 'var(--primary, #b3261e)' } : {}), ...(off ? { opacity: 0.35, cursor: 'default' } : {}) }}
              onClick={() => onPick(v)}
            >
              {d}
            </button>
          );
        })}
      </div>
    </div>
  );
}

/** Closes the popup on a click outside it or on Escape. */
function useOutside(open: boolean, close: () => void) {
  const ref = useRef<HTMLSpanElement>(null);
  useEffect(() => {
    if (!open) return;
    const down = (e: Event) => {
      if (ref.current && !ref.current.contains(e.target as Node)) close();
    };
    const key = (e: KeyboardEvent) => e.key === 'Escape' && close();
    document.addEventListener('pointerdown', down);
    document.addEventListener('keydown', key);
    return () => {
      document.removeEventListener('pointerdown', down);
      document.removeEventListener('keydown', key);
    };
  }, [open]);
  return ref;
}

interface Common {
  id?: string;
  label?: string;
  required?: boolean;
  disabled?: boolean;
  name?: string;
  'data-testid'?: string;
}

/**
 * Shared behaviour of the three fields: the text shown follows `value` unless the officer is mid-typing; a complete,
 * valid text is reported at once, an incomplete one marks the input invalid (the form's own validation then refuses).
 */
function useMaskedText(shown: string, kind: 'date' | 'time' | 'datetime', parse: (s: string) => string | null | 'early', emit: (v: string) => void) {
  const lang = useLang();
  const [text, setText] = useState(shown);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => {
    // The parent changed the value (popup pick, reset): show it, unless it is what the officer is already typing.
    const parsed = parse(text);
    if (parsed === null || parsed === 'early' || applyMask(shown, kind) !== applyMask(text, kind)) setText(shown);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [shown]);
  const validity = (t: string) => {
    const r = t === '' ? '' : parse(t);
    const msg = r === null ? WORDS[lang].invalid : r === 'early' ? WORDS[lang].tooEarly : '';
    input.current?.setCustomValidity(msg);
    return r;
  };
  useEffect(() => void validity(text), [text, lang]);
  const onInput = (e: JSX.TargetedEvent<HTMLInputElement>) => {
    const t = applyMask(e.currentTarget.value, kind);
    e.currentTarget.value = t;
    setText(t);
    const r = validity(t);
    if (t === '') emit('');
    else if (r !== null && r !== 'early') emit(r);
  };
  return { text, input, onInput, invalid: text !== '' && (parse(text) === null || parse(text) === 'early') };
}

function Shell(p: Common & { kind: 'date' | 'time' | 'datetime'; text: string; input: { current: HTMLInputElement | null }; onInput: (e: JSX.TargetedEvent<HTMLInputElement>) => void; invalid: boolean; popup?: (close: () => void) => JSX.Element }) {
  const w = WORDS[useLang()];
  const [open, setOpen] = useState(false);
  const ref = useOutside(open, () => setOpen(false));
  const placeholder = { date: 'dd/mm/yyyy', time: 'HH:mm', datetime: 'dd/mm/yyyy HH:mm' }[p.kind];
  const size = { date: 10, time: 5, datetime: 16 }[p.kind];
  const tid = p['data-testid'];
  return (
    <span ref={ref} style={S.wrap} data-testid={tid ? `${tid}-field` : undefined}>
      <input
        ref={p.input}
        type="text"
        inputMode="numeric"
        autoComplete="off"
        id={p.id}
        name={p.name}
        aria-label={p.label}
        aria-invalid={p.invalid}
        placeholder={placeholder}
        size={size + 1}
        maxLength={size}
        required={p.required}
        disabled={p.disabled}
        value={p.text}
        onInput={p.onInput}
        data-testid={tid}
        style={{ width: `${size + 3}ch`, minWidth: 0, minHeight: '2.75rem' }}
      />
      {p.popup ? (
        <button type="button" style={S.btn} aria-label={w.open} aria-expanded={open} disabled={p.disabled} data-testid={tid ? `${tid}-open` : undefined} onClick={() => setOpen(!open)}>
          <CalendarIcon />
        </button>
      ) : null}
      {open && p.popup ? (
        <div style={S.pop} role="dialog" aria-label={p.label ?? w.open} data-testid={tid ? `${tid}-popup` : undefined}>
          {p.popup(() => setOpen(false))}
        </div>
      ) : null}
    </span>
  );
}

/** A calendar date, value `YYYY-MM-DD` (or ''), shown dd/mm/yyyy. `min` is `YYYY-MM-DD`. */
export function DateField(p: Common & { value: string; onChange: (ymd: string) => void; min?: string }) {
  const w = WORDS[useLang()];
  const v = isoToYmd(p.value);
  const min = p.min ? isoToYmd(p.min) : null;
  const parse = (s: string) => {
    const x = parseDmy(s);
    if (!x) return null;
    return min && cmpYmd(x, min) < 0 ? 'early' : ymdToIso(x);
  };
  const m = useMaskedText(v ? ymdToDmy(v) : '', 'date', parse, p.onChange);
  return (
    <Shell
      {...p}
      kind="date"
      {...m}
      popup={(close) => (
        <>
          <MonthGrid selected={v} min={min} testid={p['data-testid'] ?? 'date'} onPick={(x) => (p.onChange(ymdToIso(x)), close())} />
          <div style={S.foot}>
            <button type="button" onClick={() => (p.onChange(ymdToIso(todayVn())), close())}>{w.today}</button>
          </div>
        </>
      )}
    />
  );
}

/** A time of day, value `HH:mm` (or ''), 24 h. */
export function TimeField(p: Common & { value: string; onChange: (hm: string) => void }) {
  const m = useMaskedText(parseHm(p.value) ?? '', 'time', parseHm, p.onChange);
  return <Shell {...p} kind="time" {...m} />;
}

/** Default time of day offered when a date is picked before any time: the next quarter hour in Vietnam. */
function nextQuarter(): string {
  const p = zonedParts(new Date(Date.now() + 15 * 60_000));
  return `${two(p.hh)}:${two(Math.floor(p.mm / 15) * 15)}`;
}

/** An instant: value ISO-8601 with offset (or ''), shown and picked in Vietnam time, emitted with +07:00. `min` is an instant. */
export function DateTimeField(p: Common & { value: string; onChange: (iso: string) => void; min?: string }) {
  const w = WORDS[useLang()];
  const vn = p.value ? instantToVn(p.value) : null;
  const minT = p.min ? Date.parse(p.min) : NaN;
  const minVn = p.min ? instantToVn(p.min) : null;
  const parse = (s: string) => {
    const x = /^(\S+)\s+(\S+)$/.exec(s.trim());
    const ymd = x ? parseDmy(x[1]!) : null;
    const hm = x ? parseHm(x[2]!) : null;
    if (!ymd || !hm) return null;
    const iso = vnToInstant(ymd, hm);
    return !Number.isNaN(minT) && Date.parse(iso) < minT ? 'early' : iso;
  };
  const m = useMaskedText(vn ? `${ymdToDmy(vn.ymd)} ${vn.hm}` : '', 'datetime', parse, p.onChange);
  const [hm, setHm] = useState(vn?.hm ?? nextQuarter());
  useEffect(() => void (vn && setHm(vn.hm)), [vn?.hm]);
  const tid = p['data-testid'] ?? 'datetime';
  return (
    <Shell
      {...p}
      kind="datetime"
      {...m}
      popup={(close) => (
        <>
          <MonthGrid selected={vn?.ymd ?? null} min={minVn?.ymd ?? null} testid={tid} onPick={(x) => p.onChange(vnToInstant(x, hm))} />
          <div style={S.foot}>
            <label class="small">
              {w.time}{' '}
              <TimeField value={hm} data-testid={`${tid}-time`} label={w.time} onChange={(t) => t && (setHm(t), vn && p.onChange(vnToInstant(vn.ymd, t)))} />
            </label>
            <button type="button" data-testid={`${tid}-done`} onClick={close}>{w.done}</button>
          </div>
        </>
      )}
    />
  );
}
