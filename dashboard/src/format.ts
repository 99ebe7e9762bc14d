import { getLang } from './i18n.js';

/** Times are shown on Vietnam's wall clock whatever the browser's zone (officers travel; laptops lie). */
export const ZONE = 'Asia/Ho_Chi_Minh';
const locale = () => (getLang() === 'vi' ? 'vi-VN' : 'en-GB');

export function fmtDateTime(iso: string | number | null | undefined): string {
  if (iso === null || iso === undefined || iso === '') return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '—';
  return d.toLocaleString(locale(), { timeZone: ZONE, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

export function fmtTime(iso: string | number | null | undefined): string {
  if (iso === null || iso === undefined || iso === '') return '—';
  return new Date(iso).toLocaleTimeString(locale(), { timeZone: ZONE, hour: '2-digit', minute: '2-digit' });
}

export function fmtDate(iso: string | number | Date): string {
  return new Date(iso).toLocaleDateString(locale(), { timeZone: ZONE, weekday: 'short', day: '2-digit', month: '2-digit' });
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
