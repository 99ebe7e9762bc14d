import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { can } from '../capabilities.js';
import type { PageProps } from '../app.js';
import { ApiError, api, get } from '../api.js';
import { fmtDate, fmtDuration, fmtTime, zonedParts } from '../format.js';
import { DateField, DateTimeField } from '../components/date-time-field.js';
import { defineStrings, useCommon, useT } from '../i18n.js';
import { navigate } from '../router.js';
import type { AreaView, ContentView, FanoutView, SaveResult, ScheduleView } from '@loa/shared/rest';
import { AreaSelect, Badge, ErrorBox, Field, Loading, Modal, PageHeader, useAreas, useAsync } from '../ui.js';
import {
  PRIORITY_COLOURS,
  priorityTone,
  dayNumber,
  dayStart,
  expandStarts,
  fromDayNumber,
  loadContents,
  parseYmd,
  weekdayOfDay,
  ymdOf,
  ymdString,
  useWords,
  type CalendarOccurrence,
  type Words,
} from './schedule-common.js';
import { ScheduleDetail } from './schedule-detail.js';
import { ScheduleEditor } from './schedule-editor.js';

const S = defineStrings({
  vi: {
    title: 'Lịch phát',
    newSchedule: 'Tạo lịch phát',
    week: 'Tuần',
    day: 'Ngày',
    today: 'Hôm nay',
    prev: 'Trước',
    next: 'Sau',
    goTo: 'Đến ngày',
    pending: 'Chờ phê duyệt',
    cancelled: 'Đã hủy',
    fallback: 'Máy chủ chưa có danh sách lượt phát theo khoảng thời gian; đang hiển thị từ danh sách lịch phát.',
    nothing: 'Không có lượt phát nào trong khoảng thời gian này.',
    devices: '{n} thiết bị',
    count: '{n} lượt phát',
    legend: 'Chú thích',
    planned: 'Dự kiến (chưa gửi tới thiết bị)',
    area: 'Địa bàn',
    move: 'Dời',
    moveTitle: 'Dời lượt phát',
    moveHint: 'Chỉ dời lượt phát này; các lượt khác của lịch giữ nguyên.',
    moveFrom: 'Đang phát lúc',
    moveTo: 'Giờ mới (giờ Việt Nam)',
    moveSave: 'Dời lượt phát',
    moving: 'Đang dời…',
    moved: 'Đã dời lượt phát tới {t}.',
    acceptMove: 'Tôi chấp nhận trùng lịch và vẫn dời',
    conflictMove: 'Giờ mới trùng {n} lượt phát cùng mức ưu tiên.',
    dragHint: 'Trên máy tính, kéo một lượt phát để dời giờ; trên điện thoại dùng nút "Dời" trong danh sách ngày.',
  },
  en: {
    title: 'Schedules',
    newSchedule: 'New schedule',
    week: 'Week',
    day: 'Day',
    today: 'Today',
    prev: 'Previous',
    next: 'Next',
    goTo: 'Go to date',
    pending: 'Awaiting approval',
    cancelled: 'Cancelled',
    fallback: 'The server has no occurrences-by-window endpoint yet; showing occurrences from the schedule list.',
    nothing: 'No broadcasts in this period.',
    devices: '{n} device(s)',
    count: '{n} occurrence(s)',
    legend: 'Legend',
    planned: 'Planned (not yet sent to devices)',
    area: 'Area',
    move: 'Move',
    moveTitle: 'Move occurrence',
    moveHint: 'Only this occurrence moves; the schedule’s others stay.',
    moveFrom: 'Now at',
    moveTo: 'New time (Vietnam time)',
    moveSave: 'Move occurrence',
    moving: 'Moving…',
    moved: 'Occurrence moved to {t}.',
    acceptMove: 'I accept the conflicts and move anyway',
    conflictMove: 'The new time overlaps {n} occurrence(s) of the same priority.',
    dragHint: 'On a computer, drag an occurrence to move it; on a phone use “Move” in the day’s list.',
  },
});

const HOUR_PX = 36;
const FIRST_VISIBLE_HOUR = 5;
const VISIBLE_HOURS = 17; // 05:00–22:00
const MIN_BLOCK_PX = 20;
const isPhone = () => typeof window !== 'undefined' && window.matchMedia('(max-width: 760px)').matches;
/** A drag snaps to this many minutes. */
const SNAP_MIN = 5;
/** Pointer travel (px) before a press on an occurrence becomes a drag rather than a click. */
const DRAG_PX = 5;

/** An occurrence the operator may move: stored or planned (not pending, cancelled or started), by a role that edits. */
const movable = (o: CalendarOccurrence, canEdit: boolean): boolean => canEdit && !o.pending && o.scheduleStatus !== 'cancelled' && Date.parse(o.startAt) > Date.now();
/** The server's id of an occurrence (planned ones are drawn under a dashboard id): `<schedule>:<start ms>`. */
const serverOccurrenceId = (o: CalendarOccurrence): string => `${o.scheduleId}:${Date.parse(o.startAt)}`;

/** Whether a schedule's area targets reach the filtered area's subtree (or lie in it), by area paths. */
function targetsArea(s: ScheduleView, area: AreaView | undefined, areas: AreaView[]): boolean {
  if (!area) return true;
  const byCode = new Map(areas.map((a) => [a.code, a]));
  return s.targets.areas.some((code) => {
    const p = byCode.get(code)?.path;
    return p !== undefined && (p.startsWith(area.path) || area.path.startsWith(p));
  });
}

interface Placed {
  o: CalendarOccurrence;
  top: number;
  height: number;
  lane: number;
  lanes: number;
}

/** Lays out one day's occurrences: overlapping blocks share the column side by side. */
function layoutDay(items: CalendarOccurrence[], day: number, minPx: number): Placed[] {
  const start0 = dayStart(day).getTime();
  const boxes = items
    .map((o) => {
      const s = Math.max(0, (Date.parse(o.startAt) - start0) / 60_000);
      const e = Math.min(24 * 60, s + Math.max(o.durationMs, 0) / 60_000);
      const top = (s / 60) * HOUR_PX;
      const height = Math.max(minPx, ((e - s) / 60) * HOUR_PX);
      return { o, top, height, lane: 0, lanes: 1 };
    })
    .sort((a, b) => a.top - b.top || b.height - a.height);
  let cluster: typeof boxes = [];
  let clusterEnd = -1;
  let laneEnds: number[] = [];
  const flush = () => {
    for (const b of cluster) b.lanes = laneEnds.length;
    cluster = [];
    laneEnds = [];
  };
  for (const b of boxes) {
    if (b.top >= clusterEnd) flush();
    let lane = laneEnds.findIndex((end) => end <= b.top);
    if (lane < 0) {
      lane = laneEnds.length;
      laneEnds.push(0);
    }
    laneEnds[lane] = b.top + b.height;
    b.lane = lane;
    cluster.push(b);
    clusterEnd = Math.max(clusterEnd, b.top + b.height);
  }
  flush();
  return boxes;
}

export function SchedulesPage({ route, session }: PageProps) {
  const t = useT(S);
  const c = useCommon();
  const words = useWords();
  const view: 'week' | 'day' = route.query.get('view') === 'week' ? 'week' : route.query.get('view') === 'day' ? 'day' : isPhone() ? 'day' : 'week';
  const todayN = dayNumber(ymdOf(new Date()));
  const anchor = (() => {
    const p = parseYmd(route.query.get('date'));
    return p ? dayNumber(p) : todayN;
  })();
  const first = view === 'week' ? anchor - weekdayOfDay(anchor) : anchor;
  const days = view === 'week' ? [0, 1, 2, 3, 4, 5, 6].map((i) => first + i) : [anchor];
  const from = dayStart(days[0] ?? anchor).toISOString();
  const to = dayStart((days[days.length - 1] ?? anchor) + 1).toISOString();
  // Issue 19: the area filter (the server scopes it: only an area inside the user's own).
  const areaFilter = route.query.get('area') ?? '';
  const areas = useAreas();
  const filterArea = areas.find((a) => a.code === areaFilter);

  const [tick, setTick] = useState(0);
  const [selected, setSelected] = useState<string | null>(route.parts[1] ?? null);
  const [editing, setEditing] = useState<{ schedule?: ScheduleView } | null>(null);
  const [moving, setMoving] = useState<{ o: CalendarOccurrence; to: number } | null>(null);
  const [movedTo, setMovedTo] = useState<string | null>(null);
  // Issue 19: hidden for whoever may not schedule (a commune officer unless LOA_OFFICER_MAY_SCHEDULE).
  const canCreate = can(session.user, 'schedule');

  // Schedules (for pending ones, which have no occurrences yet, and as a fallback source) and content titles.
  const schedules = useAsync(() => get<ScheduleView[]>('/api/v1/schedules'), [tick]);
  const contents = useAsync(() => loadContents(tick > 0).catch((): ContentView[] => []), [tick]);
  const occ = useAsync(async (): Promise<{ items: CalendarOccurrence[]; fallback: boolean }> => {
    try {
      return { items: await get<CalendarOccurrence[]>('/api/v1/schedules/occurrences', { from, to, areaCode: areaFilter || undefined }), fallback: false };
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 404)) throw e;
      return { items: [], fallback: true };
    }
  }, [from, to, tick, areaFilter]);

  const items = useMemo((): CalendarOccurrence[] => {
    const byContent = new Map((contents.data ?? []).map((x) => [x.id, x]));
    const lo = Date.parse(from);
    const hi = Date.parse(to);
    const out: CalendarOccurrence[] = [...(occ.data?.items ?? [])];
    const seen = new Set(out.map((o) => o.scheduleId));
    for (const s of schedules.data ?? []) {
      // With an area filter, what the dashboard expands itself is shown only for schedules reaching that area.
      if (areaFilter && !seen.has(s.id) && !targetsArea(s, filterArea, areas)) continue;
      const content = byContent.get(s.contentId);
      const base = {
        scheduleId: s.id,
        contentId: s.contentId,
        contentTitle: content?.title ?? s.contentId,
        contentKind: content?.type ?? '',
        priority: s.priority,
        scheduleStatus: s.status,
        deviceCount: s.deviceCount,
      };
      if (s.approval === 'pending' && s.status === 'active') {
        for (const start of expandStarts(s, lo, hi)) {
          out.push({ ...base, occurrenceId: `pending:${s.id}:${start}`, startAt: new Date(start).toISOString(), durationMs: content?.durationMs ?? 60_000, pending: true });
        }
      } else if (s.approval !== 'rejected') {
        if (occ.data?.fallback && !seen.has(s.id)) {
          for (const o of s.occurrences) {
            const at = Date.parse(o.startAt);
            if (at >= lo && at < hi) out.push({ ...base, occurrenceId: o.id, startAt: o.startAt, durationMs: o.durationMs });
          }
        }
        // Beyond the server's horizon a recurring schedule has no occurrences yet: show its planned ones.
        const horizon = s.generatedUntil ? Date.parse(s.generatedUntil) : null;
        if (s.rrule && s.status === 'active' && horizon !== null && horizon < hi) {
          const known = new Set(s.occurrences.map((o) => Date.parse(o.startAt)));
          const durationMs = s.occurrences[0]?.durationMs ?? (content ? content.durationMs * s.repeat + s.gapSeconds * 1000 * (s.repeat - 1) : 60_000);
          for (const start of expandStarts(s, Math.max(lo, horizon), hi)) {
            if (!known.has(start)) out.push({ ...base, occurrenceId: `planned:${s.id}:${start}`, startAt: new Date(start).toISOString(), durationMs, planned: true });
          }
        }
      }
    }
    return out;
  }, [occ.data, schedules.data, contents.data, from, to, areaFilter, areas]);

  const byDay = useMemo(() => {
    const m = new Map<number, CalendarOccurrence[]>();
    for (const o of items) {
      const n = dayNumber(ymdOf(new Date(o.startAt)));
      const list = m.get(n);
      if (list) list.push(o);
      else m.set(n, [o]);
    }
    return m;
  }, [items]);

  // Opens on 05:00 unless what there is to see (or now, today) lies outside 05:00–22:00.
  const focusHour = useMemo(() => {
    const hours = items.map((o) => zonedParts(new Date(o.startAt)).hh);
    if (hours.some((h) => h >= FIRST_VISIBLE_HOUR && h < FIRST_VISIBLE_HOUR + VISIBLE_HOURS)) return FIRST_VISIBLE_HOUR;
    if (hours.length > 0) return Math.max(0, Math.min(...hours) - 1);
    const nowH = zonedParts(new Date()).hh;
    if (days.includes(todayN) && (nowH < FIRST_VISIBLE_HOUR || nowH >= FIRST_VISIBLE_HOUR + VISIBLE_HOURS)) return Math.max(0, nowH - 1);
    return FIRST_VISIBLE_HOUR;
  }, [items, days.join(','), todayN]);

  const go = (n: number, v = view, area = areaFilter) => navigate('/schedules', { view: v, date: ymdString(fromDayNumber(n)), ...(area ? { area } : {}) });
  const step = view === 'week' ? 7 : 1;
  const rangeLabel = (() => {
    const a = fromDayNumber(days[0] ?? anchor);
    const b = fromDayNumber(days[days.length - 1] ?? anchor);
    const two = (n: number) => String(n).padStart(2, '0');
    return view === 'week' ? `${two(a.d)}/${two(a.m)} – ${two(b.d)}/${two(b.m)}/${b.y}` : `${words.weekday(weekdayOfDay(anchor))}, ${two(a.d)}/${two(a.m)}/${a.y}`;
  })();

  return (
    <div data-testid="schedules-page">
      <PageHeader title={t('title')}>
        {canCreate ? (
          <button type="button" class="primary" data-testid="schedule-new" onClick={() => setEditing({})}>
            + {t('newSchedule')}
          </button>
        ) : null}
      </PageHeader>

      <div class="filters" style={{ alignItems: 'center' }}>
        <div class="row" style={{ gap: '.35rem', alignItems: 'center' }}>
          <button type="button" aria-label={t('prev')} title={t('prev')} data-testid="cal-prev" onClick={() => go(anchor - step)}>
            ‹
          </button>
          <button type="button" data-testid="cal-today" onClick={() => go(todayN)}>
            {t('today')}
          </button>
          <button type="button" aria-label={t('next')} title={t('next')} data-testid="cal-next" onClick={() => go(anchor + step)}>
            ›
          </button>
          <strong data-testid="cal-range" style={{ marginLeft: '.25rem' }}>
            {rangeLabel}
          </strong>
        </div>
        <span class="spacer" style={{ flex: 1 }} />
        <Field label={t('area')}>
          <span data-testid="cal-area">
            <AreaSelect value={areaFilter} allowAll onChange={(code) => go(anchor, view, code)} />
          </span>
        </Field>
        <DateField
          label={t('goTo')}
          data-testid="cal-goto"
          value={ymdString(fromDayNumber(anchor))}
          onChange={(v) => {
            const p = parseYmd(v);
            if (p) go(dayNumber(p));
          }}
        />
        <div class="tabs" style={{ marginBottom: 0, borderBottom: 'none' }} role="tablist">
          <button type="button" role="tab" aria-selected={view === 'week'} class={view === 'week' ? 'active' : ''} data-testid="cal-week" onClick={() => go(anchor, 'week')}>
            {t('week')}
          </button>
          <button type="button" role="tab" aria-selected={view === 'day'} class={view === 'day' ? 'active' : ''} data-testid="cal-day" onClick={() => go(anchor, 'day')}>
            {t('day')}
          </button>
        </div>
        <button type="button" class="ghost" onClick={() => setTick((n) => n + 1)}>
          ↻ {c('refresh')}
        </button>
      </div>

      <ErrorBox error={occ.error} />
      {occ.data?.fallback ? <p class="muted small">{t('fallback')}</p> : null}
      <Loading when={occ.loading && !occ.data} />

      {movedTo ? (
        <p class="ok small" role="status" data-testid="moved-note">
          {t('moved', { t: movedTo })}
        </p>
      ) : null}
      <Calendar
        focusHour={focusHour}
        days={days}
        byDay={byDay}
        todayN={todayN}
        view={view}
        words={words}
        canMove={(o) => movable(o, canCreate) && !isPhone()}
        onPick={(o) => setSelected(o.scheduleId)}
        onDay={(n) => go(n, 'day')}
        onMove={(o, at) => setMoving({ o, to: at })}
      />
      {canCreate ? <p class="muted small">{t('dragHint')}</p> : null}

      <p class="muted small" style={{ display: 'flex', flexWrap: 'wrap', gap: '.75rem', alignItems: 'center' }}>
        <span>{t('legend')}:</span>
        {(['normal', 'priority', 'emergency'] as const).map((p) => (
          <span key={p} style={{ display: 'inline-flex', gap: '.3rem', alignItems: 'center' }}>
            <span style={{ ...swatch, background: PRIORITY_COLOURS[p]?.bg, borderLeft: `4px solid ${PRIORITY_COLOURS[p]?.border}` }} />
            {words.priority(p)}
          </span>
        ))}
        <span style={{ display: 'inline-flex', gap: '.3rem', alignItems: 'center' }}>
          <span style={{ ...swatch, ...pendingStyle('#1f5fa8', '#e8f0fb') }} />
          {t('pending')}
        </span>
        <span style={{ display: 'inline-flex', gap: '.3rem', alignItems: 'center' }}>
          <span style={{ ...swatch, ...cancelledStyle }} />
          {t('cancelled')}
        </span>
        <span>· {t('count', { n: items.length })}</span>
      </p>
      {occ.data && items.length === 0 ? <p class="muted">{t('nothing')}</p> : null}
      {view === 'day' && items.length > 0 ? <Agenda items={items} words={words} canMove={(o) => movable(o, canCreate)} onPick={(o) => setSelected(o.scheduleId)} onMove={(o) => setMoving({ o, to: Date.parse(o.startAt) })} /> : null}
      {moving ? (
        <MoveDialog
          o={moving.o}
          to={moving.to}
          onClose={() => setMoving(null)}
          onMoved={(at) => {
            setMoving(null);
            setMovedTo(`${fmtDate(at)} ${fmtTime(at)}`);
            setTick((n) => n + 1);
          }}
        />
      ) : null}

      {selected ? (
        <ScheduleDetail
          id={selected}
          session={session}
          onClose={() => setSelected(null)}
          onEdit={(s) => {
            setSelected(null);
            setEditing({ schedule: s });
          }}
          onChanged={() => setTick((n) => n + 1)}
        />
      ) : null}
      {editing ? <ScheduleEditor schedule={editing.schedule} onClose={() => setEditing(null)} onSaved={(r) => void settled(r.fanout).then(() => setTick((n) => n + 1))} /> : null}
    </div>
  );
}

const swatch = { display: 'inline-block', width: '1.4rem', height: '.9rem', borderRadius: '3px' };
const pendingStyle = (border: string, bg: string) => ({
  background: `repeating-linear-gradient(135deg, ${bg}, ${bg} 5px, #fff 5px, #fff 10px)`,
  border: `1px dashed ${border}`,
  borderLeft: `4px dashed ${border}`,
});
const cancelledStyle = { background: '#eef0f2', border: '1px solid #c9ced4', borderLeft: '4px solid #98a1ab', color: '#5b6775', textDecoration: 'line-through' };

function Calendar({
  focusHour,
  days,
  byDay,
  todayN,
  view,
  words,
  onPick,
  onDay,
  canMove,
  onMove,
}: {
  focusHour: number;
  days: number[];
  byDay: Map<number, CalendarOccurrence[]>;
  todayN: number;
  view: 'week' | 'day';
  words: Words;
  onPick: (o: CalendarOccurrence) => void;
  onDay: (n: number) => void;
  canMove: (o: CalendarOccurrence) => boolean;
  onMove: (o: CalendarOccurrence, at: number) => void;
}) {
  const t = useT(S);
  const scroller = useRef<HTMLDivElement>(null);
  const drag = useDrag(onMove);
  useEffect(() => {
    if (scroller.current) scroller.current.scrollTop = focusHour * HOUR_PX;
  }, [view, days[0], focusHour]);
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 60_000);
    return () => clearInterval(timer);
  }, []);
  const nowParts = zonedParts(new Date(now));
  const nowTop = ((nowParts.hh * 60 + nowParts.mm) / 60) * HOUR_PX;
  const cols = `3.2rem repeat(${days.length}, minmax(${view === 'week' ? '6.5rem' : '12rem'}, 1fr))`;
  const two = (n: number) => String(n).padStart(2, '0');
  return (
    <div class="card" style={{ padding: 0, overflow: 'hidden' }} data-testid="calendar" data-view={view}>
      <div ref={scroller} style={{ height: `${VISIBLE_HOURS * HOUR_PX + 44}px`, overflow: 'auto', position: 'relative' }}>
        <div style={{ display: 'grid', gridTemplateColumns: cols, position: 'sticky', top: 0, zIndex: 3, background: '#f8fafb', borderBottom: '1px solid var(--line)', minWidth: 'min-content' }}>
          <div style={{ position: 'sticky', left: 0, background: '#f8fafb' }} />
          {days.map((n) => {
            const x = fromDayNumber(n);
            const isToday = n === todayN;
            return (
              <button
                type="button"
                key={n}
                class="ghost"
                data-testid="cal-day-head"
                data-date={ymdString(x)}
                onClick={() => onDay(n)}
                style={{ minHeight: '44px', justifyContent: 'center', flexDirection: 'column', gap: 0, borderRadius: 0, padding: '.2rem', color: isToday ? 'var(--primary)' : 'var(--text)', fontWeight: isToday ? 700 : 500, borderLeft: '1px solid var(--line)' }}
              >
                <span class="small">{view === 'week' ? words.weekdayShort(weekdayOfDay(n)) : words.weekday(weekdayOfDay(n))}</span>
                <span>
                  {two(x.d)}/{two(x.m)}
                </span>
              </button>
            );
          })}
        </div>
        <div style={{ display: 'grid', gridTemplateColumns: cols, position: 'relative', height: `${24 * HOUR_PX}px`, minWidth: 'min-content' }}>
          <div style={{ position: 'sticky', left: 0, zIndex: 2, background: '#fff', borderRight: '1px solid var(--line)' }}>
            {Array.from({ length: 24 }, (_, h) => (
              <div key={h} class="muted" style={{ position: 'absolute', top: `${h * HOUR_PX}px`, right: '.3rem', fontSize: '.72rem', transform: h === 0 ? 'none' : 'translateY(-50%)' }}>
                {two(h)}:00
              </div>
            ))}
          </div>
          {days.map((n) => (
            <div
              key={n}
              data-testid="cal-column"
              data-date={ymdString(fromDayNumber(n))}
              style={{
                position: 'relative',
                borderLeft: '1px solid var(--line)',
                background: `${n === todayN ? '#fffaf0' : '#fff'} repeating-linear-gradient(to bottom, transparent 0, transparent ${HOUR_PX - 1}px, #eceff2 ${HOUR_PX - 1}px, #eceff2 ${HOUR_PX}px)`,
              }}
            >
              {layoutDay(byDay.get(n) ?? [], n, view === 'day' ? 34 : MIN_BLOCK_PX).map((p) => (
                <Block
                  key={p.o.occurrenceId}
                  p={p}
                  view={view}
                  words={words}
                  pendingLabel={t('pending')}
                  cancelledLabel={t('cancelled')}
                  devicesLabel={t('devices', { n: p.o.deviceCount })}
                  onPick={(o) => !drag.consumeClick() && onPick(o)}
                  dragDy={drag.state?.o.occurrenceId === p.o.occurrenceId ? drag.state.dy : null}
                  dragDx={drag.state?.o.occurrenceId === p.o.occurrenceId ? drag.state.dx : 0}
                  onPointerDown={canMove(p.o) ? (e) => drag.start(e, p.o) : undefined}
                />
              ))}
              {n === todayN ? <div aria-hidden style={{ position: 'absolute', left: 0, right: 0, top: `${nowTop}px`, borderTop: '2px solid var(--primary)', zIndex: 1, pointerEvents: 'none' }} /> : null}
            </div>
          ))}
        </div>
      </div>
    </div>
  );
}

function Block({
  p,
  view,
  words,
  pendingLabel,
  cancelledLabel,
  devicesLabel,
  onPick,
  dragDy,
  dragDx,
  onPointerDown,
}: {
  p: Placed;
  view: 'week' | 'day';
  words: Words;
  pendingLabel: string;
  cancelledLabel: string;
  devicesLabel: string;
  onPick: (o: CalendarOccurrence) => void;
  dragDy: number | null;
  dragDx: number;
  onPointerDown: ((e: PointerEvent) => void) | undefined;
}) {
  const o = p.o;
  const col = PRIORITY_COLOURS[o.priority] ?? PRIORITY_COLOURS.normal ?? { border: '#1f5fa8', bg: '#e8f0fb', text: '#143e6e' };
  const cancelled = o.scheduleStatus === 'cancelled';
  const pending = Boolean(o.pending);
  const look = cancelled ? cancelledStyle : pending ? { ...pendingStyle(col.border, col.bg), color: col.text } : { background: col.bg, border: `1px solid ${col.border}33`, borderLeft: `4px solid ${col.border}`, color: col.text };
  // The server's real end (the content's length, repeats and gaps), else computed the same way.
  const end = o.endAt ?? Date.parse(o.startAt) + o.durationMs;
  const t = useT(S);
  const planned = Boolean(o.planned);
  const status = cancelled ? 'cancelled' : pending ? 'pending' : planned ? 'planned' : 'active';
  const title = `${fmtTime(o.startAt)}–${fmtTime(end)} ${o.contentTitle} · ${words.priority(o.priority)}${pending ? ` · ${pendingLabel}` : ''}${cancelled ? ` · ${cancelledLabel}` : ''}${planned ? ` · ${t('planned')}` : ''} · ${devicesLabel}`;
  const roomy = p.height >= 34;
  return (
    <button
      type="button"
      data-testid="occurrence"
      data-schedule-id={o.scheduleId}
      data-occurrence-id={o.occurrenceId}
      data-status={status}
      data-priority={o.priority}
      data-start={o.startAt}
      data-movable={onPointerDown ? 'true' : 'false'}
      data-dragging={dragDy !== null ? 'true' : undefined}
      title={title}
      aria-label={title}
      onClick={() => onPick(o)}
      onPointerDown={onPointerDown}
      style={{
        ...look,
        ...(dragDy !== null ? { transform: `translate(${dragDx}px, ${dragDy}px)`, zIndex: 5, boxShadow: '0 4px 10px rgba(0,0,0,.25)', opacity: 0.9 } : {}),
        touchAction: onPointerDown ? 'none' : undefined,
        position: 'absolute',
        top: `${p.top}px`,
        height: `${p.height}px`,
        left: `calc(${(p.lane / p.lanes) * 100}% + 2px)`,
        width: `calc(${100 / p.lanes}% - 4px)`,
        minHeight: 0,
        padding: '1px 4px',
        borderRadius: '4px',
        display: 'block',
        textAlign: 'left',
        overflow: 'hidden',
        fontSize: '.74rem',
        lineHeight: 1.25,
        zIndex: 2,
        whiteSpace: roomy || view === 'day' ? 'normal' : 'nowrap',
        textOverflow: 'ellipsis',
        cursor: onPointerDown ? (dragDy !== null ? 'grabbing' : 'grab') : 'pointer',
        fontWeight: o.priority === 'emergency' ? 700 : 500,
        opacity: planned ? 0.75 : 1,
      }}
    >
      <span style={{ fontVariantNumeric: 'tabular-nums' }}>
        {fmtTime(o.startAt)}
        {view === 'day' || p.height >= 34 ? `–${fmtTime(end)}` : ''}
      </span>{' '}
      {o.contentTitle}
      {view === 'day' ? (
        <span style={{ opacity: 0.85 }}>
          {' '}
          · {fmtDuration(o.durationMs)} · {words.priority(o.priority)} · {devicesLabel}
          {pending ? ` · ${pendingLabel}` : ''}
          {cancelled ? ` · ${cancelledLabel}` : ''}
        </span>
      ) : null}
    </button>
  );
}

/** The day as a list under the grid: on a phone, overlapping blocks get narrow; this reads well at any width. */
function Agenda({ items, words, onPick, canMove, onMove }: { items: CalendarOccurrence[]; words: Words; onPick: (o: CalendarOccurrence) => void; canMove: (o: CalendarOccurrence) => boolean; onMove: (o: CalendarOccurrence) => void }) {
  const t = useT(S);
  const sorted = [...items].sort((a, b) => a.startAt.localeCompare(b.startAt));
  return (
    <div class="table-wrap" data-testid="agenda">
      <table>
        <tbody>
          {sorted.map((o) => {
            const cancelled = o.scheduleStatus === 'cancelled';
            const col = PRIORITY_COLOURS[o.priority] ?? PRIORITY_COLOURS.normal;
            return (
              <tr key={o.occurrenceId} class="clickable" data-testid="agenda-item" data-schedule-id={o.scheduleId} onClick={() => onPick(o)}>
                <td style={{ borderLeft: `4px ${o.pending ? 'dashed' : 'solid'} ${cancelled ? '#98a1ab' : col?.border ?? '#1f5fa8'}`, fontVariantNumeric: 'tabular-nums' }}>
                  {fmtTime(o.startAt)}–{fmtTime(o.endAt ?? Date.parse(o.startAt) + o.durationMs)}
                  <div class="muted small">{fmtDuration(o.durationMs)}</div>
                </td>
                <td class="wrap" style={{ textDecoration: cancelled ? 'line-through' : 'none', width: '100%' }}>
                  <strong>{o.contentTitle}</strong>
                  <div class="muted small">
                    {o.contentKind ? `${words.kind(o.contentKind)} · ` : ''}
                    {t('devices', { n: o.deviceCount })}
                  </div>
                </td>
                <td>
                  <Badge tone={priorityTone(o.priority)}>{words.priority(o.priority)}</Badge>
                  {o.pending ? (
                    <div>
                      <Badge tone="warn">{t('pending')}</Badge>
                    </div>
                  ) : null}
                  {cancelled ? (
                    <div>
                      <Badge tone="muted">{t('cancelled')}</Badge>
                    </div>
                  ) : null}
                  {canMove(o) ? (
                    <div>
                      {/* The non-drag way to move an occurrence (phones, keyboards). */}
                      <button
                        type="button"
                        class="ghost small"
                        data-testid="agenda-move"
                        onClick={(e) => {
                          e.stopPropagation();
                          onMove(o);
                        }}
                      >
                        ⇅ {t('move')}
                      </button>
                    </div>
                  ) : null}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

interface DragState {
  o: CalendarOccurrence;
  x0: number;
  y0: number;
  dx: number;
  dy: number;
  /** Pointer offset from the block's top when grabbed, so the block keeps its place under the pointer. */
  grab: number;
  moved: boolean;
}

/**
 * Dragging an occurrence on the grid (desktop). Pointer events on the window once a block is pressed; on release over
 * a day column the new start is that column's day at the block's top, snapped to SNAP_MIN, and handed to `onMove`
 * (which asks for confirmation). A press that hardly moved stays a click.
 */
function useDrag(onMove: (o: CalendarOccurrence, at: number) => void) {
  const [state, setState] = useState<DragState | null>(null);
  const ref = useRef<DragState | null>(null);
  const swallow = useRef(false);
  const start = (e: PointerEvent, o: CalendarOccurrence) => {
    if (e.button !== 0) return;
    const box = (e.currentTarget as HTMLElement).getBoundingClientRect();
    ref.current = { o, x0: e.clientX, y0: e.clientY, dx: 0, dy: 0, grab: e.clientY - box.top, moved: false };
    const move = (ev: PointerEvent) => {
      const d = ref.current;
      if (!d) return;
      const dx = ev.clientX - d.x0;
      const dy = ev.clientY - d.y0;
      if (!d.moved && Math.hypot(dx, dy) < DRAG_PX) return;
      ref.current = { ...d, dx, dy, moved: true };
      setState(ref.current);
    };
    const up = (ev: PointerEvent) => {
      window.removeEventListener('pointermove', move);
      window.removeEventListener('pointerup', up);
      const d = ref.current;
      ref.current = null;
      setState(null);
      if (!d?.moved) return;
      swallow.current = true; // the click that follows the release is not a "pick"
      setTimeout(() => (swallow.current = false), 0);
      const column = document.elementsFromPoint(ev.clientX, ev.clientY).find((el) => (el as HTMLElement).dataset?.testid === 'cal-column') as HTMLElement | undefined;
      const ymd = parseYmd(column?.dataset.date ?? null);
      if (!column || !ymd) return;
      const top = ev.clientY - column.getBoundingClientRect().top - d.grab;
      const minutes = Math.max(0, Math.min(24 * 60 - SNAP_MIN, Math.round(((top / HOUR_PX) * 60) / SNAP_MIN) * SNAP_MIN));
      const at = dayStart(dayNumber(ymd)).getTime() + minutes * 60_000;
      if (at !== Date.parse(d.o.startAt)) onMove(d.o, at);
    };
    window.addEventListener('pointermove', move);
    window.addEventListener('pointerup', up);
  };
  return { state, start, consumeClick: () => swallow.current };
}

/** Waits (briefly) for the job bringing a change to the devices, so the calendar reloads what was materialised. */
async function settled(job: FanoutView | null | undefined): Promise<void> {
  if (!job) return;
  for (let i = 0; i < 60; i++) {
    const j = await get<FanoutView>(`/api/v1/fanouts/${encodeURIComponent(job.id)}`).catch(() => null);
    if (!j || j.state === 'done' || j.state === 'failed') return;
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Confirms (and lets the operator adjust) the new start of one occurrence; the same dialog on a phone, without drag. */
function MoveDialog({ o, to, onClose, onMoved }: { o: CalendarOccurrence; to: number; onClose: () => void; onMoved: (at: number) => void }) {
  const t = useT(S);
  const c = useCommon();
  const [at, setAt] = useState(() => new Date(to).toISOString());
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [conflicts, setConflicts] = useState(0);
  const [accept, setAccept] = useState(false);
  const end = o.endAt ?? Date.parse(o.startAt) + o.durationMs;
  const submit = async () => {
    const target = Date.parse(at);
    if (Number.isNaN(target)) return;
    setBusy(true);
    setError(null);
    try {
      const r = await api<SaveResult>('POST', `/api/v1/schedules/${encodeURIComponent(o.scheduleId)}/occurrences/move`, {
        body: { occurrenceId: serverOccurrenceId(o), startAt: new Date(target).toISOString(), ...(accept ? { acceptConflicts: true } : {}) },
      });
      await settled(r.fanout);
      onMoved(target);
    } catch (e) {
      const body = e instanceof ApiError ? (e.body as { conflictTotals?: { conflicts: number } } | null) : null;
      if (e instanceof ApiError && e.status === 409 && body?.conflictTotals) setConflicts(body.conflictTotals.conflicts);
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal title={t('moveTitle')} onClose={onClose}>
      <form
        class="form"
        data-testid="move-dialog"
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <p>
          <strong>{o.contentTitle}</strong>
        </p>
        <p class="small">
          {t('moveFrom')}: {fmtDate(o.startAt)} {fmtTime(o.startAt)}–{fmtTime(end)}
        </p>
        <Field label={t('moveTo')} hint={t('moveHint')}>
          <DateTimeField name="moveTo" label={t('moveTo')} data-testid="move-to" value={at} onChange={(v) => v && setAt(v)} />
        </Field>
        {conflicts > 0 ? (
          <label class="row" style={{ alignItems: 'center', gap: '.4rem' }}>
            <input type="checkbox" data-testid="move-accept" checked={accept} onChange={(e) => setAccept((e.target as HTMLInputElement).checked)} />
            <span>
              {t('conflictMove', { n: conflicts })} <strong>{t('acceptMove')}</strong>
            </span>
          </label>
        ) : null}
        <ErrorBox error={error} />
        <div class="row" style={{ justifyContent: 'flex-end', marginTop: '.75rem' }}>
          <button type="button" onClick={onClose}>
            {c('cancel')}
          </button>
          <button type="submit" class="primary" data-testid="move-save" disabled={busy}>
            {busy ? t('moving') : t('moveSave')}
          </button>
        </div>
      </form>
    </Modal>
  );
}
