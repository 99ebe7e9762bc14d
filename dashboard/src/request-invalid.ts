import type { Lang } from './i18n.js';

/**
 * Issue 19: a request the server's schema refused (`request.invalid`) arrives as English zod issues
 * ("startAt: Invalid ISO datetime"). The user is told which fields, in their language: the field's label for the
 * last named segment of each issue's path, and the commonest zod phrases translated; anything else stays as sent.
 */
const FIELDS: Readonly<Record<string, { vi: string; en: string }>> = {
  title: { vi: 'Tiêu đề', en: 'Title' },
  text: { vi: 'Nội dung văn bản', en: 'Text' },
  name: { vi: 'Tên', en: 'Name' },
  code: { vi: 'Mã', en: 'Code' },
  level: { vi: 'Cấp', en: 'Level' },
  parentCode: { vi: 'Địa bàn cấp trên', en: 'Parent area' },
  areaCode: { vi: 'Địa bàn', en: 'Area' },
  areas: { vi: 'Địa bàn', en: 'Areas' },
  groups: { vi: 'Nhóm', en: 'Groups' },
  devices: { vi: 'Thiết bị', en: 'Devices' },
  deviceIds: { vi: 'Thiết bị', en: 'Devices' },
  deviceId: { vi: 'Thiết bị', en: 'Device' },
  targets: { vi: 'Nơi phát', en: 'Targets' },
  target: { vi: 'Nơi phát', en: 'Target' },
  contentId: { vi: 'Nội dung', en: 'Content' },
  startAt: { vi: 'Thời điểm bắt đầu', en: 'Start' },
  endAt: { vi: 'Thời điểm kết thúc', en: 'End' },
  times: { vi: 'Giờ phát trong ngày', en: 'Times of day' },
  rrule: { vi: 'Quy tắc lặp', en: 'Recurrence' },
  exdates: { vi: 'Ngày bỏ qua', en: 'Skipped dates' },
  timezone: { vi: 'Múi giờ', en: 'Time zone' },
  priority: { vi: 'Mức ưu tiên', en: 'Priority' },
  volume: { vi: 'Âm lượng', en: 'Volume' },
  repeat: { vi: 'Số lần lặp', en: 'Repeats' },
  validFrom: { vi: 'Hiệu lực từ', en: 'Valid from' },
  validUntil: { vi: 'Hiệu lực đến', en: 'Valid until' },
  category: { vi: 'Chuyên mục', en: 'Category' },
  displaySeconds: { vi: 'Thời gian hiển thị', en: 'Display time' },
  mediaSha256: { vi: 'Tệp âm thanh', en: 'Audio file' },
  username: { vi: 'Tên đăng nhập', en: 'Username' },
  password: { vi: 'Mật khẩu', en: 'Password' },
  role: { vi: 'Vai trò', en: 'Role' },
  fullName: { vi: 'Họ và tên', en: 'Full name' },
  phone: { vi: 'Số điện thoại', en: 'Phone' },
  reason: { vi: 'Lý do', en: 'Reason' },
  kind: { vi: 'Loại', en: 'Kind' },
  tags: { vi: 'Thẻ', en: 'Tags' },
  tagRule: { vi: 'Quy tắc thẻ', en: 'Tag rule' },
  ttlS: { vi: 'Thời hạn lệnh', en: 'Command lifetime' },
  command: { vi: 'Lệnh', en: 'Command' },
  latitude: { vi: 'Vĩ độ', en: 'Latitude' },
  longitude: { vi: 'Kinh độ', en: 'Longitude' },
  village: { vi: 'Thôn', en: 'Village' },
  address: { vi: 'Địa chỉ', en: 'Address' },
  expiresAt: { vi: 'Hết hạn lúc', en: 'Expires at' },
};

const PHRASES: ReadonlyArray<readonly [RegExp, { vi: string; en: string }]> = [
  [/^Invalid input: expected \w+, received undefined$/, { vi: 'chưa nhập', en: 'missing' }],
  [/^Required$/, { vi: 'chưa nhập', en: 'missing' }],
  [/^Too small: expected string to have >=(\d+) characters?$/, { vi: 'cần ít nhất $1 ký tự', en: 'at least $1 characters' }],
  [/^Too big: expected string to have <=(\d+) characters?$/, { vi: 'tối đa $1 ký tự', en: 'at most $1 characters' }],
  [/^Too small: expected array to have >=(\d+) items?$/, { vi: 'cần ít nhất $1 mục', en: 'at least $1 items' }],
  [/^Too big: expected array to have <=(\d+) items?$/, { vi: 'tối đa $1 mục', en: 'at most $1 items' }],
  [/^Too small: expected number to be >=?(-?[\d.]+)$/, { vi: 'không nhỏ hơn $1', en: 'at least $1' }],
  [/^Too big: expected number to be <=?(-?[\d.]+)$/, { vi: 'không lớn hơn $1', en: 'at most $1' }],
  [/^Invalid ISO datetime$/, { vi: 'ngày giờ không hợp lệ', en: 'not a valid date and time' }],
  [/^Invalid option: expected one of (.*)$/, { vi: 'phải là một trong $1', en: 'must be one of $1' }],
  [/^Invalid input: expected (\w+), received (\w+)$/, { vi: 'sai kiểu dữ liệu', en: 'wrong type ($1 expected)' }],
  [/^Unrecognized keys?: (.*)$/, { vi: 'trường không được hỗ trợ: $1', en: 'unsupported field(s): $1' }],
];

/** The label of the field an issue names ("targets.areas.0" → "Địa bàn"), or the raw path when unknown. */
export function fieldLabel(path: string, lang: Lang): string {
  const named = path.split('.').filter((s) => s !== '' && !/^\d+$/.test(s));
  const last = named.at(-1);
  if (last === undefined) return path;
  return FIELDS[last]?.[lang] ?? last;
}

/** One zod issue ("startAt: Invalid ISO datetime") as "Thời điểm bắt đầu — ngày giờ không hợp lệ". */
export function describeIssue(issue: string, lang: Lang): string {
  const m = /^([\w.[\]-]+): (.*)$/s.exec(issue);
  const path = m ? m[1]! : '';
  const text = m ? m[2]! : issue;
  const phrase = PHRASES.find(([re]) => re.test(text));
  const said = phrase ? text.replace(phrase[0], phrase[1][lang]) : text;
  return path ? `${fieldLabel(path, lang)} — ${said}` : said;
}

/** The whole refusal: "Dữ liệu không hợp lệ: Thời điểm bắt đầu — chưa nhập; Tiêu đề — cần ít nhất 1 ký tự". */
export function describeInvalidRequest(issues: readonly string[], lang: Lang): string {
  const head = lang === 'vi' ? 'Dữ liệu không hợp lệ' : 'Invalid input';
  return `${head}: ${issues.map((i) => describeIssue(i, lang)).join('; ')}`;
}
