import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ApiError, api, get } from '../api.js';
import { fmtDate, fmtDateTime, fmtDuration, fmtTime, fromLocalInput, toLocalInput, zonedParts } from '../format.js';
import { defineStrings, useCommon, useT } from '../i18n.js';
import { href } from '../router.js';
import type { ContentView, DeviceView, Priority, ScheduleView } from '@loa/shared/rest';
import { Badge, ErrorBox, Field, Loading, Modal, areaName, areaOptions, useAreas, useAsync } from '../ui.js';
import { FanoutProgress } from './fanout-progress.js';
import {
  approvalTone,
  buildRrule,
  contentLabel,
  deviceMap,
  describeRecurrence,
  loadContents,
  loadDevices,
  loadGroups,
  parseRrule,
  priorityTone,
  useWords,
  type ConflictNotice,
  type ConflictTotals,
  type DryRunResult,
  type RuleParts,
  type SaveResult,
} from './schedule-common.js';

const S = defineStrings({
  vi: {
    newTitle: 'Tạo lịch phát',
    editTitle: 'Sửa lịch phát',
    content: 'Bản tin / nội dung',
    pickContent: '— Chọn nội dung đã phê duyệt —',
    noContent: 'Chưa có nội dung nào được phê duyệt.',
    startAt: 'Bắt đầu (giờ Việt Nam)',
    recurrence: 'Lặp lại',
    freq: 'Kiểu lặp',
    none: 'Không lặp (phát một lần)',
    daily: 'Hằng ngày',
    weekly: 'Hằng tuần',
    monthly: 'Hằng tháng',
    every: 'Cách nhau (ngày/tuần/tháng)',
    weekdays: 'Vào các ngày',
    monthDay: 'Ngày trong tháng (-1 = ngày cuối tháng)',
    end: 'Kết thúc',
    endNever: 'Không giới hạn',
    endUntil: 'Đến ngày',
    endCount: 'Sau số lần phát',
    untilDate: 'Đến hết ngày',
    countN: 'Số lần',
    exdates: 'Ngày không phát (ngoại lệ)',
    add: 'Thêm',
    targets: 'Nơi phát',
    areas: 'Địa bàn',
    pickArea: '— Chọn địa bàn —',
    addArea: '+ Thêm địa bàn',
    groups: 'Nhóm thiết bị',
    noGroups: 'Không có nhóm thiết bị.',
    devices: 'Thiết bị riêng lẻ',
    searchDevice: 'Tìm theo mã hoặc tên thiết bị',
    remove: 'Bỏ',
    options: 'Tùy chọn phát',
    priority: 'Mức ưu tiên',
    repeat: 'Số lần phát trong mỗi lượt',
    gap: 'Nghỉ giữa các lần (giây)',
    volume: 'Âm lượng (0–100, để trống = mặc định)',
    onPreempt: 'Khi bị bản tin ưu tiên hơn ngắt',
    preemptDefault: 'Mặc định',
    resume: 'Phát tiếp từ chỗ dừng',
    restart: 'Phát lại từ đầu',
    skip: 'Bỏ qua',
    analysis: 'Kiểm tra trước khi lưu',
    checking: 'Đang kiểm tra…',
    fillIn: 'Chọn nội dung, thời gian và nơi phát để kiểm tra.',
    occurrences: '{n} lượt phát trong thời gian tới',
    devicesN: '{n} thiết bị',
    firstAt: 'Lượt đầu: {t}',
    noConflict: 'Không trùng lịch với bản tin nào khác.',
    conflicts: '{n} trùng lịch cùng mức ưu tiên trên {d} thiết bị',
    preemptions: '{n} lượt chen ngang (mức ưu tiên khác nhau)',
    truncated: 'Chỉ hiển thị một phần danh sách.',
    kindConflict: 'Trùng lịch',
    kindPreemption: 'Chen ngang',
    thisWins: 'lịch này ngắt bản tin kia',
    otherWins: 'bản tin kia ngắt lịch này',
    onDevices: 'trên {n} thiết bị: {list}',
    accept: 'Tôi chấp nhận trùng lịch và vẫn lưu',
    mustAccept: 'Có trùng lịch cùng mức ưu tiên: hãy đánh dấu "chấp nhận trùng lịch" để lưu.',
    save: 'Lưu lịch phát',
    saving: 'Đang lưu…',
    saved: 'Đã lưu lịch phát.',
    pendingNote: 'Lịch phát đang chờ phê duyệt: chưa được gửi tới thiết bị.',
    reasons: 'Lý do cần phê duyệt',
    toDeliveries: 'Xem kết quả phát',
    needTarget: 'Chọn ít nhất một địa bàn, nhóm hoặc thiết bị.',
    needStart: 'Nhập thời gian bắt đầu.',
    needContent: 'Chọn nội dung.',
    err400: 'Không hợp lệ',
    err403: 'Ngoài phạm vi được phân quyền',
    err409: 'Xung đột',
    err404: 'Không tìm thấy',
    approval: 'Phê duyệt',
    contentFixed: 'Không đổi được nội dung của lịch đã tạo.',
  },
  en: {
    newTitle: 'New schedule',
    editTitle: 'Edit schedule',
    content: 'Bulletin / content',
    pickContent: '— Pick approved content —',
    noContent: 'No approved content yet.',
    startAt: 'Start (Vietnam time)',
    recurrence: 'Repeat',
    freq: 'Frequency',
    none: 'Does not repeat (once)',
    daily: 'Daily',
    weekly: 'Weekly',
    monthly: 'Monthly',
    every: 'Every (days/weeks/months)',
    weekdays: 'On',
    monthDay: 'Day of month (-1 = last day)',
    end: 'Ends',
    endNever: 'Never',
    endUntil: 'On date',
    endCount: 'After a number of plays',
    untilDate: 'Until (inclusive)',
    countN: 'Count',
    exdates: 'Exception dates (no broadcast)',
    add: 'Add',
    targets: 'Where',
    areas: 'Areas',
    pickArea: '— Pick an area —',
    addArea: '+ Add another area',
    groups: 'Device groups',
    noGroups: 'No device groups.',
    devices: 'Single devices',
    searchDevice: 'Search by device id or name',
    remove: 'Remove',
    options: 'Playback options',
    priority: 'Priority',
    repeat: 'Plays per slot',
    gap: 'Gap between plays (s)',
    volume: 'Volume (0–100, empty = default)',
    onPreempt: 'When preempted by a higher priority',
    preemptDefault: 'Default',
    resume: 'Resume where it stopped',
    restart: 'Restart from the beginning',
    skip: 'Skip',
    analysis: 'Check before saving',
    checking: 'Checking…',
    fillIn: 'Pick content, time and targets to check.',
    occurrences: '{n} occurrence(s) in the coming horizon',
    devicesN: '{n} device(s)',
    firstAt: 'First: {t}',
    noConflict: 'No overlap with other broadcasts.',
    conflicts: '{n} same-priority conflict(s) on {d} device(s)',
    preemptions: '{n} preemption(s) (different priorities)',
    truncated: 'Only part of the list is shown.',
    kindConflict: 'Conflict',
    kindPreemption: 'Preemption',
    thisWins: 'this one interrupts the other',
    otherWins: 'the other interrupts this one',
    onDevices: 'on {n} device(s): {list}',
    accept: 'I accept the conflicts and save anyway',
    mustAccept: 'There are same-priority conflicts: tick "accept conflicts" to save.',
    save: 'Save schedule',
    saving: 'Saving…',
    saved: 'Schedule saved.',
    pendingNote: 'The schedule awaits approval: nothing has been sent to devices yet.',
    reasons: 'Why approval is needed',
    toDeliveries: 'View deliveries',
    needTarget: 'Pick at least one area, group or device.',
    needStart: 'Enter the start time.',
    needContent: 'Pick the content.',
    err400: 'Invalid',
    err403: 'Outside your area',
    err409: 'Conflict',
    err404: 'Not found',
    approval: 'Approval',
    contentFixed: 'The content of an existing schedule cannot be changed.',
  },
});

type Freq = '' | 'DAILY' | 'WEEKLY' | 'MONTHLY';

interface Form {
  contentId: string;
  start: string;
  rule: RuleParts;
  endMode: 'never' | 'until' | 'count';
  exdates: string[];
  areas: string[];
  groups: string[];
  devices: string[];
  priority: Priority;
  repeat: number;
  gapSeconds: number;
  volume: string;
  onPreempt: string;
}

const sortedEq = (a: string[], b: string[]) => JSON.stringify([...a].sort()) === JSON.stringify([...b].sort());

function initialForm(s: ScheduleView | undefined, start: string | undefined): Form {
  if (!s) {
    const at = start ?? toLocalInput(Date.now() + 15 * 60_000);
    return {
      contentId: '',
      start: at,
      rule: parseRrule(null),
      endMode: 'never',
      exdates: [],
      areas: [''],
      groups: [],
      devices: [],
      priority: 'normal',
      repeat: 1,
      gapSeconds: 0,
      volume: '',
      onPreempt: '',
    };
  }
  const rule = parseRrule(s.rrule);
  return {
    contentId: s.contentId,
    start: toLocalInput(s.startAt),
    rule,
    endMode: rule.until ? 'until' : rule.count ? 'count' : 'never',
    exdates: [...s.exdates],
    areas: s.targets.areas.length > 0 ? [...s.targets.areas] : [''],
    groups: [...s.targets.groups],
    devices: [...s.targets.devices],
    priority: s.priority,
    repeat: s.repeat,
    gapSeconds: s.gapSeconds,
    volume: s.volume === null ? '' : String(s.volume),
    onPreempt: s.onPreempt,
  };
}

const fold = (s: string) => s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/đ/g, 'd').replace(/Đ/g, 'D').toLowerCase();

/** The schedule create/edit form, with a dry run shown before saving. */
export function ScheduleEditor({ schedule, start, onClose, onSaved }: { schedule?: ScheduleView; start?: string; onClose: () => void; onSaved: (r: SaveResult) => void }) {
  const t = useT(S);
  const c = useCommon();
  const words = useWords();
  const areas = useAreas();
  const contents = useAsync(() => loadContents(), []);
  const groups = useAsync(() => loadGroups(), []);
  const devices = useAsync(() => loadDevices(), []);
  const devById = useMemo(() => deviceMap(devices.data), [devices.data]);
  const [f, setF] = useState<Form>(() => initialForm(schedule, start));
  const set = <K extends keyof Form>(k: K, v: Form[K]) => setF((p) => ({ ...p, [k]: v }));
  const setRule = (patch: Partial<RuleParts>) => setF((p) => ({ ...p, rule: { ...p.rule, ...patch } }));
  const [exInput, setExInput] = useState('');
  const [devQuery, setDevQuery] = useState('');
  const [accept, setAccept] = useState(false);
  const [dry, setDry] = useState<{ key: string; result?: DryRunResult; error?: unknown; busy: boolean } | null>(null);
  const [saving, setSaving] = useState(false);
  const [saveError, setSaveError] = useState<unknown>(null);
  const [needAccept, setNeedAccept] = useState(false);
  const [saved, setSaved] = useState<SaveResult | null>(null);

  const content: ContentView | undefined = contents.data?.find((x) => x.id === f.contentId);
  const approved = useMemo(
    () => (contents.data ?? []).filter((x) => x.state === 'approved' && (!x.validUntil || Date.parse(x.validUntil) > Date.now())).sort((a, b) => a.title.localeCompare(b.title)),
    [contents.data],
  );

  // ---- the request body ---------------------------------------------------------------------------------------
  const built = useMemo((): { body: Record<string, unknown> | null; problem: string | null } => {
    if (!schedule && !f.contentId) return { body: null, problem: t('needContent') };
    if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(f.start)) return { body: null, problem: t('needStart') };
    const targets = { areas: f.areas.filter(Boolean), groups: f.groups, devices: f.devices };
    if (targets.areas.length + targets.groups.length + targets.devices.length === 0) return { body: null, problem: t('needTarget') };
    const rule: RuleParts = { ...f.rule, until: f.endMode === 'until' ? f.rule.until : null, count: f.endMode === 'count' ? f.rule.count : null };
    const rrule = buildRrule(rule);
    const startAt = schedule && f.start === toLocalInput(schedule.startAt) ? schedule.startAt : fromLocalInput(f.start);
    const volume = f.volume.trim() === '' ? null : Math.max(0, Math.min(100, Math.round(Number(f.volume))));
    const onPreempt = f.onPreempt === '' ? null : f.onPreempt;
    const isAudio = (content?.type ?? 'audio') === 'audio';
    const full: Record<string, unknown> = {
      startAt,
      targets,
      priority: f.priority,
      rrule,
      exdates: f.exdates,
      volume,
      onPreempt,
      ...(isAudio ? { repeat: f.repeat, gapSeconds: f.gapSeconds } : {}),
    };
    if (!schedule) return { body: { contentId: f.contentId, ...full }, problem: null };
    // An edit sends only what changed: new targets count as a widening check on the server.
    const body: Record<string, unknown> = {};
    if (startAt !== schedule.startAt) body.startAt = startAt;
    if (!sortedEq(targets.areas, schedule.targets.areas) || !sortedEq(targets.groups, schedule.targets.groups) || !sortedEq(targets.devices, schedule.targets.devices)) body.targets = targets;
    if (f.priority !== schedule.priority) body.priority = f.priority;
    if ((rrule ?? null) !== (schedule.rrule ?? null)) body.rrule = rrule;
    if (!sortedEq(f.exdates, schedule.exdates)) body.exdates = f.exdates;
    if (volume !== schedule.volume) body.volume = volume;
    if (onPreempt !== null && onPreempt !== schedule.onPreempt) body.onPreempt = onPreempt;
    if (isAudio && f.repeat !== schedule.repeat) body.repeat = f.repeat;
    if (isAudio && f.gapSeconds !== schedule.gapSeconds) body.gapSeconds = f.gapSeconds;
    return { body, problem: null };
  }, [f, schedule, content?.type]);
  const key = built.body ? JSON.stringify(built.body) : '';

  const send = (body: Record<string, unknown>) =>
    schedule ? api<SaveResult | DryRunResult>('PATCH', `/api/v1/schedules/${encodeURIComponent(schedule.id)}`, { body }) : api<SaveResult | DryRunResult>('POST', '/api/v1/schedules', { body });

  const seq = useRef(0);
  const runDry = async (k: string, body: Record<string, unknown>): Promise<DryRunResult | null> => {
    const mine = ++seq.current;
    setDry({ key: k, busy: true });
    try {
      const r = (await send({ ...body, dryRun: true })) as DryRunResult;
      if (mine === seq.current) setDry({ key: k, result: r, busy: false });
      return r;
    } catch (e) {
      if (mine === seq.current) setDry({ key: k, error: e, busy: false });
      return null;
    }
  };

  // The analysis follows the form (debounced), so it is on screen before the operator presses Save.
  useEffect(() => {
    if (!built.body || saved) return;
    setNeedAccept(false);
    const body = built.body;
    const timer = setTimeout(() => void runDry(key, body), 500);
    return () => clearTimeout(timer);
  }, [key]);

  const save = async () => {
    if (!built.body) return;
    setSaving(true);
    setSaveError(null);
    try {
      const analysis = dry && dry.key === key && dry.result ? dry.result : await runDry(key, built.body);
      if (!analysis) return; // the dry run's error is shown in the analysis box
      if (analysis.conflictTotals.conflicts > 0 && !accept) {
        setNeedAccept(true);
        return;
      }
      const r = (await send({ ...built.body, ...(accept ? { acceptConflicts: true } : {}) })) as SaveResult;
      setSaved(r);
      onSaved(r);
    } catch (e) {
      if (e instanceof ApiError && e.status === 409 && e.body && typeof e.body === 'object' && 'conflicts' in e.body) {
        const b = e.body as { conflicts: ConflictNotice[]; conflictTotals: ConflictTotals };
        setDry({ key, busy: false, result: { dryRun: true, occurrences: dry?.result?.occurrences ?? [], deviceCount: dry?.result?.deviceCount ?? 0, conflicts: b.conflicts, conflictTotals: b.conflictTotals } });
        setNeedAccept(true);
      }
      setSaveError(e);
    } finally {
      setSaving(false);
    }
  };

  const title = schedule ? t('editTitle') : t('newTitle');
  if (saved) return <SavedView result={saved} onClose={onClose} title={title} />;

  const freq = (f.rule.freq ?? '') as Freq;
  const startParts = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(f.start) ? zonedParts(new Date(fromLocalInput(f.start))) : null;
  const q = fold(devQuery.trim());
  const found = q.length < 1 ? [] : (devices.data ?? []).filter((d) => !f.devices.includes(d.id) && (fold(d.id).includes(q) || fold(d.name).includes(q))).slice(0, 8);
  const opts = areaOptions(areas);

  return (
    <Modal title={title} onClose={onClose}>
      <form
        class="form"
        data-testid="schedule-form"
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
      >
        <Field label={t('content')} hint={schedule ? t('contentFixed') : undefined}>
          <select name="contentId" value={f.contentId} disabled={Boolean(schedule)} required onChange={(e) => set('contentId', (e.target as HTMLSelectElement).value)}>
            <option value="">{t('pickContent')}</option>
            {(schedule && content && !approved.includes(content) ? [content, ...approved] : approved).map((x) => (
              <option key={x.id} value={x.id}>
                {contentLabel(x, words)} · {fmtDuration(x.durationMs)}
              </option>
            ))}
            {schedule && !content ? <option value={schedule.contentId}>{schedule.contentId}</option> : null}
          </select>
        </Field>
        {contents.error ? <ErrorBox error={contents.error} /> : null}
        {contents.data && approved.length === 0 && !schedule ? <p class="muted small">{t('noContent')}</p> : null}

        <div class="row">
          <Field label={t('startAt')}>
            <input type="datetime-local" name="startAt" value={f.start} required onInput={(e) => set('start', (e.target as HTMLInputElement).value)} />
          </Field>
          <Field label={t('priority')}>
            <select name="priority" value={f.priority} onChange={(e) => set('priority', (e.target as HTMLSelectElement).value as Priority)}>
              {(['normal', 'priority', 'emergency'] as const).map((p) => (
                <option key={p} value={p}>
                  {words.priority(p)}
                </option>
              ))}
            </select>
          </Field>
        </div>

        <fieldset class="card" style={{ padding: '.75rem' }}>
          <legend class="field-label">{t('recurrence')}</legend>
          <div class="row">
            <Field label={t('freq')}>
              <select
                name="freq"
                value={freq}
                onChange={(e) => {
                  const v = (e.target as HTMLSelectElement).value as Freq;
                  setRule({
                    freq: v === '' ? null : v,
                    byDay: v === 'WEEKLY' && startParts ? [{ weekday: startParts.weekday, n: null }] : [],
                    byMonthDay: v === 'MONTHLY' && startParts ? [startParts.day] : [],
                  });
                }}
              >
                <option value="">{t('none')}</option>
                <option value="DAILY">{t('daily')}</option>
                <option value="WEEKLY">{t('weekly')}</option>
                <option value="MONTHLY">{t('monthly')}</option>
              </select>
            </Field>
            {freq ? (
              <Field label={t('every')}>
                <input type="number" name="interval" min={1} max={99} value={f.rule.interval} onInput={(e) => setRule({ interval: Math.max(1, Number((e.target as HTMLInputElement).value) || 1) })} />
              </Field>
            ) : null}
            {freq === 'MONTHLY' && f.rule.byDay.length === 0 ? (
              <Field label={t('monthDay')}>
                <input
                  type="number"
                  name="monthDay"
                  min={-1}
                  max={31}
                  value={f.rule.byMonthDay[0] ?? startParts?.day ?? 1}
                  onInput={(e) => {
                    const n = Number((e.target as HTMLInputElement).value);
                    setRule({ byMonthDay: n === 0 || !Number.isFinite(n) ? [] : [n] });
                  }}
                />
              </Field>
            ) : null}
          </div>
          {freq === 'WEEKLY' ? (
            <div class="field">
              <span class="field-label">{t('weekdays')}</span>
              <div class="row" style={{ gap: '.4rem' }}>
                {[0, 1, 2, 3, 4, 5, 6].map((wd) => {
                  const on = f.rule.byDay.some((b) => b.weekday === wd);
                  return (
                    <label key={wd} class="badge badge-muted" style={{ display: 'inline-flex', gap: '.25rem', alignItems: 'center', padding: '.3rem .6rem', cursor: 'pointer' }}>
                      <input
                        type="checkbox"
                        name="byday"
                        value={String(wd)}
                        checked={on}
                        onChange={() => setRule({ byDay: on ? f.rule.byDay.filter((b) => b.weekday !== wd) : [...f.rule.byDay, { weekday: wd, n: null }].sort((a, b) => a.weekday - b.weekday) })}
                      />
                      {words.weekdayShort(wd)}
                    </label>
                  );
                })}
              </div>
            </div>
          ) : null}
          {freq ? (
            <div class="row">
              <Field label={t('end')}>
                <select name="endMode" value={f.endMode} onChange={(e) => set('endMode', (e.target as HTMLSelectElement).value as Form['endMode'])}>
                  <option value="never">{t('endNever')}</option>
                  <option value="until">{t('endUntil')}</option>
                  <option value="count">{t('endCount')}</option>
                </select>
              </Field>
              {f.endMode === 'until' ? (
                <Field label={t('untilDate')}>
                  <input type="date" name="until" value={f.rule.until ?? ''} onInput={(e) => setRule({ until: (e.target as HTMLInputElement).value || null })} />
                </Field>
              ) : null}
              {f.endMode === 'count' ? (
                <Field label={t('countN')}>
                  <input type="number" name="count" min={1} max={1000} value={f.rule.count ?? ''} onInput={(e) => setRule({ count: Number((e.target as HTMLInputElement).value) || null })} />
                </Field>
              ) : null}
            </div>
          ) : null}
          {freq && startParts ? <p class="muted small" data-testid="recurrence-words">{describeRecurrence(words, buildRrule({ ...f.rule, until: f.endMode === 'until' ? f.rule.until : null, count: f.endMode === 'count' ? f.rule.count : null }), fromLocalInput(f.start))}</p> : null}
          {freq ? (
            <div class="field">
              <span class="field-label">{t('exdates')}</span>
              <div class="row" style={{ alignItems: 'center', gap: '.4rem' }}>
                <input type="date" name="exdate" value={exInput} onInput={(e) => setExInput((e.target as HTMLInputElement).value)} />
                <button
                  type="button"
                  disabled={!exInput}
                  onClick={() => {
                    if (exInput && !f.exdates.includes(exInput)) set('exdates', [...f.exdates, exInput].sort());
                    setExInput('');
                  }}
                >
                  {t('add')}
                </button>
              </div>
              <Chips items={f.exdates.map((x) => ({ id: x, label: /^\d{4}-\d{2}-\d{2}$/.test(x) ? fmtDate(`${x}T12:00:00+07:00`) : fmtDateTime(x) }))} onRemove={(id) => set('exdates', f.exdates.filter((x) => x !== id))} removeLabel={t('remove')} />
            </div>
          ) : null}
        </fieldset>

        <fieldset class="card" style={{ padding: '.75rem' }}>
          <legend class="field-label">{t('targets')}</legend>
          <div class="field">
            <span class="field-label">{t('areas')}</span>
            {f.areas.map((code, i) => (
              <div key={i} class="row" style={{ alignItems: 'center', gap: '.4rem', marginBottom: '.4rem' }}>
                <select
                  name={i === 0 ? 'area' : `area-${i}`}
                  value={code}
                  style={{ flex: '1 1 12rem' }}
                  onChange={(e) => {
                    const v = (e.target as HTMLSelectElement).value;
                    set('areas', f.areas.map((a, j) => (j === i ? v : a)));
                  }}
                >
                  <option value="">{t('pickArea')}</option>
                  {opts.map((o) => (
                    <option key={o.code} value={o.code} disabled={o.code !== code && f.areas.includes(o.code)}>
                      {o.label}
                    </option>
                  ))}
                  {code && !opts.some((o) => o.code === code) ? <option value={code}>{code}</option> : null}
                </select>
                {f.areas.length > 1 || code ? (
                  <button type="button" class="ghost" aria-label={t('remove')} onClick={() => set('areas', f.areas.length > 1 ? f.areas.filter((_, j) => j !== i) : [''])}>
                    ✕
                  </button>
                ) : null}
              </div>
            ))}
            <div>
              <button type="button" data-testid="add-area" onClick={() => set('areas', [...f.areas, ''])}>
                {t('addArea')}
              </button>
            </div>
          </div>

          <div class="field">
            <span class="field-label">{t('groups')}</span>
            {groups.data && groups.data.length === 0 ? <span class="muted small">{t('noGroups')}</span> : null}
            {groups.error ? <span class="muted small">{groups.error.message}</span> : null}
            <div style={{ maxHeight: '9rem', overflowY: 'auto', display: 'flex', flexWrap: 'wrap', gap: '.4rem' }}>
              {(groups.data ?? []).map((g) => {
                const on = f.groups.includes(g.id);
                return (
                  <label key={g.id} class="badge badge-muted" style={{ display: 'inline-flex', gap: '.25rem', alignItems: 'center', padding: '.3rem .6rem', cursor: 'pointer' }}>
                    <input type="checkbox" name="group" value={g.id} checked={on} onChange={() => set('groups', on ? f.groups.filter((x) => x !== g.id) : [...f.groups, g.id])} />
                    {g.name} ({g.memberCount})
                  </label>
                );
              })}
              {f.groups
                .filter((id) => !(groups.data ?? []).some((g) => g.id === id))
                .map((id) => (
                  <label key={id} class="badge badge-muted" style={{ display: 'inline-flex', gap: '.25rem', alignItems: 'center', padding: '.3rem .6rem' }}>
                    <input type="checkbox" checked onChange={() => set('groups', f.groups.filter((x) => x !== id))} />
                    {id}
                  </label>
                ))}
            </div>
          </div>

          <div class="field">
            <span class="field-label">{t('devices')}</span>
            <input type="search" name="deviceSearch" placeholder={t('searchDevice')} value={devQuery} onInput={(e) => setDevQuery((e.target as HTMLInputElement).value)} />
            {found.length > 0 ? (
              <div style={{ display: 'flex', flexDirection: 'column', border: '1px solid var(--line)', borderRadius: 'var(--radius)', marginTop: '.25rem' }}>
                {found.map((d) => (
                  <button
                    type="button"
                    key={d.id}
                    class="ghost"
                    data-testid="device-option"
                    style={{ justifyContent: 'flex-start', borderRadius: 0 }}
                    onClick={() => {
                      set('devices', [...f.devices, d.id]);
                      setDevQuery('');
                    }}
                  >
                    <strong>{d.name}</strong>
                    <span class="muted small">
                      {d.id} · {areaName(areas, d.areaCode)}
                    </span>
                  </button>
                ))}
              </div>
            ) : null}
            <Chips items={f.devices.map((id) => ({ id, label: devLabel(devById.get(id), id) }))} onRemove={(id) => set('devices', f.devices.filter((x) => x !== id))} removeLabel={t('remove')} />
          </div>
        </fieldset>

        <fieldset class="card" style={{ padding: '.75rem' }}>
          <legend class="field-label">{t('options')}</legend>
          <div class="row">
            {(content?.type ?? 'audio') === 'audio' ? (
              <>
                <Field label={t('repeat')}>
                  <input type="number" name="repeat" min={1} max={20} value={f.repeat} onInput={(e) => set('repeat', Math.max(1, Math.min(20, Number((e.target as HTMLInputElement).value) || 1)))} />
                </Field>
                <Field label={t('gap')}>
                  <input type="number" name="gapSeconds" min={0} max={3600} value={f.gapSeconds} onInput={(e) => set('gapSeconds', Math.max(0, Math.min(3600, Number((e.target as HTMLInputElement).value) || 0)))} />
                </Field>
              </>
            ) : null}
            <Field label={t('volume')}>
              <input type="number" name="volume" min={0} max={100} value={f.volume} onInput={(e) => set('volume', (e.target as HTMLInputElement).value)} />
            </Field>
            <Field label={t('onPreempt')}>
              <select name="onPreempt" value={f.onPreempt} onChange={(e) => set('onPreempt', (e.target as HTMLSelectElement).value)}>
                <option value="">{t('preemptDefault')}</option>
                <option value="resume">{t('resume')}</option>
                <option value="restart">{t('restart')}</option>
                <option value="skip">{t('skip')}</option>
              </select>
            </Field>
          </div>
        </fieldset>

        <Analysis dry={dry} current={key} problem={built.problem} devById={devById} contents={contents.data} />

        {dry?.result && dry.key === key && dry.result.conflictTotals.conflicts > 0 ? (
          <label class="row" style={{ alignItems: 'center', gap: '.4rem', margin: '.5rem 0' }}>
            <input type="checkbox" name="acceptConflicts" data-testid="accept-conflicts" checked={accept} onChange={(e) => setAccept((e.target as HTMLInputElement).checked)} />
            <strong>{t('accept')}</strong>
          </label>
        ) : null}
        {needAccept && !accept ? (
          <div class="error" role="alert">
            {t('mustAccept')}
          </div>
        ) : null}
        {saveError ? <SaveError error={saveError} /> : null}

        <div class="row" style={{ justifyContent: 'flex-end', marginTop: '.75rem' }}>
          <button type="button" onClick={onClose}>
            {c('cancel')}
          </button>
          <button type="submit" class="primary" data-testid="schedule-save" disabled={saving || !built.body}>
            {saving ? t('saving') : t('save')}
          </button>
        </div>
      </form>
    </Modal>
  );

  function SaveError({ error }: { error: unknown }) {
    const status = error instanceof ApiError ? error.status : 0;
    const prefix = status === 400 ? t('err400') : status === 403 ? t('err403') : status === 409 ? t('err409') : status === 404 ? t('err404') : c('error');
    return (
      <div class="error" role="alert" data-testid="schedule-error" data-status={status}>
        <strong>{prefix}:</strong> {error instanceof Error ? error.message : String(error)}
      </div>
    );
  }
}

const devLabel = (d: DeviceView | undefined, id: string) => (d ? `${d.name} (${id})` : id);

function Chips({ items, onRemove, removeLabel }: { items: Array<{ id: string; label: string }>; onRemove: (id: string) => void; removeLabel: string }) {
  if (items.length === 0) return null;
  return (
    <div style={{ display: 'flex', flexWrap: 'wrap', gap: '.35rem', marginTop: '.35rem' }}>
      {items.map((x) => (
        <span key={x.id} class="badge badge-info" style={{ display: 'inline-flex', alignItems: 'center', gap: '.3rem' }}>
          {x.label}
          <button type="button" class="ghost" style={{ minHeight: 0, padding: '0 .2rem', color: 'inherit' }} aria-label={`${removeLabel} ${x.label}`} onClick={() => onRemove(x.id)}>
            ✕
          </button>
        </span>
      ))}
    </div>
  );
}

/** Titles of other schedules named in conflict notices (their content's title). */
function useOtherTitles(ids: string[], contents: ContentView[] | undefined): Map<string, string> {
  const [titles, setTitles] = useState(new Map<string, string>());
  const joined = [...new Set(ids)].sort().join(',');
  useEffect(() => {
    let live = true;
    const todo = joined ? joined.split(',').slice(0, 20) : [];
    void Promise.all(
      todo.map((id) =>
        get<ScheduleView>(`/api/v1/schedules/${encodeURIComponent(id)}`).then(
          (s) => [id, contents?.find((x) => x.id === s.contentId)?.title ?? s.contentId] as const,
          () => [id, id] as const,
        ),
      ),
    ).then((pairs) => live && setTitles(new Map(pairs)));
    return () => {
      live = false;
    };
  }, [joined, contents]);
  return titles;
}

function Analysis({ dry, current, problem, devById, contents }: { dry: { key: string; result?: DryRunResult; error?: unknown; busy: boolean } | null; current: string; problem: string | null; devById: Map<string, DeviceView>; contents: ContentView[] | undefined }) {
  const t = useT(S);
  const words = useWords();
  const r = dry?.key === current ? dry.result : undefined;
  const titles = useOtherTitles((r?.conflicts ?? []).map((n) => n.otherScheduleId), contents);
  const grouped = useMemo(() => {
    const m = new Map<string, { n: ConflictNotice; devices: string[] }>();
    for (const n of r?.conflicts ?? []) {
      const k = `${n.otherOccurrenceId}|${n.occurrenceStart}|${n.kind}`;
      const g = m.get(k);
      if (g) g.devices.push(n.deviceId);
      else m.set(k, { n, devices: [n.deviceId] });
    }
    return [...m.values()].sort((a, b) => (a.n.kind === b.n.kind ? a.n.otherStart.localeCompare(b.n.otherStart) : a.n.kind === 'conflict' ? -1 : 1));
  }, [r]);
  return (
    <section class="card" style={{ background: '#f8fafb' }} data-testid="schedule-analysis" aria-live="polite">
      <h3>{t('analysis')}</h3>
      {problem ? <p class="muted small">{problem}</p> : null}
      {!problem && dry?.busy ? <Loading when /> : null}
      {!problem && dry?.key === current && dry.error ? <AnalysisError error={dry.error} /> : null}
      {!problem && r ? (
        <div>
          <p style={{ margin: '0 0 .5rem' }}>
            <Badge tone="info">{t('occurrences', { n: r.occurrences.length })}</Badge> <Badge tone="info">{t('devicesN', { n: r.deviceCount })}</Badge>{' '}
            {r.occurrences[0] ? <span class="muted small">{t('firstAt', { t: fmtDateTime(r.occurrences[0].startAt) })}</span> : null}
          </p>
          {r.conflictTotals.conflicts === 0 && r.conflictTotals.preemptions === 0 ? <p class="ok small">{t('noConflict')}</p> : null}
          {r.conflictTotals.conflicts > 0 ? (
            <p style={{ margin: '.25rem 0' }} data-testid="conflict-count" data-count={r.conflictTotals.conflicts}>
              <Badge tone="bad">{t('conflicts', { n: r.conflictTotals.conflicts, d: r.conflictTotals.devices })}</Badge>
            </p>
          ) : null}
          {r.conflictTotals.preemptions > 0 ? (
            <p style={{ margin: '.25rem 0' }}>
              <Badge tone="warn">{t('preemptions', { n: r.conflictTotals.preemptions })}</Badge>
            </p>
          ) : null}
          {grouped.length > 0 ? (
            <ul class="small" style={{ paddingLeft: '1.1rem', margin: '.25rem 0', maxHeight: '14rem', overflowY: 'auto' }}>
              {grouped.slice(0, 30).map(({ n, devices }) => (
                <li key={`${n.otherOccurrenceId}|${n.occurrenceStart}|${n.kind}`} style={{ marginBottom: '.3rem' }}>
                  <Badge tone={n.kind === 'conflict' ? 'bad' : 'warn'}>{n.kind === 'conflict' ? t('kindConflict') : t('kindPreemption')}</Badge>{' '}
                  <strong>{titles.get(n.otherScheduleId) ?? n.otherScheduleId}</strong> <Badge tone={priorityTone(n.otherPriority)}>{words.priority(n.otherPriority)}</Badge>{' '}
                  {fmtDate(n.otherStart)} {fmtTime(n.otherStart)}–{fmtTime(n.otherEnd)}
                  {n.kind === 'preemption' ? <span class="muted"> · {n.preempts === 'this' ? t('thisWins') : t('otherWins')}</span> : null}{' '}
                  <span class="muted">
                    {t('onDevices', {
                      n: devices.length,
                      list: devices
                        .slice(0, 4)
                        .map((id) => devById.get(id)?.name ?? id)
                        .join(', ') + (devices.length > 4 ? '…' : ''),
                    })}
                  </span>{' '}
                  <a href={href(`/deliveries/${n.otherScheduleId}`)} target="_blank" rel="noreferrer" class="small">
                    ↗
                  </a>
                </li>
              ))}
            </ul>
          ) : null}
          {r.conflictTotals.truncated ? <p class="muted small">{t('truncated')}</p> : null}
        </div>
      ) : null}
    </section>
  );
}

function AnalysisError({ error }: { error: unknown }) {
  const t = useT(S);
  const c = useCommon();
  const status = error instanceof ApiError ? error.status : 0;
  const prefix = status === 400 ? t('err400') : status === 403 ? t('err403') : status === 409 ? t('err409') : status === 404 ? t('err404') : c('error');
  return (
    <div class="error" role="alert" data-testid="analysis-error" data-status={status}>
      <strong>{prefix}:</strong> {error instanceof Error ? error.message : String(error)}
    </div>
  );
}

function SavedView({ result, onClose, title }: { result: SaveResult; onClose: () => void; title: string }) {
  const t = useT(S);
  const c = useCommon();
  const words = useWords();
  const pending = result.approval === 'pending';
  return (
    <Modal title={title} onClose={onClose}>
      <div data-testid="schedule-saved" data-schedule-id={result.id} data-approval={result.approval ?? 'not-required'}>
        <p class="ok">
          <strong>{t('saved')}</strong>
        </p>
        <p>
          {t('approval')}:{' '}
          <span data-testid="schedule-approval">
            <Badge tone={approvalTone(result.approval)}>{words.approval(result.approval)}</Badge>
          </span>{' '}
          <Badge tone={priorityTone(result.priority)}>{words.priority(result.priority)}</Badge>
        </p>
        {pending ? <p class="muted">{t('pendingNote')}</p> : null}
        {result.approvalReasons && result.approvalReasons.length > 0 ? (
          <div>
            <span class="field-label">{t('reasons')}</span>
            <ul class="small">
              {result.approvalReasons.map((r) => (
                <li key={r}>{r}</li>
              ))}
            </ul>
          </div>
        ) : null}
        <p class="small">{describeRecurrence(words, result.rrule, result.startAt)}</p>
        <p class="small muted">
          {t('occurrences', { n: result.occurrences.length })} · {t('devicesN', { n: result.deviceCount })}
          {result.conflictTotals && result.conflictTotals.preemptions > 0 ? ` · ${t('preemptions', { n: result.conflictTotals.preemptions })}` : ''}
        </p>
        {/* Saved at once; the devices are sent their timelines in the background (issue 14). */}
        {result.fanout ? <FanoutProgress job={result.fanout} /> : null}
        <div class="row" style={{ justifyContent: 'flex-end' }}>
          <a class="button" href={href(`/deliveries/${result.id}`)}>
            {t('toDeliveries')}
          </a>
          <button type="button" class="primary" onClick={onClose}>
            {c('close')}
          </button>
        </div>
      </div>
    </Modal>
  );
}
