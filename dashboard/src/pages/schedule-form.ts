import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ApiError, api } from '../api.js';
import { fromLocalInput, toLocalInput, zonedParts } from '../format.js';
import { defineStrings, useT } from '../i18n.js';
import type { ContentView, Priority, ScheduleView } from '@loa/shared/rest';
import { buildRrule, parseRrule, type ConflictNotice, type ConflictTotals, type DryRunResult, type RuleParts, type SaveResult } from './schedule-common.js';

/**
 * The schedule editor's state (issue 19 split it out of schedule-editor.tsx): the form, the request body it makes,
 * the debounced dry run that analyses it, and the save. The parts of the form (target picker, recurrence builder,
 * analysis panel) only read and set this state.
 */

/** The editor's words, shared by its parts (form, target picker, recurrence builder, analysis). */
export const S = defineStrings({
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
    conflicts: '{n} lượt phát trùng lịch cùng mức ưu tiên (trên {d} thiết bị)',
    preemptions: '{n} lượt phát bị/được chen ngang (mức ưu tiên khác nhau)',
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
    timesOfDay: 'Giờ phát trong ngày',
    timesHint: 'Lượt đầu lúc giờ bắt đầu; thêm giờ để phát nhiều lần mỗi ngày (ví dụ 06:00 và 17:00).',
    addTime: '+ Thêm giờ phát',
    newTime: 'Giờ phát thêm',
    timesN: '{n} giờ phát mỗi ngày: {list}',
    listHead: 'Các lượt phát sắp tới',
    moreOcc: '… và {n} lượt nữa',
    yourSlot: 'lượt của lịch này {from}–{to}',
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
    conflicts: '{n} occurrence(s) in conflict at the same priority (on {d} device(s))',
    preemptions: '{n} occurrence(s) with a preemption (different priorities)',
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
    timesOfDay: 'Times of day',
    timesHint: 'The first play is at the start time; add times to play several times a day (e.g. 06:00 and 17:00).',
    addTime: '+ Add a time',
    newTime: 'Extra time',
    timesN: '{n} times a day: {list}',
    listHead: 'Coming occurrences',
    moreOcc: '… and {n} more',
    yourSlot: 'this schedule’s slot {from}–{to}',
  },
});

export type Freq = '' | 'DAILY' | 'WEEKLY' | 'MONTHLY';

export interface Form {
  contentId: string;
  /** Vietnam wall clock "YYYY-MM-DDTHH:MM" (the first occurrence). */
  start: string;
  /** Issue 19: more times of day "HH:MM" besides the start's (06:00 start + 17:00 = twice a day). */
  times: string[];
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

export type SetField = <K extends keyof Form>(k: K, v: Form[K]) => void;

export interface DryState {
  key: string;
  result?: DryRunResult;
  error?: unknown;
  busy: boolean;
}

export const sortedEq = (a: readonly string[], b: readonly string[]) => JSON.stringify([...a].sort()) === JSON.stringify([...b].sort());

/** Accent- and case-insensitive text for searching Vietnamese names. */
export const fold = (s: string) => s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/đ/g, 'd').replace(/Đ/g, 'D').toLowerCase();

const START = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;

/** "HH:MM" of the form's start, or null while it is incomplete. */
export const startTime = (start: string): string | null => (START.test(start) ? start.slice(11, 16) : null);

/** Every time of day the schedule plays at, sorted and unique; [] when only the start's (the older single-time form). */
export function timesOfDay(f: Pick<Form, 'start' | 'times'>): string[] {
  const first = startTime(f.start);
  const extra = f.times.filter((x) => /^\d{2}:\d{2}$/.test(x) && x !== first);
  if (!first || extra.length === 0) return [];
  return [...new Set([first, ...extra])].sort();
}

export function initialForm(s: ScheduleView | undefined, start: string | undefined): Form {
  if (!s) {
    const at = start ?? toLocalInput(Date.now() + 15 * 60_000);
    return {
      contentId: '',
      start: at,
      times: [],
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
  const begin = toLocalInput(s.startAt);
  return {
    contentId: s.contentId,
    start: begin,
    times: (s.times ?? []).filter((x) => x !== begin.slice(11, 16)),
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

/** The start's weekday (0 = Monday) and day of month in Vietnam, for the recurrence defaults. */
export function startPartsOf(start: string): { weekday: number; day: number } | null {
  if (!START.test(start)) return null;
  const p = zonedParts(new Date(fromLocalInput(start)));
  return { weekday: p.weekday, day: p.day };
}

/** The create (POST) or edit (PATCH, only what changed) body of the form; `problem` says what is missing. */
export function buildBody(f: Form, schedule: ScheduleView | undefined, content: ContentView | undefined, t: (k: 'needContent' | 'needStart' | 'needTarget') => string): { body: Record<string, unknown> | null; problem: string | null } {
  if (!schedule && !f.contentId) return { body: null, problem: t('needContent') };
  if (!START.test(f.start)) return { body: null, problem: t('needStart') };
  const targets = { areas: f.areas.filter(Boolean), groups: f.groups, devices: f.devices };
  if (targets.areas.length + targets.groups.length + targets.devices.length === 0) return { body: null, problem: t('needTarget') };
  const rule: RuleParts = { ...f.rule, until: f.endMode === 'until' ? f.rule.until : null, count: f.endMode === 'count' ? f.rule.count : null };
  const rrule = buildRrule(rule);
  const startAt = schedule && f.start === toLocalInput(schedule.startAt) ? schedule.startAt : fromLocalInput(f.start);
  const volume = f.volume.trim() === '' ? null : Math.max(0, Math.min(100, Math.round(Number(f.volume))));
  const onPreempt = f.onPreempt === '' ? null : f.onPreempt;
  const isAudio = (content?.type ?? 'audio') === 'audio';
  const times = timesOfDay(f);
  const full: Record<string, unknown> = {
    startAt,
    targets,
    priority: f.priority,
    rrule,
    exdates: f.exdates,
    ...(times.length > 0 ? { times } : {}),
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
  if (!sortedEq(times, schedule.times ?? [])) body.times = times;
  if (volume !== schedule.volume) body.volume = volume;
  if (onPreempt !== null && onPreempt !== schedule.onPreempt) body.onPreempt = onPreempt;
  if (isAudio && f.repeat !== schedule.repeat) body.repeat = f.repeat;
  if (isAudio && f.gapSeconds !== schedule.gapSeconds) body.gapSeconds = f.gapSeconds;
  return { body, problem: null };
}

/** The form hook: state, body, the dry run that follows the form (debounced), and the save. */
export function useScheduleForm({ schedule, start, contents, onSaved }: { schedule?: ScheduleView | undefined; start?: string | undefined; contents: ContentView[] | undefined; onSaved: (r: SaveResult) => void }) {
  const t = useT(S);
  const [f, setF] = useState<Form>(() => initialForm(schedule, start));
  const set: SetField = (k, v) => setF((p) => ({ ...p, [k]: v }));
  const setRule = (patch: Partial<RuleParts>) => setF((p) => ({ ...p, rule: { ...p.rule, ...patch } }));
  const [accept, setAccept] = useState(false);
  const [dry, setDry] = useState<DryState | null>(null);
  const [saving, setSaving] = useState(false);
  const [saveError, setSaveError] = useState<unknown>(null);
  const [needAccept, setNeedAccept] = useState(false);
  const [saved, setSaved] = useState<SaveResult | null>(null);

  const content: ContentView | undefined = contents?.find((x) => x.id === f.contentId);
  const built = useMemo(() => buildBody(f, schedule, content, t), [f, schedule, content?.type]);
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

  return { f, set, setRule, content, built, key, dry, accept, setAccept, saving, saveError, needAccept, saved, save };
}


