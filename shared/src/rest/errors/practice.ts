import type { ErrorText } from '../error-codes.js';

/** Issue 21: practice mode (sandboxes, the /practice proxy, the practice instance's boundary). */
export const PRACTICE_ERRORS = {
  'practice.too-many-sandboxes': {
    vi: 'Đã có {max} phòng thực hành đang chạy trên máy chủ này; hãy thử lại sau ít phút.',
    en: '{max} practice sandboxes are already running on this server; try again in a few minutes.',
  },
  'practice.bad-sandbox-id': { vi: 'Mã phòng thực hành không hợp lệ: {id}.', en: 'Not a valid practice sandbox id: {id}.' },
  'practice.unavailable': {
    vi: 'Không khởi động được phòng thực hành: {detail}',
    en: 'The practice sandbox could not start: {detail}',
  },
  'practice.elsewhere': {
    vi: 'Phòng thực hành này đang chạy trên máy chủ {instance}; đường dẫn thực hành phải luôn đến cùng một máy chủ.',
    en: 'This practice sandbox runs on server instance {instance}; practice paths must always reach the same instance.',
  },
  'practice.disabled': {
    vi: 'Chế độ thực hành bị tắt trên máy chủ này (LOA_PRACTICE_MAX_SANDBOXES=0).',
    en: 'Practice mode is turned off on this server (LOA_PRACTICE_MAX_SANDBOXES=0).',
  },
  'practice.outward-disabled': {
    vi: 'Trong chế độ thực hành không có kết nối ra ngoài (hệ thống nguồn, CAP, cập nhật thiết bị).',
    en: 'Practice mode has no outward connection (source system, CAP, device updates).',
  },
  'practice.not-practice': {
    vi: 'Máy chủ này không chạy ở chế độ thực hành.',
    en: 'This server is not running in practice mode.',
  },
  'practice.secret-refused': { vi: 'Khóa phòng thực hành không đúng.', en: 'Wrong practice sandbox secret.' },
  'practice.identity-refused': {
    vi: 'Phòng thực hành chỉ nhận yêu cầu qua máy chủ chính (xác nhận danh tính không hợp lệ hoặc đã hết hạn).',
    en: 'The practice sandbox only answers requests through the main server (identity assertion missing, invalid or expired).',
  },
} as const satisfies Record<string, ErrorText>;
