import type { ErrorText } from '../error-codes.js';

/** Refusals at sign-in and of uploads a person makes (issue 19). Accounts and passwords are in accounts.ts. */
export const AUTH_ERRORS = {
  'auth.wrong-credentials': { vi: 'Sai tên đăng nhập hoặc mật khẩu.', en: 'wrong username or password' },
  'auth.disabled': { vi: 'Tài khoản này đã bị khóa.', en: 'this account is disabled' },
  'auth.locked': {
    vi: 'Đăng nhập sai quá nhiều lần với tài khoản này; hãy thử lại sau {minutes} phút.',
    en: 'too many failed logins for this account; try again in {minutes} min',
  },
  'auth.refresh-expired': { vi: 'Phiên đăng nhập đã hết hạn; hãy đăng nhập lại.', en: 'the refresh token has expired; log in again' },
  'upload.field': { vi: 'Hãy gửi tệp âm thanh dạng multipart/form-data trong trường "{field}".', en: 'send the audio as multipart/form-data in a field named "{field}"' },
  'upload.one-file': { vi: 'Hãy gửi đúng một tệp, trong trường "{field}".', en: 'send exactly one file, in the multipart field "{field}"' },
  'upload.too-large': {
    vi: 'Tệp lớn hơn giới hạn tải lên {limit}.',
    en: 'the file is larger than the upload limit of {limit} (LOA_MAX_UPLOAD_MB)',
  },
  'upload.malformed': { vi: 'Dữ liệu tải lên bị lỗi: {detail}', en: 'malformed upload: {detail}' },
  'upload.aborted': { vi: 'Việc tải lên bị ngắt giữa chừng.', en: 'upload aborted by the client' },
  'upload.malformed-body': { vi: 'Dữ liệu tải lên bị lỗi: {detail}', en: 'malformed multipart/form-data body: {detail}' },
  'content.image-too-large': { vi: 'Hình ảnh từ {size} MB trở lên; tối đa {max} MB.', en: 'the image is {size} MB or more; at most {max} MB' },
} as const satisfies Record<string, ErrorText>;
