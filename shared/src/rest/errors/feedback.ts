import type { ErrorText } from '../error-codes.js';

/**
 * Refusals of the officers' feedback routes (issue 19 for issue 17): handling, transfer, merge, bulletins, statistics
 * and exports. The public intake keeps its own `{ statusCode, code, message }` refusals (FEEDBACK_REFUSALS); a coded
 * refusal reached from a public route is answered there by its status only.
 */
export const FEEDBACK_ERRORS = {
  'feedback.not-found': { vi: 'Không tìm thấy ý kiến phản ánh này.', en: 'Feedback item not found.' },
  'feedback.outside-scope': { vi: 'Ý kiến này thuộc địa bàn ngoài phạm vi của bạn.', en: 'This feedback item belongs to an area outside your scope.' },
  'feedback.stale': {
    vi: 'Ý kiến đã được người khác cập nhật trong lúc bạn xem. Hãy tải lại rồi thử lại.',
    en: 'Someone else updated this feedback item while you were viewing it. Reload and try again.',
  },
  'feedback.bad-transition': {
    vi: 'Không thể {feedbackAction} ý kiến đang ở trạng thái "{feedbackState}" ({stateCode}).',
    en: 'Cannot {feedbackAction} a feedback item in state "{feedbackState}" ({stateCode}).',
  },
  'feedback.consent-required': {
    vi: 'Cần đồng ý cho phép sử dụng thông tin cá nhân để xử lý ý kiến.',
    en: 'Consent to use the personal data to handle the feedback is required.',
  },
  'feedback.received-at-invalid': {
    vi: 'receivedAt: không phải thời điểm ISO-8601 hợp lệ (ví dụ 2026-12-07T07:00:00+07:00).',
    en: 'receivedAt: not a valid ISO 8601 instant (e.g. 2026-12-07T07:00:00+07:00).',
  },
  'feedback.received-in-future': { vi: 'Thời điểm tiếp nhận không được ở tương lai.', en: 'The time received must not be in the future.' },
  'feedback.instant-invalid': { vi: '{field}: "{value}" không phải thời điểm ISO-8601 hợp lệ.', en: '{field}: "{value}" is not a valid ISO 8601 instant.' },
  'feedback.category-unknown': { vi: 'Lĩnh vực "{category}" không có trong danh mục ({categories}).', en: 'Category "{category}" is not in the list ({categories}).' },
  'feedback.commune-unknown': { vi: 'Không tìm thấy xã/phường đã chọn. (mã {id})', en: 'The chosen commune was not found. (code {id})' },
  'feedback.not-commune': {
    vi: 'Địa bàn {name} ({id}) không phải xã/phường: ý kiến được tiếp nhận theo xã/phường.',
    en: 'Area {name} ({id}) is not a commune: feedback is received per commune.',
  },
  'feedback.attachment-not-found': { vi: 'Không tìm thấy tệp đính kèm.', en: 'Attachment not found.' },
  'feedback.attachment-gone': { vi: 'Tệp đính kèm không còn trên máy chủ.', en: 'The attachment is no longer on the server.' },
  'feedback.assignee-invalid': { vi: 'Người được phân công không tồn tại hoặc đã bị khóa.', en: 'The assignee does not exist or is disabled.' },
  'feedback.assignee-outside': {
    vi: 'Người dùng {username} không phụ trách địa bàn của ý kiến này.',
    en: 'User {username} is not in charge of the area of this feedback item.',
  },
  'feedback.transfer-outside': { vi: 'Xã/phường {name} nằm ngoài phạm vi của bạn.', en: 'Commune {name} is outside your scope.' },
  'feedback.department-unknown': {
    vi: 'Phòng ban "{department}" không có trong danh mục ({departments}).',
    en: 'Department "{department}" is not in the list ({departments}).',
  },
  'feedback.department-none': {
    vi: 'Phòng ban "{department}" không có trong danh mục (chưa khai báo phòng ban nào).',
    en: 'Department "{department}" is not in the list (no departments are set up).',
  },
  'feedback.transfer-nothing': {
    vi: 'Ý kiến đã ở đúng nơi được chọn: không có gì để chuyển.',
    en: 'The feedback item is already where you chose: nothing to transfer.',
  },
  'feedback.same-priority': { vi: 'Ý kiến đã ở mức "{feedbackPriority}".', en: 'The feedback item already has the priority "{feedbackPriority}".' },
  'feedback.merge-target-not-found': {
    vi: 'Không tìm thấy ý kiến đích để gộp vào (trong phạm vi của bạn).',
    en: 'The feedback item to merge into was not found (within your scope).',
  },
  'feedback.merge-self': { vi: 'Không thể gộp một ý kiến vào chính nó.', en: 'A feedback item cannot be merged into itself.' },
  'feedback.merge-target-merged': {
    vi: 'Ý kiến đích đã được gộp vào ý kiến khác; hãy gộp vào ý kiến chính.',
    en: 'The target item has been merged into another one; merge into the main item.',
  },
  'feedback.merge-target-state': {
    vi: 'Chỉ gộp được vào ý kiến đang xử lý hoặc đã trả lời (ý kiến đích đang ở trạng thái "{feedbackState}").',
    en: 'Items can only be merged into an open or answered item (the target is "{feedbackState}").',
  },
  'feedback.rating-not-open': {
    vi: 'Ý kiến này chưa có câu trả lời hoặc đã hết hạn đánh giá.',
    en: 'This feedback item has no answer yet, or the time to rate it has passed.',
  },
  'feedback.bulletin-not-answered': {
    vi: 'Ý kiến {code} chưa được trả lời (đang ở trạng thái "{feedbackState}"): chỉ câu trả lời đã gửi mới tạo được bản tin.',
    en: 'Feedback {code} has not been answered (it is "{feedbackState}"): only a sent answer can become a bulletin.',
  },
  'feedback.bulletin-not-public': {
    vi: 'Câu trả lời ý kiến {code} không được đánh dấu là có ích cho cộng đồng, nên không đưa lên loa và bảng tin.',
    en: 'The answer to feedback {code} is not marked as useful to the community, so it does not go to the loudspeakers and boards.',
  },
  'feedback.bulletin-no-answer': { vi: 'Ý kiến {code} chưa có nội dung trả lời.', en: 'Feedback {code} has no answer text yet.' },
  'feedback.stats-category-unknown': {
    vi: 'Lĩnh vực {category} không có trong danh mục ý kiến (mã trong phần cài đặt ý kiến).',
    en: 'category {category} does not exist (a code of the feedback settings)',
  },
  'feedback.period-and-range': { vi: 'Chọn kỳ báo cáo hoặc từ ngày/đến ngày, không chọn cả hai.', en: 'give period or from/to, not both' },
  'feedback.period-invalid': { vi: 'Kỳ {period} không hợp lệ: dùng YYYY-MM, YYYY-Qn hoặc YYYY.', en: 'period {period} is not a period: YYYY-MM, YYYY-Qn or YYYY' },
  'feedback.calendar-date-invalid': { vi: '{field}: "{value}" không phải ngày hợp lệ.', en: '{field}: "{value}" is not a calendar date' },
  'feedback.calendar-order': { vi: 'Đến ngày {to} không được trước từ ngày {from}.', en: 'to ({to}) must not be before from ({from})' },
  'feedback.calendar-too-long': { vi: 'Chỉ xem được tối đa {max} ngày tính từ ngày bắt đầu.', en: 'to: at most {max} days from "from"' },
  'feedback.range-invalid': {
    vi: 'Cần cả từ ngày và đến ngày, dạng yyyy-mm-dd (giờ Việt Nam, tính cả ngày cuối).',
    en: 'from and to: both, as local dates yyyy-mm-dd (Vietnam time, to inclusive)',
  },
} as const satisfies Record<string, ErrorText>;

/** Feedback states, priorities and officers' actions as a parameter's words (`feedbackState`, `feedbackPriority`, `feedbackAction`). */
export const FEEDBACK_WORDS = {
  'feedbackState.received': { vi: 'Đã tiếp nhận', en: 'Received' },
  'feedbackState.assigned': { vi: 'Đã phân công', en: 'Assigned' },
  'feedbackState.in-progress': { vi: 'Đang xử lý', en: 'In progress' },
  'feedbackState.answered': { vi: 'Đã trả lời', en: 'Answered' },
  'feedbackState.closed': { vi: 'Đã đóng', en: 'Closed' },
  'feedbackState.reopened': { vi: 'Mở lại', en: 'Reopened' },
  'feedbackState.rejected': { vi: 'Không thụ lý', en: 'Rejected' },
  'feedbackState.merged': { vi: 'Đã gộp', en: 'Merged' },
  'feedbackPriority.normal': { vi: 'Thông thường', en: 'Normal' },
  'feedbackPriority.urgent': { vi: 'Khẩn cấp', en: 'Urgent' },
  'feedbackPriority.complex': { vi: 'Phức tạp', en: 'Complex' },
  'feedbackAction.assign': { vi: 'phân công', en: 'assign' },
  'feedbackAction.start': { vi: 'bắt đầu xử lý', en: 'start handling' },
  'feedbackAction.note': { vi: 'ghi chú', en: 'add a note to' },
  'feedbackAction.transfer': { vi: 'chuyển', en: 'transfer' },
  'feedbackAction.priority': { vi: 'đổi mức độ', en: 'change the priority of' },
  'feedbackAction.merge': { vi: 'gộp', en: 'merge' },
  'feedbackAction.answer': { vi: 'trả lời', en: 'answer' },
  'feedbackAction.close': { vi: 'đóng', en: 'close' },
  'feedbackAction.reopen': { vi: 'mở lại', en: 'reopen' },
  'feedbackAction.reject': { vi: 'không thụ lý', en: 'reject' },
  'feedbackAction.rate-satisfied': { vi: 'đánh giá', en: 'rate' },
  'feedbackAction.rate-unsatisfied': { vi: 'đánh giá', en: 'rate' },
} as const satisfies Record<string, ErrorText>;
