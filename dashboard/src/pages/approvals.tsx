/**
 * Approvals queue (#/approvals): submitted contents, pending schedules and pending area alerts in the user's scope,
 * each with its decision; and, for administrators, the approval rules themselves.
 */
import { useRef, useState } from 'preact/hooks';
import type { PageProps } from '../app.js';
import { get, post, put } from '../api.js';
import { fmtDateTime, fmtDuration } from '../format.js';
import { defineStrings, useCommon, useT } from '../i18n.js';
import { useLive } from '../live.js';
import { APPROVALS_LIVE_EVENT, type AlertView, type ApprovalQueue, type ContentView, type Priority, type ScheduleView } from '@loa/shared/rest';
import { ActionButton, areaName, Badge, Empty, ErrorBox, Field, Loading, PageHeader, useAreas, useAsync } from '../ui.js';
import { canApprove, canEdit, ContentPreview, RejectDialog, useContentWords, useUserNames } from './content-shared.js';
import { AlertReview } from './alert-review.js';
import { ApprovalReasonFacts } from '../components/approval-reasons.js';
import { href } from '../router.js';

const S = defineStrings({
  vi: {
    title: 'Phê duyệt',
    fromUpper: 'Từ cấp trên: {name}',
    validWindow: 'Hiệu lực: {from} – {until}',
    contents: 'Nội dung chờ duyệt',
    schedules: 'Lịch phát chờ duyệt',
    alerts: 'Cảnh báo khẩn chờ xác nhận',
    submittedBy: 'Gửi bởi {who} lúc {at}',
    showPreview: 'Xem/Nghe',
    hidePreview: 'Ẩn xem trước',
    approve: 'Phê duyệt',
    reject: 'Từ chối',
    rejectSchedule: 'Từ chối lịch phát',
    confirm: 'Xác nhận phát',
    cancelAlert: 'Hủy cảnh báo',
    col_content: 'Nội dung',
    col_targets: 'Phạm vi phát',
    col_start: 'Bắt đầu',
    col_recurrence: 'Lặp lại',
    col_priority: 'Mức ưu tiên',
    col_devices: 'Số thiết bị',
    col_creator: 'Người tạo',
    col_actions: 'Thao tác',
    col_alert: 'Cảnh báo',
    col_area: 'Địa bàn',
    col_requested: 'Yêu cầu bởi / lúc',
    col_window: 'Hạn xác nhận',
    once: 'Một lần',
    daily: 'Hằng ngày',
    weekly: 'Hằng tuần',
    monthly: 'Hằng tháng',
    every: 'mỗi {n}',
    times: '{n} lần',
    until: 'đến {d}',
    group: 'Nhóm: {name}',
    device: 'Thiết bị: {id}',
    p_normal: 'Thường',
    p_priority: 'Ưu tiên',
    p_emergency: 'Khẩn cấp',
    noApproveRight: 'Bạn có thể xem hàng chờ nhưng không có quyền phê duyệt nội dung và lịch phát.',
    secondPerson: 'Cần người thứ hai xác nhận',
    expired: 'Đã quá hạn',
    rules: 'Quy tắc phê duyệt',
    rulesHint: 'Áp dụng cho những gì được lưu từ nay; các mục đang chờ không bị xét lại.',
    rulesContent: 'Nội dung cần người duyệt',
    rulesSchedules: 'Lịch phát cần người duyệt khi',
    minAreaLevel: 'Phát tới địa bàn cấp này hoặc rộng hơn',
    lvl_none: 'Không áp dụng',
    lvl_province: 'Tỉnh/Thành phố',
    lvl_district: 'Quận/Huyện',
    lvl_commune: 'Xã/Phường',
    minDevices: 'Hoặc phát tới từ số thiết bị này trở lên',
    minDevicesHint: 'Để trống: không áp dụng',
    priorities: 'Hoặc có mức ưu tiên',
    twoPerson: 'Lịch phát khẩn cấp và cảnh báo khẩn cần người thứ hai xác nhận',
    emergencyContentOnly: 'Cảnh báo khẩn chỉ được dùng âm thanh đã đánh dấu “dùng cho khẩn cấp”',
    rulesSaved: 'Đã lưu quy tắc.',
    audio: 'Âm thanh',
    text: 'Văn bản',
    image: 'Hình ảnh',
    total: 'Tổng số chờ xử lý',
    spoken: 'Nội dung đọc (chuyển văn bản thành giọng nói)',
    spokenShort: 'Nội dung đọc',
  },
  en: {
    title: 'Approvals',
    fromUpper: 'From the level above: {name}',
    validWindow: 'Valid: {from} – {until}',
    contents: 'Content awaiting approval',
    schedules: 'Schedules awaiting approval',
    alerts: 'Emergency alerts awaiting confirmation',
    submittedBy: 'Submitted by {who} at {at}',
    showPreview: 'Preview',
    hidePreview: 'Hide preview',
    approve: 'Approve',
    reject: 'Reject',
    rejectSchedule: 'Reject schedule',
    confirm: 'Confirm and send',
    cancelAlert: 'Cancel alert',
    col_content: 'Content',
    col_targets: 'Targets',
    col_start: 'Start',
    col_recurrence: 'Recurrence',
    col_priority: 'Priority',
    col_devices: 'Devices',
    col_creator: 'Created by',
    col_actions: 'Actions',
    col_alert: 'Alert',
    col_area: 'Area',
    col_requested: 'Requested by / at',
    col_window: 'Confirm before',
    once: 'Once',
    daily: 'Daily',
    weekly: 'Weekly',
    monthly: 'Monthly',
    every: 'every {n}',
    times: '{n} times',
    until: 'until {d}',
    group: 'Group: {name}',
    device: 'Device: {id}',
    p_normal: 'Normal',
    p_priority: 'Priority',
    p_emergency: 'Emergency',
    noApproveRight: 'You can see the queue but may not approve content or schedules.',
    secondPerson: 'Needs a second person',
    expired: 'Expired',
    rules: 'Approval rules',
    rulesHint: 'They apply to what is saved from now on; pending items are not re-examined.',
    rulesContent: 'Content that needs an approver',
    rulesSchedules: 'A schedule needs an approver when',
    minAreaLevel: 'It targets an area of this level or wider',
    lvl_none: 'Not used',
    lvl_province: 'Province',
    lvl_district: 'District',
    lvl_commune: 'Commune',
    minDevices: 'Or it reaches at least this many devices',
    minDevicesHint: 'Empty: not used',
    priorities: 'Or it has the priority',
    twoPerson: 'Emergency schedules and alerts need a second person to confirm',
    emergencyContentOnly: 'Alerts may only carry audio marked for emergencies',
    rulesSaved: 'Rules saved.',
    audio: 'Audio',
    text: 'Text',
    image: 'Image',
    total: 'Pending in total',
    spoken: 'What it says (text to speech)',
    spokenShort: 'What it says',
  },
});


interface ApprovalRules {
  content: { audio: boolean; text: boolean; image: boolean };
  schedules: { minAreaLevel: 'province' | 'district' | 'commune' | null; minDevices: number | null; priorities: Priority[] };
  /** audioFromEmergencyContentOnly: issue 18, absent from older servers (then not offered). */
  emergency: { twoPerson: boolean; audioFromEmergencyContentOnly?: boolean };
}

const PRIORITIES: Priority[] = ['normal', 'priority', 'emergency'];
const priorityTone = (p: string) => (p === 'emergency' ? 'bad' : p === 'priority' ? 'warn' : 'muted');
const CONFIRM_WINDOW_MS = 30 * 60_000;
/** One queued item: a block with its facts on the left and its decision on the right (stacked on phones). */
const ITEM = { borderTop: '1px solid var(--line)', padding: '.6rem 0' };
const ITEM_HEAD = { display: 'flex', flexWrap: 'wrap' as const, gap: '.5rem', alignItems: 'flex-start', justifyContent: 'space-between' };
const ACTIONS = { display: 'flex', gap: '.3rem', flexWrap: 'wrap' as const, alignItems: 'flex-start' };
const FACTS = { display: 'grid', gridTemplateColumns: 'max-content 1fr', gap: '.15rem .75rem', margin: '.35rem 0 0' };
const DD = { margin: 0 };

export function ApprovalsPage({ session }: PageProps) {
  const t = useT(S);
  const c = useCommon();
  const role = session.user.role;
  const approver = canApprove(role);
  const queue = useAsync(() => get<ApprovalQueue>('/api/v1/approvals'), []);

  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const reloadSoon = () => {
    if (timer.current) return;
    timer.current = setTimeout(() => {
      timer.current = null;
      queue.reload();
    }, 400);
  };
  useLive('content.state', reloadSoon);
  // Issue 19: a submission, decision or withdrawal anywhere in the user's area, and a reconnected stream.
  useLive(APPROVALS_LIVE_EVENT, reloadSoon);
  useLive('hello', reloadSoon);

  const q = queue.data;
  const total = q ? q.counts.contents + q.counts.schedules + q.counts.alerts : 0;
  return (
    <div>
      <PageHeader title={t('title')}>
        <button type="button" onClick={() => queue.reload()}>
          {c('refresh')}
        </button>
      </PageHeader>
      <ErrorBox error={queue.error} />
      <Loading when={queue.loading && !q} />
      {q ? (
        <>
          <div class="cards" data-testid="approval-counts">
            <Stat label={t('contents')} value={q.counts.contents} testid="count-contents" />
            <Stat label={t('schedules')} value={q.counts.schedules} testid="count-schedules" />
            <Stat label={t('alerts')} value={q.counts.alerts} testid="count-alerts" />
            <Stat label={t('total')} value={total} />
          </div>
          {!approver ? <p class="muted small">{t('noApproveRight')}</p> : null}
          <ContentQueue items={q.contents} spoken={q.spokenTexts ?? {}} session={session} onChanged={reloadSoon} />
          <ScheduleQueue items={q.schedules} spoken={q.spokenTexts ?? {}} titles={q.contentTitles ?? {}} reasons={q.scheduleReasons ?? {}} session={session} onChanged={reloadSoon} />
          <AlertQueue items={q.alerts} session={session} onChanged={reloadSoon} />
        </>
      ) : null}
      {role === 'admin' ? <RulesPanel /> : null}
    </div>
  );
}

function Stat({ label, value, testid }: { label: string; value: number; testid?: string }) {
  return (
    <div class="stat" data-testid={testid} data-value={value}>
      <div class="value">{value}</div>
      <div class="label">{label}</div>
    </div>
  );
}

// ---------------------------------------------------------------------------------------------------------------

function ContentQueue({ items, spoken, session, onChanged }: { items: ContentView[]; spoken: Record<string, string>; session: PageProps['session']; onChanged: () => void }) {
  const t = useT(S);
  const w = useContentWords();
  const userName = useUserNames(session);
  const approver = canApprove(session.user.role);
  const [open, setOpen] = useState<Set<string>>(new Set());
  const [rejecting, setRejecting] = useState<ContentView | null>(null);
  // Decided here: hidden at once, before the queue reloads.
  const [gone, setGone] = useState<Set<string>>(new Set());
  const shown = items.filter((x) => !gone.has(x.id));
  const toggle = (id: string) =>
    setOpen((s) => {
      const n = new Set(s);
      if (n.has(id)) n.delete(id);
      else n.add(id);
      return n;
    });
  const done = (id: string) => {
    setGone((s) => new Set(s).add(id));
    onChanged();
  };
  return (
    <section class="card" data-testid="approval-contents">
      <h2>
        {t('contents')} <span class="muted">({shown.length})</span>
      </h2>
      <Empty when={shown.length === 0} />
      {shown.map((x) => (
        <div key={x.id} data-testid="approval-content" data-content-id={x.id} style={ITEM}>
          <div style={ITEM_HEAD}>
            <div style={{ minWidth: '12rem', flex: '1 1 16rem' }}>
              <strong>{x.title}</strong>{' '}
              <Badge tone="info">{w.type(x.type)}</Badge> <span class="muted small">{fmtDuration(x.durationMs)}</span>
              {x.origin ? (
                <div class="small" data-testid="origin" style={{ marginTop: '.2rem' }}>
                  <Badge tone="warn" title={x.origin.originId}>
                    {t('fromUpper', { name: x.origin.peerName })}
                  </Badge>{' '}
                  {x.validFrom || x.validUntil ? <span class="muted">{t('validWindow', { from: x.validFrom ? fmtDateTime(x.validFrom) : '…', until: x.validUntil ? fmtDateTime(x.validUntil) : '…' })}</span> : null}
                </div>
              ) : null}
              <div class="muted small">{t('submittedBy', { who: userName(x.submittedBy ?? x.createdBy), at: fmtDateTime(x.submittedAt ?? x.createdAt) })}</div>
            </div>
            <div style={ACTIONS}>
              <button type="button" data-testid="preview" aria-expanded={open.has(x.id)} onClick={() => toggle(x.id)}>
                {open.has(x.id) ? t('hidePreview') : t('showPreview')}
              </button>
              {approver ? (
                <>
                  <ActionButton
                    class="primary"
                    data-testid="approve"
                    onClick={async () => {
                      await post(`/api/v1/contents/${x.id}/approve`);
                      done(x.id);
                    }}
                  >
                    {t('approve')}
                  </ActionButton>
                  <button type="button" class="danger" data-testid="reject" onClick={() => setRejecting(x)}>
                    {t('reject')}
                  </button>
                </>
              ) : null}
            </div>
          </div>
          {x.text && x.type === 'text' ? <p class="small" style={{ whiteSpace: 'pre-wrap', margin: '.4rem 0' }}>{x.text}</p> : null}
          {spoken[x.id] ? (
            <div class="small">
              <span class="muted">{t('spoken')}</span>
              <p class="spoken-text" data-testid="spoken-text">
                {spoken[x.id]}
              </p>
            </div>
          ) : null}
          {open.has(x.id) ? (
            <div style={{ marginTop: '.5rem', maxWidth: '40rem' }}>
              <ContentPreview content={x} />
            </div>
          ) : null}
        </div>
      ))}
      {rejecting ? (
        <RejectDialog
          title={rejecting.title}
          onClose={() => setRejecting(null)}
          onReject={async (reason) => {
            await post(`/api/v1/contents/${rejecting.id}/reject`, { reason });
            done(rejecting.id);
          }}
        />
      ) : null}
    </section>
  );
}

// ---------------------------------------------------------------------------------------------------------------

/** "FREQ=WEEKLY;BYDAY=MO,WE;COUNT=4" → "Hằng tuần: T2, T4 · 4 lần"; anything unusual is shown as is. */
function useRecurrence() {
  const t = useT(S);
  const vi = t('daily') === 'Hằng ngày';
  const DAYS: Record<string, [string, string]> = { MO: ['T2', 'Mon'], TU: ['T3', 'Tue'], WE: ['T4', 'Wed'], TH: ['T5', 'Thu'], FR: ['T6', 'Fri'], SA: ['T7', 'Sat'], SU: ['CN', 'Sun'] };
  return (rrule: string | null): string => {
    if (!rrule) return t('once');
    const parts = Object.fromEntries(
      rrule
        .replace(/^RRULE:/i, '')
        .split(';')
        .map((p) => p.split('=') as [string, string]),
    ) as Record<string, string | undefined>;
    const freq = { DAILY: t('daily'), WEEKLY: t('weekly'), MONTHLY: t('monthly') }[parts.FREQ ?? ''];
    if (!freq) return rrule;
    const bits = [freq];
    if (parts.INTERVAL && parts.INTERVAL !== '1') bits.push(t('every', { n: parts.INTERVAL }));
    if (parts.BYDAY) bits.push(parts.BYDAY.split(',').map((d) => DAYS[d]?.[vi ? 0 : 1] ?? d).join(', '));
    if (parts.COUNT) bits.push(t('times', { n: parts.COUNT }));
    if (parts.UNTIL) bits.push(t('until', { d: parts.UNTIL.replace(/^(\d{4})(\d{2})(\d{2}).*$/, '$3/$2/$1') }));
    return bits.join(' · ');
  };
}

function ScheduleQueue({
  items,
  spoken,
  titles,
  reasons,
  session,
  onChanged,
}: {
  items: ScheduleView[];
  spoken: Record<string, string>;
  titles: Record<string, string>;
  reasons: NonNullable<ApprovalQueue['scheduleReasons']>;
  session: PageProps['session'];
  onChanged: () => void;
}) {
  const t = useT(S);
  const approver = canApprove(session.user.role);
  const userName = useUserNames(session);
  const areas = useAreas();
  const recurrence = useRecurrence();
  const contents = useAsync(() => get<ContentView[]>('/api/v1/contents').then((cs) => new Map(cs.map((x) => [x.id, x]))), [items.length]);
  const groups = useAsync(
    () =>
      get<Array<{ id: string; name: string }>>('/api/v1/groups')
        .then((gs) => new Map(gs.map((g) => [g.id, g.name])))
        .catch(() => new Map<string, string>()),
    [],
  );
  const [rejecting, setRejecting] = useState<ScheduleView | null>(null);
  const [gone, setGone] = useState<Set<string>>(new Set());
  const shown = items.filter((x) => !gone.has(x.id));
  const done = (id: string) => {
    setGone((s) => new Set(s).add(id));
    onChanged();
  };
  const contentTitle = (id: string) => titles[id] ?? contents.data?.get(id)?.title ?? id;
  return (
    <section class="card" data-testid="approval-schedules">
      <h2>
        {t('schedules')} <span class="muted">({shown.length})</span>
      </h2>
      <Empty when={shown.length === 0} />
      {shown.map((s) => (
        <div key={s.id} data-testid="approval-schedule" data-schedule-id={s.id} style={ITEM}>
          <div style={ITEM_HEAD}>
            <div style={{ minWidth: '12rem', flex: '1 1 18rem' }}>
              <strong>{contentTitle(s.contentId)}</strong> <Badge tone={priorityTone(s.priority)}>{t(`p_${s.priority}`)}</Badge>
              <dl style={FACTS} class="small">
                {spoken[s.contentId] ? (
                  <>
                    <dt class="muted">{t('spokenShort')}</dt>
                    <dd style={DD} class="spoken-text" data-testid="spoken-text">
                      {spoken[s.contentId]}
                    </dd>
                  </>
                ) : null}
                <dt class="muted">{t('col_targets')}</dt>
                <dd style={DD}>
                  {[
                    ...s.targets.areas.map((a) => areaName(areas, a)),
                    ...s.targets.groups.map((g) => t('group', { name: groups.data?.get(g) ?? g })),
                    ...s.targets.devices.map((d) => t('device', { id: d })),
                  ].join('; ') || '—'}
                </dd>
                <dt class="muted">{t('col_start')}</dt>
                <dd style={DD}>{fmtDateTime(s.startAt)}</dd>
                <dt class="muted">{t('col_recurrence')}</dt>
                <dd style={DD}>{recurrence(s.rrule)}</dd>
                <dt class="muted">{t('col_devices')}</dt>
                <dd style={DD} data-testid="schedule-devices">
                  {s.deviceCount}
                </dd>
                <ApprovalReasonFacts reasons={reasons[s.id]} ddStyle={DD} />
                <dt class="muted">{t('col_creator')}</dt>
                <dd style={DD}>
                  {userName(s.createdBy)} · {fmtDateTime(s.createdAt)}
                </dd>
              </dl>
            </div>
            <div style={{ display: 'flex', flexDirection: 'column', gap: '.3rem', alignItems: 'flex-end' }}>
              {approver ? (
                <div style={ACTIONS}>
                  <ActionButton
                    class="primary"
                    data-testid="approve"
                    onClick={async () => {
                      await post(`/api/v1/schedules/${s.id}/approve`);
                      done(s.id);
                    }}
                  >
                    {t('approve')}
                  </ActionButton>
                  <button type="button" class="danger" data-testid="reject" onClick={() => setRejecting(s)}>
                    {t('reject')}
                  </button>
                </div>
              ) : null}
              {s.priority === 'emergency' ? <span class="muted small">{t('secondPerson')}</span> : null}
            </div>
          </div>
        </div>
      ))}
      {rejecting ? (
        <RejectDialog
          title={contentTitle(rejecting.contentId)}
          heading={t('rejectSchedule')}
          onClose={() => setRejecting(null)}
          onReject={async (reason) => {
            await post(`/api/v1/schedules/${rejecting.id}/reject`, { reason });
            done(rejecting.id);
          }}
        />
      ) : null}
    </section>
  );
}

// ---------------------------------------------------------------------------------------------------------------

function AlertQueue({ items, session, onChanged }: { items: AlertView[]; session: PageProps['session']; onChanged: () => void }) {
  const t = useT(S);
  const userName = useUserNames(session);
  const areas = useAreas();
  const mayCancel = canEdit(session.user.role);
  const [gone, setGone] = useState<Set<string>>(new Set());
  const shown = items.filter((x) => !gone.has(x.id));
  const done = (id: string) => {
    setGone((s) => new Set(s).add(id));
    onChanged();
  };
  return (
    <section class="card" data-testid="approval-alerts">
      <h2>
        {t('alerts')} <span class="muted">({shown.length})</span>
      </h2>
      <Empty when={shown.length === 0} />
      {shown.map((a) => {
        const requested = a.requestedAt ?? a.sentAt;
        const deadline = new Date(requested).getTime() + CONFIRM_WINDOW_MS;
        const expired = Date.now() > deadline;
        return (
          <div key={a.id} data-testid="approval-alert" data-alert-id={a.id} style={ITEM}>
            <div style={ITEM_HEAD}>
              <div style={{ minWidth: '12rem', flex: '1 1 18rem' }}>
                <a href={href(`/alert/${encodeURIComponent(a.id)}`)}>
                  <strong>{a.title}</strong>
                </a>{' '}
                <Badge tone={priorityTone(a.priority)}>{t(`p_${a.priority}`)}</Badge>
                <AlertReview alert={a} areas={areas} />
                <dl style={FACTS} class="small">
                  <dt class="muted">{t('col_area')}</dt>
                  <dd style={DD}>{areaName(areas, a.areaCode)}</dd>
                  <dt class="muted">{t('col_requested')}</dt>
                  <dd style={DD}>
                    {userName(a.createdBy)} · {fmtDateTime(requested)}
                  </dd>
                  <dt class="muted">{t('col_window')}</dt>
                  <dd style={DD}>{expired ? <Badge tone="bad">{t('expired')}</Badge> : fmtDateTime(deadline)}</dd>
                </dl>
              </div>
              <div style={ACTIONS}>
                <ActionButton
                  class="primary"
                  data-testid="confirm"
                  onClick={async () => {
                    await post(`/api/v1/alerts/${a.id}/confirm`);
                    done(a.id);
                  }}
                >
                  {t('confirm')}
                </ActionButton>
                {mayCancel ? (
                  <ActionButton
                    class="danger"
                    data-testid="cancel"
                    onClick={async () => {
                      await post(`/api/v1/alerts/${a.id}/cancel`);
                      done(a.id);
                    }}
                  >
                    {t('cancelAlert')}
                  </ActionButton>
                ) : null}
              </div>
            </div>
          </div>
        );
      })}
    </section>
  );
}

// ---------------------------------------------------------------------------------------------------------------

function RulesPanel() {
  const t = useT(S);
  const c = useCommon();
  const rules = useAsync(() => get<ApprovalRules>('/api/v1/settings/approval'), []);
  const [draft, setDraft] = useState<ApprovalRules | null>(null);
  const [saved, setSaved] = useState(false);
  const r = draft ?? rules.data;
  const change = (f: (x: ApprovalRules) => void) => {
    if (!r) return;
    const next = structuredClone(r);
    f(next);
    setDraft(next);
    setSaved(false);
  };
  const check = (label: string, checked: boolean, on: (v: boolean) => void, testid?: string) => (
    <label style={{ display: 'inline-flex', gap: '.35rem', alignItems: 'center', marginRight: '1rem', minHeight: '2rem' }}>
      <input type="checkbox" checked={checked} data-testid={testid} onChange={(e) => on((e.target as HTMLInputElement).checked)} />
      {label}
    </label>
  );
  return (
    <section class="card" data-testid="approval-rules">
      <h2>{t('rules')}</h2>
      <p class="muted small" style={{ marginTop: 0 }}>
        {t('rulesHint')}
      </p>
      <ErrorBox error={rules.error} />
      <Loading when={rules.loading && !r} />
      {r ? (
        <div>
          <fieldset style={{ border: 'none', padding: 0, margin: '0 0 .75rem' }}>
            <legend class="field-label" style={{ padding: 0, marginBottom: '.25rem' }}>
              {t('rulesContent')}
            </legend>
            {(['audio', 'text', 'image'] as const).map((k) => check(t(k), r.content[k], (v) => change((x) => (x.content[k] = v)), `rule-content-${k}`))}
          </fieldset>
          <fieldset style={{ border: 'none', padding: 0, margin: '0 0 .75rem' }}>
            <legend class="field-label" style={{ padding: 0, marginBottom: '.25rem' }}>
              {t('rulesSchedules')}
            </legend>
            <div class="row">
              <Field label={t('minAreaLevel')}>
                <select
                  data-testid="rule-min-area-level"
                  value={r.schedules.minAreaLevel ?? ''}
                  onChange={(e) => {
                    const v = (e.target as HTMLSelectElement).value;
                    change((x) => (x.schedules.minAreaLevel = v === '' ? null : (v as 'province' | 'district' | 'commune')));
                  }}
                >
                  <option value="">{t('lvl_none')}</option>
                  <option value="province">{t('lvl_province')}</option>
                  <option value="district">{t('lvl_district')}</option>
                  <option value="commune">{t('lvl_commune')}</option>
                </select>
              </Field>
              <Field label={t('minDevices')} hint={t('minDevicesHint')}>
                <input
                  type="number"
                  min={1}
                  data-testid="rule-min-devices"
                  value={r.schedules.minDevices ?? ''}
                  onInput={(e) => {
                    const v = (e.target as HTMLInputElement).value;
                    change((x) => (x.schedules.minDevices = v === '' ? null : Math.max(1, Math.round(Number(v)))));
                  }}
                />
              </Field>
            </div>
            <div class="field">
              <span class="field-label">{t('priorities')}</span>
              <div>
                {PRIORITIES.map((p) =>
                  check(
                    t(`p_${p}`),
                    r.schedules.priorities.includes(p),
                    (v) => change((x) => (x.schedules.priorities = v ? PRIORITIES.filter((q) => q === p || x.schedules.priorities.includes(q)) : x.schedules.priorities.filter((q) => q !== p))),
                    `rule-priority-${p}`,
                  ),
                )}
              </div>
            </div>
          </fieldset>
          {check(t('twoPerson'), r.emergency.twoPerson, (v) => change((x) => (x.emergency.twoPerson = v)), 'rule-two-person')}
          {r.emergency.audioFromEmergencyContentOnly === undefined
            ? null
            : check(t('emergencyContentOnly'), r.emergency.audioFromEmergencyContentOnly, (v) => change((x) => (x.emergency.audioFromEmergencyContentOnly = v)), 'rule-emergency-content-only')}
          <div class="row" style={{ marginTop: '.75rem', alignItems: 'center' }}>
            <ActionButton
              class="primary"
              data-testid="rules-save"
              disabled={!draft}
              onClick={async () => {
                if (!draft) return;
                const next = await put<ApprovalRules>('/api/v1/settings/approval', draft);
                rules.set(() => next);
                setDraft(null);
                setSaved(true);
              }}
            >
              {c('save')}
            </ActionButton>
            {draft ? (
              <button type="button" class="ghost" onClick={() => setDraft(null)}>
                {c('cancel')}
              </button>
            ) : null}
            {saved ? <span class="ok" data-testid="rules-saved">{t('rulesSaved')}</span> : null}
          </div>
        </div>
      ) : null}
    </section>
  );
}
