/**
 * One alert (#/alert/<id>, issue 18), reached from the red banner, #/alerts and #/approvals: its status, source,
 * audio, board text and area; "Đã phát trên N / M loa" with a row per area (failures first, % played — the
 * results-by-area component a schedule's results use too; a row filters the list below), kept live by
 * `alert.progress`; the per-device list below (state and area filters, pages of 50); and, for editors, stop it (or withdraw the request) after a confirmation. A pending alert shows what the
 * second person must check (alert-review.tsx) above "Xác nhận phát".
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { PageProps } from '../app.js';
import { ApiError, get, post } from '../api.js';
import { fmtDateTime, fmtTimeSeconds } from '../format.js';
import { defineStrings, useCommon, useT } from '../i18n.js';
import { useLive } from '../live.js';
import { href } from '../router.js';
import { ALERT_DELIVERY_STATES, type AlertBannerItem, type AlertDeliveryPage, type AlertDeliveryState, type AlertSummary, type AreaView } from '@loa/shared/rest';
import { ActionButton, Badge, Loading, Modal, PageHeader, areaName, useAreas, useAsync, type Tone } from '../ui.js';
import { DataTable } from '../components/data-table.js';
import { Notice } from '../components/notice.js';
import { ResultsByArea } from '../components/results-by-area.js';
import { Toolbar, ToolbarField } from '../components/toolbar.js';
import { AS, CONFIRM_WINDOW_MS, PHASE_TONES, confirmDeadline, explained, fmtLeft, phaseOf, useAlertErrors, useNow, type AlertPhase, type AlertView } from './alert-common.js';
import { applySummary, isNewer, orderAreas, pctOf, playedOf, summaryFromEvent } from './alert-progress.js';
import { AlertReview, alertAudio } from './alert-review.js';
import { AudioPlayer, canEdit, useUserNames } from './content-shared.js';
import { Pager } from '../components/pager.js';

export const DS = defineStrings({
  vi: {
    back: '← Phát khẩn cấp',
    status: 'Trạng thái',
    source: 'Nguồn',
    src_manual: 'Soạn trên bảng điều khiển',
    src_cap: 'Bản tin CAP từ hệ thống cảnh báo',
    src_live: 'Nói trực tiếp',
    src_relay: 'Tiếp sóng',
    priority: 'Mức ưu tiên',
    p_emergency: 'Khẩn cấp',
    p_priority: 'Ưu tiên',
    p_normal: 'Thường',
    area: 'Địa bàn',
    audio: 'Âm thanh',
    noAudio: 'Không có (chỉ hiển thị chữ)',
    stream: 'Luồng trực tiếp',
    text: 'Chữ trên bảng tin',
    noText: '(bảng tin hiển thị tiêu đề)',
    start: 'Bắt đầu',
    ends: 'Hết hiệu lực',
    cancelledAt: 'Dừng lúc',
    by: 'Người gửi',
    confirmedBy: 'Người xác nhận',
    played: 'Đã phát trên {n} / {m} loa',
    playedShort: 'Đã phát',
    nothingYet: 'Chưa có thiết bị nào trong danh sách nhận cảnh báo này.',
    pendingNote: 'Cảnh báo chưa được phát: đang chờ người thứ hai xác nhận.',
    summaryMissing: 'Máy chủ chưa có số liệu phát của cảnh báo này.',
    byArea: 'Theo địa bàn',
    col_area: 'Địa bàn',
    devices: 'Từng thiết bị',
    filterState: 'Trạng thái',
    filterArea: 'Địa bàn',
    all: 'Tất cả',
    device: 'Thiết bị',
    state: 'Trạng thái',
    deliveredAt: 'Nhận lúc',
    startedAt: 'Bắt đầu',
    endedAt: 'Kết thúc',
    reason: 'Lý do',
    noRows: 'Không có thiết bị nào ở trạng thái này.',
    ds_expected: 'Chưa nhận',
    ds_delivered: 'Đã nhận',
    ds_started: 'Đang phát',
    ds_finished: 'Đã phát xong',
    ds_failed: 'Lỗi',
    ds_withdrawn: 'Đã thu hồi',
    live: 'Cập nhật trực tiếp',
    stop: 'Dừng phát',
    withdraw: 'Hủy yêu cầu',
    stopTitle: 'Dừng cảnh báo khẩn',
    stopQuestion: 'Dừng cảnh báo “{title}” tại {area}? Mọi thiết bị ngừng phát cảnh báo này ngay, kể cả thiết bị đang mất kết nối khi chúng kết nối lại.',
    withdrawQuestion: 'Hủy yêu cầu phát “{title}”? Cảnh báo sẽ không được phát.',
    confirm: 'Xác nhận phát',
    ownRequest: 'Bạn là người yêu cầu: cần một người khác xác nhận.',
    leftToConfirm: 'Còn lại để xác nhận: {left}',
    notFound: 'Không tìm thấy cảnh báo này, hoặc nó không thuộc địa bàn của bạn.',
    online: 'trực tuyến',
    offline: 'mất kết nối',
    notInForce: 'Cảnh báo này không còn hiệu lực (đã dừng hoặc hết hạn).',
    limited: 'Chi tiết từng thiết bị do cán bộ huyện, tỉnh theo dõi.',
  },
  en: {
    back: '← Emergency alerts',
    status: 'Status',
    source: 'Source',
    src_manual: 'Written on the dashboard',
    src_cap: 'CAP message from an alerting system',
    src_live: 'Live microphone',
    src_relay: 'Relayed stream',
    priority: 'Priority',
    p_emergency: 'Emergency',
    p_priority: 'Priority',
    p_normal: 'Normal',
    area: 'Area',
    audio: 'Audio',
    noAudio: 'None (text only)',
    stream: 'Live stream',
    text: 'E-board text',
    noText: '(e-boards show the title)',
    start: 'Starts',
    ends: 'Ends',
    cancelledAt: 'Stopped at',
    by: 'Sent by',
    confirmedBy: 'Confirmed by',
    played: 'Played on {n} / {m} loudspeakers',
    playedShort: 'Played',
    nothingYet: 'No device is meant to get this alert yet.',
    pendingNote: 'Not sent yet: waiting for a second person to confirm.',
    summaryMissing: 'The server has no play counts for this alert.',
    byArea: 'By area',
    col_area: 'Area',
    devices: 'Device by device',
    filterState: 'State',
    filterArea: 'Area',
    all: 'All',
    device: 'Device',
    state: 'State',
    deliveredAt: 'Delivered',
    startedAt: 'Started',
    endedAt: 'Ended',
    reason: 'Reason',
    noRows: 'No device in this state.',
    ds_expected: 'Not received yet',
    ds_delivered: 'Received',
    ds_started: 'Playing',
    ds_finished: 'Played',
    ds_failed: 'Failed',
    ds_withdrawn: 'Withdrawn',
    live: 'Live updates',
    stop: 'Stop alert',
    withdraw: 'Cancel request',
    stopTitle: 'Stop emergency alert',
    stopQuestion: 'Stop the alert “{title}” in {area}? Every device stops it at once, offline ones when they reconnect.',
    withdrawQuestion: 'Cancel the request “{title}”? The alert will not be sent.',
    confirm: 'Confirm and send',
    ownRequest: 'You requested it: another user must confirm.',
    leftToConfirm: 'Time left to confirm: {left}',
    notFound: 'This alert does not exist or is outside your areas.',
    online: 'online',
    offline: 'offline',
    notInForce: 'This alert is no longer in force (stopped or expired).',
    limited: 'District and province staff follow it device by device.',
  },
});

const PAGE = 50;
/** A burst of reports (a province-wide alert) re-reads the visible page once. */
const ROWS_DEBOUNCE_MS = 1000;

export const DELIVERY_TONES: Record<AlertDeliveryState, Tone> = { expected: 'muted', delivered: 'info', started: 'info', finished: 'ok', failed: 'bad', withdrawn: 'warn' };

/** The alert's summary, replaced by every newer `alert.progress` for it; `stale` asks for a re-read (missed events). */
export function useAlertSummary(alertId: string) {
  const summary = useAsync<AlertSummary | null>(
    () =>
      get<AlertSummary>(`/api/v1/alerts/${encodeURIComponent(alertId)}/summary`).catch((e: unknown) => {
        if (e instanceof ApiError && e.status === 404) return null;
        throw e;
      }),
    [alertId],
  );
  useLive('alert.progress', (e) => {
    const s = summaryFromEvent(e);
    if (!s || s.alertId !== alertId) return;
    summary.set((prev) => (isNewer(s, prev) ? s : prev));
  });
  return summary;
}

export function AlertDetailPage({ route, session }: PageProps) {
  const t = useT(DS);
  const a = useT(AS);
  const c = useCommon();
  const id = route.parts[1] ?? '';
  const areas = useAreas();
  const userName = useUserNames(session);
  const now = useNow(1000);
  const alert = useAsync(() => get<AlertView>(`/api/v1/alerts/${encodeURIComponent(id)}`), [id]);
  const summary = useAlertSummary(id);
  const [stopping, setStopping] = useState(false);
  /** The area whose devices the list shows ('' for all), picked in the list's filter or by a row of the area table. */
  const [areaFilter, setAreaFilter] = useState('');
  const explain = useAlertErrors();

  // Status changes (confirmed, stopped, replaced) come as alert jobs finishing, or any other alert event.
  useLive('fanout.progress', (e) => {
    const job = e.job as { kind?: string; ref?: string; state?: string } | undefined;
    if (job?.kind === 'alert' && job.ref === id && (job.state === 'done' || job.state === 'failed')) {
      alert.reload();
      summary.reload();
    }
  });
  useLive('*', (e) => {
    if (e.type.startsWith('alert.') && e.type !== 'alert.progress' && (e.alertId === id || e.id === id)) alert.reload();
  });
  useEffect(() => {
    const onFront = () => {
      if (document.hidden) return;
      alert.reload();
      summary.reload();
    };
    document.addEventListener('visibilitychange', onFront);
    return () => document.removeEventListener('visibilitychange', onFront);
  }, [alert.reload, summary.reload]);

  const al = alert.data;
  // Commune officers may not read alerts themselves (the server's READERS): what the banner knows stands in.
  if (alert.error instanceof ApiError && alert.error.status === 403 && !al) return <BannerFacts alertId={id} />;
  if (alert.error && !al) {
    return (
      <div>
        <p>
          <a href={href('/alerts')}>{t('back')}</a>
        </p>
        <Notice tone="error" error={alert.error instanceof ApiError && (alert.error.status === 404 || alert.error.status === 403) ? t('notFound') : alert.error.message} />
      </div>
    );
  }
  if (!al) return <Loading when />;

  const phase = phaseOf(al, now);
  const mayEdit = canEdit(session.user.role);
  const audio = alertAudio(al);
  const s = summary.data;
  return (
    <div data-testid="alert-detail" data-alert-id={al.id} data-status={al.status} data-phase={phase}>
      {session.user.role === 'commune_officer' ? null : (
        <p style={{ margin: '0 0 .5rem' }}>
          <a href={href('/alerts')}>{t('back')}</a>
        </p>
      )}
      <PageHeader title={al.title}>
        <button
          type="button"
          class="ghost"
          onClick={() => {
            alert.reload();
            summary.reload();
          }}
        >
          ↻ {c('refresh')}
        </button>
      </PageHeader>
      <p style={{ display: 'flex', flexWrap: 'wrap', gap: '.35rem', alignItems: 'center', marginTop: 0 }}>
        <Badge tone={PHASE_TONES[phase]}>{phaseLabel(a, al, phase)}</Badge>
        <Badge tone={al.priority === 'emergency' ? 'bad' : al.priority === 'priority' ? 'warn' : 'muted'}>{t(`p_${al.priority}`)}</Badge>
        <span class="muted small" data-testid="alert-source" data-source={al.source ?? 'manual'}>
          {t('source')}: {t(`src_${al.source ?? 'manual'}`)}
        </span>
      </p>

      <PlayedCard alert={al} summary={s} loading={summary.loading && s === undefined} error={summary.error} />

      {phase === 'pending' ? (
        <section class="card" style={{ borderColor: '#f3c77a', borderWidth: '2px' }}>
          <p style={{ marginTop: 0 }}>
            <strong>{t('pendingNote')}</strong> <span class="muted small">{t('leftToConfirm', { left: fmtLeft(confirmDeadline(al), now, CONFIRM_WINDOW_MS / 1000) })}</span>
          </p>
          <AlertReview alert={al} areas={areas} />
          <div class="row">
            <ActionButton
              class="primary"
              data-testid="alert-confirm"
              disabled={al.createdBy === session.user.id}
              style={al.createdBy === session.user.id ? undefined : { background: 'var(--bad)', borderColor: 'var(--bad)', fontWeight: 700 }}
              onClick={explained(explain, async () => {
                try {
                  await post(`/api/v1/alerts/${encodeURIComponent(al.id)}/confirm`);
                } finally {
                  alert.reload();
                  summary.reload();
                }
              })}
            >
              ⚠ {t('confirm')}
            </ActionButton>
            {al.createdBy === session.user.id ? <span class="muted small">{t('ownRequest')}</span> : null}
          </div>
        </section>
      ) : null}

      <section class="card">
        <dl class="alert-facts">
          <dt class="muted">{t('area')}</dt>
          <dd>{areaName(areas, al.areaCode)}</dd>
          <dt class="muted">{t('audio')}</dt>
          <dd data-testid="alert-detail-audio">
            {audio ? (
              <>
                {audio.title ? <strong>{audio.title}</strong> : null}
                {phase === 'pending' ? null : <AudioPlayer sha256={audio.sha256} />}
              </>
            ) : al.streamUrl ? (
              <span>
                {t('stream')}: <code>{al.streamUrl}</code>
              </span>
            ) : (
              <span class="muted">{t('noAudio')}</span>
            )}
          </dd>
          <dt class="muted">{t('text')}</dt>
          <dd data-testid="alert-detail-text">{al.text ?? <span class="muted">{t('noText')}</span>}</dd>
          <dt class="muted">{t('start')}</dt>
          <dd>{al.status === 'pending' ? '—' : fmtDateTime(al.effectiveAt)}</dd>
          <dt class="muted">{al.cancelledAt ? t('cancelledAt') : t('ends')}</dt>
          <dd>
            {fmtDateTime(al.cancelledAt ?? al.expiresAt)}
            {phase === 'active' ? <span class="muted"> ({fmtLeft(Date.parse(al.expiresAt), now)})</span> : null}
          </dd>
          <dt class="muted">{t('by')}</dt>
          <dd>
            {userName(al.createdBy)} · {fmtDateTime(al.requestedAt ?? al.sentAt)}
          </dd>
          {al.confirmedBy ? (
            <>
              <dt class="muted">{t('confirmedBy')}</dt>
              <dd>
                {userName(al.confirmedBy)} · {fmtDateTime(al.confirmedAt)}
              </dd>
            </>
          ) : null}
        </dl>
        {mayEdit && (phase === 'active' || phase === 'pending') ? (
          <div class="row" style={{ marginTop: '.75rem' }}>
            <button type="button" class="danger" data-testid="alert-stop" onClick={() => setStopping(true)}>
              ■ {phase === 'pending' ? t('withdraw') : t('stop')}
            </button>
          </div>
        ) : null}
      </section>

      {s ? <AreaTable alert={al} summary={s} selected={areaFilter} onSelect={(code) => setAreaFilter(code === al.areaCode || code === areaFilter ? '' : code)} /> : null}
      {s && s.total > 0 ? <DeviceList alertId={al.id} summary={s} areas={areas} areaCode={areaFilter} setAreaCode={setAreaFilter} /> : null}

      {stopping ? (
        <Modal title={t('stopTitle')} onClose={() => setStopping(false)}>
          <p style={{ fontWeight: 600 }} data-testid="alert-stop-question">
            {phase === 'pending' ? t('withdrawQuestion', { title: al.title }) : t('stopQuestion', { title: al.title, area: areaName(areas, al.areaCode) })}
          </p>
          <div class="row" style={{ justifyContent: 'flex-end' }}>
            <button type="button" onClick={() => setStopping(false)}>
              {a('back')}
            </button>
            <ActionButton
              class="primary"
              data-testid="alert-stop-confirm"
              style={{ background: 'var(--bad)', borderColor: 'var(--bad)' }}
              onClick={explained(explain, async () => {
                await post(`/api/v1/alerts/${encodeURIComponent(al.id)}/cancel`);
                setStopping(false);
                alert.reload();
                summary.reload();
              })}
            >
              {phase === 'pending' ? t('withdraw') : t('stop')}
            </ActionButton>
          </div>
        </Modal>
      ) : null}
    </div>
  );
}

/** The alert as the banner knows it (title, area, times, live count), for users who may not read the alert itself. */
function BannerFacts({ alertId }: { alertId: string }) {
  const t = useT(DS);
  const items = useAsync(() => get<AlertBannerItem[]>('/api/v1/alerts/banner'), []);
  useLive('alert.progress', (e) => {
    const s = summaryFromEvent(e);
    if (s && s.alertId === alertId) items.set((xs) => (xs ? applySummary(xs, s).items : xs));
  });
  useLive('fanout.progress', (e) => {
    const job = e.job as { kind?: string; ref?: string; state?: string } | undefined;
    if (job?.kind === 'alert' && job.state === 'done') items.reload();
  });
  if (!items.data) return items.error ? <Notice tone="error" error={items.error} /> : <Loading when />;
  const b = items.data.find((x) => x.id === alertId);
  if (!b) {
    return (
      <p class="card" data-testid="alert-detail" data-alert-id={alertId} data-limited="true" data-phase="ended">
        {t('notInForce')}
      </p>
    );
  }
  const pct = pctOf(b.played, b.total);
  return (
    <div data-testid="alert-detail" data-alert-id={alertId} data-limited="true" data-phase="active">
      <PageHeader title={b.title} />
      <p style={{ display: 'flex', flexWrap: 'wrap', gap: '.35rem', alignItems: 'center', marginTop: 0 }}>
        <Badge tone="bad">{t(`p_${b.priority}`)}</Badge>
        <span class="muted small" data-testid="alert-source" data-source={b.source}>
          {t('source')}: {t(`src_${b.source}`)}
        </span>
      </p>
      <section class="card" data-testid="alert-played" data-played={b.played} data-total={b.total}>
        <div class="alert-played" data-testid="alert-played-text">
          {t('played', { n: b.played, m: b.total })}
        </div>
        <div class="alert-area-bar" style={{ height: '.8rem' }} aria-hidden="true">
          <span style={{ width: `${pct}%` }} />
        </div>
        <dl class="alert-facts">
          <dt class="muted">{t('area')}</dt>
          <dd>{b.areaName}</dd>
          <dt class="muted">{t('start')}</dt>
          <dd>{fmtDateTime(b.effectiveAt)}</dd>
          <dt class="muted">{t('ends')}</dt>
          <dd>{fmtDateTime(b.expiresAt)}</dd>
        </dl>
        <p class="muted small" style={{ marginBottom: 0 }}>
          {t('limited')}
        </p>
      </section>
    </div>
  );
}

function phaseLabel(a: (key: `st_${AlertPhase}` | 'st_lapsed') => string, al: AlertView, p: AlertPhase): string {
  return p === 'expired' && al.status === 'pending' ? a('st_lapsed') : a(`st_${p}`);
}

function PlayedCard({ alert, summary, loading, error }: { alert: AlertView; summary: AlertSummary | null | undefined; loading: boolean; error: Error | undefined }) {
  const t = useT(DS);
  if (alert.status === 'pending') return null;
  if (loading) return <Loading when />;
  if (error) return <Notice tone="error" error={error} />;
  if (!summary) return <p class="muted small">{t('summaryMissing')}</p>;
  const n = playedOf(summary);
  const pct = pctOf(n, summary.total);
  return (
    <section class="card" data-testid="alert-played" data-played={n} data-total={summary.total}>
      <div class="alert-played" data-testid="alert-played-text">
        {t('played', { n, m: summary.total })}
      </div>
      {summary.total > 0 ? (
        <div class="alert-area-bar" style={{ height: '.8rem' }} aria-hidden="true">
          <span style={{ width: `${pct}%` }} />
        </div>
      ) : (
        <p class="muted small">{t('nothingYet')}</p>
      )}
      <p class="small" style={{ display: 'flex', flexWrap: 'wrap', gap: '.35rem', margin: '.5rem 0 0' }}>
        {ALERT_DELIVERY_STATES.map((st) => (
          <span key={st} data-testid="alert-state-count" data-state={st} data-count={summary.byState[st] ?? 0}>
            <Badge tone={DELIVERY_TONES[st]}>
              {t(`ds_${st}`)} {summary.byState[st] ?? 0}
            </Badge>
          </span>
        ))}
        <span class="muted">
          {t('live')} · {fmtDateTime(summary.updatedAt)}
        </span>
      </p>
    </section>
  );
}

/** Where it played, by area: the alert's own area first, then failures first (components/results-by-area.tsx). */
function AreaTable({ alert, summary, selected, onSelect }: { alert: AlertView; summary: AlertSummary; selected: string; onSelect: (areaCode: string) => void }) {
  const t = useT(DS);
  const rows = orderAreas(summary.areas, alert.areaCode);
  if (rows.length === 0) return null;
  return (
    <section class="card" data-testid="alert-areas">
      <h2>{t('byArea')}</h2>
      <ResultsByArea rows={rows} testId="alert-area-table" rowTestId="alert-area-row" selected={selected || null} onSelect={summary.areas.length > 1 ? (r) => onSelect(r.areaCode) : undefined} />
    </section>
  );
}

function DeviceList({ alertId, summary, areas, areaCode, setAreaCode }: { alertId: string; summary: AlertSummary; areas: AreaView[]; areaCode: string; setAreaCode: (code: string) => void }) {
  const t = useT(DS);
  const c = useCommon();
  const [state, setState] = useState<AlertDeliveryState | ''>('');
  const [offset, setOffset] = useState(0);
  useEffect(() => setOffset(0), [state, areaCode]);
  const rows = useAsync(
    () => get<AlertDeliveryPage>(`/api/v1/alerts/${encodeURIComponent(alertId)}/deliveries`, { state: state || undefined, areaCode: areaCode || undefined, limit: PAGE, offset }),
    [alertId, state, areaCode, offset],
  );
  // Each summary that moves the counts also moves rows on this page: one re-read per burst.
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    if (timer.current) return;
    timer.current = setTimeout(() => {
      timer.current = null;
      rows.reload();
    }, ROWS_DEBOUNCE_MS);
  }, [summary.updatedAt]);
  useEffect(
    () => () => {
      if (timer.current) clearTimeout(timer.current);
    },
    [],
  );

  const page = rows.data;
  return (
    <section class="card" data-testid="alert-devices">
      <h2>{t('devices')}</h2>
      <Toolbar>
        <ToolbarField label={t('filterState')}>
          <select data-testid="alert-device-state" value={state} onChange={(e) => setState((e.target as HTMLSelectElement).value as AlertDeliveryState | '')}>
            <option value="">{t('all')}</option>
            {ALERT_DELIVERY_STATES.map((st) => (
              <option key={st} value={st}>
                {t(`ds_${st}`)} ({summary.byState[st] ?? 0})
              </option>
            ))}
          </select>
        </ToolbarField>
        {summary.areas.length > 1 ? (
          <ToolbarField label={t('filterArea')}>
            <select data-testid="alert-device-area" value={areaCode} onChange={(e) => setAreaCode((e.target as HTMLSelectElement).value)}>
              <option value="">{t('all')}</option>
              {summary.areas.map((r) => (
                <option key={r.areaCode} value={r.areaCode}>
                  {r.name || areaName(areas, r.areaCode)} ({r.total})
                </option>
              ))}
            </select>
          </ToolbarField>
        ) : null}
      </Toolbar>
      <Notice tone="error" error={rows.error} />
      <Loading when={rows.loading && !page} />
      <DataTable
        testId="alert-device-table"
        rows={page?.items ?? []}
        rowKey={(d) => d.deviceId}
        rowProps={(d) => ({ 'data-testid': 'alert-device-row', 'data-device-id': d.deviceId, 'data-state': d.state })}
        empty={page ? t('noRows') : undefined}
        columns={[
          {
            key: 'device',
            label: t('device'),
            phone: 'title',
            class: 'wrap',
            render: (d) => (
              <>
                <a href={href(`/device/${encodeURIComponent(d.deviceId)}`)}>{d.deviceName || d.deviceId}</a>
                <div class="muted small">
                  {d.kind === 'board' ? c('board') : d.kind === 'speaker' ? c('speaker') : d.kind} · {d.online ? t('online') : t('offline')}
                </div>
              </>
            ),
          },
          { key: 'state', label: t('state'), render: (d) => <Badge tone={DELIVERY_TONES[d.state]}>{t(`ds_${d.state}`)}</Badge> },
          { key: 'area', label: t('col_area'), class: 'wrap', render: (d) => areaName(areas, d.areaCode) },
          { key: 'delivered', label: t('deliveredAt'), phone: 'hide', render: (d) => fmtTimeSeconds(d.deliveredAt) },
          { key: 'started', label: t('startedAt'), render: (d) => fmtTimeSeconds(d.startedAt) },
          { key: 'ended', label: t('endedAt'), render: (d) => fmtTimeSeconds(d.endedAt) },
          { key: 'reason', label: t('reason'), class: 'wrap small', render: (d) => d.reason ?? '' },
        ]}
      />
      {page ? <Pager offset={offset} total={page.total} pageSize={PAGE} onOffset={setOffset} testId="alert-device-page" /> : null}
    </section>
  );
}

