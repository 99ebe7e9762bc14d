import type { ErrorText } from '../error-codes.js';

/** Issue 19: refusals of the commune's own mode (announcements, test play, self-test, volume). */
export const OFFICER_ERRORS = {
  'announcement.outside-area': { vi: 'Địa bàn {area} nằm ngoài địa bàn của bạn: chỉ được thông báo trong {own}.', en: 'Area {area} is outside your area: you may only announce within {own}.' },
  'announcement.no-area': { vi: 'Tài khoản của bạn chưa được gán địa bàn; hãy báo quản trị viên.', en: 'Your account has no area; ask the administrator.' },
  'announcement.not-found': { vi: 'Không tìm thấy thông báo {id}.', en: 'Announcement {id} not found.' },
  'announcement.recording-empty': { vi: 'Bản ghi âm trống.', en: 'The recording is empty.' },
  'announcement.recording-too-large': { vi: 'Bản ghi âm quá lớn (tối đa {mb} MB).', en: 'The recording is too large (at most {mb} MB).' },
  'announcement.audio-refused': { vi: 'Không dùng được âm thanh này: {reason}', en: 'This audio cannot be used: {reason}' },
  'announcement.tts-failed': { vi: 'Không tạo được giọng đọc: {reason}', en: 'Text-to-speech failed: {reason}' },
  'officer.device-outside': { vi: 'Thiết bị {id} không thuộc địa bàn của bạn.', en: 'Device {id} is not in your area.' },
  'officer.not-speaker': { vi: 'Thiết bị {id} không phải loa: chỉ loa mới phát thử, tự kiểm tra hay chỉnh âm lượng được.', en: 'Device {id} is not a speaker: only speakers take test play, self-test and volume.' },
  'announcement.start-past': { vi: 'Thời điểm phát {at} đã qua.', en: 'The start time {at} has passed.' },
  'officer.content-not-approved': { vi: 'Nội dung {id} chưa được duyệt nên chưa phát thử được.', en: 'Content {id} is not approved, so it cannot be test-played.' },
} as const satisfies Record<string, ErrorText>;
