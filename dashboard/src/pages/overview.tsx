import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { PageProps } from '../app.js';
import { get, post } from '../api.js';
import { fmtAgo, fmtDateTime, fmtDuration, fmtTime } from '../format.js';
import { defineStrings, useCommon, useT } from '../i18n.js';
import { useLive } from '../live.js';
import { href, navigate } from '../router.js';
import type { AlarmView, Overview, OverviewArea, TodayBroadcast } from '@loa/shared/rest';
import { ActionButton, Badge, Empty, ErrorBox, Loading, PageHeader, Progress, useAsync } from '../ui.js';
import { mayCommand, priorityTone, useDevLabels } from './device-common.js';
import { useFeedbackSummary } from './feedback-common.js';
import { DeviceMap } from '../components/device-map.js';


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
    areaFilter: 'Lọc địa bàn',
    areaFilterPh: 'Tên hoặc mã xã, huyện…',
    onlyOffline: 'Chỉ nơi có thiết bị mất kết nối',
    communesN: '{n} xã/phường',
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
    areaFilter: 'Filter areas',
    areaFilterPh: 'Commune or district name or code…',
    onlyOffline: 'Only where devices are offline',
    communesN: '{n} communes',
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

          <DeviceMap heading />

          <h2>{t('byArea')}</h2>
          <AreaTable areas={d.devices.areas ?? d.devices.byArea.map((a) => ({ ...a, parentCode: null, depth: 0 }))} />

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

/**
 * Issue 19: every area of the reader's subtree down to communes, grouped under their district (or province), each
 * with its whole subtree's devices — an admin used to see one province row. A filter by name or code and "only
 * where devices are offline" keep a province's hundreds of communes usable on a phone.
 */
function AreaTable({ areas }: { areas: OverviewArea[] }) {
  const t = useT(S);
  const [q, setQ] = useState('');
  const [onlyOffline, setOnlyOffline] = useState(false);
  const shown = useMemo(() => {
    const needle = q.trim().toLowerCase();
    const match = (a: OverviewArea) => (!needle || a.name.toLowerCase().includes(needle) || a.areaCode.includes(needle)) && (!onlyOffline || a.offline > 0);
    const keep = new Set(areas.filter(match).map((a) => a.areaCode));
    // A matching commune keeps its parents as group headers, so it is never shown out of context.
    const byCode = new Map(areas.map((a) => [a.areaCode, a]));
    for (const code of [...keep]) {
      let p = byCode.get(code)?.parentCode ?? null;
      while (p !== null && byCode.has(p) && !keep.has(p)) {
        keep.add(p);
        p = byCode.get(p)?.parentCode ?? null;
      }
    }
    return areas.filter((a) => keep.has(a.areaCode));
  }, [areas, q, onlyOffline]);
  const communes = areas.filter((a) => a.level === 'commune').length;
  const many = areas.length > 8;
  return (
    <>
      {many ? (
        <div class="filters" style={{ marginBottom: '.5rem' }}>
          <label class="field">
            <span class="field-label">{t('areaFilter')}</span>
            <input type="search" value={q} placeholder={t('areaFilterPh')} onInput={(e) => setQ((e.target as HTMLInputElement).value)} data-testid="overview-area-filter" />
          </label>
          <label style={{ display: 'flex', gap: '.4rem', alignItems: 'center' }}>
            <input type="checkbox" checked={onlyOffline} onChange={(e) => setOnlyOffline((e.target as HTMLInputElement).checked)} data-testid="overview-area-offline" />
            {t('onlyOffline')}
          </label>
        </div>
      ) : null}
      {communes > 0 ? <p class="muted small">{t('communesN', { n: communes })}</p> : null}
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
            {shown.map((a) => {
              const group = a.level !== 'commune' && a.level !== 'village';
              return (
                <tr
                  key={a.areaCode}
                  class="clickable"
                  data-testid="area-row"
                  data-area={a.areaCode}
                  data-level={a.level}
                  data-total={a.total}
                  data-offline={a.offline}
                  style={group ? { background: '#f6f8fa' } : undefined}
                  onClick={() => navigate('/devices', { area: a.areaCode })}
                >
                  <td class="wrap" style={{ paddingLeft: `${0.6 + Math.min(a.depth, 4) * 1}rem`, fontWeight: group ? 600 : 400 }}>
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
              );
            })}
          </tbody>
        </table>
        <Empty when={shown.length === 0} />
      </div>
    </>
  );
}
