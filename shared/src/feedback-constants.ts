/**
 * Zod-free constants of citizen feedback (issue 17: ý kiến phản ánh, kiến nghị), so the public feedback page and the
 * dashboard carry no zod. Re-exported by `rest/feedback.ts`, where the schemas are.
 */

/**
 * Where an item is in its handling. `received` → `assigned` → `in-progress` → `answered` → `closed`; `reopened` when
 * the resident (or an officer) is not satisfied with an answer, then handled again like `in-progress`. `rejected`:
 * not accepted for handling (spam, not a matter of the administration), with a reason the resident sees. `merged`:
 * a duplicate folded into another item, whose answer its resident then sees.
 */
export const FEEDBACK_STATES = ['received', 'assigned', 'in-progress', 'answered', 'closed', 'reopened', 'rejected', 'merged'] as const;
export type FeedbackState = (typeof FEEDBACK_STATES)[number];
/** States that still need an answer (the answer clock runs). */
export const FEEDBACK_OPEN_STATES: readonly FeedbackState[] = ['received', 'assigned', 'in-progress', 'reopened'];
/** States in which the item has been handled (counted as handled against the 100 % target). */
export const FEEDBACK_HANDLED_STATES: readonly FeedbackState[] = ['answered', 'closed', 'rejected'];

export const FEEDBACK_STATE_LABELS_VI: Readonly<Record<FeedbackState, string>> = {
  received: 'Đã tiếp nhận',
  assigned: 'Đã phân công',
  'in-progress': 'Đang xử lý',
  answered: 'Đã trả lời',
  closed: 'Đã đóng',
  reopened: 'Mở lại',
  rejected: 'Không thụ lý',
  merged: 'Đã gộp',
};

/**
 * normal; urgent: disaster, accident, security (short limits counted on the clock, day and night); complex: needs
 * several agencies (longer limits). Limits per level are settings (`FeedbackSettings.sla`).
 */
export const FEEDBACK_PRIORITIES = ['normal', 'urgent', 'complex'] as const;
export type FeedbackPriority = (typeof FEEDBACK_PRIORITIES)[number];
export const FEEDBACK_PRIORITY_LABELS_VI: Readonly<Record<FeedbackPriority, string>> = { normal: 'Thông thường', urgent: 'Khẩn cấp', complex: 'Phức tạp' };

/** How the item came in: the public page, an SMS through the gateway webhook, the API (other channels), or typed in by an officer (phone call, at the office). */
export const FEEDBACK_CHANNELS = ['web', 'sms', 'api', 'office'] as const;
export type FeedbackChannel = (typeof FEEDBACK_CHANNELS)[number];
export const FEEDBACK_CHANNEL_LABELS_VI: Readonly<Record<FeedbackChannel, string>> = { web: 'Trang góp ý', sms: 'Tin nhắn SMS', api: 'Kênh khác (API)', office: 'Tại bộ phận một cửa / điện thoại' };

/** What an entry of an item's history records. */
export const FEEDBACK_EVENT_KINDS = [
  'received',
  'assigned',
  'started',
  'note',
  'transferred',
  'priority-changed',
  'answered',
  'closed',
  'reopened',
  'rejected',
  'merged',
  'rated',
  'overdue',
  'notified',
  'notify-failed',
  'bulletin-drafted',
  'personal-data-erased',
] as const;
export type FeedbackEventKind = (typeof FEEDBACK_EVENT_KINDS)[number];
export const FEEDBACK_EVENT_LABELS_VI: Readonly<Record<FeedbackEventKind, string>> = {
  received: 'Tiếp nhận',
  assigned: 'Phân công',
  started: 'Bắt đầu xử lý',
  note: 'Ghi chú',
  transferred: 'Chuyển',
  'priority-changed': 'Đổi mức độ',
  answered: 'Trả lời',
  closed: 'Đóng',
  reopened: 'Mở lại',
  rejected: 'Không thụ lý',
  merged: 'Gộp',
  rated: 'Người dân đánh giá',
  overdue: 'Quá hạn',
  notified: 'Đã nhắn tin cho người dân',
  'notify-failed': 'Nhắn tin không thành công',
  'bulletin-drafted': 'Tạo bản tin từ câu trả lời',
  'personal-data-erased': 'Xóa thông tin cá nhân (hết thời hạn lưu)',
};

/** Which deadline an overdue item missed: acknowledging it (leaving `received`) or answering it. */
export const FEEDBACK_OVERDUE_KINDS = ['ack', 'answer'] as const;
export type FeedbackOverdueKind = (typeof FEEDBACK_OVERDUE_KINDS)[number];

/** Attachments a resident may send: photos (decoded like board images) and PDF documents. */
export const FEEDBACK_ATTACHMENT_MIME = ['image/jpeg', 'image/png', 'image/webp', 'application/pdf'] as const;
export type FeedbackAttachmentMime = (typeof FEEDBACK_ATTACHMENT_MIME)[number];
export const FEEDBACK_MAX_ATTACHMENTS = 5;
export const FEEDBACK_MAX_ATTACHMENT_BYTES = 8 * 1024 * 1024;
export const FEEDBACK_MAX_TOTAL_BYTES = 20 * 1024 * 1024;

/** Tracking codes: "PA-" and 8 characters of an alphabet without look-alikes (0/O, 1/I/L), e.g. PA-7K3M9QXR. */
export const FEEDBACK_CODE_ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';
export const FEEDBACK_CODE_PATTERN = /^PA-[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{8}$/;

/** Public paths: the page (static, light), its short link per commune, and the QR code of that link. */
export const FEEDBACK_PUBLIC_PAGE_PATH = '/gop-y/';
/** `/y/<communeCode>` redirects to the page with the commune chosen: short enough to print under a QR code. */
export const feedbackShortPath = (areaCode: string): string => `/y/${encodeURIComponent(areaCode)}`;
/** The SMS gateway's webhook (signed, no login); its body is kept raw for the signature. */
export const FEEDBACK_SMS_INBOUND_PATH = '/api/v1/feedback/sms/inbound';
/** The tracking view of the public page for one item (the link texted to the resident): `/gop-y/?ma=<code>`. */
export const feedbackTrackingPath = (code: string): string => `${FEEDBACK_PUBLIC_PAGE_PATH}?ma=${encodeURIComponent(code)}`;

/** Setting keys (settings table), one JSON document. */
export const FEEDBACK_SETTINGS_KEY = 'feedback.settings';

/** Refusals of the public intake, by stable code; the page shows the Vietnamese text (the API sends it too). */
export const FEEDBACK_REFUSALS = {
  'rate-limited-address': 'Bạn đã gửi quá nhiều ý kiến từ thiết bị này. Vui lòng thử lại sau.',
  'rate-limited-phone': 'Số điện thoại này đã gửi quá nhiều ý kiến trong ngày. Vui lòng thử lại vào ngày mai.',
  'consent-required': 'Cần đồng ý cho phép sử dụng thông tin cá nhân để xử lý ý kiến.',
  'unknown-commune': 'Không tìm thấy xã/phường đã chọn.',
  'too-many-attachments': 'Chỉ được gửi tối đa 5 tệp đính kèm.',
  'attachment-too-large': 'Tệp đính kèm quá lớn (tối đa 8 MB mỗi tệp, 20 MB tất cả).',
  'attachment-type': 'Chỉ nhận ảnh (JPEG, PNG, WebP) hoặc tài liệu PDF.',
  'attachment-unreadable': 'Không đọc được tệp đính kèm: tệp bị hỏng hoặc không đúng định dạng.',
  spam: 'Nội dung bị từ chối vì giống tin rác (quá nhiều liên kết hoặc ký tự lặp).',
  'invalid-phone': 'Số điện thoại không hợp lệ (ví dụ 0912345678).',
  invalid: 'Thông tin chưa hợp lệ.',
  'not-found': 'Không tìm thấy ý kiến với mã và số điện thoại này.',
  'lookup-limited': 'Bạn đã tra cứu quá nhiều lần. Vui lòng thử lại sau ít phút.',
  'rating-not-open': 'Ý kiến này chưa có câu trả lời hoặc đã hết hạn đánh giá.',
  /** 503: too many uploads being received at once by this server (each may hold 20 MB); retry shortly. */
  busy: 'Hệ thống đang bận nhận nhiều ý kiến cùng lúc. Vui lòng gửi lại sau ít phút.',
} as const;
export type FeedbackRefusal = keyof typeof FEEDBACK_REFUSALS;
