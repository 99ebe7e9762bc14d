/**
 * What the feedback pages share (issue 17: ý kiến phản ánh, kiến nghị): words in both languages, the tones of
 * states and priorities, the deadline countdown, the actions a state allows, the queue order, the URL filters and
 * the menu badge's counts (live `feedback.changed` events, with a 60 s poll of the summary as the fallback).
 */
import {
  FEEDBACK_CHANNEL_LABELS_VI,
  FEEDBACK_EVENT_LABELS_VI,
  FEEDBACK_OPEN_STATES,
  FEEDBACK_PRIORITY_LABELS_VI,
  FEEDBACK_STATE_LABELS_VI,
  type FeedbackChannel,
  type FeedbackEventKind,
  type FeedbackForm,
  type FeedbackItemView,
  type FeedbackPriority,
  type FeedbackState,
  type FeedbackSummary,
} from '@loa/shared/rest';
import { useEffect, useState } from 'preact/hooks';
import { get } from '../api.js';
import { ZONE, fmtDateTime } from '../format.js';
import { defineStrings, getLang, useT } from '../i18n.js';
import { useLive } from '../live.js';
import type { Route } from '../router.js';
import { onSessionChange, type Role } from '../session.js';
import { Badge, type Tone } from '../ui.js';

export const FB = defineStrings({
  vi: {
    title: 'Ý kiến người dân',
    newItem: 'Ghi nhận ý kiến',
    settings: 'Cài đặt phản ánh',
    poster: 'In áp phích mã QR',
    open: 'Đang mở',
    overdue: 'Quá hạn',
    unassigned: 'Chưa phân công',
    mine: 'Của tôi',
    state: 'Trạng thái',
    openStates: 'Đang mở (chưa trả lời)',
    allStates: 'Mọi trạng thái',
    priority: 'Mức độ',
    allPriorities: 'Mọi mức độ',
    category: 'Lĩnh vực',
    allCategories: 'Mọi lĩnh vực',
    area: 'Địa bàn',
    onlyMine: 'Chỉ của tôi',
    onlyOverdue: 'Chỉ quá hạn',
    search: 'Tìm (mã, tiêu đề, nội dung, thôn…)',
    filters: 'Bộ lọc',
    code: 'Mã',
    titleCol: 'Tiêu đề',
    place: 'Xã / thôn',
    deadline: 'Hạn',
    assignee: 'Người xử lý',
    received: 'Tiếp nhận',
    nobody: 'Chưa phân công',
    total: '{n} ý kiến',
    overdueBy: 'quá hạn {d}',
    left: 'còn {d}',
    days: '{n} ngày',
    hours: '{n} giờ',
    minutes: '{n} phút',
    workHours: '{n} giờ làm việc',
    ackDue: 'Hạn tiếp nhận',
    answerDue: 'Hạn trả lời',
    acknowledgedAt: 'Đã tiếp nhận lúc',
    answeredAt: 'Đã trả lời lúc',
    onTime: 'Đúng hạn',
    late: 'Trễ hạn',
    done: 'Xong',
    channel: 'Kênh',
    resident: 'Người phản ánh',
    erased: 'Đã xóa theo thời hạn lưu trữ',
    content: 'Nội dung',
    attachments: 'Tệp đính kèm',
    openPdf: 'Mở tài liệu PDF',
    history: 'Quá trình xử lý',
    internal: 'Nội bộ',
    resident_actor: 'Người dân',
    system_actor: 'Hệ thống',
    similar: 'Ý kiến tương tự (có thể trùng)',
    mergeHere: 'Gộp vào ý kiến này',
    mergedInto: 'Đã gộp vào ý kiến {code}',
    mergedItems: 'Các ý kiến đã gộp vào đây',
    actions: 'Xử lý',
    assign: 'Phân công',
    assignTo: 'Giao cho',
    pickUser: '— Chọn người xử lý —',
    me: '(tôi)',
    start: 'Bắt đầu xử lý',
    note: 'Ghi chú',
    noteText: 'Nội dung ghi chú',
    noteInternal: 'Ghi chú nội bộ (người dân không thấy)',
    transfer: 'Chuyển',
    toCommune: 'Chuyển tới xã/phường',
    keepCommune: '— Giữ xã hiện tại —',
    toDepartment: 'Chuyển tới phòng ban',
    noDepartment: '— Không chuyển phòng ban —',
    departmentCode: 'Mã phòng ban',
    reason: 'Lý do',
    changePriority: 'Đổi mức độ',
    answer: 'Trả lời',
    answerText: 'Nội dung trả lời',
    publicInterest: 'Công bố rộng rãi (đọc trên loa, bảng tin)',
    notify: 'Nhắn tin cho người dân',
    close: 'Đóng',
    reopen: 'Mở lại',
    reject: 'Không thụ lý',
    rejectReason: 'Lý do không thụ lý',
    send: 'Gửi',
    conflict: 'Người khác vừa thao tác trên ý kiến này. Trang đã được tải lại — hãy xem lại trước khi làm tiếp.',
    bulletin: 'Tạo bản tin từ câu trả lời',
    bulletinHint: 'Tạo một bản tin đọc trên loa (chuyển văn bản thành giọng nói) và một tin trên bảng tin điện tử cho xã, qua quy trình phê duyệt thông thường. Để trống để dùng nội dung soạn sẵn từ tiêu đề và câu trả lời.',
    bulletinTitle: 'Tiêu đề bản tin',
    speakerText: 'Nội dung đọc trên loa',
    boardText: 'Nội dung trên bảng tin',
    bulletinDone: 'Đã tạo bản tin',
    speakerContent: 'Bản tin đọc trên loa',
    boardContent: 'Tin trên bảng tin điện tử',
    drafts: 'Bản tin đã tạo từ câu trả lời',
    viewContents: 'Xem trong Nội dung',
    viewApprovals: 'Xem trong Phê duyệt',
    answerShown: 'Câu trả lời',
    satisfied: 'Người dân hài lòng',
    notSatisfied: 'Người dân chưa hài lòng',
    reopenCount: 'Đã mở lại {n} lần',
    department: 'Phòng ban',
    back: 'Danh sách',
    name: 'Họ và tên',
    phone: 'Số điện thoại',
    email: 'Thư điện tử',
    commune: 'Xã/phường',
    pickCommune: '— Chọn xã/phường —',
    village: 'Thôn / tổ dân phố',
    titleField: 'Tiêu đề',
    receivedAt: 'Thời điểm nhận (để trống: bây giờ)',
    consent: 'Người dân đồng ý cho sử dụng thông tin cá nhân để xử lý ý kiến',
    created: 'Đã ghi nhận ý kiến {code}',
    exportCsv: 'Xuất CSV',
    exportXlsx: 'Xuất XLSX',
    personalData: 'Kèm thông tin cá nhân (được ghi nhật ký)',
    readOnly: 'Bạn có thể xem nhưng không xử lý ý kiến.',
    more: 'Xem thêm',
    noItems: 'Không có ý kiến nào',
  },
  en: {
    title: 'Citizen feedback',
    newItem: 'Record feedback',
    settings: 'Feedback settings',
    poster: 'Print QR poster',
    open: 'Open',
    overdue: 'Overdue',
    unassigned: 'Unassigned',
    mine: 'Mine',
    state: 'State',
    openStates: 'Open (not answered)',
    allStates: 'Every state',
    priority: 'Priority',
    allPriorities: 'Every priority',
    category: 'Category',
    allCategories: 'Every category',
    area: 'Area',
    onlyMine: 'Mine only',
    onlyOverdue: 'Overdue only',
    search: 'Search (code, title, content, village…)',
    filters: 'Filters',
    code: 'Code',
    titleCol: 'Title',
    place: 'Commune / village',
    deadline: 'Deadline',
    assignee: 'Handled by',
    received: 'Received',
    nobody: 'Unassigned',
    total: '{n} items',
    overdueBy: 'overdue by {d}',
    left: '{d} left',
    days: '{n} days',
    hours: '{n} h',
    minutes: '{n} min',
    workHours: '{n} working hours',
    ackDue: 'Acknowledge by',
    answerDue: 'Answer by',
    acknowledgedAt: 'Acknowledged at',
    answeredAt: 'Answered at',
    onTime: 'On time',
    late: 'Late',
    done: 'Done',
    channel: 'Channel',
    resident: 'Resident',
    erased: 'Erased at the end of the retention period',
    content: 'Content',
    attachments: 'Attachments',
    openPdf: 'Open PDF',
    history: 'History',
    internal: 'Internal',
    resident_actor: 'Resident',
    system_actor: 'System',
    similar: 'Similar items (possible duplicates)',
    mergeHere: 'Merge into this item',
    mergedInto: 'Merged into {code}',
    mergedItems: 'Items merged into this one',
    actions: 'Handle',
    assign: 'Assign',
    assignTo: 'Assign to',
    pickUser: '— Pick an officer —',
    me: '(me)',
    start: 'Start handling',
    note: 'Note',
    noteText: 'Note',
    noteInternal: 'Internal note (the resident does not see it)',
    transfer: 'Transfer',
    toCommune: 'To commune',
    keepCommune: '— Keep the commune —',
    toDepartment: 'To department',
    noDepartment: '— No department —',
    departmentCode: 'Department code',
    reason: 'Reason',
    changePriority: 'Change priority',
    answer: 'Answer',
    answerText: 'Answer',
    publicInterest: 'Of public interest (read on loudspeakers, boards)',
    notify: 'Text the resident',
    close: 'Close',
    reopen: 'Reopen',
    reject: 'Not accepted',
    rejectReason: 'Why it is not accepted',
    send: 'Send',
    conflict: 'Someone else has just acted on this item. The page was reloaded — check it before going on.',
    bulletin: 'Make a bulletin from the answer',
    bulletinHint: 'Creates a loudspeaker bulletin (text to speech) and an e-board message for the commune, through the normal approval. Leave empty to use texts made from the title and answer.',
    bulletinTitle: 'Bulletin title',
    speakerText: 'Text read on loudspeakers',
    boardText: 'Text on e-boards',
    bulletinDone: 'Bulletin created',
    speakerContent: 'Loudspeaker bulletin',
    boardContent: 'E-board message',
    drafts: 'Bulletins made from the answer',
    viewContents: 'Open in Content',
    viewApprovals: 'Open in Approvals',
    answerShown: 'Answer',
    satisfied: 'Resident satisfied',
    notSatisfied: 'Resident not satisfied',
    reopenCount: 'Reopened {n} times',
    department: 'Department',
    back: 'List',
    name: 'Full name',
    phone: 'Phone',
    email: 'E-mail',
    commune: 'Commune',
    pickCommune: '— Pick a commune —',
    village: 'Village',
    titleField: 'Title',
    receivedAt: 'Received at (empty: now)',
    consent: 'The resident agrees that personal data is used to handle the item',
    created: 'Recorded {code}',
    exportCsv: 'Export CSV',
    exportXlsx: 'Export XLSX',
    personalData: 'Include personal data (audited)',
    readOnly: 'You may read feedback but not handle it.',
    more: 'More',
    noItems: 'No feedback',
  },
});

const STATE_EN: Record<FeedbackState, string> = {
  received: 'Received',
  assigned: 'Assigned',
  'in-progress': 'In progress',
  answered: 'Answered',
  closed: 'Closed',
  reopened: 'Reopened',
  rejected: 'Not accepted',
  merged: 'Merged',
};
const PRIORITY_EN: Record<FeedbackPriority, string> = { normal: 'Normal', urgent: 'Urgent', complex: 'Complex' };
const CHANNEL_EN: Record<FeedbackChannel, string> = { web: 'Web page', sms: 'SMS', api: 'Other channel (API)', office: 'At the office / phone' };

export const stateLabel = (s: FeedbackState): string => (getLang() === 'vi' ? FEEDBACK_STATE_LABELS_VI[s] : STATE_EN[s]);
export const priorityLabel = (p: FeedbackPriority): string => (getLang() === 'vi' ? FEEDBACK_PRIORITY_LABELS_VI[p] : PRIORITY_EN[p]);
export const channelLabel = (c: FeedbackChannel): string => (getLang() === 'vi' ? FEEDBACK_CHANNEL_LABELS_VI[c] : CHANNEL_EN[c]);
const EVENT_EN: Record<FeedbackEventKind, string> = {
  received: 'Received',
  assigned: 'Assigned',
  started: 'Handling started',
  note: 'Note',
  transferred: 'Transferred',
  'priority-changed': 'Priority changed',
  answered: 'Answered',
  closed: 'Closed',
  reopened: 'Reopened',
  rejected: 'Not accepted',
  merged: 'Merged',
  rated: 'Rated by the resident',
  overdue: 'Overdue',
  notified: 'Resident texted',
  'notify-failed': 'Text not sent',
  'bulletin-drafted': 'Bulletin made from the answer',
  'personal-data-erased': 'Personal data erased (retention)',
};
export const eventLabel = (k: FeedbackEventKind): string => (getLang() === 'vi' ? FEEDBACK_EVENT_LABELS_VI[k] : EVENT_EN[k]) ?? k;

export const STATE_TONES: Record<FeedbackState, Tone> = {
  received: 'warn',
  assigned: 'info',
  'in-progress': 'info',
  answered: 'ok',
  closed: 'muted',
  reopened: 'warn',
  rejected: 'bad',
  merged: 'muted',
};
export const PRIORITY_TONES: Record<FeedbackPriority, Tone> = { normal: 'muted', urgent: 'bad', complex: 'warn' };

export const isOpen = (s: FeedbackState): boolean => FEEDBACK_OPEN_STATES.includes(s);

/** The deadline that runs now: acknowledging while only received, else answering; none once handled. */
export function currentDeadline(item: Pick<FeedbackItemView, 'state' | 'ackDueAt' | 'answerDueAt' | 'acknowledgedAt'>): { kind: 'ack' | 'answer'; at: string } | null {
  if (!isOpen(item.state)) return null;
  if (item.state === 'received' && item.acknowledgedAt === null && Date.parse(item.ackDueAt) < Date.parse(item.answerDueAt)) return { kind: 'ack', at: item.ackDueAt };
  return { kind: 'answer', at: item.answerDueAt };
}

/** "2 ngày" / "3 giờ" / "40 phút": the largest unit, rounded down (a figure not yet reached is never shown). */
export function spanWords(ms: number, words: { days: string; hours: string; minutes: string }): string {
  const min = Math.floor(Math.abs(ms) / 60_000);
  const fill = (s: string, n: number) => s.replace('{n}', String(n));
  if (min >= 48 * 60) return fill(words.days, Math.floor(min / 1440));
  if (min >= 60) return fill(words.hours, Math.floor(min / 60));
  return fill(words.minutes, Math.max(1, min));
}

export interface Countdown {
  /** Past the running deadline (the server's `overdue` decides when it says so). */
  overdue: boolean;
  /** ms to the deadline (negative: past it); null when no deadline runs. */
  ms: number | null;
  text: string;
}

type CountdownWords = { days: string; hours: string; minutes: string; left: string; overdueBy: string; done: string };

/**
 * "còn 3 giờ" / "quá hạn 2 ngày" for the running deadline, in wall-clock time: working hours need the commune's
 * calendar, which the server applies to the deadline itself (the instant shown is already in working time).
 */
export function countdown(item: Pick<FeedbackItemView, 'state' | 'ackDueAt' | 'answerDueAt' | 'acknowledgedAt' | 'overdue'>, now: number, w: CountdownWords): Countdown {
  const d = currentDeadline(item);
  if (!d) return { overdue: false, ms: null, text: w.done };
  const ms = Date.parse(d.at) - now;
  const overdue = item.overdue !== null || ms < 0;
  const span = spanWords(ms, w);
  return { overdue, ms, text: (overdue ? w.overdueBy : w.left).replace('{d}', span) };
}

/** Overdue first, then the nearest running deadline, then handled items newest first (the server's order, kept on live updates). */
export function sortQueue<T extends Pick<FeedbackItemView, 'state' | 'ackDueAt' | 'answerDueAt' | 'acknowledgedAt' | 'overdue' | 'createdAt' | 'code'>>(items: readonly T[]): T[] {
  const rank = (x: T) => (x.overdue !== null ? 0 : currentDeadline(x) ? 1 : 2);
  return [...items].sort((a, b) => {
    const r = rank(a) - rank(b);
    if (r !== 0) return r;
    if (rank(a) < 2) {
      const da = Date.parse(currentDeadline(a)?.at ?? a.answerDueAt);
      const db = Date.parse(currentDeadline(b)?.at ?? b.answerDueAt);
      if (da !== db) return da - db;
    } else if (a.createdAt !== b.createdAt) return b.createdAt.localeCompare(a.createdAt);
    return a.code.localeCompare(b.code);
  });
}

export type FeedbackAction = 'assign' | 'start' | 'note' | 'transfer' | 'priority' | 'answer' | 'close' | 'reopen' | 'reject' | 'merge' | 'bulletin';

/** Every signed-in role handles feedback within its area (the server decides by scope); bulletins need a content author. */
export const mayHandle = (_role: Role): boolean => true;
const mayDraftContent = (role: Role): boolean => role !== 'approver';

/** The actions valid in a state for a role (the server's `feedback-workflow.ts` rules); what is not listed is hidden. */
export function allowedActions(item: Pick<FeedbackItemView, 'state' | 'publicInterest' | 'draftContentIds'>, role: Role): Set<FeedbackAction> {
  if (!mayHandle(role)) return new Set();
  const s = item.state;
  const out = new Set<FeedbackAction>(['note']);
  if (isOpen(s)) for (const a of ['assign', 'transfer', 'priority', 'answer', 'reject', 'merge'] as const) out.add(a);
  if (s === 'received' || s === 'assigned' || s === 'reopened') out.add('start');
  if (s === 'answered') out.add('close');
  if (s === 'answered' || s === 'closed') out.add('reopen');
  if ((s === 'answered' || s === 'closed') && item.publicInterest && item.draftContentIds.length === 0 && mayDraftContent(role)) out.add('bulletin');
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// The queue's filters, kept in the URL (a link or a reload shows the same queue)
// ---------------------------------------------------------------------------------------------------------------

export interface QueueFilters {
  /** '' (default: every state but merged), 'open' (the open states) or one state. */
  state: string;
  priority: string;
  category: string;
  areaCode: string;
  mine: boolean;
  overdue: boolean;
  q: string;
}

export function filtersOf(route: Route): QueueFilters {
  const q = route.query;
  return {
    state: q.get('state') ?? '',
    priority: q.get('priority') ?? '',
    category: q.get('category') ?? '',
    areaCode: q.get('areaCode') ?? '',
    mine: q.get('mine') === '1',
    overdue: q.get('overdue') === '1',
    q: q.get('q') ?? '',
  };
}

export function filtersRoute(f: QueueFilters): Record<string, string | undefined> {
  return {
    state: f.state || undefined,
    priority: f.priority || undefined,
    category: f.category || undefined,
    areaCode: f.areaCode || undefined,
    mine: f.mine ? '1' : undefined,
    overdue: f.overdue ? '1' : undefined,
    q: f.q || undefined,
  };
}

/** The list API's query (feedbackListQuerySchema) for the filters. */
export function listQuery(f: QueueFilters): Record<string, string | undefined> {
  return {
    state: f.state === 'open' ? FEEDBACK_OPEN_STATES.join(',') : f.state || undefined,
    priority: f.priority || undefined,
    category: f.category || undefined,
    areaCode: f.areaCode || undefined,
    mine: f.mine ? 'true' : undefined,
    overdue: f.overdue ? 'true' : undefined,
    q: f.q.trim() || undefined,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The counts (menu badge, queue counters): one poll or event refreshes every reader
// ---------------------------------------------------------------------------------------------------------------

/** The live event another feature relays: `{ type: 'feedback.changed', itemId, code, areaCode, state, kind }`. */
export const FEEDBACK_LIVE = 'feedback.changed';
export const SUMMARY_POLL_MS = 60_000;

let summary: FeedbackSummary | null = null;
const summaryListeners = new Set<(s: FeedbackSummary | null) => void>();
let inFlight: Promise<void> | null = null;

export function refreshSummary(): Promise<void> {
  inFlight ??= get<FeedbackSummary>('/api/v1/feedback/summary')
    .then((s) => {
      summary = s;
      for (const l of summaryListeners) l(s);
    })
    .catch(() => undefined)
    .finally(() => (inFlight = null));
  return inFlight;
}

let sawLive = false;
// Another user signing in on this tab must not see the previous user's counts, even for a moment.
onSessionChange(() => {
  summary = null;
  sawLive = false;
});
let pollTimer: ReturnType<typeof setInterval> | null = null;
const startPolling = () => {
  if (pollTimer) clearInterval(pollTimer);
  pollTimer = setInterval(() => void refreshSummary(), sawLive ? 5 * SUMMARY_POLL_MS : SUMMARY_POLL_MS);
};

/**
 * The caller's counts, refreshed by every `feedback.changed` event; polled every 60 s until such an event has been
 * seen (a server that does not relay them still shows fresh counts) and every 5 min after (overdue is a matter of
 * time). One timer however many readers (the menu badge, the queue).
 */
export function useFeedbackSummary(): FeedbackSummary | null {
  const [s, set] = useState(summary);
  useEffect(() => {
    summaryListeners.add(set);
    if (summaryListeners.size === 1) startPolling();
    void refreshSummary();
    return () => {
      summaryListeners.delete(set);
      if (summaryListeners.size === 0 && pollTimer) {
        clearInterval(pollTimer);
        pollTimer = null;
      }
    };
  }, []);
  useLive(FEEDBACK_LIVE, () => {
    if (!sawLive) {
      sawLive = true;
      startPolling();
    }
    void refreshSummary();
  });
  return s;
}

/** The menu's badge: overdue items in the caller's scope, red; nothing when none. */
export function FeedbackBadge() {
  const s = useFeedbackSummary();
  if (!s || s.overdue === 0) return null;
  return (
    <span class="badge badge-bad fb-nav-badge" data-testid="feedback-nav-badge" data-value={s.overdue} title={getLang() === 'vi' ? 'Ý kiến quá hạn' : 'Overdue feedback'}>
      {s.overdue}
    </span>
  );
}

// ---------------------------------------------------------------------------------------------------------------
// A commune's form (categories, villages, short link): the public endpoint, the same for every role
// ---------------------------------------------------------------------------------------------------------------

const forms = new Map<string, Promise<FeedbackForm>>();
export function loadFeedbackForm(areaCode: string): Promise<FeedbackForm> {
  let p = forms.get(areaCode);
  if (!p) {
    p = get<FeedbackForm>(`/api/v1/public/feedback/form/${encodeURIComponent(areaCode)}`).catch((e: unknown) => {
      forms.delete(areaCode);
      throw e;
    });
    forms.set(areaCode, p);
  }
  return p;
}

// ---------------------------------------------------------------------------------------------------------------
// Small pieces every feedback page shows
// ---------------------------------------------------------------------------------------------------------------

/** The words of the countdown, for `countdown()`. */
export function useCountdownWords() {
  const t = useT(FB);
  return { days: t('days'), hours: t('hours'), minutes: t('minutes'), left: t('left'), overdueBy: t('overdueBy'), done: t('done') };
}

/** Re-renders every minute so countdowns move while the page stays open. */
export function useNow(everyMs = 60_000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}

/** The state chip, the same everywhere an item is shown. */
export function StateChip({ item }: { item: Pick<FeedbackItemView, 'state'> }) {
  return (
    <span data-testid="feedback-state" data-state={item.state}>
      <Badge tone={STATE_TONES[item.state]}>{stateLabel(item.state)}</Badge>
    </span>
  );
}

export function PriorityChip({ priority }: { priority: FeedbackPriority }) {
  return priority === 'normal' ? null : <Badge tone={PRIORITY_TONES[priority]}>{priorityLabel(priority)}</Badge>;
}

/** "08/12/2026 08:00": deadlines and steps to the minute (seconds say nothing to a resident's case). */
export function fmtWhen(iso: string | null | undefined): string {
  return fmtDateTime(iso);
}
