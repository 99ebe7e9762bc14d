import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { apiWithHeaders, download, get } from '../api.js';
import { fmtDateTime, fmtDuration } from '../format.js';
import { defineStrings, useCommon, useT } from '../i18n.js';
import { useLive, type LiveEvent } from '../live.js';
import { href } from '../router.js';
import { DELIVERY_STATES, type DeliveryState, type DeliveryView, type ScheduleView } from '@loa/shared/rest';
import { ActionButton, Badge, ErrorBox, Loading, PageHeader, areaName, toneOf, useAreas, useAsync } from '../ui.js';
import { approvalTone, deviceMap, describeRecurrence, loadContents, loadDevices, priorityTone, useWords, type CalendarOccurrence, type ScheduleSummary } from './schedule-common.js';

const S = defineStrings({
  vi: {
    title: 'Kết quả phát',
    back: '← Danh sách lượt phát',
    occurrence: 'Lượt phát',
    allOccurrences: 'Tất cả các lượt',
    state: 'Trạng thái',
    all: 'Tất cả',
    total: 'Tổng',
    device: 'Thiết bị',
    area: 'Địa bàn',
    delivered: 'Đã nhận lúc',
    started: 'Bắt đầu',
    ended: 'Kết thúc',
    played: 'Thời lượng phát',
    reason: 'Lý do',
    noRows: 'Không có thiết bị nào ở trạng thái này.',
    page: '{a}–{b} / {n}',
    prev: '‹ Trước',
    next: 'Sau ›',
    devices: '{n} thiết bị',
    pendingNote: 'Lịch phát này đang chờ phê duyệt: chưa gửi tới thiết bị nào.',
    live: 'Cập nhật trực tiếp',
    schedule: 'Lịch phát',
  },
  en: {
    title: 'Deliveries',
    back: '← All broadcasts',
    occurrence: 'Occurrence',
    allOccurrences: 'All occurrences',
    state: 'State',
    all: 'All',
    total: 'Total',
    device: 'Device',
    area: 'Area',
    delivered: 'Delivered at',
    started: 'Started',
    ended: 'Ended',
    played: 'Played',
    reason: 'Reason',
    noRows: 'No device in this state.',
    page: '{a}–{b} of {n}',
    prev: '‹ Previous',
    next: 'Next ›',
    devices: '{n} device(s)',
    pendingNote: 'This schedule awaits approval: nothing has been sent to devices.',
    live: 'Live updates',
    schedule: 'Schedule',
  },
});

const PAGE = 100;

interface DeliveryEvent extends LiveEvent {
  scheduleId: string;
  occurrenceId: string;
  deviceId: string;
  state: DeliveryState;
  reason: string | null;
  at: string | null;
}

const isDeliveryEvent = (e: LiveEvent): e is DeliveryEvent => typeof e.scheduleId === 'string' && typeof e.deviceId === 'string' && typeof e.state === 'string';

/** The occurrence shown when none is asked for: the latest one that has started (or the first one to come). */
function defaultOccurrence(s: ScheduleSummary | undefined): string {
  const occ = s?.occurrences ?? [];
  const now = Date.now();
  const started = occ.filter((o) => Date.parse(o.startAt) <= now + 60_000);
  return (started[started.length - 1] ?? occ[0])?.occurrenceId ?? '';
}

export function DeliveryMatrix({ scheduleId, initialOccurrence, initialState }: { scheduleId: string; initialOccurrence: string | null; initialState: string | null }) {
  const t = useT(S);
  const c = useCommon();
  const words = useWords();
  const areas = useAreas();
  const enc = encodeURIComponent(scheduleId);
  const sched = useAsync(() => get<ScheduleView>(`/api/v1/schedules/${enc}`), [scheduleId]);
  const summary = useAsync(() => get<ScheduleSummary>(`/api/v1/schedules/${enc}/summary`), [scheduleId]);
  const devices = useAsync(() => loadDevices().catch(() => []), []);
  const devById = useMemo(() => deviceMap(devices.data), [devices.data]);
  const title = useAsync(async (): Promise<string | null> => {
    const s = sched.data;
    if (!s) return null;
    const fromContents = await loadContents()
      .then((list) => list.find((x) => x.id === s.contentId)?.title ?? null)
      .catch(() => null);
    if (fromContents) return fromContents;
    // Commune officers may not read the content library: the calendar view carries the title.
    const start = Date.parse(s.occurrences[0]?.startAt ?? s.startAt);
    const occ = await get<CalendarOccurrence[]>('/api/v1/schedules/occurrences', { from: new Date(start - 60_000).toISOString(), to: new Date(start + 86_400_000).toISOString() }).catch((): CalendarOccurrence[] => []);
    return occ.find((o) => o.scheduleId === s.id)?.contentTitle ?? null;
  }, [sched.data?.id]);

  const [occurrence, setOccurrence] = useState<string | null>(initialOccurrence);
  const occId = occurrence ?? defaultOccurrence(summary.data);
  const [state, setState] = useState<string>(initialState && (DELIVERY_STATES as readonly string[]).includes(initialState) ? initialState : '');
  const [offset, setOffset] = useState(0);
  useEffect(() => setOffset(0), [occId, state]);

  const ready = occurrence !== null || summary.data !== undefined || summary.error !== undefined;
  const rows = useAsync(async (): Promise<{ items: DeliveryView[]; total: number }> => {
    if (!ready) return { items: [], total: 0 };
    const { data, headers } = await apiWithHeaders<DeliveryView[]>('GET', `/api/v1/schedules/${enc}/deliveries`, { query: { occurrenceId: occId || undefined, state: state || undefined, limit: PAGE, offset } });
    return { items: data, total: Number(headers.get('x-total-count') ?? data.length) };
  }, [scheduleId, occId, state, offset, ready]);

  // Totals of the selected occurrence (or all), adjusted in place by live events and re-read now and then.
  const baseCounts = useMemo((): Record<string, number> => {
    if (!summary.data) return {};
    if (!occId) return summary.data.totals;
    return summary.data.occurrences.find((o) => o.occurrenceId === occId)?.counts ?? {};
  }, [summary.data, occId]);
  const [delta, setDelta] = useState<Record<string, number>>({});
  useEffect(() => setDelta({}), [baseCounts]);
  const counts = useMemo(() => {
    const out: Record<string, number> = { ...baseCounts };
    for (const [k, v] of Object.entries(delta)) out[k] = Math.max(0, (out[k] ?? 0) + v);
    return out;
  }, [baseCounts, delta]);
  const total = Object.values(counts).reduce((a, b) => a + b, 0);

  const refreshTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(
    () => () => {
      if (refreshTimer.current) clearTimeout(refreshTimer.current);
    },
    [],
  );
  const refreshSoon = () => {
    if (refreshTimer.current) return;
    refreshTimer.current = setTimeout(() => {
      refreshTimer.current = null;
      summary.reload();
    }, 4000);
  };

  useLive('delivery.state', (e) => {
    if (!isDeliveryEvent(e) || e.scheduleId !== scheduleId) return;
    refreshSoon();
    if (occId && e.occurrenceId !== occId) return;
    const row = rows.data?.items.find((r) => r.deviceId === e.deviceId && r.occurrenceId === e.occurrenceId);
    if (!row) return;
    const old = row.state;
    if (old === e.state) return;
    setDelta((d) => ({ ...d, [old]: (d[old] ?? 0) - 1, [e.state]: (d[e.state] ?? 0) + 1 }));
    rows.set((prev) =>
      prev
        ? {
            ...prev,
            items: prev.items.map((r) => {
              if (r.deviceId !== e.deviceId || r.occurrenceId !== e.occurrenceId) return r;
              const at = e.at ?? new Date().toISOString();
              const next: DeliveryView = { ...r, state: e.state, reason: e.reason ?? r.reason };
              if (e.state === 'delivered') next.deliveredAt = r.deliveredAt ?? at;
              else if (e.state === 'started') next.startedAt = r.startedAt ?? at;
              else if (e.state !== 'queued') next.endedAt = r.endedAt ?? at;
              if (e.state === 'finished' && next.startedAt && next.playedMs === null) next.playedMs = Date.parse(at) - Date.parse(next.startedAt);
              return next;
            }),
          }
        : prev,
    );
  });

  const s = sched.data;
  const occList = summary.data?.occurrences ?? [];
  const page = rows.data;
  const showOccCol = !occId;

  return (
    <div data-testid="delivery-matrix" data-schedule-id={scheduleId}>
      <p style={{ margin: '0 0 .5rem' }}>
        <a href={href('/deliveries')}>{t('back')}</a>
      </p>
      <PageHeader title={title.data ?? (s ? s.contentId : t('title'))}>
        <ActionButton
          data-testid="export-csv"
          onClick={() => download(`/api/v1/schedules/${enc}/deliveries.csv`, `deliveries-${scheduleId}.csv`, { occurrenceId: occId || undefined, state: state || undefined })}
        >
          ⤓ {c('exportCsv')}
        </ActionButton>
        <button
          type="button"
          class="ghost"
          onClick={() => {
            summary.reload();
            rows.reload();
          }}
        >
          ↻ {c('refresh')}
        </button>
      </PageHeader>
      <ErrorBox error={sched.error} />
      {s ? (
        <p style={{ display: 'flex', flexWrap: 'wrap', gap: '.35rem', alignItems: 'center', marginTop: 0 }}>
          <Badge tone={priorityTone(s.priority)}>{words.priority(s.priority)}</Badge>
          <Badge tone={toneOf(s.status)}>{words.status(s.status)}</Badge>
          {s.approval && s.approval !== 'not-required' ? <Badge tone={approvalTone(s.approval)}>{words.approval(s.approval)}</Badge> : null}
          <span class="muted small">
            {describeRecurrence(words, s.rrule, s.startAt)} · {t('devices', { n: summary.data?.deviceCount ?? s.deviceCount })} ·{' '}
            <a href={href(`/schedules?view=day&date=${fmtDayParam(occList.find((o) => o.occurrenceId === occId)?.startAt ?? s.startAt)}`)}>{t('schedule')}</a>
          </span>
        </p>
      ) : null}
      {s?.approval === 'pending' ? <p class="muted">{t('pendingNote')}</p> : null}

      <div class="filters">
        <label class="field">
          <span class="field-label">{t('occurrence')}</span>
          <select
            name="occurrence"
            data-testid="occurrence-select"
            value={occId}
            onChange={(e) => {
              setOccurrence((e.target as HTMLSelectElement).value);
            }}
          >
            <option value="">{t('allOccurrences')}</option>
            {occList.map((o) => (
              <option key={o.occurrenceId} value={o.occurrenceId}>
                {fmtDateTime(o.startAt)} · {o.total}
              </option>
            ))}
            {occId && !occList.some((o) => o.occurrenceId === occId) ? <option value={occId}>{occId}</option> : null}
          </select>
        </label>
        <label class="field">
          <span class="field-label">{t('state')}</span>
          <select name="state" data-testid="state-filter" value={state} onChange={(e) => setState((e.target as HTMLSelectElement).value)}>
            <option value="">{t('all')}</option>
            {DELIVERY_STATES.map((st) => (
              <option key={st} value={st}>
                {words.state(st)}
              </option>
            ))}
          </select>
        </label>
      </div>

      <ErrorBox error={summary.error} />
      <div style={{ display: 'flex', flexWrap: 'wrap', gap: '.4rem', marginBottom: '.75rem' }} data-testid="delivery-totals" data-total={total}>
        <button type="button" class={state === '' ? 'primary' : ''} style={{ minHeight: '30px', padding: '.2rem .6rem' }} onClick={() => setState('')}>
          {t('total')}: {total}
        </button>
        {DELIVERY_STATES.map((st) => (
          <button
            type="button"
            key={st}
            data-testid="state-total"
            data-state={st}
            data-count={counts[st] ?? 0}
            onClick={() => setState(state === st ? '' : st)}
            aria-pressed={state === st}
            style={{ minHeight: '30px', padding: '.2rem .5rem', opacity: (counts[st] ?? 0) === 0 && state !== st ? 0.55 : 1, outline: state === st ? '2px solid var(--text)' : 'none' }}
          >
            <Badge tone={toneOf(st)}>{words.state(st)}</Badge>
            <strong>{counts[st] ?? 0}</strong>
          </button>
        ))}
      </div>

      <ErrorBox error={rows.error} />
      <Loading when={rows.loading && !page} />
      <div class="table-wrap">
        <table data-testid="delivery-table">
          <thead>
            <tr>
              <th>{t('device')}</th>
              <th>{t('area')}</th>
              {showOccCol ? <th>{t('occurrence')}</th> : null}
              <th>{t('state')}</th>
              <th class="hide-phone">{t('delivered')}</th>
              <th>{t('started')}</th>
              <th>{t('ended')}</th>
              <th>{t('played')}</th>
              <th>{t('reason')}</th>
            </tr>
          </thead>
          <tbody>
            {(page?.items ?? []).map((d) => {
              const dev = devById.get(d.deviceId);
              return (
                <tr key={`${d.occurrenceId}|${d.deviceId}`} data-testid="delivery-row" data-device-id={d.deviceId} data-state={d.state} data-occurrence-id={d.occurrenceId}>
                  <td>
                    <a href={href(`/device/${encodeURIComponent(d.deviceId)}`)}>{dev?.name ?? d.deviceId}</a>
                    {dev ? <div class="muted small">{d.deviceId}</div> : null}
                  </td>
                  <td class="wrap">{dev ? areaName(areas, dev.areaCode) : '—'}</td>
                  {showOccCol ? <td>{fmtDateTime(occList.find((o) => o.occurrenceId === d.occurrenceId)?.startAt ?? null)}</td> : null}
                  <td>
                    <Badge tone={toneOf(d.state)}>{words.state(d.state)}</Badge>
                  </td>
                  <td class="hide-phone">{fmtClock(d.deliveredAt)}</td>
                  <td>{fmtClock(d.startedAt)}</td>
                  <td>{fmtClock(d.endedAt)}</td>
                  <td>{d.playedMs === null ? '—' : fmtDuration(d.playedMs)}</td>
                  <td class="wrap small">{d.reason ?? ''}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
        {page && page.items.length === 0 ? <p class="muted" style={{ padding: '0 .75rem' }}>{t('noRows')}</p> : null}
      </div>
      {page && page.total > PAGE ? (
        <div class="row" style={{ alignItems: 'center', justifyContent: 'flex-end' }}>
          <button type="button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>
            {t('prev')}
          </button>
          <span class="muted small" data-testid="delivery-page">
            {t('page', { a: offset + 1, b: Math.min(offset + PAGE, page.total), n: page.total })}
          </span>
          <button type="button" disabled={offset + PAGE >= page.total} onClick={() => setOffset(offset + PAGE)}>
            {t('next')}
          </button>
        </div>
      ) : null}
    </div>
  );
}

/** 06:30:05: a delivery's seconds matter (synchronised starts). */
function fmtClock(iso: string | null): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return d.toLocaleTimeString('vi-VN', { timeZone: 'Asia/Ho_Chi_Minh', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
}

function fmtDayParam(iso: string): string {
  const d = new Date(Date.parse(iso) + 7 * 3_600_000);
  return d.toISOString().slice(0, 10);
}
