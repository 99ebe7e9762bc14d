import type { ErrorText } from '../error-codes.js';

/** Refusals of area alerts, CAP and the exchange with other Loa servers (issue 19). */
export const ALERT_ERRORS = {
  'alert.speak-with-media': { vi: 'Đọc văn bản cảnh báo: chọn đọc văn bản hoặc tệp âm thanh, không cả hai.', en: 'speakText reads the alert text aloud: give speakText or mediaSha256, not both' },
  'alert.speak-with-stream': { vi: 'Cảnh báo tiếp sóng không thể kèm đọc văn bản.', en: 'speakText reads the alert text aloud: an alert with a stream cannot have it' },
  'alert.speak-needs-text': { vi: 'Cần nhập văn bản để đọc.', en: 'speakText needs the text to read aloud: give text' },
  'alert.needs-body': { vi: 'Cảnh báo cần văn bản, tệp âm thanh, nguồn tiếp sóng hoặc văn bản kèm âm thanh.', en: 'an alert needs text, audio (mediaSha256), a stream, or text with audio' },
  'alert.not-pending': { vi: 'Cảnh báo {id} đang ở trạng thái {status}: chỉ cảnh báo đang chờ mới xác nhận được.', en: 'alert {id} is {status}: only a pending alert can be confirmed' },
  'alert.second-person': { vi: 'Cảnh báo {id}: phải có người thứ hai xác nhận (người tạo không được).', en: 'alert {id}: a second person must confirm it (the user who created it cannot)' },
  'alert.confirm-expired': {
    vi: 'Cảnh báo {id} đã quá hạn: chờ xác nhận quá {minutes} phút; hãy gửi lại.',
    en: 'alert {id} expired: it waited more than {minutes} minutes for confirmation; send it again',
  },
  'alert.changed-meanwhile': { vi: 'Cảnh báo {id} vừa được người khác thay đổi: không thể {action}.', en: 'alert {id} changed meanwhile: cannot {action} it' },
  'alert.not-active': { vi: 'Cảnh báo {id} đang ở trạng thái {status}; chỉ hủy được cảnh báo đang phát.', en: 'alert {id} is {status}; only an active alert can be cancelled' },
  'alert.emergency-audio': {
    vi: 'Tệp {id} không phải nội dung đã duyệt dùng cho khẩn cấp: quy tắc {rule} chỉ cho phép âm thanh đó (hoặc đọc văn bản) trong cảnh báo.',
    en: 'media {id} is not approved content marked for emergencies: the approval rule {rule} allows only such audio (or speakText) in alerts',
  },
  'alert.tts-unavailable': { vi: 'Máy chủ này chưa có chuyển văn bản thành giọng nói.', en: 'speakText: text-to-speech is not available on this server' },
  'alert.no-audio': { vi: 'Cảnh báo {id} không có âm thanh.', en: 'alert {id} has no audio' },
  'cap-source.not-found': { vi: 'Không tìm thấy nguồn CAP {id}.', en: 'CAP source {id} not found' },
  'cap-source.feed-url': { vi: 'Nguồn dạng feed cần địa chỉ feedUrl.', en: 'feedUrl: a feed source needs feedUrl' },
  'cap-source.push-only': { vi: 'Chỉ nguồn dạng push mới có khóa bí mật.', en: 'rotateSecret: only a push source has a secret' },
  'cap-source.not-feed': { vi: 'Chỉ nguồn dạng feed mới được lấy tin.', en: 'only a feed source is polled' },
  'cap.message-not-found': { vi: 'Không tìm thấy bản tin CAP {id}.', en: 'CAP message {id} not found' },
  'peer.not-found': { vi: 'Không tìm thấy máy chủ liên kết {id}.', en: 'no such peer {id}' },
  'peer.unknown': { vi: 'Không có máy chủ liên kết {id}.', en: 'unknown peer {id}' },
  'peer.is-upper': { vi: 'Bản tin chỉ gửi xuống máy chủ cấp dưới; máy chủ này là cấp trên.', en: 'bulletins are sent down to a lower peer; this one is upper' },
  'peer.template': { vi: 'Mẫu {kind} không hợp lệ: {detail}', en: 'template of {kind}: {detail}' },
  'bulletin.content-not-found': { vi: 'Không tìm thấy nội dung {id}.', en: 'content {id} not found' },
  'bulletin.content-not-approved': { vi: 'Nội dung {id} đang ở trạng thái {state}: chỉ gửi được nội dung đã duyệt.', en: 'content {id} is {state}: only approved content can be sent' },
  'bulletin.type': { vi: 'Nội dung loại {type} không gửi được như bản tin (chỉ âm thanh hoặc văn bản).', en: 'a {type} content cannot be sent as a bulletin (audio or text only)' },
  'exchange.not-found': { vi: 'Không tìm thấy lượt trao đổi.', en: 'no such exchange' },
  'exchange.cursor-unknown': { vi: 'Con trỏ trang không hợp lệ; hãy tải lại danh sách.', en: 'unknown cursor' },
  'exchange.not-outgoing': { vi: 'Chỉ gửi lại được lượt trao đổi đi.', en: 'only an outgoing exchange can be sent again' },
  'exchange.not-retriable': { vi: 'Lượt trao đổi đang ở trạng thái {state}: chỉ gửi lại được khi thất bại.', en: 'the exchange is {state}: only a failed or dead one can be retried' },
} as const satisfies Record<string, ErrorText>;

export const ALERT_WORDS = {
  'status.pending': { vi: 'chờ xác nhận', en: 'pending' },
  'status.active': { vi: 'đang phát', en: 'active' },
  'status.cancelled': { vi: 'đã hủy', en: 'cancelled' },
  'status.expired': { vi: 'hết hạn', en: 'expired' },
  'status.cleared': { vi: 'đã kết thúc', en: 'cleared' },
} as const satisfies Record<string, ErrorText>;
