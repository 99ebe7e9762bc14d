import type { ErrorText } from '../error-codes.js';

/**
 * Refusals every domain uses. A domain adds its own table in `errors/<domain>.ts` and one line to ERROR_CODES in
 * `error-codes.ts`; templates name their parameters as `{name}`, and a parameter whose value has a word in
 * ERROR_WORDS (`name.value`) is shown in the reader's language.
 */
export const COMMON_ERRORS = {
  'http.bad-request': { vi: 'Yêu cầu không hợp lệ: {detail}', en: 'Bad request: {detail}' },
  'http.unauthorized': { vi: 'Phiên đăng nhập đã hết hạn hoặc không hợp lệ; hãy đăng nhập lại.', en: 'Not signed in or the session expired; sign in again.' },
  'http.forbidden': { vi: 'Bạn không có quyền làm việc này.', en: 'You may not do this.' },
  'http.not-found': { vi: 'Không tìm thấy: {detail}', en: 'Not found: {detail}' },
  'http.conflict': { vi: 'Xung đột: {detail}', en: 'Conflict: {detail}' },
  'http.gone': { vi: 'Không còn nữa: {detail}', en: 'Gone: {detail}' },
  'http.too-large': { vi: 'Dữ liệu gửi lên quá lớn.', en: 'The request is too large.' },
  'http.unsupported-type': { vi: 'Định dạng không được hỗ trợ: {detail}', en: 'Unsupported type: {detail}' },
  'http.unprocessable': { vi: 'Không xử lý được: {detail}', en: 'Cannot be processed: {detail}' },
  'http.too-many': { vi: 'Quá nhiều yêu cầu; hãy thử lại sau.', en: 'Too many requests; try again later.' },
  'http.storage-full': { vi: 'Máy chủ hết dung lượng lưu trữ; hãy báo quản trị viên.', en: 'The server is out of storage; tell the administrator.' },
  'http.error': { vi: 'Lỗi {status}: {detail}', en: 'Error {status}: {detail}' },
  'request.invalid': { vi: 'Dữ liệu không hợp lệ: {detail}', en: 'Invalid input: {detail}' },
  'role.forbidden': { vi: 'Vai trò {role} không được làm việc này.', en: 'The role {role} may not do this.' },
  'scope.outside': { vi: 'Đối tượng này nằm ngoài địa bàn của bạn.', en: 'This is outside your area.' },
  'area.not-found': { vi: 'Không tìm thấy địa bàn {id}.', en: 'Area {id} not found.' },
  'device.not-found': { vi: 'Không tìm thấy thiết bị {id}.', en: 'Device {id} not found.' },
  'group.not-found': { vi: 'Không tìm thấy nhóm {id}.', en: 'Group {id} not found.' },
  'content.not-found': { vi: 'Không tìm thấy nội dung {id}.', en: 'Content {id} not found.' },
  'media.not-found': { vi: 'Không tìm thấy tệp âm thanh {id}.', en: 'Media {id} not found.' },
  'schedule.not-found': { vi: 'Không tìm thấy lịch phát {id}.', en: 'Schedule {id} not found.' },
  'user.not-found': { vi: 'Không tìm thấy người dùng {id}.', en: 'User {id} not found.' },
  'alert.not-found': { vi: 'Không tìm thấy cảnh báo {id}.', en: 'Alert {id} not found.' },
  'command.not-found': { vi: 'Không tìm thấy lệnh {id}.', en: 'Command {id} not found.' },
} as const satisfies Record<string, ErrorText>;

/** Parameter values shown in the reader's language: key `<parameter>.<value>`. */
export const COMMON_WORDS = {
  'role.admin': { vi: 'quản trị viên', en: 'administrator' },
  'role.operator': { vi: 'cán bộ vận hành', en: 'operator' },
  'role.approver': { vi: 'người duyệt', en: 'approver' },
  'role.commune_officer': { vi: 'cán bộ xã', en: 'commune officer' },
  'level.country': { vi: 'toàn quốc', en: 'country' },
  'level.province': { vi: 'tỉnh', en: 'province' },
  'level.district': { vi: 'huyện', en: 'district' },
  'level.commune': { vi: 'xã', en: 'commune' },
  'level.village': { vi: 'thôn', en: 'village' },
  'kind.speaker': { vi: 'loa', en: 'speaker' },
  'kind.board': { vi: 'bảng tin', en: 'board' },
  'method.dynamic': { vi: 'động (dynamic)', en: 'dynamic' },
  'method.linear': { vi: 'tuyến tính (linear)', en: 'linear' },
} as const satisfies Record<string, ErrorText>;
