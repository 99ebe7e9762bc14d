/**
 * Pieces shared by the emergency alerts page (alerts.tsx) and its send form (alert-form.tsx): the alert view, the
 * strings, the reach of an area (devices of its subtree) and a ticking clock for countdowns.
 */
import { useEffect, useState } from 'preact/hooks';
import { ApiError, get } from '../api.js';
import { defineStrings, useT } from '../i18n.js';
import { refusalOf } from './alert-progress.js';
import type { AlertView, DeviceView } from '@loa/shared/rest';
import type { Tone } from '../ui.js';

export type { AlertView };

/** Two-person rule: a pending alert may be confirmed for 30 minutes after it was requested (server ALERT_CONFIRM_WINDOW_MS). */
export const CONFIRM_WINDOW_MS = 30 * 60_000;

/** What the page shows: the server's status, with an active alert past its end (or a pending one past its window) as expired. */
export type AlertPhase = 'pending' | 'active' | 'cancelled' | 'superseded' | 'expired';

export const confirmDeadline = (a: AlertView): number => Date.parse(a.requestedAt ?? a.sentAt) + CONFIRM_WINDOW_MS;

/** The browser's clock may trail the server's by a few seconds: an alert starting "now" is not shown as scheduled. */
const SKEW_MS = 5_000;
export const isScheduled = (a: AlertView, now: number): boolean => Date.parse(a.effectiveAt) - now > SKEW_MS;

export function phaseOf(a: AlertView, now: number): AlertPhase {
  if (a.status === 'pending') return now > confirmDeadline(a) ? 'expired' : 'pending';
  if (a.status === 'active') return Date.parse(a.expiresAt) <= now ? 'expired' : 'active';
  return a.status;
}

export const PHASE_TONES: Record<AlertPhase, Tone> = { pending: 'warn', active: 'bad', cancelled: 'muted', superseded: 'muted', expired: 'muted' };

/** "29:59" / "1:02:03" until `to`; "0:00" once past. */
export function fmtLeft(to: number, now: number, max = Infinity): string {
  const s = Math.max(0, Math.min(max, Math.ceil((to - now) / 1000)));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

/** Date.now(), re-rendering every `everyMs` while mounted (countdowns). */
export function useNow(everyMs = 1000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(id);
  }, [everyMs]);
  return now;
}

/** How many devices an area alert reaches: every device of the area's subtree (revoked ones excluded). */
export interface Reach {
  total: number;
  speakers: number;
  boards: number;
  online: number;
}

const reachCache = new Map<string, { at: number; p: Promise<Reach> }>();
const REACH_TTL_MS = 30_000;

/** GET /api/v1/devices?areaCode= answers the whole subtree; cached briefly per area. */
export function loadReach(areaCode: string): Promise<Reach> {
  const hit = reachCache.get(areaCode);
  if (hit && Date.now() - hit.at < REACH_TTL_MS) return hit.p;
  const p = get<DeviceView[]>('/api/v1/devices', { areaCode }).then((ds) => {
    const live = ds.filter((d) => !d.revokedAt);
    return {
      total: live.length,
      speakers: live.filter((d) => d.kind === 'speaker').length,
      boards: live.filter((d) => d.kind === 'board').length,
      online: live.filter((d) => d.online).length,
    };
  });
  p.catch(() => reachCache.delete(areaCode));
  reachCache.set(areaCode, { at: Date.now(), p });
  return p;
}

export const AS = defineStrings({
  vi: {
    title: 'Phát khẩn cấp',
    intro: 'Cảnh báo khẩn được gửi một lần tới mọi cụm loa và bảng tin của địa bàn (gồm cả các đơn vị trực thuộc), ngắt ngay nội dung đang phát.',
    formTitle: 'Gửi cảnh báo khẩn',
    area: 'Địa bàn nhận cảnh báo',
    pickArea: '— Chọn địa bàn —',
    reach: 'Sẽ tới {n} thiết bị: {speakers} cụm loa, {boards} bảng tin ({online} đang trực tuyến).',
    reachNone: 'Địa bàn này chưa có thiết bị nào.',
    reachLoading: 'Đang đếm thiết bị…',
    content: 'Nội dung đã phê duyệt',
    pickNone: '— Không dùng nội dung có sẵn, chỉ phát chữ —',
    grpAudio: 'Âm thanh (phát trên cụm loa)',
    grpText: 'Văn bản (hiển thị trên bảng tin)',
    contentHint: 'Âm thanh được phát trên cụm loa; bảng tin hiển thị phần chữ bên dưới.',
    noContent: 'Chưa có nội dung âm thanh hoặc văn bản nào được phê duyệt.',
    listen: 'Nghe thử',
    hideListen: 'Ẩn',
    alertTitle: 'Tiêu đề cảnh báo',
    alertTitlePh: 'VD: Cảnh báo lũ quét',
    boardText: 'Nội dung chữ trên bảng tin',
    boardTextHint: 'Cần có âm thanh hoặc nội dung chữ (hoặc cả hai).',
    volume: 'Âm lượng (0–100)',
    volumeHint: 'Để trống: giữ âm lượng hiện tại của thiết bị.',
    start: 'Thời điểm bắt đầu',
    startNow: 'Phát ngay',
    startLater: 'Hẹn giờ',
    startAt: 'Bắt đầu lúc (giờ Việt Nam)',
    duration: 'Thời gian hiệu lực',
    d15: '15 phút',
    d60: '1 giờ',
    d240: '4 giờ',
    dCustom: 'Tùy chọn',
    customMinutes: 'Số phút (1–10080)',
    send: 'Phát cảnh báo…',
    noSendRight: 'Vai trò của bạn không gửi được cảnh báo; bạn có thể xác nhận cảnh báo do người khác yêu cầu.',
    twoPersonOn: 'Đang áp dụng quy tắc hai người: sau khi gửi, một người khác phải xác nhận trong vòng 30 phút thì cảnh báo mới được phát.',
    err_area: 'Hãy chọn địa bàn.',
    err_title: 'Hãy nhập tiêu đề cảnh báo.',
    err_body: 'Hãy chọn nội dung âm thanh hoặc nhập nội dung chữ.',
    err_volume: 'Âm lượng phải từ 0 đến 100.',
    err_start: 'Hãy chọn thời điểm bắt đầu trong tương lai.',
    err_minutes: 'Số phút phải từ 1 đến 10080 (7 ngày).',
    confirmTitle: 'Xác nhận phát khẩn cấp',
    confirmQuestion: 'Phát khẩn cấp tới {n} thiết bị tại {area}?',
    confirmQuestionUnknown: 'Phát khẩn cấp tới toàn bộ thiết bị tại {area}?',
    confirmSend: 'Phát khẩn cấp',
    confirmRequest: 'Gửi yêu cầu phát',
    back: 'Quay lại sửa',
    replaces: 'Địa bàn này đang có cảnh báo “{title}”: cảnh báo mới sẽ thay thế nó.',
    f_area: 'Địa bàn',
    f_devices: 'Thiết bị',
    f_audio: 'Âm thanh',
    f_text: 'Chữ trên bảng tin',
    f_title: 'Tiêu đề',
    f_volume: 'Âm lượng',
    f_start: 'Bắt đầu',
    f_end: 'Kết thúc',
    f_duration: 'Hiệu lực',
    keepVolume: 'Giữ nguyên',
    titleOnly: '(hiển thị tiêu đề)',
    none: 'Không',
    now: 'Ngay khi phát',
    sentPending: 'Đã gửi yêu cầu phát “{title}”. Cảnh báo CHƯA được phát: một người khác phải vào trang này và bấm “Xác nhận phát” trong vòng 30 phút.',
    sentPendingLeft: 'Thời gian còn lại để xác nhận:',
    sentLapsed: 'Yêu cầu “{title}” đã quá 30 phút mà chưa được xác nhận: hãy gửi lại nếu vẫn cần.',
    sentConfirmed: 'Cảnh báo “{title}” đã được {who} xác nhận và đang phát.',
    sentActive: 'Đã phát cảnh báo “{title}” tới {area}.',
    sentScheduled: 'Cảnh báo “{title}” sẽ bắt đầu lúc {at}.',
    sentCancelled: 'Yêu cầu “{title}” đã bị hủy, cảnh báo không được phát.',
    sentStopped: 'Cảnh báo “{title}” đã được dừng.',
    sentSuperseded: 'Cảnh báo “{title}” đã bị thay thế bằng một cảnh báo mới cho cùng địa bàn.',
    sentExpired: 'Cảnh báo “{title}” đã hết thời gian hiệu lực.',
    dismiss: 'Đóng thông báo',
    pending: 'Chờ xác nhận',
    active: 'Đang phát',
    history: 'Lịch sử gần đây',
    historyHint: '{n} cảnh báo gần nhất',
    col_alert: 'Cảnh báo',
    col_area: 'Địa bàn',
    col_requested: 'Yêu cầu bởi',
    col_left: 'Còn lại để xác nhận',
    col_started: 'Bắt đầu',
    col_expires: 'Hết hạn',
    col_status: 'Trạng thái',
    col_by: 'Gửi / xác nhận',
    col_ended: 'Kết thúc',
    confirm: 'Xác nhận phát',
    ownRequest: 'Bạn là người yêu cầu: cần một người khác xác nhận.',
    cancelPending: 'Hủy yêu cầu',
    cancelActive: 'Dừng phát',
    cancelTitle: 'Dừng cảnh báo khẩn',
    cancelQuestion: 'Dừng cảnh báo “{title}” tại {area}? Các thiết bị sẽ ngừng phát cảnh báo này ngay.',
    cancelConfirm: 'Dừng phát',
    st_pending: 'Chờ xác nhận',
    st_active: 'Đang phát',
    st_scheduled: 'Đã hẹn giờ',
    st_cancelled: 'Đã hủy',
    st_superseded: 'Bị thay thế',
    st_expired: 'Đã hết hạn',
    st_lapsed: 'Quá hạn xác nhận',
    audioBadge: 'Âm thanh',
    textBadge: 'Chữ',
    volumeN: 'âm lượng {n}',
    confirmedBy: 'xác nhận: {who}',
    polling: 'Tự cập nhật mỗi 10 giây',
    noneHere: 'Không có',
    speak: 'Đọc nội dung bằng giọng nói cho loa',
    speakHint: 'Máy chủ đọc phần chữ ở trên bằng giọng nói tự động (TTS) và phát trên cụm loa; bảng tin vẫn hiển thị chữ.',
    speakHintAudio: 'Đã chọn tệp âm thanh: cụm loa phát tệp đó, không đọc phần chữ.',
    spoken: 'Giọng đọc tự động (TTS) của phần chữ',
    err_speakNoText: 'Muốn đọc bằng giọng nói, hãy nhập nội dung chữ.',
    err_speakWithAudio: 'Không thể vừa phát tệp âm thanh vừa đọc chữ bằng giọng nói: hãy bỏ một trong hai.',
    emergencyOnly: 'Theo quy tắc phê duyệt, chỉ hiện âm thanh đã được đánh dấu “dùng cho khẩn cấp”.',
    emergencyOnlyNone: 'Theo quy tắc phê duyệt, cảnh báo chỉ được dùng âm thanh đã đánh dấu “dùng cho khẩn cấp”, nhưng chưa có nội dung nào như vậy. Hãy đánh dấu trong Thư viện nội dung, hoặc dùng giọng đọc tự động.',
    refused_speakWithAudio: 'Máy chủ từ chối: không thể vừa phát tệp âm thanh vừa đọc chữ bằng giọng nói.',
    refused_speakNoText: 'Máy chủ từ chối: cần có nội dung chữ để đọc bằng giọng nói.',
    refused_ttsUnavailable: 'Máy chủ chưa đọc được chữ bằng giọng nói (TTS chưa sẵn sàng). Hãy chọn một tệp âm thanh hoặc bỏ chọn đọc bằng giọng nói.',
    refused_notEmergencyContent: 'Tệp âm thanh này chưa được đánh dấu “dùng cho khẩn cấp”. Hãy chọn âm thanh khác hoặc nhờ biên tập viên đánh dấu trong Thư viện nội dung.',
    refused_mediaUnknown: 'Máy chủ không tìm thấy tệp âm thanh đã chọn. Hãy tải lại trang và chọn lại.',
    refused_outOfScope: 'Địa bàn này nằm ngoài phạm vi được giao cho bạn.',
    refused_forbidden: 'Tài khoản của bạn không có quyền gửi cảnh báo này.',
    refused_network: 'Mất kết nối tới máy chủ: cảnh báo chưa được gửi. Hãy thử lại.',
    refused_secondPerson: 'Bạn là người yêu cầu cảnh báo này: cần một người khác xác nhận.',
    refused_confirmLapsed: 'Yêu cầu đã quá 30 phút mà chưa được xác nhận: hãy gửi lại nếu vẫn cần.',
    refused_notPending: 'Cảnh báo này không còn chờ xác nhận (đã được xác nhận, hủy hoặc thay thế). Trang đã được làm mới.',
    refused_notActive: 'Cảnh báo này không còn hiệu lực (đã dừng, hết hạn hoặc bị thay thế).',
  },
  en: {
    title: 'Emergency alerts',
    intro: 'An emergency alert reaches every loudspeaker and e-board of the area (including all areas below it) at once and interrupts whatever is playing.',
    formTitle: 'Send an emergency alert',
    area: 'Area to alert',
    pickArea: '— Pick an area —',
    reach: 'Reaches {n} devices: {speakers} loudspeakers, {boards} e-boards ({online} online).',
    reachNone: 'This area has no devices yet.',
    reachLoading: 'Counting devices…',
    content: 'Approved content',
    pickNone: '— No stored content, text only —',
    grpAudio: 'Audio (played on loudspeakers)',
    grpText: 'Text (shown on e-boards)',
    contentHint: 'Audio is played on loudspeakers; e-boards show the text below.',
    noContent: 'No approved audio or text content yet.',
    listen: 'Listen',
    hideListen: 'Hide',
    alertTitle: 'Alert title',
    alertTitlePh: 'e.g. Flash flood warning',
    boardText: 'Text shown on e-boards',
    boardTextHint: 'An alert needs audio, text or both.',
    volume: 'Volume (0–100)',
    volumeHint: "Empty: keep the device's current volume.",
    start: 'Start',
    startNow: 'Now',
    startLater: 'At a time',
    startAt: 'Starts at (Vietnam time)',
    duration: 'In force for',
    d15: '15 min',
    d60: '1 hour',
    d240: '4 hours',
    dCustom: 'Custom',
    customMinutes: 'Minutes (1–10080)',
    send: 'Send alert…',
    noSendRight: 'Your role cannot send alerts; you can confirm alerts requested by someone else.',
    twoPersonOn: 'The two-person rule is on: after you send, another user must confirm within 30 minutes before the alert goes out.',
    err_area: 'Pick an area.',
    err_title: 'Enter the alert title.',
    err_body: 'Pick audio content or enter text.',
    err_volume: 'Volume must be between 0 and 100.',
    err_start: 'Pick a start time in the future.',
    err_minutes: 'Minutes must be between 1 and 10080 (7 days).',
    confirmTitle: 'Confirm emergency broadcast',
    confirmQuestion: 'Send an emergency alert to {n} devices in {area}?',
    confirmQuestionUnknown: 'Send an emergency alert to every device in {area}?',
    confirmSend: 'Send emergency alert',
    confirmRequest: 'Request the alert',
    back: 'Back to edit',
    replaces: 'This area already has the alert “{title}”: the new one replaces it.',
    f_area: 'Area',
    f_devices: 'Devices',
    f_audio: 'Audio',
    f_text: 'E-board text',
    f_title: 'Title',
    f_volume: 'Volume',
    f_start: 'Start',
    f_end: 'End',
    f_duration: 'In force for',
    keepVolume: 'Unchanged',
    titleOnly: '(shows the title)',
    none: 'None',
    now: 'As soon as sent',
    sentPending: 'Alert “{title}” requested. It has NOT gone out yet: another user must open this page and press “Confirm and send” within 30 minutes.',
    sentPendingLeft: 'Time left to confirm:',
    sentLapsed: 'Request “{title}” waited more than 30 minutes without confirmation: send it again if still needed.',
    sentConfirmed: 'Alert “{title}” was confirmed by {who} and is in force.',
    sentActive: 'Alert “{title}” sent to {area}.',
    sentScheduled: 'Alert “{title}” starts at {at}.',
    sentCancelled: 'Request “{title}” was cancelled; the alert was not sent.',
    sentStopped: 'Alert “{title}” was stopped.',
    sentSuperseded: 'Alert “{title}” was replaced by a newer alert for the same area.',
    sentExpired: 'Alert “{title}” has run its course.',
    dismiss: 'Dismiss',
    pending: 'Awaiting confirmation',
    active: 'In force',
    history: 'Recent history',
    historyHint: 'latest {n} alerts',
    col_alert: 'Alert',
    col_area: 'Area',
    col_requested: 'Requested by',
    col_left: 'Time left to confirm',
    col_started: 'Started',
    col_expires: 'Expires',
    col_status: 'Status',
    col_by: 'Sent / confirmed',
    col_ended: 'Ended',
    confirm: 'Confirm and send',
    ownRequest: 'You requested it: another user must confirm.',
    cancelPending: 'Cancel request',
    cancelActive: 'Stop alert',
    cancelTitle: 'Stop emergency alert',
    cancelQuestion: 'Stop the alert “{title}” in {area}? Devices stop it at once.',
    cancelConfirm: 'Stop alert',
    st_pending: 'Awaiting confirmation',
    st_active: 'In force',
    st_scheduled: 'Scheduled',
    st_cancelled: 'Cancelled',
    st_superseded: 'Replaced',
    st_expired: 'Expired',
    st_lapsed: 'Not confirmed in time',
    audioBadge: 'Audio',
    textBadge: 'Text',
    volumeN: 'volume {n}',
    confirmedBy: 'confirmed: {who}',
    polling: 'Refreshes every 10 s',
    noneHere: 'None',
    speak: 'Read the text aloud on loudspeakers',
    speakHint: 'The server reads the text above with text-to-speech and plays it on loudspeakers; e-boards still show the text.',
    speakHintAudio: 'An audio file is chosen: loudspeakers play it, the text is not read.',
    spoken: 'Text-to-speech of the text',
    err_speakNoText: 'Enter text to have it read aloud.',
    err_speakWithAudio: 'An alert cannot both play an audio file and read its text aloud: drop one.',
    emergencyOnly: 'The approval rules allow only audio marked “for emergencies”.',
    emergencyOnlyNone: 'The approval rules allow only audio marked “for emergencies”, and none is. Mark some in the content library, or have the text read aloud.',
    refused_speakWithAudio: 'Refused: an alert cannot both play an audio file and read its text aloud.',
    refused_speakNoText: 'Refused: text-to-speech needs text.',
    refused_ttsUnavailable: 'The server cannot read text aloud now (TTS unavailable). Pick an audio file or untick reading aloud.',
    refused_notEmergencyContent: 'This audio is not marked “for emergencies”. Pick another or have an operator mark it in the content library.',
    refused_mediaUnknown: 'The server does not know the chosen audio file. Reload the page and pick it again.',
    refused_outOfScope: 'This area is outside the areas you are assigned.',
    refused_forbidden: 'Your account may not send this alert.',
    refused_network: 'No connection to the server: the alert was not sent. Try again.',
    refused_secondPerson: 'You requested this alert: another user must confirm it.',
    refused_confirmLapsed: 'The request waited more than 30 minutes: send it again if still needed.',
    refused_notPending: 'This alert no longer awaits confirmation (confirmed, cancelled or replaced). The page was refreshed.',
    refused_notActive: 'This alert is no longer in force (stopped, expired or replaced).',
  },
});

/** An alert action's failure in the page's words: the known refusals translated, the server's text otherwise. */
export function useAlertErrors(): (e: unknown) => string {
  const t = useT(AS);
  return (e) => {
    if (!(e instanceof ApiError)) return e instanceof Error ? e.message : String(e);
    const why = refusalOf(e.status, e.message);
    return why ? t(`refused_${why}`) : e.status === 0 ? t('refused_network') : e.message;
  };
}

/** Runs an alert action for an ActionButton, which shows what it throws: thrown again in the page's words. */
export const explained = (explain: (e: unknown) => string, run: () => Promise<unknown>) => async (): Promise<void> => {
  try {
    await run();
  } catch (e) {
    throw new Error(explain(e));
  }
};
