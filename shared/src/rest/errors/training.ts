import type { ErrorText } from '../error-codes.js';

/** Issue 21: lessons, training records and classes. */
export const TRAINING_ERRORS = {
  'training.lesson-not-found': { vi: 'Không có bài học {id}.', en: 'No lesson {id}.' },
  'training.lesson-not-for-role': { vi: 'Bài học {id} không dành cho vai trò của bạn.', en: 'Lesson {id} is not for your role.' },
  'training.class-not-found': { vi: 'Không tìm thấy lớp học {id}.', en: 'Training class {id} not found.' },
  'training.member-not-found': { vi: 'Không có người dùng {id} trong địa bàn của lớp.', en: 'No user {id} in the class’s area.' },
  'training.sandbox-unavailable': { vi: 'Môi trường thực hành chưa sẵn sàng: {reason}', en: 'The practice sandbox is not available: {reason}' },
} as const satisfies Record<string, ErrorText>;
