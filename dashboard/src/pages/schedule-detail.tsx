import { useMemo, useState } from 'preact/hooks';
import { can } from '../capabilities.js';
import { get, post } from '../api.js';
import { fmtDateTime, fmtDuration } from '../format.js';
import { defineStrings, useCommon, useT } from '../i18n.js';
import { href } from '../router.js';
import type { Session } from '../session.js';
import { DELIVERY_STATES, type ScheduleView } from '@loa/shared/rest';
import { ActionButton, Badge, ErrorBox, Loading, Modal, areaName, toneOf, useAreas, useAsync } from '../ui.js';
import { useUserNames } from '../user-names.js';
import { ResultsPreview } from './delivery-matrix.js';
import { approvalTone, contentLabel, deviceMap, describeRecurrence, loadContents, loadDevices, loadGroups, priorityTone, useWords, type ScheduleSummary } from './schedule-common.js';

const S = defineStrings({
  vi: {
    title: 'Lịch phát',
    content: 'Nội dung',
    when: 'Thời gian',
    recurrence: 'Lặp lại',
    exdates: 'Ngày không phát',
    targets: 'Nơi phát',
    areas: 'Địa bàn',
    groups: 'Nhóm',
    devices: 'Thiết bị',
    priority: 'Mức ưu tiên',
    approval: 'Phê duyệt',
    status: 'Trạng thái',
    options: 'Tùy chọn',
    repeat: 'phát {n} lần, nghỉ {g} giây',
    volume: 'âm lượng {v}',
    volumeDefault: 'âm lượng mặc định',
    preempt: 'khi bị ngắt: {p}',
    resume: 'phát tiếp',
    restart: 'phát lại từ đầu',
    skip: 'bỏ qua',
    summary: 'Kết quả phát',
    deviceCount: '{n} thiết bị',
    occurrence: 'Lượt phát',
    nextOcc: 'Lượt tới: {t}',
    createdBy: 'Tạo bởi {by} lúc {at}',
    approvedBy: 'Duyệt bởi {by} lúc {at}',
    rejected: '{by} từ chối: {r}',
    edit: 'Sửa',
    cancelSchedule: 'Hủy lịch phát',
    confirmCancel: 'Hủy lịch phát này? Các lượt chưa phát sẽ bị bỏ qua trên mọi thiết bị.',
    yesCancel: 'Xác nhận hủy',
    keep: 'Không',
    deliveries: 'Kết quả phát',
    toApprovals: 'Tới trang phê duyệt',
    noSummary: 'Chưa có lượt phát nào được gửi tới thiết bị.',
  },
  en: {
    title: 'Schedule',
    content: 'Content',
    when: 'Time',
    recurrence: 'Repeats',
    exdates: 'Exception dates',
    targets: 'Targets',
    areas: 'Areas',
    groups: 'Groups',
    devices: 'Devices',
    priority: 'Priority',
    approval: 'Approval',
    status: 'Status',
    options: 'Options',
    repeat: 'plays {n} time(s), {g} s apart',
    volume: 'volume {v}',
    volumeDefault: 'default volume',
    preempt: 'when preempted: {p}',
    resume: 'resume',
    restart: 'restart',
    skip: 'skip',
    summary: 'Delivery summary',
    deviceCount: '{n} device(s)',
    occurrence: 'Occurrence',
    nextOcc: 'Next: {t}',
    createdBy: 'Created by {by} at {at}',
    approvedBy: 'Approved by {by} at {at}',
    rejected: 'Rejected by {by}: {r}',
    edit: 'Edit',
    cancelSchedule: 'Cancel schedule',
    confirmCancel: 'Cancel this schedule? Occurrences not yet played are skipped on every device.',
    yesCancel: 'Yes, cancel it',
    keep: 'No',
    deliveries: 'Deliveries',
    toApprovals: 'Go to approvals',
    noSummary: 'Nothing has been sent to devices yet.',
  },
});

/** Side panel (a modal) with one schedule: what, where, when, approval and its delivery totals. */
export function ScheduleDetail({ id, session, onClose, onEdit, onChanged }: { id: string; session: Session; onClose: () => void; onEdit: (s: ScheduleView) => void; onChanged: () => void }) {
  const t = useT(S);
  const c = useCommon();
  const words = useWords();
  const areas = useAreas();
  const sched = useAsync(() => get<ScheduleView>(`/api/v1/schedules/${encodeURIComponent(id)}`), [id]);
  const summary = useAsync(() => get<ScheduleSummary>(`/api/v1/schedules/${encodeURIComponent(id)}/summary`), [id]);
  const contents = useAsync(() => loadContents().catch(() => []), []);
  const groups = useAsync(() => loadGroups().catch(() => []), []);
  const devices = useAsync(() => loadDevices().catch(() => []), []);
  const devById = useMemo(() => deviceMap(devices.data), [devices.data]);
  const [confirming, setConfirming] = useState(false);
  const userName = useUserNames();
  const s = sched.data;
  const content = s ? contents.data?.find((x) => x.id === s.contentId) : undefined;
  const role = session.user.role;
  // Issue 19: edit and cancel only for whoever may schedule (not a commune officer unless LOA_OFFICER_MAY_SCHEDULE).
  const canWrite = can(session.user, 'schedule');
  const next = s?.occurrences.find((o) => Date.parse(o.startAt) + o.durationMs > Date.now());

  return (
    <Modal title={t('title')} onClose={onClose}>
      <ErrorBox error={sched.error} />
      <Loading when={sched.loading && !s} />
      {s ? (
        <div data-testid="schedule-detail" data-schedule-id={s.id} data-status={s.status} data-approval={s.approval ?? 'not-required'}>
          <h3 style={{ fontSize: '1.1rem' }}>{content ? contentLabel(content, words) : s.contentId}</h3>
          <p style={{ display: 'flex', flexWrap: 'wrap', gap: '.35rem' }}>
            <Badge tone={priorityTone(s.priority)}>{words.priority(s.priority)}</Badge>
            <Badge tone={toneOf(s.status)}>{words.status(s.status)}</Badge>
            <Badge tone={approvalTone(s.approval)}>{words.approval(s.approval)}</Badge>
          </p>
          <dl style={{ display: 'grid', gridTemplateColumns: 'minmax(6rem, auto) 1fr', gap: '.35rem .75rem', margin: '0 0 1rem' }}>
            <dt class="field-label">{t('when')}</dt>
            <dd style={{ margin: 0 }}>
              {fmtDateTime(s.startAt)}
              {content ? ` · ${fmtDuration(content.durationMs)}` : ''}
              {next && s.rrule ? <div class="muted small">{t('nextOcc', { t: fmtDateTime(next.startAt) })}</div> : null}
            </dd>
            <dt class="field-label">{t('recurrence')}</dt>
            <dd style={{ margin: 0 }} data-testid="schedule-recurrence">
              {describeRecurrence(words, s.rrule, s.startAt)}
              {s.rrule ? <div class="muted small" style={{ fontFamily: 'monospace' }}>{s.rrule}</div> : null}
            </dd>
            {s.exdates.length > 0 ? (
              <>
                <dt class="field-label">{t('exdates')}</dt>
                <dd style={{ margin: 0 }}>{s.exdates.map((e) => (/^\d{4}-\d{2}-\d{2}$/.test(e) ? e.split('-').reverse().join('/') : fmtDateTime(e))).join(', ')}</dd>
              </>
            ) : null}
            <dt class="field-label">{t('targets')}</dt>
            <dd style={{ margin: 0 }}>
              {s.targets.areas.length > 0 ? (
                <div>
                  {t('areas')}: {s.targets.areas.map((a) => areaName(areas, a)).join(', ')}
                </div>
              ) : null}
              {s.targets.groups.length > 0 ? (
                <div>
                  {t('groups')}: {s.targets.groups.map((g) => groups.data?.find((x) => x.id === g)?.name ?? g).join(', ')}
                </div>
              ) : null}
              {s.targets.devices.length > 0 ? (
                <div>
                  {t('devices')}:{' '}
                  {s.targets.devices
                    .slice(0, 20)
                    .map((d) => devById.get(d)?.name ?? d)
                    .join(', ')}
                  {s.targets.devices.length > 20 ? ` … (+${s.targets.devices.length - 20})` : ''}
                </div>
              ) : null}
              <div class="muted small">{t('deviceCount', { n: s.deviceCount })}</div>
            </dd>
            <dt class="field-label">{t('options')}</dt>
            <dd style={{ margin: 0 }} class="small">
              {[
                content?.type === 'audio' || !content ? t('repeat', { n: s.repeat, g: s.gapSeconds }) : null,
                s.volume === null ? t('volumeDefault') : t('volume', { v: s.volume }),
                t('preempt', { p: s.onPreempt === 'restart' ? t('restart') : s.onPreempt === 'skip' ? t('skip') : t('resume') }),
              ]
                .filter(Boolean)
                .join(' · ')}
            </dd>
            <dt class="field-label">{t('approval')}</dt>
            <dd style={{ margin: 0 }} class="small">
              <div>{t('createdBy', { by: userName(s.createdBy), at: fmtDateTime(s.createdAt) })}</div>
              {s.approvedBy && s.approvedAt ? <div>{t('approvedBy', { by: userName(s.approvedBy), at: fmtDateTime(s.approvedAt) })}</div> : null}
              {s.rejectedReason ? <div class="error inline">{t('rejected', { by: userName(s.rejectedBy), r: s.rejectedReason })}</div> : null}
              {s.approval === 'pending' && role !== 'commune_officer' ? (
                <div>
                  <a href={href('/approvals')}>{t('toApprovals')}</a>
                </div>
              ) : null}
            </dd>
          </dl>

          <h3>{t('summary')}</h3>
          <ErrorBox error={summary.error} />
          {summary.data ? (
            <div data-testid="schedule-summary">
              {Object.values(summary.data.totals).reduce((a, b) => a + b, 0) === 0 ? <p class="muted small">{t('noSummary')}</p> : null}
              <p style={{ display: 'flex', flexWrap: 'wrap', gap: '.35rem' }}>
                {DELIVERY_STATES.filter((st) => (summary.data?.totals[st] ?? 0) > 0).map((st) => (
                  <Badge key={st} tone={toneOf(st)}>
                    {words.state(st)}: {summary.data?.totals[st] ?? 0}
                  </Badge>
                ))}
              </p>
            </div>
          ) : null}
          {/* Issue 19: where it played, by area (failures first), one click from the whole results page. */}
          <ResultsPreview scheduleId={s.id} />

          {confirming ? (
            <div class="error" role="alertdialog">
              <p style={{ margin: '0 0 .5rem' }}>{t('confirmCancel')}</p>
              <div class="row">
                <ActionButton
                  class="danger"
                  data-testid="schedule-cancel-confirm"
                  onClick={async () => {
                    await post(`/api/v1/schedules/${encodeURIComponent(s.id)}/cancel`);
                    setConfirming(false);
                    sched.reload();
                    summary.reload();
                    onChanged();
                  }}
                >
                  {t('yesCancel')}
                </ActionButton>
                <button type="button" onClick={() => setConfirming(false)}>
                  {t('keep')}
                </button>
              </div>
            </div>
          ) : null}

          <div class="row" style={{ justifyContent: 'flex-end', marginTop: '1rem' }}>
            <a class="button" href={href(`/deliveries/${s.id}`)} data-testid="schedule-deliveries">
              {t('deliveries')}
            </a>
            {canWrite && s.status === 'active' ? (
              <>
                <button type="button" class="danger" data-testid="schedule-cancel" onClick={() => setConfirming(true)} disabled={confirming}>
                  {t('cancelSchedule')}
                </button>
                <button type="button" class="primary" data-testid="schedule-edit" onClick={() => onEdit(s)}>
                  {t('edit')}
                </button>
              </>
            ) : null}
            <button type="button" onClick={onClose}>
              {c('close')}
            </button>
          </div>
        </div>
      ) : null}
    </Modal>
  );
}
