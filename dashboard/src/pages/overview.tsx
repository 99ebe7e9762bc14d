import { useEffect, useRef } from 'preact/hooks';
import type { PageProps } from '../app.js';
import { get, post } from '../api.js';
import { fmtAgo, fmtDateTime, fmtDuration, fmtTime } from '../format.js';
import { defineStrings, useCommon, useT } from '../i18n.js';
import { useLive } from '../live.js';
import { href, navigate } from '../router.js';
import type { AlarmView, Overview, TodayBroadcast } from '@loa/shared/rest';
import { ActionButton, Badge, Empty, ErrorBox, Loading, PageHeader, Progress, useAsync } from '../ui.js';
import { mayCommand, priorityTone, useDevLabels } from './device-common.js';
import { useFeedbackSummary } from './feedback-common.js';


const S = defineStrings({
  vi: {
    title: 'Tổng quan',
    devicesOnline: 'Thiết bị trực tuyến',
    devicesOffline: 'Thiết bị mất kết nối',
    devicesTotal: 'Tổng số thiết bị',
    activeAlarms: 'Cảnh báo đang có',
    todayBroadcasts: 'Bản tin phát hôm nay',
    feedbackOpen: 'Ý kiến chờ xử lý',
    feedbackOverdue: 'Ý kiến quá hạn',
    byArea: 'Thiết bị theo địa bàn',
    areaCol: 'Địa bàn',
    onlineCol: 'Trực tuyến',
    totalCol: 'Tổng',
    offlineCol: 'Mất kết nối',
    today: 'Lịch phát hôm nay',
    time: 'Giờ phát',
    titleCol: 'Bản tin',
    priority: 'Mức ưu tiên',
    duration: 'Thời lượng',
    progress: 'Tiến độ',
    finishedOf: '{done}/{total} đã phát',
    failed: '{n} lỗi',
    latestAlarms: 'Cảnh báo mới nhất',
    device: 'Thiết bị',
    alarmKind: 'Loại cảnh báo',
    detail: 'Chi tiết',
    since: 'Từ lúc',
    noBroadcasts: 'Hôm nay không có lịch phát',
    noAlarms: 'Không có cảnh báo nào',
    allDevices: 'Xem tất cả thiết bị',
  },
  en: {
    title: 'Overview',
    devicesOnline: 'Devices online',
    devicesOffline: 'Devices offline',
    devicesTotal: 'Devices in total',
    activeAlarms: 'Active alarms',
    todayBroadcasts: "Today's broadcasts",
    feedbackOpen: 'Feedback to handle',
    feedbackOverdue: 'Feedback overdue',
    byArea: 'Devices by area',
    areaCol: 'Area',
    onlineCol: 'Online',
    totalCol: 'Total',
    offlineCol: 'Offline',
    today: "Today's schedule",
    time: 'Time',
    titleCol: 'Bulletin',
    priority: 'Priority',
    duration: 'Duration',
    progress: 'Progress',
    finishedOf: '{done}/{total} played',
    failed: '{n} failed',
    latestAlarms: 'Latest alarms',
    device: 'Device',
    alarmKind: 'Alarm',
    detail: 'Detail',
    since: 'Since',
    noBroadcasts: 'No broadcasts today',
    noAlarms: 'No active alarms',
    allDevices: 'All devices',
  },
});

/** Re-fetch at most this often when live events say something changed. */
const REFRESH_MS = 3000;

/** Failed for the operator: did not play on that device. */
const failedOf = (counts: Record<string, number>): number => (counts.failed ?? 0) + (counts.expired ?? 0);

export function OverviewPage({ session }: PageProps) {
  const t = useT(S);
  const c = useCommon();
  const L = useDevLabels();
  const ov = useAsync(() => get<Overview>('/api/v1/overview'), []);
  const canAck = mayCommand(session.user.role);
  // Residents' feedback of the user's area (issue 17): kept live by the menu badge's shared summary.
  const feedback = useFeedbackSummary();

  // Throttled refresh: the first event schedules a re-fetch, later ones within the window ride along.
  const lastFetch = useRef(Date.now());
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const scheduleRefresh = () => {
    if (timer.current) return;
    const wait = Math.max(0, lastFetch.current + REFRESH_MS - Date.now());
    timer.current = setTimeout(() => {
      timer.current = null;
      lastFetch.current = Date.now();
      ov.reload();
    }, wait);
  };
  useEffect(() => () => void (timer.current && clearTimeout(timer.current)), []);
  useLive('device.presence', scheduleRefresh);
  useLive('alarm.raised', scheduleRefresh);
  useLive('alarm.cleared', scheduleRefresh);
  useLive('delivery.state', scheduleRefresh);

  const ack = async (a: AlarmView) => {
    const updated = await post<AlarmView>(`/api/v1/alarms/${encodeURIComponent(a.id)}/ack`);
    ov.set((prev) => prev && { ...prev, alarms: { ...prev.alarms, latest: prev.alarms.latest.map((x) => (x.id === a.id ? { ...x, ...updated } : x)) } });
  };

  const d = ov.data;
  const broadcasts = d ? [...d.today.broadcasts].sort((a, b) => a.startAt.localeCompare(b.startAt)) : [];
  return (
    <section>
      <PageHeader title={t('title')}>
        <a class="button" href={href('/devices')}>
          {t('allDevices')}
        </a>
        <button type="button" onClick={() => ov.reload()} disabled={ov.loading}>
          {c('refresh')}
        </button>
      </PageHeader>
      <ErrorBox error={ov.error} />
      <Loading when={ov.loading && !d} />
      {d ? (
        <>
          <div class="cards" data-testid="overview-cards">
            <Stat label={t('devicesOnline')} value={d.devices.online} tone="ok" testId="stat-online" link={href('/devices?status=online')} />
            <Stat label={t('devicesOffline')} value={d.devices.offline} tone={d.devices.offline ? 'bad' : undefined} testId="stat-offline" link={href('/devices?status=offline')} />
            <Stat label={t('devicesTotal')} value={d.devices.total} testId="stat-total" link={href('/devices')} />
            <Stat label={t('activeAlarms')} value={d.alarms.active} tone={d.alarms.active ? 'warn' : undefined} testId="stat-alarms" />
            <Stat label={t('todayBroadcasts')} value={d.today.broadcasts.length} testId="stat-broadcasts" link={href('/schedules')} />
            {feedback ? <Stat label={t('feedbackOpen')} value={feedback.open} testId="stat-feedback-open" link={href('/feedback')} /> : null}
            {feedback ? <Stat label={t('feedbackOverdue')} value={feedback.overdue} tone={feedback.overdue ? 'bad' : undefined} testId="stat-feedback-overdue" link={href('/feedback?overdue=1')} /> : null}
          </div>

          <h2>{t('byArea')}</h2>
          <div class="table-wrap">
            <table data-testid="overview-areas">
              <thead>
                <tr>
                  <th>{t('areaCol')}</th>
                  <th>{t('onlineCol')}</th>
                  <th>{t('offlineCol')}</th>
                  <th class="hide-phone">{t('totalCol')}</th>
                </tr>
              </thead>
              <tbody>
                {d.devices.byArea.map((a) => (
                  <tr key={a.areaCode} class="clickable" data-testid="area-row" data-area={a.areaCode} onClick={() => navigate('/devices', { area: a.areaCode })}>
                    <td class="wrap">
                      <a href={href(`/devices?area=${encodeURIComponent(a.areaCode)}`)} onClick={(e) => e.stopPropagation()}>
                        {a.name}
                      </a>
                    </td>
                    <td>
                      <span class={a.online === a.total && a.total > 0 ? 'ok' : undefined}>
                        <b>{a.online}</b>/{a.total}
                      </span>
                    </td>
                    <td>{a.offline ? <Badge tone="bad">{a.offline}</Badge> : <span class="muted">0</span>}</td>
                    <td class="hide-phone">{a.total}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <Empty when={d.devices.byArea.length === 0} />
          </div>

          <h2>{t('today')}</h2>
          <div class="table-wrap">
            <table data-testid="overview-broadcasts">
              <thead>
                <tr>
                  <th>{t('time')}</th>
                  <th>{t('titleCol')}</th>
                  <th>{t('priority')}</th>
                  <th>{t('progress')}</th>
                  <th class="hide-phone">{t('duration')}</th>
                </tr>
              </thead>
              <tbody>
                {broadcasts.map((b) => {
                  const done = b.counts.finished ?? 0;
                  const failed = failedOf(b.counts);
                  const title = Object.entries(b.counts)
                    .map(([k, v]) => `${k}: ${v}`)
                    .join(', ');
                  return (
                    <tr key={b.occurrenceId} class="clickable" data-testid="broadcast-row" data-schedule-id={b.scheduleId} onClick={() => navigate(`/deliveries/${encodeURIComponent(b.scheduleId)}`)}>
                      <td>{fmtTime(b.startAt)}</td>
                      <td class="wrap" style={{ minWidth: '10rem' }}>
                        <a href={href(`/deliveries/${encodeURIComponent(b.scheduleId)}`)} onClick={(e) => e.stopPropagation()}>
                          {b.contentTitle}
                        </a>
                      </td>
                      <td>
                        <Badge tone={priorityTone(b.priority)}>{L.priority(b.priority)}</Badge>
                      </td>
                      <td title={title} style={{ minWidth: '11rem' }}>
                        <Progress value={b.total ? done / b.total : 0} label={t('finishedOf', { done, total: b.total })} />
                        {failed ? (
                          <div style={{ marginTop: '.2rem' }}>
                            <Badge tone="bad">{t('failed', { n: failed })}</Badge>
                          </div>
                        ) : null}
                      </td>
                      <td class="hide-phone">{fmtDuration(b.durationMs)}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
            {broadcasts.length === 0 ? <p class="muted empty" style={{ padding: '0 .75rem' }}>{t('noBroadcasts')}</p> : null}
          </div>

          <h2>{t('latestAlarms')}</h2>
          <div class="table-wrap">
            <table data-testid="overview-alarms">
              <thead>
                <tr>
                  <th>{t('device')}</th>
                  <th>{t('alarmKind')}</th>
                  <th>{t('detail')}</th>
                  <th>{t('since')}</th>
                  {canAck ? <th /> : null}
                </tr>
              </thead>
              <tbody>
                {d.alarms.latest.map((a) => (
                  <tr key={a.id} data-testid="alarm-row" data-alarm-id={a.id}>
                    <td>
                      <a href={href(`/device/${encodeURIComponent(a.deviceId)}`)}>{a.deviceId}</a>
                    </td>
                    <td>
                      <Badge tone={a.kind === 'offline' ? 'bad' : 'warn'}>{L.alarm(a.kind)}</Badge>
                    </td>
                    <td class="wrap" style={{ minWidth: '12rem' }}>
                      {a.detail}
                    </td>
                    <td title={fmtDateTime(a.raisedAt)}>{fmtAgo(a.raisedAt)}</td>
                    {canAck ? (
                      <td>
                        {a.ackedAt ? (
                          <span class="muted small" title={fmtDateTime(a.ackedAt)}>
                            {L.t('acked')}
                            {a.ackedBy ? ` · ${a.ackedBy}` : ''}
                          </span>
                        ) : (
                          <ActionButton onClick={() => ack(a)} data-testid="alarm-ack">
                            {L.t('ack')}
                          </ActionButton>
                        )}
                      </td>
                    ) : null}
                  </tr>
                ))}
              </tbody>
            </table>
            {d.alarms.latest.length === 0 ? <p class="muted empty" style={{ padding: '0 .75rem' }}>{t('noAlarms')}</p> : null}
          </div>
        </>
      ) : null}
    </section>
  );
}

function Stat({ label, value, tone, testId, link }: { label: string; value: number; tone?: 'ok' | 'bad' | 'warn' | undefined; testId: string; link?: string }) {
  const color = tone === 'ok' ? 'var(--ok)' : tone === 'bad' ? 'var(--bad)' : tone === 'warn' ? 'var(--warn)' : undefined;
  const body = (
    <>
      <div class="value" style={color ? { color } : undefined} data-value={value}>
        {value.toLocaleString('vi-VN')}
      </div>
      <div class="label">{label}</div>
    </>
  );
  return link ? (
    <a class="stat" href={link} data-testid={testId} style={{ textDecoration: 'none', color: 'inherit' }}>
      {body}
    </a>
  ) : (
    <div class="stat" data-testid={testId}>
      {body}
    </div>
  );
}
