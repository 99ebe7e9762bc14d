/**
 * Shared by the schedules calendar, the schedule editor/detail and the deliveries matrix: the server's view types
 * (from the REST contract), cached look-ups (devices, contents, groups), RRULE building,
 * parsing and wording, and client-side expansion (for pending schedules, which have no occurrences yet).
 */
import { expand, RecurrenceError } from '@loa/shared/recurrence';
import { DELIVERY_STATE_LABELS_VI } from '@loa/shared/rest';
import { get } from '../api.js';
import { defineStrings, useT } from '../i18n.js';
import { vnInstant, zonedParts } from '../format.js';
import type { Tone } from '../ui.js';
import type {
  CalendarOccurrence as ServerCalendarOccurrence,
  ConflictNotice,
  ConflictTotals,
  ContentView,
  DeviceView,
  DryRunResult,
  GroupView,
  Overview,
  SaveResult,
  ScheduleSummary,
  ScheduleView,
  TodayBroadcast,
} from '@loa/shared/rest';

// ---- server views ----------------------------------------------------------------------------------------------

export type { ConflictNotice, ConflictTotals, DryRunResult, GroupView, SaveResult, ScheduleSummary, TodayBroadcast };

/** GET /api/v1/schedules/occurrences, with what the dashboard adds when it expands a rule itself. */
export type CalendarOccurrence = Omit<ServerCalendarOccurrence, 'endAt'> & {
  /** The server's end (start + the slot's length); the dashboard computes it for what it expands itself. */
  endAt?: string;
  /** Set by the dashboard for pending schedules expanded client-side. */
  pending?: boolean;
  /** Set by the dashboard for occurrences of a recurring schedule beyond the server's horizon (not yet on devices). */
  planned?: boolean;
};

/** GET /api/v1/overview (only the part the deliveries page reads). */
export type OverviewToday = Pick<Overview, 'today'>;

// ---- cached look-ups -------------------------------------------------------------------------------------------

const cached = <T,>(load: () => Promise<T>, ttlMs: number) => {
  let p: Promise<T> | null = null;
  let at = 0;
  return (force = false): Promise<T> => {
    if (force || !p || Date.now() - at > ttlMs) {
      at = Date.now();
      p = load().catch((e: unknown) => {
        p = null;
        throw e;
      });
    }
    return p;
  };
};

/** Devices the user may see, fetched at most once a minute: ids → names and areas for the matrix and pickers. */
export const loadDevices = cached(() => get<DeviceView[]>('/api/v1/devices'), 60_000);
export const loadContents = cached(() => get<ContentView[]>('/api/v1/contents'), 30_000);
export const loadGroups = cached(() => get<GroupView[]>('/api/v1/groups'), 60_000);

export const deviceMap = (devices: DeviceView[] | undefined): Map<string, DeviceView> => new Map((devices ?? []).map((d) => [d.id, d]));

// ---- words -----------------------------------------------------------------------------------------------------

export const WORDS = defineStrings({
  vi: {
    p_normal: 'Thường',
    p_priority: 'Ưu tiên',
    p_emergency: 'Khẩn cấp',
    a_not_required: 'Không cần duyệt',
    a_pending: 'Chờ phê duyệt',
    a_approved: 'Đã phê duyệt',
    a_rejected: 'Bị từ chối',
    st_active: 'Đang hiệu lực',
    st_cancelled: 'Đã hủy',
    // The exports' names (shared/src/report-labels.ts): the screen and the downloaded file say the same.
    d_queued: DELIVERY_STATE_LABELS_VI.queued,
    d_delivered: DELIVERY_STATE_LABELS_VI.delivered,
    d_started: DELIVERY_STATE_LABELS_VI.started,
    d_finished: DELIVERY_STATE_LABELS_VI.finished,
    d_failed: DELIVERY_STATE_LABELS_VI.failed,
    d_preempted: DELIVERY_STATE_LABELS_VI.preempted,
    d_skipped: DELIVERY_STATE_LABELS_VI.skipped,
    d_expired: DELIVERY_STATE_LABELS_VI.expired,
    k_audio: 'Âm thanh',
    k_text: 'Văn bản',
    k_image: 'Hình ảnh',
    k_stream: 'Tiếp sóng',
    once: 'Một lần',
    daily: 'Hằng ngày',
    dailyN: 'Cứ {n} ngày một lần',
    weekly: 'Hằng tuần vào {days}',
    weeklyN: 'Cứ {n} tuần vào {days}',
    monthlyDay: 'Hằng tháng vào ngày {days}',
    monthlyDayN: 'Cứ {n} tháng vào ngày {days}',
    monthlyWd: 'Hằng tháng vào {days}',
    monthlyWdN: 'Cứ {n} tháng vào {days}',
    yearly: 'Hằng năm',
    at: 'lúc {time}',
    until: 'đến hết ngày {date}',
    count: '{n} lần',
    lastDay: 'ngày cuối tháng',
    nth: '{wd} thứ {n}',
    lastWd: '{wd} cuối cùng',
    wd0: 'Thứ Hai',
    wd1: 'Thứ Ba',
    wd2: 'Thứ Tư',
    wd3: 'Thứ Năm',
    wd4: 'Thứ Sáu',
    wd5: 'Thứ Bảy',
    wd6: 'Chủ Nhật',
    ws0: 'T2',
    ws1: 'T3',
    ws2: 'T4',
    ws3: 'T5',
    ws4: 'T6',
    ws5: 'T7',
    ws6: 'CN',
  },
  en: {
    p_normal: 'Normal',
    p_priority: 'Priority',
    p_emergency: 'Emergency',
    a_not_required: 'No approval needed',
    a_pending: 'Awaiting approval',
    a_approved: 'Approved',
    a_rejected: 'Rejected',
    st_active: 'Active',
    st_cancelled: 'Cancelled',
    d_queued: 'Queued',
    d_delivered: 'Delivered',
    d_started: 'Playing',
    d_finished: 'Finished',
    d_failed: 'Failed',
    d_preempted: 'Preempted',
    d_skipped: 'Skipped',
    d_expired: 'Expired',
    k_audio: 'Audio',
    k_text: 'Text',
    k_image: 'Image',
    k_stream: 'Relay',
    once: 'Once',
    daily: 'Daily',
    dailyN: 'Every {n} days',
    weekly: 'Weekly on {days}',
    weeklyN: 'Every {n} weeks on {days}',
    monthlyDay: 'Monthly on day {days}',
    monthlyDayN: 'Every {n} months on day {days}',
    monthlyWd: 'Monthly on the {days}',
    monthlyWdN: 'Every {n} months on the {days}',
    yearly: 'Yearly',
    at: 'at {time}',
    until: 'until {date}',
    count: '{n} times',
    lastDay: 'last day of the month',
    nth: '{n}. {wd}',
    lastWd: 'last {wd}',
    wd0: 'Monday',
    wd1: 'Tuesday',
    wd2: 'Wednesday',
    wd3: 'Thursday',
    wd4: 'Friday',
    wd5: 'Saturday',
    wd6: 'Sunday',
    ws0: 'Mon',
    ws1: 'Tue',
    ws2: 'Wed',
    ws3: 'Thu',
    ws4: 'Fri',
    ws5: 'Sat',
    ws6: 'Sun',
  },
});
export type WordKey = keyof (typeof WORDS)['vi'];

/** Labels for priorities, approval and delivery states, weekdays. */
export function useWords() {
  const w = useT(WORDS);
  const any = (key: string, fallback: string): string => (key in WORDS.vi ? w(key as WordKey) : fallback);
  return {
    w,
    priority: (p: string) => any(`p_${p}`, p),
    approval: (a: string | undefined) => any(`a_${(a ?? 'not-required').replace('-', '_')}`, a ?? ''),
    status: (s: string) => any(`st_${s}`, s),
    state: (s: string) => any(`d_${s}`, s),
    kind: (k: string) => any(`k_${k}`, k),
    weekday: (i: number) => w(`wd${i}` as WordKey),
    weekdayShort: (i: number) => w(`ws${i}` as WordKey),
  };
}
export type Words = ReturnType<typeof useWords>;

export const priorityTone = (p: string): Tone => (p === 'emergency' ? 'bad' : p === 'priority' ? 'warn' : 'info');
export const approvalTone = (a: string | undefined): Tone => (a === 'pending' ? 'warn' : a === 'rejected' ? 'bad' : a === 'approved' ? 'ok' : 'muted');

/** Colours of calendar blocks by priority (border, background, text). */
export const PRIORITY_COLOURS: Record<string, { border: string; bg: string; text: string }> = {
  normal: { border: '#1f5fa8', bg: '#e8f0fb', text: '#143e6e' },
  priority: { border: '#a35f00', bg: '#fff1d6', text: '#6b3e00' },
  emergency: { border: '#b3261e', bg: '#fdecea', text: '#7d1a15' },
};

// ---- Vietnam calendar days -------------------------------------------------------------------------------------

const DAY_MS = 86_400_000;
export interface Ymd {
  y: number;
  m: number;
  d: number;
}
export const ymdOf = (d: Date): Ymd => {
  const p = zonedParts(d);
  return { y: p.y, m: p.m, d: p.day };
};
export const dayNumber = (x: Ymd): number => Date.UTC(x.y, x.m - 1, x.d) / DAY_MS;
export const fromDayNumber = (n: number): Ymd => {
  const t = new Date(n * DAY_MS);
  return { y: t.getUTCFullYear(), m: t.getUTCMonth() + 1, d: t.getUTCDate() };
};
/** 0 = Monday … 6 = Sunday. */
export const weekdayOfDay = (n: number): number => (new Date(n * DAY_MS).getUTCDay() + 6) % 7;
export const ymdString = (x: Ymd): string => `${x.y}-${String(x.m).padStart(2, '0')}-${String(x.d).padStart(2, '0')}`;
export const parseYmd = (s: string | null | undefined): Ymd | null => {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s ?? '');
  return m ? { y: Number(m[1]), m: Number(m[2]), d: Number(m[3]) } : null;
};
/** Start of that Vietnam day as an instant. */
export const dayStart = (n: number): Date => {
  const x = fromDayNumber(n);
  return vnInstant(x.y, x.m, x.d);
};

// ---- RRULE -----------------------------------------------------------------------------------------------------

export const WEEKDAY_CODES = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'] as const;

export interface RuleParts {
  freq: 'DAILY' | 'WEEKLY' | 'MONTHLY' | 'YEARLY' | null;
  interval: number;
  /** Plain weekdays 0..6, or with ordinals (MONTHLY). */
  byDay: Array<{ weekday: number; n: number | null }>;
  byMonthDay: number[];
  count: number | null;
  /** "YYYY-MM-DD" (a DATE UNTIL) or raw when a DATE-TIME. */
  until: string | null;
  /** Anything this dashboard does not edit (BYHOUR, BYMONTH…): kept verbatim. */
  other: string[];
}

export function parseRrule(rrule: string | null | undefined): RuleParts {
  const out: RuleParts = { freq: null, interval: 1, byDay: [], byMonthDay: [], count: null, until: null, other: [] };
  if (!rrule) return out;
  for (const piece of rrule.replace(/^RRULE:/i, '').split(';')) {
    const [k = '', v = ''] = piece.split('=');
    const key = k.toUpperCase();
    if (key === 'FREQ' && ['DAILY', 'WEEKLY', 'MONTHLY', 'YEARLY'].includes(v)) out.freq = v as RuleParts['freq'];
    else if (key === 'INTERVAL') out.interval = Math.max(1, Number(v) || 1);
    else if (key === 'COUNT') out.count = Number(v) || null;
    else if (key === 'UNTIL') {
      const m = /^(\d{4})(\d{2})(\d{2})(T(\d{2})(\d{2})(\d{2})(Z)?)?$/.exec(v);
      if (m && !m[4]) out.until = `${m[1]}-${m[2]}-${m[3]}`;
      else if (m && m[8]) out.until = ymdString(ymdOf(new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[5]), Number(m[6]), Number(m[7])))));
      else if (m) out.until = `${m[1]}-${m[2]}-${m[3]}`;
    } else if (key === 'BYDAY') {
      for (const d of v.split(',')) {
        const mm = /^([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)$/.exec(d);
        if (mm) out.byDay.push({ weekday: WEEKDAY_CODES.indexOf(mm[2] as (typeof WEEKDAY_CODES)[number]), n: mm[1] ? Number(mm[1]) : null });
      }
    } else if (key === 'BYMONTHDAY') out.byMonthDay = v.split(',').map(Number).filter((n) => Number.isFinite(n) && n !== 0);
    else if (piece) out.other.push(piece);
  }
  return out;
}

export function buildRrule(r: RuleParts): string | null {
  if (!r.freq) return null;
  const parts = [`FREQ=${r.freq}`];
  if (r.interval > 1) parts.push(`INTERVAL=${r.interval}`);
  if (r.byDay.length > 0) parts.push(`BYDAY=${r.byDay.map((d) => `${d.n ?? ''}${WEEKDAY_CODES[d.weekday]}`).join(',')}`);
  if (r.byMonthDay.length > 0) parts.push(`BYMONTHDAY=${r.byMonthDay.join(',')}`);
  parts.push(...r.other);
  if (r.until) parts.push(`UNTIL=${r.until.replace(/-/g, '')}`);
  else if (r.count) parts.push(`COUNT=${r.count}`);
  return parts.join(';');
}

const two = (n: number) => String(n).padStart(2, '0');

/** "Hằng tuần vào Thứ Hai, Thứ Tư lúc 06:30, đến hết ngày 31/12/2026" / "Weekly on Mon, Wed at 06:30, until …". */
export function describeRecurrence(words: Words, rrule: string | null | undefined, startAt: string): string {
  const { w } = words;
  const p = zonedParts(new Date(startAt));
  const time = w('at', { time: `${two(p.hh)}:${two(p.mm)}` });
  const r = parseRrule(rrule);
  if (!r.freq) return `${w('once')} ${time}`;
  const dayName = (d: { weekday: number; n: number | null }) => {
    const name = words.weekday(d.weekday);
    if (d.n === null) return name;
    return d.n === -1 ? w('lastWd', { wd: name }) : w('nth', { wd: name, n: d.n });
  };
  const n = r.interval;
  let head: string;
  if (r.freq === 'DAILY') head = n > 1 ? w('dailyN', { n }) : w('daily');
  else if (r.freq === 'WEEKLY') {
    const days = (r.byDay.length > 0 ? r.byDay : [{ weekday: p.weekday, n: null }]).map(dayName).join(', ');
    head = n > 1 ? w('weeklyN', { n, days }) : w('weekly', { days });
  } else if (r.freq === 'MONTHLY') {
    if (r.byDay.length > 0) {
      const days = r.byDay.map(dayName).join(', ');
      head = n > 1 ? w('monthlyWdN', { n, days }) : w('monthlyWd', { days });
    } else {
      const days = (r.byMonthDay.length > 0 ? r.byMonthDay : [p.day]).map((d) => (d === -1 ? w('lastDay') : String(d))).join(', ');
      head = n > 1 ? w('monthlyDayN', { n, days }) : w('monthlyDay', { days });
    }
  } else head = w('yearly');
  const tail: string[] = [];
  if (r.until) {
    const u = parseYmd(r.until);
    tail.push(w('until', { date: u ? `${two(u.d)}/${two(u.m)}/${u.y}` : r.until }));
  } else if (r.count) tail.push(w('count', { n: r.count }));
  return `${head} ${time}${tail.length ? `, ${tail.join(', ')}` : ''}`;
}

/**
 * Occurrence starts of a schedule inside [from, to), for what the server holds no occurrences of yet (a pending
 * schedule, weeks beyond the horizon). The expander is the server's own (@loa/shared/recurrence), so the calendar
 * draws exactly what devices will play; a rule it refuses draws nothing.
 */
export function expandStarts(s: Pick<ScheduleView, 'startAt' | 'rrule' | 'exdates' | 'timezone'> & Partial<Pick<ScheduleView, 'times' | 'rdates'>>, from: number, to: number): number[] {
  const exdates = s.exdates.map((e) => (/^\d{4}-\d{2}-\d{2}$/.test(e) ? e : Date.parse(e)));
  try {
    return expand({ dtstart: Date.parse(s.startAt), rrule: s.rrule, exdates, timezone: s.timezone, times: s.times ?? [], rdates: (s.rdates ?? []).map((r) => Date.parse(r)) }, from, to);
  } catch (err) {
    if (err instanceof RecurrenceError) return [];
    throw err;
  }
}

export const contentLabel = (c: Pick<ContentView, 'title' | 'type'>, words: Words): string => `[${words.kind(c.type)}] ${c.title}`;
