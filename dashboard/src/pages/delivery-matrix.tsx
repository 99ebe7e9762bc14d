/**
 * One schedule's results (`#/deliveries/<scheduleId>`), issue 19: a province- or district-wide bulletin read by area
 * — one row per commune (or district, or village) with % played and the failures first, a way one level down and
 * back up, an area filter — and below it the devices of the chosen area, problems first, pages of 50. At 390 px the
 * rows are cards. Counts and rows follow `delivery.state` events live.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { download, get } from '../api.js';
import { fmtDateTime, fmtDuration, fmtTimeSeconds } from '../format.js';
import { defineStrings, useCommon, useT } from '../i18n.js';
import { useLive, type LiveEvent } from '../live.js';
import { href, navigate } from '../router.js';
import { AREA_LEVELS, DELIVERY_STATES, type AreaLevel, type DeliveryState, type ScheduleResultDelivery, type ScheduleResultDeliveryPage, type ScheduleResults, type ScheduleView } from '@loa/shared/rest';
import { ActionButton, Badge, Loading, PageHeader, toneOf, useAsync } from '../ui.js';
import { DataTable, type Column } from '../components/data-table.js';
import { Notice } from '../components/notice.js';
import { ResultsByArea, pctOf } from '../components/results-by-area.js';
import { Toolbar, ToolbarField } from '../components/toolbar.js';
import { approvalTone, describeRecurrence, loadContents, priorityTone, useWords, type CalendarOccurrence, type ScheduleSummary } from './schedule-common.js';
import { Pager } from '../components/pager.js';

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
    devices: '{n} thiết bị',
    pendingNote: 'Lịch phát này đang chờ phê duyệt: chưa gửi tới thiết bị nào.',
    schedule: 'Lịch phát',
    playedOn: 'Đã phát {n} / {m}',
    failedN: '{n} lỗi',
    byArea: 'Theo địa bàn',
    groupBy: 'Nhóm theo',
    areaFilter: 'Địa bàn',
    everywhere: 'Toàn bộ',
    devicesOf: 'Từng thiết bị · {area}',
    lv_country: 'Cả nước',
    lv_province: 'Tỉnh',
    lv_district: 'Huyện',
    lv_commune: 'Xã',
    lv_village: 'Thôn',
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
    devices: '{n} device(s)',
    pendingNote: 'This schedule awaits approval: nothing has been sent to devices.',
    schedule: 'Schedule',
    playedOn: 'Played on {n} / {m}',
    failedN: '{n} failed',
    byArea: 'By area',
    groupBy: 'Group by',
    areaFilter: 'Area',
    everywhere: 'Everywhere',
    devicesOf: 'Device by device · {area}',
    lv_country: 'Country',
    lv_province: 'Province',
    lv_district: 'District',
    lv_commune: 'Commune',
    lv_village: 'Village',
  },
});

const PAGE = 50;
/** A burst of reports (a province-wide bulletin starting) re-reads the counts once. */
const RESULTS_DEBOUNCE_MS = 1500;

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

/** A row after a live report: the state and the instants the report implies. */
function applyEvent(r: ScheduleResultDelivery, e: DeliveryEvent): ScheduleResultDelivery {
  const at = e.at ?? new Date().toISOString();
  const next: ScheduleResultDelivery = { ...r, state: e.state, reason: e.reason ?? r.reason };
  if (e.state === 'delivered') next.deliveredAt = r.deliveredAt ?? at;
  else if (e.state === 'started') next.startedAt = r.startedAt ?? at;
  else if (e.state !== 'queued') next.endedAt = r.endedAt ?? at;
  if (e.state === 'finished' && next.startedAt && next.playedMs === null) next.playedMs = Date.parse(at) - Date.parse(next.startedAt);
  return next;
}

export function DeliveryMatrix({ scheduleId, initialOccurrence, initialState, initialArea }: { scheduleId: string; initialOccurrence: string | null; initialState: string | null; initialArea?: string | null }) {
  const t = useT(S);
  const c = useCommon();
  const words = useWords();
  const enc = encodeURIComponent(scheduleId);
  const sched = useAsync(() => get<ScheduleView>(`/api/v1/schedules/${enc}`), [scheduleId]);
  const summary = useAsync(() => get<ScheduleSummary>(`/api/v1/schedules/${enc}/summary`), [scheduleId]);
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
  /** The area listed and filtered to ('' : the server's choice, the smallest area holding the caller's devices). */
  const [areaCode, setAreaCode] = useState(initialArea ?? '');
  const [level, setLevel] = useState<AreaLevel | ''>('');
  const [offset, setOffset] = useState(0);
  useEffect(() => setOffset(0), [occId, state, areaCode]);

  const ready = occurrence !== null || summary.data !== undefined || summary.error !== undefined;
  const results = useAsync(
    async (): Promise<ScheduleResults | null> => (ready ? get<ScheduleResults>(`/api/v1/schedules/${enc}/results`, { occurrenceId: occId || undefined, areaCode: areaCode || undefined, level: level || undefined }) : null),
    [scheduleId, occId, areaCode, level, ready],
  );
  const rows = useAsync(
    async (): Promise<ScheduleResultDeliveryPage | null> =>
      ready ? get<ScheduleResultDeliveryPage>(`/api/v1/schedules/${enc}/results/deliveries`, { occurrenceId: occId || undefined, areaCode: areaCode || undefined, state: state || undefined, limit: PAGE, offset }) : null,
    [scheduleId, occId, areaCode, state, offset, ready],
  );

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
      results.reload();
      summary.reload();
    }, RESULTS_DEBOUNCE_MS);
  };

  useLive('delivery.state', (e) => {
    if (!isDeliveryEvent(e) || e.scheduleId !== scheduleId) return;
    refreshSoon();
    if (occId && e.occurrenceId !== occId) return;
    rows.set((prev) => (prev ? { ...prev, items: prev.items.map((r) => (r.deviceId === e.deviceId && r.occurrenceId === e.occurrenceId ? applyEvent(r, e) : r)) } : prev));
  });

  const s = sched.data;
  const occList = summary.data?.occurrences ?? [];
  const res = results.data ?? null;
  const page = rows.data ?? null;
  const counts = res?.byState ?? {};
  const total = res?.total ?? 0;
  const here = res?.area ?? null;
  const lvl = (l: string) => t(`lv_${l as AreaLevel}`);
  // Grouping levels under the listed area (the area's own level lists it as one row).
  const levels = here ? AREA_LEVELS.slice(AREA_LEVELS.indexOf(here.level) + 1) : [];
  const pickArea = (code: string) => {
    setAreaCode(code);
    setLevel('');
  };

  const columns: Array<Column<ScheduleResultDelivery>> = [
    {
      key: 'device',
      label: t('device'),
      phone: 'title',
      class: 'wrap',
      sort: (a, b) => (a.deviceName ?? a.deviceId).localeCompare(b.deviceName ?? b.deviceId, 'vi'),
      render: (d) => (
        <>
          <a href={href(`/device/${encodeURIComponent(d.deviceId)}`)}>{d.deviceName ?? d.deviceId}</a>
          {d.deviceName ? <div class="muted small">{d.deviceId}</div> : null}
        </>
      ),
    },
    { key: 'area', label: t('area'), class: 'wrap', sort: (a, b) => (a.areaName ?? '').localeCompare(b.areaName ?? '', 'vi'), render: (d) => d.areaName ?? d.areaCode ?? '—' },
    ...(occId ? [] : [{ key: 'occ', label: t('occurrence'), render: (d: ScheduleResultDelivery) => fmtDateTime(d.occurrenceStartAt) }]),
    { key: 'state', label: t('state'), render: (d) => <Badge tone={toneOf(d.state)}>{words.state(d.state)}</Badge> },
    { key: 'delivered', label: t('delivered'), phone: 'hide', render: (d) => fmtTimeSeconds(d.deliveredAt) },
    { key: 'started', label: t('started'), render: (d) => fmtTimeSeconds(d.startedAt) },
    { key: 'ended', label: t('ended'), phone: 'hide', render: (d) => fmtTimeSeconds(d.endedAt) },
    { key: 'played', label: t('played'), render: (d) => (d.playedMs === null ? '—' : fmtDuration(d.playedMs)) },
    { key: 'reason', label: t('reason'), class: 'wrap small', render: (d) => d.reason ?? '' },
  ];

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
            results.reload();
            rows.reload();
          }}
        >
          ↻ {c('refresh')}
        </button>
      </PageHeader>
      <Notice tone="error" error={sched.error} />
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
      {s?.approval === 'pending' ? <Notice tone="info">{t('pendingNote')}</Notice> : null}

      <Toolbar testId="results-toolbar">
        <ToolbarField label={t('occurrence')}>
          <select name="occurrence" data-testid="occurrence-select" value={occId} onChange={(e) => setOccurrence((e.target as HTMLSelectElement).value)}>
            <option value="">{t('allOccurrences')}</option>
            {occList.map((o) => (
              <option key={o.occurrenceId} value={o.occurrenceId}>
                {fmtDateTime(o.startAt)} · {o.total}
              </option>
            ))}
            {occId && !occList.some((o) => o.occurrenceId === occId) ? <option value={occId}>{occId}</option> : null}
          </select>
        </ToolbarField>
        <ToolbarField label={t('areaFilter')}>
          <select name="area" data-testid="area-filter" value={areaCode} onChange={(e) => pickArea((e.target as HTMLSelectElement).value)}>
            <option value="">{t('everywhere')}</option>
            {(res?.path ?? []).map((a) => (
              <option key={a.code} value={a.code}>
                {a.name}
              </option>
            ))}
            {here ? <option value={here.code}>{here.name}</option> : null}
            {(res?.areas ?? [])
              .filter((a) => a.areaCode !== here?.code)
              .map((a) => (
                <option key={a.areaCode} value={a.areaCode}>
                  {'\u00a0\u00a0'}
                  {a.name}
                </option>
              ))}
            {areaCode && !here ? <option value={areaCode}>{areaCode}</option> : null}
          </select>
        </ToolbarField>
        {levels.length > 1 ? (
          <ToolbarField label={t('groupBy')}>
            <select name="level" data-testid="level-select" value={level || res?.level || ''} onChange={(e) => setLevel((e.target as HTMLSelectElement).value as AreaLevel)}>
              {levels.map((l) => (
                <option key={l} value={l}>
                  {lvl(l)}
                </option>
              ))}
            </select>
          </ToolbarField>
        ) : null}
        <ToolbarField label={t('state')}>
          <select name="state" data-testid="state-filter" value={state} onChange={(e) => setState((e.target as HTMLSelectElement).value)}>
            <option value="">{t('all')}</option>
            {DELIVERY_STATES.map((st) => (
              <option key={st} value={st}>
                {words.state(st)}
              </option>
            ))}
          </select>
        </ToolbarField>
      </Toolbar>

      <Notice tone="error" error={summary.error ?? results.error} />
      <section class="card" data-testid="results-summary" data-area-code={here?.code ?? ''} data-level={res?.level ?? ''} data-played={res?.played ?? 0} data-total={total} data-failed={res?.failed ?? 0}>
        {here ? (
          <nav class="crumbs" aria-label={t('areaFilter')} data-testid="results-crumbs">
            {res?.path.map((a) => (
              <span key={a.code}>
                <button type="button" class="link" data-testid="crumb" data-area-code={a.code} onClick={() => pickArea(a.code)}>
                  {a.name}
                </button>
                {' › '}
              </span>
            ))}
            <strong data-testid="results-area">{here.name}</strong>
          </nav>
        ) : null}
        <div class="alert-played" data-testid="results-played">
          {t('playedOn', { n: res?.played ?? 0, m: total })}
          {res && res.failed > 0 ? (
            <span style={{ fontSize: '1rem', marginLeft: '.6rem' }}>
              <Badge tone="bad">{t('failedN', { n: res.failed })}</Badge>
            </span>
          ) : null}
        </div>
        <div class="alert-area-bar" style={{ height: '.8rem' }} aria-hidden="true">
          <span style={{ width: `${pctOf(res?.played ?? 0, total)}%` }} />
        </div>
        <div style={{ display: 'flex', flexWrap: 'wrap', gap: '.4rem', marginTop: '.6rem' }} data-testid="delivery-totals" data-total={total}>
          <button type="button" class={state === '' ? 'primary' : ''} style={{ minHeight: '30px', padding: '.2rem .6rem' }} onClick={() => setState('')}>
            {t('total')}: {total}
          </button>
          {DELIVERY_STATES.filter((st) => (counts[st] ?? 0) > 0 || state === st).map((st) => (
            <button
              type="button"
              key={st}
              data-testid="state-total"
              data-state={st}
              data-count={counts[st] ?? 0}
              onClick={() => setState(state === st ? '' : st)}
              aria-pressed={state === st}
              style={{ minHeight: '30px', padding: '.2rem .5rem', outline: state === st ? '2px solid var(--text)' : 'none' }}
            >
              <Badge tone={toneOf(st)}>{words.state(st)}</Badge> <strong>{counts[st] ?? 0}</strong>
            </button>
          ))}
        </div>
      </section>

      <Loading when={results.loading && !res} />
      {res && res.areas.length > 0 ? (
        <section class="card" data-testid="results-by-area">
          <h2>
            {t('byArea')} · {lvl(res.level)}
          </h2>
          <ResultsByArea rows={res.areas} areaLabel={lvl(res.level)} testId="results-area-table" rowTestId="results-area-row" onSelect={(r) => pickArea(r.areaCode)} onOpen={(r) => pickArea(r.areaCode)} selected={areaCode || null} />
        </section>
      ) : null}

      <section data-testid="results-devices">
        <h2>{t('devicesOf', { area: here?.name ?? t('everywhere') })}</h2>
        <Notice tone="error" error={rows.error} />
        <Loading when={rows.loading && !page} />
        <DataTable
          testId="delivery-table"
          rows={page?.items ?? []}
          columns={columns}
          rowKey={(d) => `${d.occurrenceId}|${d.deviceId}`}
          rowProps={(d) => ({ 'data-testid': 'delivery-row', 'data-device-id': d.deviceId, 'data-state': d.state, 'data-occurrence-id': d.occurrenceId, 'data-area-code': d.areaCode ?? '' })}
          empty={page ? t('noRows') : undefined}
        />
        {page ? <Pager offset={offset} total={page.total} pageSize={PAGE} onOffset={setOffset} testId="delivery-page" /> : null}
      </section>
    </div>
  );
}


function fmtDayParam(iso: string): string {
  const d = new Date(Date.parse(iso) + 7 * 3_600_000);
  return d.toISOString().slice(0, 10);
}

const P = defineStrings({
  vi: { byArea: 'Theo địa bàn', playedOn: 'Đã phát {n} / {m}', more: 'Xem {n} địa bàn ›' },
  en: { byArea: 'By area', playedOn: 'Played on {n} / {m}', more: 'See all {n} areas ›' },
});
/** Areas shown in a schedule's side panel; the rest is one click away on its results page. */
const PREVIEW_ROWS = 5;

/**
 * A schedule's results by area in short (the schedule's side panel, schedule-detail.tsx): "played on N / M" and
 * the first areas — failures first — linking to the whole page. Nothing while the schedule has no delivery.
 */
export function ResultsPreview({ scheduleId }: { scheduleId: string }) {
  const t = useT(P);
  const res = useAsync(() => get<ScheduleResults>(`/api/v1/schedules/${encodeURIComponent(scheduleId)}/results`), [scheduleId]);
  const r = res.data;
  if (res.error) return <Notice tone="error" error={res.error} />;
  if (!r || r.total === 0 || r.areas.length < 2) return null;
  return (
    <div data-testid="schedule-results-preview" data-played={r.played} data-total={r.total}>
      <h3>
        {t('byArea')} · {r.area?.name ?? ''}
      </h3>
      <p class="small" style={{ margin: '0 0 .4rem' }}>
        {t('playedOn', { n: r.played, m: r.total })}
      </p>
      <ResultsByArea rows={r.areas.slice(0, PREVIEW_ROWS)} onSelect={(a) => navigate(`/deliveries/${scheduleId}`, { area: a.areaCode })} />
      {r.areas.length > PREVIEW_ROWS ? (
        <a class="small" href={href(`/deliveries/${encodeURIComponent(scheduleId)}`)}>
          {t('more', { n: r.areas.length })}
        </a>
      ) : null}
    </div>
  );
}
