import type { ErrorText } from '../error-codes.js';

/**
 * Issue 19 item 5, the map: device locations (CSV import, the device page's form, agents' reports) and the map's
 * configuration. The `map.row-*` codes are per-row problems of a CSV import, listed under `errors` of the refusal.
 */
export const MAP_ERRORS = {
  'map.csv-invalid': { vi: 'Tệp CSV vị trí có {count} dòng lỗi; không dòng nào được lưu.', en: 'The location CSV has {count} bad row(s); nothing was stored.' },
  'map.csv-empty': { vi: 'Tệp CSV trống: cần dòng tiêu đề id,latitude,longitude[,village,address].', en: 'The CSV is empty: expected a header row id,latitude,longitude[,village,address].' },
  'map.csv-no-rows': { vi: 'Không có dòng thiết bị nào sau dòng tiêu đề.', en: 'No device rows after the header.' },
  'map.csv-too-many': { vi: 'Tối đa {max} dòng mỗi lần nhập.', en: 'At most {max} rows per import.' },
  'map.csv-missing-column': { vi: 'Thiếu cột {column} trong dòng tiêu đề.', en: 'The header lacks the column {column}.' },
  'map.csv-unknown-column': { vi: 'Cột không biết: {column}.', en: 'Unknown column: {column}.' },
  'map.csv-unreadable': { vi: 'Không đọc được tệp CSV: {detail}', en: 'Cannot read the CSV: {detail}' },
  'map.row-latitude': { vi: 'Dòng {row}: vĩ độ "{value}" không hợp lệ (cần số từ -90 đến 90).', en: 'Row {row}: latitude "{value}" is not a number from -90 to 90.' },
  'map.row-longitude': { vi: 'Dòng {row}: kinh độ "{value}" không hợp lệ (cần số từ -180 đến 180).', en: 'Row {row}: longitude "{value}" is not a number from -180 to 180.' },
  'map.row-half-position': { vi: 'Dòng {row}: cần cả vĩ độ và kinh độ, hoặc để trống cả hai.', en: 'Row {row}: give both latitude and longitude, or neither.' },
  'map.row-zero': { vi: 'Dòng {row}: toạ độ 0, 0 (thường là ô bị bỏ trống hoặc GPS chưa bắt được).', en: 'Row {row}: position 0, 0 (usually an empty cell or no GPS fix).' },
  'map.row-too-long': { vi: 'Dòng {row}: {column} dài quá {max} ký tự.', en: 'Row {row}: {column} is longer than {max} characters.' },
  'map.row-no-id': { vi: 'Dòng {row}: thiếu mã thiết bị.', en: 'Row {row}: the device id is missing.' },
  'map.row-repeated': { vi: 'Dòng {row}: thiết bị {id} đã có ở dòng {first}.', en: 'Row {row}: device {id} already appears on row {first}.' },
  'map.row-unknown-device': { vi: 'Dòng {row}: không có thiết bị {id}.', en: 'Row {row}: there is no device {id}.' },
  'map.row-outside': { vi: 'Dòng {row}: thiết bị {id} nằm ngoài địa bàn của bạn.', en: 'Row {row}: device {id} is outside your area.' },
} as const satisfies Record<string, ErrorText>;

/** `source.<value>` of a device location, as the device page names it. */
export const MAP_WORDS = {
  'source.operator': { vi: 'cán bộ nhập tay', en: 'set by hand' },
  'source.import': { vi: 'nhập từ CSV', en: 'imported from CSV' },
  'source.agent': { vi: 'thiết bị tự báo', en: 'reported by the device' },
} as const satisfies Record<string, ErrorText>;
