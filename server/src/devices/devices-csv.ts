import { z } from 'zod';
import { areaCodeSchema, deviceIdSchema, deviceKindSchema } from '@loa/shared';
import { tagsSchema } from './tags.js';
import type { NewDevice } from './devices.service.js';
import { parseCsv } from '../common/csv.js';
import { canonicalColumn, LOCATION_COLUMNS, locationOfRow } from './location-csv.js';

/**
 * Columns an installer's spreadsheet must carry (any order, header row required); `tags` and the location columns
 * (issue 19: latitude, longitude, village, address — also "vĩ độ", "kinh độ", "thôn", "địa chỉ") are optional.
 */
export const DEVICE_CSV_COLUMNS = ['id', 'name', 'kind', 'areaCode', 'tags', ...LOCATION_COLUMNS] as const;
const REQUIRED = ['id', 'name', 'kind', 'areaCode'] as const;

const rowSchema = z.object({
  id: deviceIdSchema,
  name: z.string().trim().min(1).max(200),
  kind: deviceKindSchema,
  areaCode: areaCodeSchema,
  tags: tagsSchema.optional(),
});

export type CsvParse = { ok: true; devices: NewDevice[] } | { ok: false; errors: string[] };

// The tokenizer is shared with the area tree import; re-exported for existing callers.
export { parseCsv };

/** Every row checked; all problems reported at once, by line, so one upload fixes a whole sheet. */
export function devicesFromCsv(text: string): CsvParse {
  let rows: string[][];
  try {
    rows = parseCsv(text);
  } catch (err) {
    return { ok: false, errors: [(err as Error).message] };
  }
  const [header, ...body] = rows;
  if (!header) return { ok: false, errors: ['the file is empty: expected a header row id,name,kind,areaCode[,tags]'] };
  const cols = header.map(canonicalColumn);
  const missing = REQUIRED.filter((c) => !cols.includes(c));
  const unknown = cols.filter((c) => !(DEVICE_CSV_COLUMNS as readonly string[]).includes(c));
  if (missing.length > 0 || unknown.length > 0) {
    return {
      ok: false,
      errors: [
        ...(missing.length > 0 ? [`header: missing column(s) ${missing.join(', ')}`] : []),
        ...(unknown.length > 0 ? [`header: unknown column(s) ${unknown.join(', ')} (known: ${DEVICE_CSV_COLUMNS.join(', ')})`] : []),
      ],
    };
  }
  if (body.length === 0) return { ok: false, errors: ['no device rows after the header'] };
  const devices: NewDevice[] = [];
  const errors: string[] = [];
  body.forEach((cells, i) => {
    const rowNo = i + 2;
    const rec = Object.fromEntries(cols.map((c, j) => [c, (cells[j] ?? '').trim()]));
    const tags = rec.tags ? rec.tags.split(/[;\s]+/).filter(Boolean) : undefined;
    // The row schema strips the location columns; they are checked on their own, with their own codes.
    const r = rowSchema.safeParse({ ...rec, ...(tags ? { tags } : { tags: undefined }) });
    const place = locationOfRow(rec, rowNo);
    const problems = [...(r.success ? [] : r.error.issues.map((x) => `${x.path.join('.') || 'row'}: ${x.message}`)), ...place.errors.map((e) => `${e.column}: ${e.message.replace(/^Row \d+: /, '')}`)];
    if (r.success && problems.length === 0) devices.push({ ...r.data, ...(place.location ? { location: place.location } : {}) });
    else errors.push(`row ${rowNo}: ${problems.join('; ')}`);
  });
  return errors.length > 0 ? { ok: false, errors } : { ok: true, devices };
}

/** Credentials for the installer, one row per device: fields never need quoting (ids and secrets are URL-safe). */
export const credentialsCsv = (devices: ReadonlyArray<{ id: string; secret: string }>, serverPublicKey: string): string =>
  ['id,secret,serverPublicKey', ...devices.map((d) => `${d.id},${d.secret},${serverPublicKey}`)].join('\r\n') + '\r\n';
