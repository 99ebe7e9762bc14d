import { useMemo } from 'preact/hooks';
import type { PageProps } from '../app.js';
import { ApiError, get } from '../api.js';
import { fmtDate, fmtDuration, fmtTime } from '../format.js';
import { defineStrings, useCommon, useT } from '../i18n.js';
import { href, navigate } from '../router.js';
import { DELIVERY_STATES, type ScheduleView } from '@loa/shared/rest';
import { Badge, Empty, Loading, PageHeader, Progress, toneOf, useAsync } from '../ui.js';
import { DataTable } from '../components/data-table.js';
import { Notice } from '../components/notice.js';
import { priorityTone, useWords, type CalendarOccurrence, type OverviewToday, type TodayBroadcast } from './schedule-common.js';
import { DeliveryMatrix } from './delivery-matrix.js';

const S = defineStrings({
  vi: {
    title: 'Kết quả phát',
    today: 'Bản tin hôm nay',
    recent: 'Lượt phát 7 ngày gần đây',
    time: 'Giờ phát',
    date: 'Ngày',
    content: 'Nội dung',
    priority: 'Mức ưu tiên',
    devices: 'Thiết bị',
    result: 'Kết quả',
    done: 'Hoàn thành',
    status: 'Trạng thái',
    noToday: 'Hôm nay không có bản tin nào.',
    pick: 'Chọn một lượt phát để xem kết quả trên từng thiết bị.',
    cancelled: 'Đã hủy',
    active: 'Đang hiệu lực',
    fallback: 'Máy chủ chưa có danh sách lượt phát theo thời gian; đang dùng danh sách lịch phát.',
  },
  en: {
    title: 'Deliveries',
    today: "Today's broadcasts",
    recent: 'Occurrences in the last 7 days',
    time: 'Time',
    date: 'Date',
    content: 'Content',
    priority: 'Priority',
    devices: 'Devices',
    result: 'Result',
    done: 'Done',
    status: 'Status',
    noToday: 'No broadcasts today.',
    pick: 'Pick a broadcast to see its result on every device.',
    cancelled: 'Cancelled',
    active: 'Active',
    fallback: 'The server has no occurrences-by-window endpoint yet; using the schedule list.',
  },
});

/** `#/deliveries`: pick a broadcast; `#/deliveries/<scheduleId>`: its matrix across devices. */
export function DeliveriesPage({ route }: PageProps) {
  const id = route.parts[1];
  if (id) return <DeliveryMatrix key={id} scheduleId={id} initialOccurrence={route.query.get('occurrence')} initialState={route.query.get('state')} initialArea={route.query.get('area')} />;
  return <BroadcastPicker />;
}

const DONE = ['finished'];

function BroadcastPicker() {
  const t = useT(S);
  const c = useCommon();
  const words = useWords();
  const overview = useAsync(() => get<OverviewToday>('/api/v1/overview'), []);
  const recent = useAsync(async (): Promise<{ items: CalendarOccurrence[]; fallback: boolean }> => {
    const now = Date.now();
    const from = new Date(now - 7 * 86_400_000).toISOString();
    const to = new Date(now + 60 * 60_000).toISOString();
    try {
      const items = await get<CalendarOccurrence[]>('/api/v1/schedules/occurrences', { from, to });
      return { items: items.filter((o) => Date.parse(o.startAt) <= now).sort((a, b) => b.startAt.localeCompare(a.startAt)), fallback: false };
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 404)) throw e;
      const list = await get<ScheduleView[]>('/api/v1/schedules');
      const items: CalendarOccurrence[] = [];
      for (const s of list)
        for (const o of s.occurrences) {
          const at = Date.parse(o.startAt);
          if (at <= now && at >= Date.parse(from))
            items.push({ ...fallbackOccurrence(s, o), endAt: new Date(at + o.durationMs).toISOString() });
        }
      return { items: items.sort((a, b) => b.startAt.localeCompare(a.startAt)), fallback: true };
    }
  }, []);
  const today = useMemo(() => [...(overview.data?.today.broadcasts ?? [])].sort((a, b) => a.startAt.localeCompare(b.startAt)), [overview.data]);
  const open = (scheduleId: string, occurrenceId: string) => navigate(`/deliveries/${scheduleId}`, { occurrence: occurrenceId });

  return (
    <div data-testid="deliveries-page">
      <PageHeader title={t('title')}>
        <button
          type="button"
          class="ghost"
          onClick={() => {
            overview.reload();
            recent.reload();
          }}
        >
          ↻ {c('refresh')}
        </button>
      </PageHeader>
      <p class="muted small">{t('pick')}</p>

      <h2>{t('today')}</h2>
      <Notice tone="error" error={overview.error} />
      <Loading when={overview.loading && !overview.data} />
      {overview.data && today.length === 0 ? <p class="muted">{t('noToday')}</p> : null}
      {today.length > 0 ? (
        <DataTable
          testId="today-table"
          rows={today}
          rowKey={(b) => b.occurrenceId}
          onRowClick={(b) => open(b.scheduleId, b.occurrenceId)}
          rowProps={(b) => ({ 'data-testid': 'broadcast-row', 'data-schedule-id': b.scheduleId, 'data-occurrence-id': b.occurrenceId })}
          columns={[
            {
              key: 'time',
              label: t('time'),
              sort: (a, b) => a.startAt.localeCompare(b.startAt),
              render: (b) => (
                <>
                  {fmtTime(b.startAt)}
                  <div class="muted small">{fmtDuration(b.durationMs)}</div>
                </>
              ),
            },
            {
              key: 'content',
              label: t('content'),
              phone: 'title',
              class: 'wrap',
              render: (b) => (
                <>
                  <a href={href(`/deliveries/${b.scheduleId}?occurrence=${encodeURIComponent(b.occurrenceId)}`)} onClick={(e) => e.stopPropagation()}>
                    {b.contentTitle}
                  </a>
                  <div class="muted small">{words.kind(b.contentKind)}</div>
                </>
              ),
            },
            { key: 'priority', label: t('priority'), render: (b) => <Badge tone={priorityTone(b.priority)}>{words.priority(b.priority)}</Badge> },
            { key: 'devices', label: t('devices'), sort: (a, b) => a.total - b.total, render: (b) => b.total },
            { key: 'result', label: t('result'), class: 'wrap', render: (b) => <TodayResult b={b} /> },
          ]}
        />
      ) : null}

      <h2>{t('recent')}</h2>
      <Notice tone="error" error={recent.error} />
      {recent.data?.fallback ? <Notice tone="info">{t('fallback')}</Notice> : null}
      <Loading when={recent.loading && !recent.data} />
      <Empty when={Boolean(recent.data) && recent.data?.items.length === 0} />
      {recent.data && recent.data.items.length > 0 ? (
        <DataTable
          testId="recent-table"
          rows={recent.data.items.slice(0, 100)}
          rowKey={(o) => o.occurrenceId}
          onRowClick={(o) => open(o.scheduleId, o.occurrenceId)}
          rowProps={(o) => ({ 'data-testid': 'recent-row', 'data-schedule-id': o.scheduleId })}
          columns={[
            {
              key: 'date',
              label: t('date'),
              sort: (a, b) => a.startAt.localeCompare(b.startAt),
              render: (o) => (
                <>
                  {fmtDate(o.startAt)} {fmtTime(o.startAt)}
                </>
              ),
            },
            {
              key: 'content',
              label: t('content'),
              phone: 'title',
              class: 'wrap',
              render: (o) => (
                <>
                  <a href={href(`/deliveries/${o.scheduleId}?occurrence=${encodeURIComponent(o.occurrenceId)}`)} onClick={(e) => e.stopPropagation()}>
                    {o.contentTitle}
                  </a>
                  {o.contentKind ? <span class="muted small"> · {words.kind(o.contentKind)}</span> : null}
                </>
              ),
            },
            { key: 'priority', label: t('priority'), render: (o) => <Badge tone={priorityTone(o.priority)}>{words.priority(o.priority)}</Badge> },
            { key: 'devices', label: t('devices'), sort: (a, b) => a.deviceCount - b.deviceCount, render: (o) => o.deviceCount },
            { key: 'status', label: t('status'), render: (o) => <Badge tone={toneOf(o.scheduleStatus)}>{o.scheduleStatus === 'cancelled' ? t('cancelled') : t('active')}</Badge> },
          ]}
        />
      ) : null}
    </div>
  );
}

/** A schedule's occurrence as the calendar would list it, for servers without the occurrences-by-window endpoint. */
function fallbackOccurrence(s: ScheduleView, o: ScheduleView['occurrences'][number]): Omit<CalendarOccurrence, 'endAt'> {
  return { occurrenceId: o.id, scheduleId: s.id, contentId: s.contentId, contentTitle: s.contentId, contentKind: '', priority: s.priority, startAt: o.startAt, durationMs: o.durationMs, scheduleStatus: s.status, deviceCount: s.deviceCount };
}

/** Today's broadcast: done / total as a bar and the non-zero states. */
function TodayResult({ b }: { b: TodayBroadcast }) {
  const t = useT(S);
  const words = useWords();
  const done = DONE.reduce((n, st) => n + (b.counts[st] ?? 0), 0);
  return (
    <div style={{ minWidth: '12rem', flex: '1 1 auto' }}>
      <Progress value={b.total > 0 ? done / b.total : 0} label={t('done')} />
      <div style={{ display: 'flex', flexWrap: 'wrap', gap: '.25rem', marginTop: '.25rem' }}>
        {DELIVERY_STATES.filter((st) => (b.counts[st] ?? 0) > 0).map((st) => (
          <Badge key={st} tone={toneOf(st)}>
            {words.state(st)} {b.counts[st]}
          </Badge>
        ))}
      </div>
    </div>
  );
}
