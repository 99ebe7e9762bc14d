import { getLang } from './i18n.js';

/** Times are shown on Vietnam's wall clock whatever the browser's zone (officers travel; laptops lie). */
export const ZONE = 'Asia/Ho_Chi_Minh';
const two = (n: number) => String(n).padStart(2, '0');
const valid = (iso: string | number | Date | null | undefined): Date | null => {
  if (iso === null || iso === undefined || iso === '') return null;
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? null : d;
};

/**
 * Fixed Vietnamese patterns (dd/mm/yyyy, 24 h HH:mm) built from the Vietnam wall-clock parts, never from the browser's
 * locale: `toLocaleString('vi-VN')` puts the time first and an English browser would show mm/dd and AM/PM.
 */
export function fmtDateTime(iso: string | number | null | undefined): string {
  const d = valid(iso);
  if (!d) return '—';
  const p = zonedParts(d);
  return `${two(p.day)}/${two(p.m)}/${p.y} ${two(p.hh)}:${two(p.mm)}`;
}

/** "05/12/2026 06:30:15": device events and playback, where the second matters. */
export function fmtDateTimeSeconds(iso: string | number | null | undefined): string {
  const d = valid(iso);
  if (!d) return '—';
  return `${fmtDateTime(iso)}:${two(Math.floor((d.getTime() / 1000) % 60))}`;
}

/** "06:30:15". */
export function fmtTimeSeconds(iso: string | number | null | undefined): string {
  const d = valid(iso);
  if (!d) return '—';
  return `${fmtTime(iso)}:${two(Math.floor((d.getTime() / 1000) % 60))}`;
}

export function fmtTime(iso: string | number | null | undefined): string {
  const d = valid(iso);
  if (!d) return '—';
  const p = zonedParts(d);
  return `${two(p.hh)}:${two(p.mm)}`;
}

/** "05/12/2026" — a day without its time. */
export function fmtDay(iso: string | number | Date | null | undefined): string {
  const d = valid(iso);
  if (!d) return '—';
  const p = zonedParts(d);
  return `${two(p.day)}/${two(p.m)}/${p.y}`;
}

const WEEKDAY = { vi: ['T2', 'T3', 'T4', 'T5', 'T6', 'T7', 'CN'], en: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'] };
/** "T7 05/12" / "Sat 05/12": weekday in the dashboard's language, day/month always in that order. */
export function fmtDate(iso: string | number | Date): string {
  const d = valid(iso);
  if (!d) return '—';
  const p = zonedParts(d);
  return `${WEEKDAY[getLang()][p.weekday] ?? ''} ${two(p.day)}/${two(p.m)}`;
}

/** 95_000 → "1:35"; hours when long. */
export function fmtDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

export function fmtBytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return '—';
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MB`;
  return `${(n / 1024 ** 3).toFixed(2)} GB`;
}

/** "3 phút trước" / "3 min ago". */
export function fmtAgo(iso: string | number | null | undefined, now = Date.now()): string {
  if (iso === null || iso === undefined) return '—';
  const s = Math.max(0, Math.round((now - new Date(iso).getTime()) / 1000));
  const vi = getLang() === 'vi';
  if (s < 60) return vi ? `${s} giây trước` : `${s} s ago`;
  if (s < 3600) return vi ? `${Math.floor(s / 60)} phút trước` : `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return vi ? `${Math.floor(s / 3600)} giờ trước` : `${Math.floor(s / 3600)} h ago`;
  return vi ? `${Math.floor(s / 86400)} ngày trước` : `${Math.floor(s / 86400)} d ago`;
}

/** Local wall-clock date parts in Vietnam for an instant: calendars lay out days by these. */
export function zonedParts(d: Date): { y: number; m: number; day: number; hh: number; mm: number; weekday: number } {
  const f = new Intl.DateTimeFormat('en-US', { timeZone: ZONE, year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', hourCycle: 'h23', weekday: 'short' });
  const p = Object.fromEntries(f.formatToParts(d).map((x) => [x.type, x.value]));
  const wd = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'].indexOf(p.weekday ?? 'Mon');
  return { y: Number(p.year), m: Number(p.month), day: Number(p.day), hh: Number(p.hour), mm: Number(p.minute), weekday: wd };
}

/** The instant of a Vietnam wall-clock time (UTC+7, no daylight saving). */
export const vnInstant = (y: number, m: number, day: number, hh = 0, mm = 0): Date => new Date(Date.UTC(y, m - 1, day, hh - 7, mm));

/** "2026-11-23T06:30" for <input type=datetime-local>, in Vietnam time; and back to ISO with +07:00. */
export function toLocalInput(iso: string | number | Date): string {
  const p = zonedParts(new Date(iso));
  const two = (n: number) => String(n).padStart(2, '0');
  return `${p.y}-${two(p.m)}-${two(p.day)}T${two(p.hh)}:${two(p.mm)}`;
}
export const fromLocalInput = (v: string): string => `${v.length === 16 ? `${v}:00` : v}+07:00`;
