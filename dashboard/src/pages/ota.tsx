import { useState } from 'preact/hooks';
import type { OtaDeviceUpdateView, OtaReleaseView, OtaRolloutDetail, OtaRolloutDeviceState, OtaRolloutState, OtaRolloutView, Page } from '@loa/shared/rest';
import { OTA_DEFAULT_STAGES, OTA_ROLLOUT_DEVICE_STATES, OTA_UPLOAD_FIELDS } from '@loa/shared/rest';
import type { PageProps } from '../app.js';
import { del, get, post, upload } from '../api.js';
import { DataTable, type Column } from '../components/data-table.js';
import { fmtDateTime } from '../format.js';
import { defineStrings, useCommon, useT } from '../i18n.js';
import { useLive } from '../live.js';
import { href, navigate } from '../router.js';
import { ActionButton, AreaSelect, areaName, Badge, Empty, ErrorBox, Field, Loading, Modal, PageHeader, Progress, useAreas, useAsync, type Tone } from '../ui.js';
import { loadGroups } from './schedule-common.js';

/** Issue 20: agent releases and their staged rollouts (admin). The rollout page follows `ota.rollout` live events. */
const S = defineStrings({
  vi: {
    title: 'Cập nhật phần mềm',
    intro: 'Bản phát hành phần mềm thiết bị (đã ký bằng khóa phát hành) được cập nhật theo từng đợt: một phần nhỏ thiết bị trước, thêm dần khi các thiết bị đó chạy tốt; đợt cập nhật tự dừng khi quá nhiều thiết bị lỗi.',
    tabReleases: 'Bản phát hành',
    tabRollouts: 'Đợt cập nhật',
    upload: 'Tải lên bản phát hành',
    packageFile: 'Gói cài đặt (.tar.gz)',
    signatureFile: 'Chữ ký (.sig)',
    uploading: 'Đang tải lên',
    version: 'Phiên bản',
    size: 'Kích thước',
    key: 'Khóa ký',
    uploadedAt: 'Tải lên lúc',
    rolloutsCount: 'Số đợt',
    remove: 'Xóa',
    confirmRemove: 'Xóa bản phát hành {version}?',
    newRollout: 'Tạo đợt cập nhật',
    release: 'Bản phát hành',
    target: 'Phạm vi',
    targetArea: 'Địa bàn',
    targetGroup: 'Nhóm thiết bị',
    group: 'Nhóm',
    stages: 'Các giai đoạn (% thiết bị, cộng dồn)',
    stagesHint: 'Ví dụ 1, 10, 50, 100',
    success: 'Ngưỡng thành công (%)',
    successHint: 'Tỷ lệ thiết bị chạy tốt để sang giai đoạn sau',
    errorTh: 'Ngưỡng lỗi (%)',
    errorHint: 'Tỷ lệ thiết bị lỗi khiến đợt cập nhật tự dừng',
    healthTimeout: 'Thời gian chờ chạy tốt (giây)',
    window: 'Khung giờ bảo trì (giờ Việt Nam)',
    windowHint: 'Để trống: mọi lúc. Có thể qua nửa đêm, ví dụ 23:00–05:00',
    from: 'Từ',
    to: 'Đến',
    start: 'Bắt đầu',
    state: 'Trạng thái',
    progress: 'Tiến độ',
    devices: 'Thiết bị',
    createdAt: 'Tạo lúc',
    rs_running: 'Đang chạy',
    rs_paused: 'Tạm dừng',
    rs_stopped: 'Đã dừng',
    rs_completed: 'Hoàn tất',
    pause: 'Tạm dừng',
    resume: 'Tiếp tục',
    stop: 'Dừng hẳn',
    confirmStop: 'Dừng hẳn đợt cập nhật này? Không thể tiếp tục lại.',
    stopReason: 'Lý do dừng',
    sr_operator: 'Người vận hành dừng',
    'sr_error-threshold': 'Tự dừng: vượt ngưỡng lỗi',
    stage: 'Giai đoạn {n}',
    stageOf: 'Giai đoạn {n}/{total}',
    ss_done: 'xong',
    ss_active: 'đang thực hiện',
    ss_waiting: 'chờ',
    stageLine: '{percent}% · {devices} thiết bị · {healthy} tốt · {failed} lỗi',
    device: 'Thiết bị',
    running: 'Đang chạy bản',
    detail: 'Chi tiết',
    updatedAt: 'Cập nhật lúc',
    allStates: 'Mọi trạng thái',
    back: '← Các đợt cập nhật',
    total: 'Tổng {n}',
    ds_pending: 'Chờ',
    ds_offered: 'Đã gửi lệnh',
    ds_accepted: 'Đã nhận',
    ds_deferred: 'Hoãn (đang phát)',
    ds_downloading: 'Đang tải',
    ds_downloaded: 'Đã tải',
    ds_installing: 'Đang cài',
    ds_installed: 'Đã cài',
    ds_healthy: 'Chạy tốt',
    ds_failed: 'Lỗi',
    'ds_rolled-back': 'Đã quay lại bản cũ',
    window_none: 'Mọi lúc',
    thresholds: 'Ngưỡng: thành công {s}% · lỗi {e}%',
    errorStop: '{failed}/{offered} thiết bị đã nhận cập nhật bị lỗi hoặc quay lại bản cũ ({pct}% ≥ {th}%)',
  },
  en: {
    title: 'Agent updates',
    intro: 'Device software releases (signed with the release key) are rolled out in stages: a few devices first, more once those run well; a rollout stops by itself when too many devices fail.',
    tabReleases: 'Releases',
    tabRollouts: 'Rollouts',
    upload: 'Upload a release',
    packageFile: 'Package (.tar.gz)',
    signatureFile: 'Signature (.sig)',
    uploading: 'Uploading',
    version: 'Version',
    size: 'Size',
    key: 'Signing key',
    uploadedAt: 'Uploaded',
    rolloutsCount: 'Rollouts',
    remove: 'Delete',
    confirmRemove: 'Delete release {version}?',
    newRollout: 'New rollout',
    release: 'Release',
    target: 'Target',
    targetArea: 'Area',
    targetGroup: 'Device group',
    group: 'Group',
    stages: 'Stages (% of devices, cumulative)',
    stagesHint: 'e.g. 1, 10, 50, 100',
    success: 'Success threshold (%)',
    successHint: 'Share of a stage healthy before the next stage starts',
    errorTh: 'Error threshold (%)',
    errorHint: 'Share failed that stops the rollout by itself',
    healthTimeout: 'Health timeout (seconds)',
    window: 'Maintenance window (Vietnam time)',
    windowHint: 'Empty: any time. May cross midnight, e.g. 23:00–05:00',
    from: 'From',
    to: 'To',
    start: 'Start',
    state: 'State',
    progress: 'Progress',
    devices: 'Devices',
    createdAt: 'Created',
    rs_running: 'Running',
    rs_paused: 'Paused',
    rs_stopped: 'Stopped',
    rs_completed: 'Completed',
    pause: 'Pause',
    resume: 'Resume',
    stop: 'Stop',
    confirmStop: 'Stop this rollout for good? It cannot be resumed.',
    stopReason: 'Stop reason',
    sr_operator: 'Stopped by an operator',
    'sr_error-threshold': 'Stopped itself: error threshold reached',
    stage: 'Stage {n}',
    stageOf: 'Stage {n}/{total}',
    ss_done: 'done',
    ss_active: 'in progress',
    ss_waiting: 'waiting',
    stageLine: '{percent}% · {devices} devices · {healthy} healthy · {failed} failed',
    device: 'Device',
    running: 'Running',
    detail: 'Detail',
    updatedAt: 'Updated',
    allStates: 'All states',
    back: '← Rollouts',
    total: '{n} in all',
    ds_pending: 'Pending',
    ds_offered: 'Offered',
    ds_accepted: 'Accepted',
    ds_deferred: 'Deferred (playing)',
    ds_downloading: 'Downloading',
    ds_downloaded: 'Downloaded',
    ds_installing: 'Installing',
    ds_installed: 'Installed',
    ds_healthy: 'Healthy',
    ds_failed: 'Failed',
    'ds_rolled-back': 'Rolled back',
    window_none: 'Any time',
    thresholds: 'Thresholds: success {s}% · error {e}%',
    errorStop: '{failed} of {offered} offered devices failed or rolled back ({pct}% ≥ {th}%)',
  },
});
type T = ReturnType<typeof useT<keyof (typeof S)['vi']>>;

const ROLLOUT_TONE: Record<OtaRolloutState, Tone> = { running: 'info', paused: 'warn', stopped: 'bad', completed: 'ok' };
const DEVICE_TONE: Partial<Record<OtaRolloutDeviceState, Tone>> = { healthy: 'ok', failed: 'bad', 'rolled-back': 'bad', deferred: 'warn', pending: 'muted' };
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const value = (e: Event) => (e.target as HTMLInputElement).value;

export function OtaPage({ route }: PageProps) {
  const t = useT(S);
  const [tab, setTab] = useState<'releases' | 'rollouts'>(route.query.get('tab') === 'releases' ? 'releases' : 'rollouts');
  return (
    <div data-testid="ota-page">
      <PageHeader title={t('title')} />
      <p class="muted">{t('intro')}</p>
      <div class="row-inline" role="tablist" style={{ marginBottom: '1rem' }}>
        <button type="button" class={tab === 'rollouts' ? '' : 'ghost'} onClick={() => setTab('rollouts')} data-testid="ota-tab-rollouts">
          {t('tabRollouts')}
        </button>
        <button type="button" class={tab === 'releases' ? '' : 'ghost'} onClick={() => setTab('releases')} data-testid="ota-tab-releases">
          {t('tabReleases')}
        </button>
      </div>
      {tab === 'releases' ? <Releases t={t} /> : <Rollouts t={t} />}
    </div>
  );
}

function Releases({ t }: { t: T }) {
  const list = useAsync(() => get<OtaReleaseView[]>('/api/v1/ota/releases'), []);
  const [open, setOpen] = useState(false);
  const columns: Array<Column<OtaReleaseView>> = [
    { key: 'version', label: t('version'), render: (r) => <strong>{r.version}</strong>, phone: 'title' },
    { key: 'size', label: t('size'), render: (r) => mb(r.size) },
    { key: 'kid', label: t('key'), render: (r) => <code>{r.kid}</code>, phone: 'hide' },
    { key: 'at', label: t('uploadedAt'), render: (r) => fmtDateTime(r.uploadedAt) },
    { key: 'rollouts', label: t('rolloutsCount'), render: (r) => r.rollouts },
    {
      key: 'actions',
      label: '',
      render: (r) =>
        r.rollouts === 0 ? (
          <ActionButton
            class="ghost danger"
            onClick={async () => {
              if (!confirm(t('confirmRemove', { version: r.version }))) return;
              await del(`/api/v1/ota/releases/${r.id}`);
              list.reload();
            }}
          >
            {t('remove')}
          </ActionButton>
        ) : null,
    },
  ];
  return (
    <div>
      <div class="filters">
        <button type="button" onClick={() => setOpen(true)} data-testid="ota-upload-open">
          {t('upload')}
        </button>
      </div>
      <ErrorBox error={list.error} />
      <Loading when={list.loading && !list.data} />
      <Empty when={!list.loading && (list.data ?? []).length === 0} />
      {(list.data ?? []).length > 0 && <DataTable rows={list.data!} columns={columns} rowKey={(r) => r.id} testId="ota-releases" rowProps={(r) => ({ 'data-release': r.version })} />}
      {open && (
        <UploadForm
          t={t}
          onClose={() => setOpen(false)}
          onDone={() => {
            setOpen(false);
            list.reload();
          }}
        />
      )}
    </div>
  );
}

function UploadForm({ t, onClose, onDone }: { t: T; onClose: () => void; onDone: () => void }) {
  const c = useCommon();
  const [pkg, setPkg] = useState<File | null>(null);
  const [sig, setSig] = useState<File | null>(null);
  const [fraction, setFraction] = useState<number | null>(null);
  const [err, setErr] = useState<unknown>(null);
  const send = async () => {
    setErr(null);
    if (!pkg || !sig) return;
    const form = new FormData();
    form.append(OTA_UPLOAD_FIELDS.package, pkg);
    form.append(OTA_UPLOAD_FIELDS.signature, sig);
    try {
      setFraction(0);
      await upload<OtaReleaseView>('/api/v1/ota/releases', form, setFraction);
      onDone();
    } catch (e) {
      setErr(e);
    } finally {
      setFraction(null);
    }
  };
  return (
    <Modal title={t('upload')} onClose={onClose}>
      <Field label={t('packageFile')}>
        <input type="file" accept=".gz,.tgz,application/gzip" onChange={(e) => setPkg((e.target as HTMLInputElement).files?.[0] ?? null)} data-testid="ota-package-file" />
      </Field>
      <Field label={t('signatureFile')}>
        <input type="file" accept=".sig,.json" onChange={(e) => setSig((e.target as HTMLInputElement).files?.[0] ?? null)} data-testid="ota-signature-file" />
      </Field>
      {fraction !== null && <Progress value={fraction} label={t('uploading')} />}
      <ErrorBox error={err} />
      <div class="row-inline">
        <ActionButton onClick={send} disabled={!pkg || !sig || fraction !== null} data-testid="ota-upload-send">
          {t('upload')}
        </ActionButton>
        <button type="button" class="ghost" onClick={onClose}>
          {c('cancel')}
        </button>
      </div>
    </Modal>
  );
}

function Rollouts({ t }: { t: T }) {
  const areas = useAreas();
  const list = useAsync(() => get<Page<OtaRolloutView>>('/api/v1/ota/rollouts', { limit: 100 }), []);
  const [open, setOpen] = useState(false);
  useLive('ota.rollout', () => list.reload());
  const columns: Array<Column<OtaRolloutView>> = [
    { key: 'version', label: t('release'), render: (r) => <a href={href(`/ota-rollout/${r.id}`)}>{r.release.version}</a>, phone: 'title' },
    { key: 'target', label: t('target'), render: (r) => ('areaCode' in r.target ? areaName(areas, r.target.areaCode) : `${t('group')} ${r.target.groupId.slice(0, 8)}`) },
    { key: 'state', label: t('state'), render: (r) => <Badge tone={ROLLOUT_TONE[r.state]}>{t(`rs_${r.state}`)}</Badge> },
    { key: 'progress', label: t('progress'), render: (r) => <Progress value={r.devices ? (r.counts.healthy ?? 0) / r.devices : 0} label={`${r.counts.healthy ?? 0}/${r.devices}`} /> },
    { key: 'stage', label: t('stage', { n: '' }).trim(), render: (r) => t('stageOf', { n: r.currentStage + 1, total: r.stages.length }), phone: 'hide' },
    { key: 'at', label: t('createdAt'), render: (r) => fmtDateTime(r.createdAt), phone: 'hide' },
  ];
  return (
    <div>
      <div class="filters">
        <button type="button" onClick={() => setOpen(true)} data-testid="ota-rollout-open">
          {t('newRollout')}
        </button>
      </div>
      <ErrorBox error={list.error} />
      <Loading when={list.loading && !list.data} />
      <Empty when={!list.loading && (list.data?.items ?? []).length === 0} />
      {(list.data?.items ?? []).length > 0 && (
        <DataTable rows={list.data!.items} columns={columns} rowKey={(r) => r.id} testId="ota-rollouts" onRowClick={(r) => navigate(`/ota-rollout/${r.id}`)} rowProps={(r) => ({ 'data-rollout': r.id })} />
      )}
      {open && <RolloutForm t={t} onClose={() => setOpen(false)} />}
    </div>
  );
}

function RolloutForm({ t, onClose }: { t: T; onClose: () => void }) {
  const c = useCommon();
  const releases = useAsync(() => get<OtaReleaseView[]>('/api/v1/ota/releases'), []);
  const groups = useAsync(() => loadGroups().catch(() => []), []);
  const [releaseId, setReleaseId] = useState('');
  const [targetKind, setTargetKind] = useState<'area' | 'group'>('area');
  const [areaCode, setAreaCode] = useState('');
  const [groupId, setGroupId] = useState('');
  const [stages, setStages] = useState(OTA_DEFAULT_STAGES.join(', '));
  const [success, setSuccess] = useState('90');
  const [errorTh, setErrorTh] = useState('20');
  const [health, setHealth] = useState('300');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [err, setErr] = useState<unknown>(null);
  const chosen = releaseId || releases.data?.[0]?.id || '';
  // The area select shows its first option until one is picked: that is the one meant.
  const areas = useAreas();
  const area = areaCode || areas[0]?.code || '';
  const save = async () => {
    setErr(null);
    try {
      const body = {
        releaseId: chosen,
        target: targetKind === 'area' ? { areaCode: area } : { groupId },
        stages: stages
          .split(/[,\s]+/)
          .filter(Boolean)
          .map(Number),
        successThreshold: Number(success),
        errorThreshold: Number(errorTh),
        healthTimeoutS: Number(health),
        ...(from && to ? { maintenanceWindow: { from, to } } : {}),
      };
      const created = await post<OtaRolloutDetail>('/api/v1/ota/rollouts', body);
      navigate(`/ota-rollout/${created.id}`);
    } catch (e) {
      setErr(e);
    }
  };
  return (
    <Modal title={t('newRollout')} onClose={onClose}>
      <Field label={t('release')}>
        <select value={chosen} onChange={(e) => setReleaseId(value(e))} data-testid="ota-rollout-release">
          {(releases.data ?? []).map((r) => (
            <option key={r.id} value={r.id}>
              {r.version}
            </option>
          ))}
        </select>
      </Field>
      <Field label={t('target')}>
        <select value={targetKind} onChange={(e) => setTargetKind(value(e) as 'area' | 'group')} data-testid="ota-rollout-target-kind">
          <option value="area">{t('targetArea')}</option>
          <option value="group">{t('targetGroup')}</option>
        </select>
      </Field>
      {targetKind === 'area' ? (
        <Field label={t('targetArea')}>
          <AreaSelect value={area} onChange={setAreaCode} id="ota-rollout-area" required />
        </Field>
      ) : (
        <Field label={t('group')}>
          <select value={groupId} onChange={(e) => setGroupId(value(e))} data-testid="ota-rollout-group">
            <option value="" />
            {(groups.data ?? []).map((g) => (
              <option key={g.id} value={g.id}>
                {g.name}
              </option>
            ))}
          </select>
        </Field>
      )}
      <Field label={t('stages')} hint={t('stagesHint')}>
        <input value={stages} onInput={(e) => setStages(value(e))} data-testid="ota-rollout-stages" />
      </Field>
      <div class="row">
        <Field label={t('success')} hint={t('successHint')}>
          <input type="number" min={1} max={100} value={success} onInput={(e) => setSuccess(value(e))} data-testid="ota-rollout-success" />
        </Field>
        <Field label={t('errorTh')} hint={t('errorHint')}>
          <input type="number" min={1} max={100} value={errorTh} onInput={(e) => setErrorTh(value(e))} data-testid="ota-rollout-error" />
        </Field>
      </div>
      <Field label={t('healthTimeout')}>
        <input type="number" min={10} max={3600} value={health} onInput={(e) => setHealth(value(e))} />
      </Field>
      <Field label={t('window')} hint={t('windowHint')}>
        <div class="row-inline">
          <input type="time" aria-label={t('from')} value={from} onInput={(e) => setFrom(value(e))} data-testid="ota-rollout-from" />
          <span>–</span>
          <input type="time" aria-label={t('to')} value={to} onInput={(e) => setTo(value(e))} data-testid="ota-rollout-to" />
        </div>
      </Field>
      <ErrorBox error={err} />
      <div class="row-inline">
        <ActionButton onClick={save} disabled={!chosen} data-testid="ota-rollout-save">
          {t('start')}
        </ActionButton>
        <button type="button" class="ghost" onClick={onClose}>
          {c('cancel')}
        </button>
      </div>
    </Modal>
  );
}

/** The error-threshold stop in the reader's language, from the counts (the API's stopDetail is English, for logs). */
function errorStop(t: T, r: OtaRolloutDetail): string {
  const failed = (r.counts.failed ?? 0) + (r.counts['rolled-back'] ?? 0);
  const offered = r.devices - (r.counts.pending ?? 0);
  return t('errorStop', { failed, offered, pct: offered ? Math.round((failed * 100) / offered) : 0, th: r.errorThreshold });
}

export function OtaRolloutPage(props: PageProps) {
  return <RolloutDetail key={props.route.parts[1] ?? ''} {...props} />;
}

function RolloutDetail({ route }: PageProps) {
  const t = useT(S);
  const areas = useAreas();
  const id = route.parts[1] ?? '';
  const [state, setState] = useState<OtaRolloutDeviceState | ''>('');
  const detail = useAsync(() => get<OtaRolloutDetail>(`/api/v1/ota/rollouts/${id}`), [id]);
  const devices = useAsync(() => get<Page<OtaDeviceUpdateView>>(`/api/v1/ota/rollouts/${id}/devices`, { limit: 500, ...(state ? { state } : {}) }), [id, state]);
  useLive('ota.rollout', (e) => {
    if (e.rolloutId !== id) return;
    detail.reload();
    devices.reload();
  });
  const r = detail.data;
  const act = (what: 'pause' | 'resume' | 'stop') => async () => {
    if (what === 'stop' && !confirm(t('confirmStop'))) return;
    await post(`/api/v1/ota/rollouts/${id}/${what}`, {});
    detail.reload();
  };
  const columns: Array<Column<OtaDeviceUpdateView>> = [
    { key: 'device', label: t('device'), render: (d) => <a href={href(`/device/${d.deviceId}`)}>{d.deviceName ?? d.deviceId}</a>, sort: (a, b) => a.deviceId.localeCompare(b.deviceId), phone: 'title' },
    { key: 'stage', label: t('stage', { n: '' }).trim(), render: (d) => d.stage + 1, sort: (a, b) => a.stage - b.stage },
    {
      key: 'state',
      label: t('state'),
      render: (d) => (
        <span data-testid="ota-device-state" data-state={d.state}>
          <Badge tone={DEVICE_TONE[d.state] ?? 'info'}>{t(`ds_${d.state}`)}</Badge>
          {d.state === 'downloading' && d.progress ? <span class="muted small"> {Math.round((d.progress.bytes * 100) / d.progress.total)}%</span> : null}
        </span>
      ),
      sort: (a, b) => a.state.localeCompare(b.state),
    },
    { key: 'running', label: t('running'), render: (d) => d.runningVersion ?? '—' },
    { key: 'detail', label: t('detail'), render: (d) => (d.errorCode ? `${d.errorCode}${d.errorMessage ? `: ${d.errorMessage}` : ''}` : ''), class: 'wrap' },
    { key: 'at', label: t('updatedAt'), render: (d) => fmtDateTime(d.updatedAt), phone: 'hide' },
  ];
  return (
    <div data-testid="ota-rollout-page">
      <p>
        <a href={href('/ota')}>{t('back')}</a>
      </p>
      <ErrorBox error={detail.error} />
      <Loading when={detail.loading && !r} />
      {r && (
        <>
          <PageHeader title={`${t('release')} ${r.release.version}`}>
            <Badge tone={ROLLOUT_TONE[r.state]}>
              <span data-testid="ota-rollout-state" data-state={r.state}>
                {t(`rs_${r.state}`)}
              </span>
            </Badge>
          </PageHeader>
          <div class="card">
            <div class="small">
              {t('target')}: {'areaCode' in r.target ? areaName(areas, r.target.areaCode) : `${t('group')} ${r.target.groupId}`} · {t('devices')}: {r.devices} · {t('thresholds', { s: r.successThreshold, e: r.errorThreshold })} · {t('window')}:{' '}
              {r.maintenanceWindow ? `${r.maintenanceWindow.from}–${r.maintenanceWindow.to}` : t('window_none')}
            </div>
            {r.stopReason && (
              <p class="bad" data-testid="ota-stop-reason">
                {t('stopReason')}: {t(`sr_${r.stopReason}`)} — {r.stopReason === 'error-threshold' ? errorStop(t, r) : r.stopDetail}
              </p>
            )}
            <div class="row-inline" style={{ flexWrap: 'wrap', marginTop: '.5rem' }}>
              {r.state === 'running' && (
                <ActionButton class="ghost" onClick={act('pause')} data-testid="ota-pause">
                  {t('pause')}
                </ActionButton>
              )}
              {r.state === 'paused' && (
                <ActionButton class="ghost" onClick={act('resume')} data-testid="ota-resume">
                  {t('resume')}
                </ActionButton>
              )}
              {(r.state === 'running' || r.state === 'paused') && (
                <ActionButton class="ghost danger" onClick={act('stop')} data-testid="ota-stop">
                  {t('stop')}
                </ActionButton>
              )}
            </div>
          </div>
          <div class="cards" data-testid="ota-stages">
            {r.stageProgress.map((s) => (
              <div class="card" key={s.index} data-stage={s.index} data-status={s.status}>
                <strong>{t('stage', { n: s.index + 1 })}</strong> <Badge tone={s.status === 'done' ? 'ok' : s.status === 'active' ? 'info' : 'muted'}>{t(`ss_${s.status}`)}</Badge>
                <div class="small muted">{t('stageLine', { percent: s.percent, devices: s.devices, healthy: s.healthy, failed: s.failed })}</div>
                <Progress value={s.devices ? s.healthy / s.devices : s.status === 'done' ? 1 : 0} />
              </div>
            ))}
          </div>
          <div class="filters" style={{ flexWrap: 'wrap' }} data-testid="ota-counts">
            {OTA_ROLLOUT_DEVICE_STATES.filter((s) => (r.counts[s] ?? 0) > 0).map((s) => (
              <button type="button" key={s} class={state === s ? '' : 'ghost'} onClick={() => setState(state === s ? '' : s)} data-count={s}>
                {t(`ds_${s}`)}: {r.counts[s]}
              </button>
            ))}
          </div>
          <ErrorBox error={devices.error} />
          {devices.data && <p class="muted small">{t('total', { n: devices.data.total })}</p>}
          {devices.data && (
            <DataTable rows={devices.data.items} columns={columns} rowKey={(d) => d.deviceId} testId="ota-devices" rowProps={(d) => ({ 'data-device': d.deviceId, 'data-state': d.state })} />
          )}
        </>
      )}
    </div>
  );
}
