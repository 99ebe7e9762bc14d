import type { ErrorText } from '../error-codes.js';

/** Issue 19: refusals of the calendar (area filter, moving an occurrence) and of times of day in a schedule. */
export const CALENDAR_ERRORS = {
  'occurrence.not-found': { vi: 'Không tìm thấy lượt phát {id} của lịch này.', en: 'Occurrence {id} of this schedule not found.' },
  'occurrence.started': { vi: 'Lượt phát lúc {startAt} đã bắt đầu hoặc đã qua, không thể dời.', en: 'The occurrence at {startAt} has started or passed and cannot be moved.' },
  'occurrence.to-past': { vi: 'Không thể dời lượt phát tới {startAt}: thời điểm đó đã qua.', en: 'Cannot move the occurrence to {startAt}: that time has passed.' },
  'occurrence.taken': { vi: 'Lịch này đã có một lượt phát lúc {startAt}.', en: 'This schedule already has an occurrence at {startAt}.' },
  'occurrence.cancelled': { vi: 'Lịch {id} đã bị hủy, không thể dời lượt phát.', en: 'Schedule {id} is cancelled: its occurrences cannot be moved.' },
  'schedule.times-with-byhour': {
    vi: 'Không dùng đồng thời nhiều giờ phát trong ngày và BYHOUR/BYMINUTE trong quy tắc lặp.',
    en: 'Times of day and BYHOUR/BYMINUTE in the rule must not both be given.',
  },
  'calendar.area-outside': { vi: 'Địa bàn {id} nằm ngoài địa bàn của bạn.', en: 'Area {id} is outside your area.' },
} as const satisfies Record<string, ErrorText>;
