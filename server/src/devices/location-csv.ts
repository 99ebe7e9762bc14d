import { formatError, type CsvRowError, type DeviceLocation, type ErrorCode, type ErrorParams } from '@loa/shared/rest';

/**
 * Location columns of a spreadsheet (issue 19, the map), shared by the device import and the location import.
 * Headers may be English or Vietnamese, any case, with or without diacritics ("Vĩ độ", "vi do", "lat").
 */
export const LOCATION_COLUMNS = ['latitude', 'longitude', 'village', 'address'] as const;
export type LocationColumn = (typeof LOCATION_COLUMNS)[number];

const ALIASES: Readonly<Record<string, string>> = {
  lat: 'latitude',
  'vi do': 'latitude',
  lon: 'longitude',
  lng: 'longitude',
  long: 'longitude',
  'kinh do': 'longitude',
  thon: 'village',
  'thon/to': 'village',
  'thon/xom': 'village',
  'dia chi': 'address',
  'ma thiet bi': 'id',
  'ma': 'id',
  'device id': 'id',
  deviceid: 'id',
};

/** A header cell as a column name: trimmed, lower case, diacritics and "đ" folded, then Vietnamese/short aliases. */
export function canonicalColumn(header: string): string {
  const folded = header
    .trim()
    .toLowerCase()
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/đ/g, 'd')
    .replace(/\s+/g, ' ');
  return ALIASES[folded] ?? (folded === 'areacode' ? 'areaCode' : folded);
}

const MAX = { village: 120, address: 300 } as const;

/**
 * A number as spreadsheets in Vietnam write it: "21.0285", or with a decimal comma "21,0285" (one comma, no dot).
 * Anything else (degrees-minutes, letters, empty) is not a coordinate.
 */
export function parseCoordinate(text: string): number | null {
  const t = text.trim();
  const normal = /^[+-]?\d+,\d+$/.test(t) ? t.replace(',', '.') : t;
  if (!/^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(normal)) return null;
  const n = Number(normal);
  return Number.isFinite(n) ? n : null;
}

export const rowError = (row: number, column: string | null, code: ErrorCode, params: ErrorParams): CsvRowError => ({
  row,
  column,
  code,
  params: { ...params },
  message: formatError(code, params, 'en') ?? code,
});

/**
 * The location of one row: undefined when the row gives neither latitude nor longitude (nothing to set), else the
 * location or the row's problems. (0, 0) is refused: in a sheet it is an empty cell turned into a number, and from
 * a GPS receiver the absence of a fix; no commune in Vietnam lies there.
 */
export function locationOfRow(rec: Readonly<Record<string, string>>, row: number): { location?: DeviceLocation; errors: CsvRowError[] } {
  const lat = (rec.latitude ?? '').trim();
  const lon = (rec.longitude ?? '').trim();
  if (lat === '' && lon === '') return { errors: [] };
  const errors: CsvRowError[] = [];
  if (lat === '' || lon === '') return { errors: [rowError(row, lat === '' ? 'latitude' : 'longitude', 'map.row-half-position', { row })] };
  const latitude = parseCoordinate(lat);
  const longitude = parseCoordinate(lon);
  if (latitude === null || latitude < -90 || latitude > 90) errors.push(rowError(row, 'latitude', 'map.row-latitude', { row, value: lat.slice(0, 40) }));
  if (longitude === null || longitude < -180 || longitude > 180) errors.push(rowError(row, 'longitude', 'map.row-longitude', { row, value: lon.slice(0, 40) }));
  if (errors.length === 0 && latitude === 0 && longitude === 0) errors.push(rowError(row, 'latitude', 'map.row-zero', { row }));
  const village = (rec.village ?? '').trim();
  const address = (rec.address ?? '').trim();
  if (village.length > MAX.village) errors.push(rowError(row, 'village', 'map.row-too-long', { row, column: 'village', max: MAX.village }));
  if (address.length > MAX.address) errors.push(rowError(row, 'address', 'map.row-too-long', { row, column: 'address', max: MAX.address }));
  if (errors.length > 0) return { errors };
  return { location: { latitude: latitude!, longitude: longitude!, ...(village ? { village } : {}), ...(address ? { address } : {}) }, errors: [] };
}
