import type { ErrorText } from '../error-codes.js';

/** Refusals of schedules, their approval and the targets they name (issue 19). */
export const SCHEDULE_ERRORS = {
  'schedule.content-unknown': { vi: 'Không có nội dung {id}.', en: 'unknown content {id}' },
  'schedule.content-gone': { vi: 'Nội dung {id} của lịch không còn nữa.', en: 'content {id} no longer exists' },
  'schedule.no-device-of-kind': { vi: 'Đối tượng nhận không có thiết bị loại {kind} nào.', en: 'the targets contain no {kind} device' },
  'schedule.cancelled-no-edit': { vi: 'Lịch {id} đã hủy nên không sửa được.', en: 'schedule {id} is cancelled and cannot be edited' },
  'schedule.no-occurrence-left': {
    vi: 'Lịch {id} không còn lượt phát nào (giờ bắt đầu đã qua); hãy sửa thời gian trước.',
    en: 'schedule {id} has no occurrence left to play (its start has passed); edit its timing first',
  },
  'schedule.changed-meanwhile': { vi: 'Lịch {id} vừa được người khác thay đổi: không thể {action}.', en: 'schedule {id} changed meanwhile: cannot {action} it' },
  'schedule.cancelled-no-action': { vi: 'Lịch {id} đã hủy: không thể {action}.', en: 'schedule {id} is cancelled: cannot {action} it' },
  'schedule.not-pending': {
    vi: 'Lịch {id} đang ở trạng thái {approval}: chỉ lịch đang chờ duyệt mới {action} được.',
    en: 'schedule {id} is {approval}: only a pending schedule can be {action}',
  },
  'schedule.start-past': { vi: 'Thời điểm bắt đầu {startAt} đã qua (giờ máy chủ {now}).', en: 'startAt {startAt} is in the past (server time {now})' },
  'schedule.start-too-far': { vi: 'Thời điểm bắt đầu xa hơn một năm.', en: 'startAt is more than a year ahead' },
  'schedule.timezone-invalid': { vi: 'Múi giờ "{zone}" không hợp lệ (cần tên IANA, ví dụ Asia/Ho_Chi_Minh).', en: 'timezone "{zone}" is not an IANA time zone' },
  'schedule.rrule-invalid': { vi: 'Quy tắc lặp không hợp lệ: {detail}', en: 'rrule: {detail}' },
  'schedule.repeat-audio-only': { vi: 'Số lần lặp chỉ áp dụng cho nội dung âm thanh (nội dung này là {type}).', en: 'repeat applies to audio content only (this content is {type})' },
  'schedule.outside-validity': {
    vi: 'Nội dung {id} chỉ có hiệu lực từ {from} đến {until}: không lượt phát nào của lịch rơi vào khoảng đó.',
    en: 'content {id} is valid only from {from} until {until}: no occurrence of this schedule falls inside it',
  },
  'schedule.no-occurrence': {
    vi: 'Lịch không có lượt phát nào trong một năm tới (kiểm tra giờ bắt đầu, quy tắc lặp và ngày loại trừ).',
    en: 'the schedule has no occurrence in the coming year (check startAt, rrule and exdates)',
  },
  'schedule.too-dense': {
    vi: 'Quy tắc tạo ra {count} lượt phát trong khoảng thời gian xem trước (tối đa {max}).',
    en: 'the rule yields {count} occurrences within the timeline horizon (at most {max})',
  },
  'schedule.conflicts': {
    vi: '{conflicts} chỗ trùng giờ với lịch cùng mức ưu tiên trên {devices} thiết bị; xác nhận chấp nhận trùng để vẫn lưu.',
    en: '{conflicts} overlap(s) with schedules of the same priority on {devices} device(s); resend with acceptConflicts: true to save anyway',
  },
  'schedule.no-targets': { vi: 'Hãy chọn ít nhất một địa bàn, nhóm hoặc thiết bị.', en: 'give at least one area, group or device' },
  'schedule.second-person': {
    vi: 'Lịch {id} là lịch khẩn cấp: phải có người thứ hai duyệt (người tạo không được tự duyệt).',
    en: 'schedule {id} is an emergency: a second person must approve it (its creator cannot)',
  },
  'schedule.targets-outside': { vi: 'Lịch {id} có đối tượng nhận nằm ngoài địa bàn của bạn.', en: 'schedule {id} has targets outside your area' },
  'fanout.not-found': { vi: 'Không tìm thấy tác vụ gửi {id}.', en: 'fan-out {id} not found' },
} as const satisfies Record<string, ErrorText>;

/** Why a schedule waits for an approver (the save result's `approvalReasonCodes`). */
export const APPROVAL_REASONS = {
  'approval.reason.area-level': { vi: 'nhắm tới địa bàn cấp {level} (quy tắc: cấp {rule} trở lên)', en: 'targets an area of level {level} (rule: {rule} or wider)' },
  'approval.reason.device-count': { vi: 'phát tới {count} thiết bị (quy tắc: từ {min} thiết bị)', en: 'reaches {count} devices (rule: {min} or more)' },
  'approval.reason.priority': { vi: 'mức ưu tiên {priority}', en: 'priority {priority}' },
  'approval.reason.second-person': { vi: 'khẩn cấp: phải có người thứ hai duyệt', en: 'emergency: a second person must approve' },
} as const satisfies Record<string, ErrorText>;

export const SCHEDULE_WORDS = {
  'priority.normal': { vi: 'thường', en: 'normal' },
  'priority.priority': { vi: 'ưu tiên', en: 'priority' },
  'priority.emergency': { vi: 'khẩn cấp', en: 'emergency' },
  'approval.pending': { vi: 'chờ duyệt', en: 'pending' },
  'approval.approved': { vi: 'đã duyệt', en: 'approved' },
  'approval.rejected': { vi: 'bị từ chối', en: 'rejected' },
  'approval.not-required': { vi: 'không cần duyệt', en: 'not-required' },
  'rule.province': { vi: 'tỉnh', en: 'province' },
  'rule.district': { vi: 'huyện', en: 'district' },
  'rule.commune': { vi: 'xã', en: 'commune' },
  'use.scheduled': { vi: 'lập lịch', en: 'scheduled' },
  'use.played': { vi: 'phát', en: 'played' },
  'action.approve': { vi: 'duyệt', en: 'approve' },
  'action.approved': { vi: 'duyệt', en: 'approved' },
  'action.reject': { vi: 'từ chối', en: 'reject' },
  'action.rejected': { vi: 'từ chối', en: 'rejected' },
  'action.cancel': { vi: 'hủy', en: 'cancel' },
  'action.confirm': { vi: 'xác nhận', en: 'confirm' },
  'action.submit': { vi: 'gửi duyệt', en: 'submit' },
  'action.archive': { vi: 'lưu trữ', en: 'archive' },
  'action.withdraw': { vi: 'rút lại', en: 'withdraw' },
  'action.edit': { vi: 'sửa', en: 'edit' },
  'action.restore': { vi: 'khôi phục', en: 'restore' },
} as const satisfies Record<string, ErrorText>;
