import type { ErrorText } from '../error-codes.js';

/** Issue 19 item 7: notifications. */
export const NOTIFICATION_ERRORS = {
  'notification.not-found': { vi: 'Không tìm thấy thông báo {id}.', en: 'Notification {id} not found.' },
  'notification.read-nothing': { vi: 'Hãy chọn thông báo cần đánh dấu đã đọc.', en: 'Choose the notifications to mark as read.' },
} as const satisfies Record<string, ErrorText>;
