import type { ErrorText } from '../error-codes.js';

/** Issue 19 item 10: accounts (users, passwords). */
export const ACCOUNT_ERRORS = {
  'password.change-required': {
    vi: 'Quản trị viên đã đặt mật khẩu cho tài khoản này; hãy đổi mật khẩu trước khi tiếp tục.',
    en: 'An administrator set this account’s password; change it before doing anything else.',
  },
  'password.current-wrong': { vi: 'Mật khẩu hiện tại không đúng.', en: 'The current password is wrong.' },
  'password.unchanged': { vi: 'Mật khẩu mới phải khác mật khẩu hiện tại.', en: 'The new password must differ from the current one.' },
  'user.phone-invalid': {
    vi: 'Số điện thoại {phone} không hợp lệ: cần 10 chữ số bắt đầu bằng 0 (ví dụ 0912345678) hoặc +84…',
    en: 'The phone number {phone} is invalid: 10 digits starting with 0 (e.g. 0912345678) or +84…',
  },
  'user.exists': { vi: 'Tên đăng nhập {username} đã có.', en: 'The username {username} is taken.' },
  'user.area-required': { vi: 'Vai trò {role} cần có địa bàn.', en: 'The role {role} needs an area.' },
  'user.area-unknown': { vi: 'Địa bàn {id} không tồn tại.', en: 'Area {id} does not exist.' },
  'user.self-lockout': {
    vi: 'Bạn không thể tự khóa tài khoản của mình hoặc bỏ vai trò quản trị của chính mình.',
    en: 'You cannot disable yourself or drop your own admin role.',
  },
} as const satisfies Record<string, ErrorText>;
