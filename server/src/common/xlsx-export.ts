import ExcelJS from 'exceljs';
import type { Writable } from 'node:stream';

/**
 * XLSX exports for people (issue 16), beside the CSV ones: the same columns and Vietnamese headers, but typed cells,
 * so a district's spreadsheet sorts dates as dates and sums durations as numbers, and Excel in a Vietnamese locale
 * (which expects `;` between CSV fields) opens it as a table without the Data → From Text detour.
 *
 * - Dates are real date cells, shown `dd/mm/yyyy hh:mm` on LOA_TIMEZONE: an XLSX date has no zone, so the cell holds
 *   the Vietnam wall-clock time, as the officer reads it on the screen.
 * - Text is always written as a string cell (`t="inlineStr"`), never as a formula: a device name `=HYPERLINK(…)`
 *   shows as that text and never runs, with no apostrophe needed (the spec reads the file back to prove it).
 * - The header row is bold and frozen, and columns have widths.
 */

export const XLSX_CONTENT_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** What a column holds: how its cells are typed and shown. */
export type XlsxKind =
  /** Epoch ms → a date cell on the zone, `dd/mm/yyyy hh:mm`. */
  | 'datetime'
  /** A whole number. */
  | 'integer'
  /** A number with up to two decimals. */
  | 'number'
  /** A share 0..1 shown as a percentage with one decimal. */
  | 'percent'
  | 'text';

export type XlsxValue = string | number | null | undefined;

/** One column of an XLSX export: its header, how a row fills it, and how it is shown. */
export interface XlsxColumn<T> {
  header: string;
  value: (row: T) => XlsxValue;
  kind?: XlsxKind;
  /** In characters; a default by kind otherwise. */
  width?: number;
}

/** One sheet of a workbook held in memory (bounded reports: coverage, a schedule's summary). */
export interface XlsxSheet<T> {
  name: string;
  columns: ReadonlyArray<XlsxColumn<T>>;
  rows: readonly T[];
  /** Lines above the table (a title, the period): written in the first column, the table starts below. */
  title?: readonly string[];
}

const NUM_FMT: Record<XlsxKind, string | undefined> = {
  datetime: 'dd/mm/yyyy hh:mm',
  integer: '0',
  number: '0.##',
  percent: '0.0%',
  text: undefined,
};

const DEFAULT_WIDTH: Record<XlsxKind, number> = { datetime: 17, integer: 12, number: 12, percent: 11, text: 24 };

const wallClocks = new Map<string, Intl.DateTimeFormat>();

/**
 * The wall-clock time on `zone` as a Date whose UTC fields read that time: 2026-11-15T03:17Z on Asia/Ho_Chi_Minh →
 * a Date of 2026-11-15T10:17Z, which exceljs writes as the serial of 15/11/2026 10:17.
 */
export function wallClockDate(ms: number, zone: string): Date {
  let f = wallClocks.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
    wallClocks.set(zone, f);
  }
  const p: Record<string, number> = {};
  for (const part of f.formatToParts(new Date(ms))) if (part.type !== 'literal') p[part.type] = Number(part.value);
  return new Date(Date.UTC(p.year ?? 1970, (p.month ?? 1) - 1, p.day ?? 1, p.hour ?? 0, p.minute ?? 0, p.second ?? 0, ((ms % 1000) + 1000) % 1000));
}

/** The cell value exceljs gets: a Date, a finite number, or a string (never an object, so never a formula). */
function cellValue(v: XlsxValue, kind: XlsxKind, zone: string): string | number | Date | null {
  if (v === null || v === undefined) return null;
  if (kind === 'datetime') return typeof v === 'number' && Number.isFinite(v) ? wallClockDate(v, zone) : String(v);
  if (kind !== 'text' && typeof v === 'number') return Number.isFinite(v) ? v : null;
  return String(v);
}

/** Sheet names: at most 31 characters, none of : \ / ? * [ ] (Excel refuses the file otherwise). */
export const sheetName = (name: string): string => name.replace(/[:\\/?*[\]]/g, ' ').slice(0, 31) || 'Sheet';

type AnyWorksheet = ExcelJS.Worksheet;

/** Rows above `row` stay in view while scrolling (the header row; the title above it too). */
const frozenAbove = (row: number): Partial<ExcelJS.AddWorksheetOptions> => ({ views: [{ state: 'frozen', xSplit: 0, ySplit: row }] });

function layout<T>(ws: AnyWorksheet, columns: ReadonlyArray<XlsxColumn<T>>): void {
  ws.columns = columns.map((c) => {
    const kind = c.kind ?? 'text';
    const fmt = NUM_FMT[kind];
    return { key: c.header, width: c.width ?? Math.max(DEFAULT_WIDTH[kind], Math.min(40, c.header.length + 2)), ...(fmt ? { style: { numFmt: fmt } } : {}) };
  });
}

function headerCells(row: ExcelJS.Row, headers: readonly string[]): void {
  row.values = [...headers];
  row.font = { bold: true };
  row.alignment = { vertical: 'middle', wrapText: true };
}

function addRow<T>(ws: AnyWorksheet, columns: ReadonlyArray<XlsxColumn<T>>, r: T, zone: string): ExcelJS.Row {
  const row = ws.addRow(columns.map((c) => cellValue(c.value(r), c.kind ?? 'text', zone)));
  // A row-level style would drop the column's number format; set it per cell where the kind needs one.
  columns.forEach((c, i) => {
    const fmt = NUM_FMT[c.kind ?? 'text'];
    if (fmt) row.getCell(i + 1).numFmt = fmt;
  });
  return row;
}

/** A sheet of any row type, for a workbook of several (a column's `value` takes its own sheet's rows only). */
export const xlsxSheet = <T>(s: XlsxSheet<T>): XlsxSheet<unknown> => s as unknown as XlsxSheet<unknown>;

/** A workbook of bounded sheets, in memory (the coverage report: a few hundred rows at most). */
export async function xlsxWorkbook(sheets: ReadonlyArray<XlsxSheet<unknown>>, zone: string): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.creator = 'Loa';
  wb.created = new Date(0); // the same report twice is the same file (no creation time in it)
  wb.modified = new Date(0);
  for (const s of sheets) {
    const title = s.title ?? [];
    // A blank line between the title and the table.
    const header = title.length > 0 ? title.length + 2 : 1;
    const ws = wb.addWorksheet(sheetName(s.name), frozenAbove(header));
    layout(ws, s.columns);
    title.forEach((line, i) => {
      const row = ws.getRow(i + 1);
      row.getCell(1).value = line;
      if (i === 0) row.font = { bold: true, size: 13 };
    });
    headerCells(ws.getRow(header), s.columns.map((c) => c.header));
    for (const r of s.rows) addRow(ws, s.columns, r, zone);
  }
  return Buffer.from(await wb.xlsx.writeBuffer());
}

/** A writable end as Node's streams and their readable-stream copies (which exceljs's archiver uses) expose it. */
interface DrainableSink {
  writableNeedDrain?: boolean;
  _writableState?: { needDrain?: boolean };
  once(event: 'drain' | 'close' | 'error', listener: () => void): unknown;
  removeListener(event: 'drain' | 'close' | 'error', listener: () => void): unknown;
}

const needsDrain = (s: DrainableSink): boolean => s.writableNeedDrain === true || s._writableState?.needDrain === true;

/** Resolves on the sink's 'drain', or when the sink or the response closes or fails (a client gone never drains). */
function drained(s: DrainableSink, out: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      for (const e of ['drain', 'close', 'error'] as const) s.removeListener(e, done);
      out.removeListener('close', done);
      out.removeListener('error', done);
      resolve();
    };
    for (const e of ['drain', 'close', 'error'] as const) s.once(e, done);
    out.once('close', done);
    out.once('error', done);
  });
}

/**
 * exceljs writes a committed row into the sheet's buffer, which pushes it on into the zip entry without heeding
 * backpressure: with a slow client, a year of rows would pile up there. The entry's writable end is where they pile,
 * so the next page waits for it (and for `out`) to drain. Reached through exceljs internals (the sheet's `stream`
 * and its `pipes`); if a release moves them, only `out` is waited on, and the spec's bound on pages read ahead of
 * the client fails rather than memory growing silently.
 */
function sinksOf(ws: ExcelJS.Worksheet, out: Writable): DrainableSink[] {
  const sheetStream = (ws as unknown as { stream?: { pipes?: unknown[] } }).stream;
  const entry = sheetStream?.pipes?.[0] as DrainableSink | undefined;
  return entry && typeof entry.once === 'function' ? [entry, out as unknown as DrainableSink] : [out as unknown as DrainableSink];
}

/**
 * One long sheet streamed into `out` (an HTTP response) page by page: rows are committed as each page arrives and
 * the next page is pulled only once what was written has drained towards the client, so a slow client holds the
 * database back instead of the server buffering a year of rows. Resolves when the file is complete; `out` is ended.
 */
export async function streamXlsx<T>(out: Writable, sheet: { name: string; columns: ReadonlyArray<XlsxColumn<T>> }, pages: AsyncIterable<readonly T[]>, zone: string): Promise<void> {
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: true, useSharedStrings: false });
  wb.creator = 'Loa';
  const ws = wb.addWorksheet(sheetName(sheet.name), frozenAbove(1));
  layout(ws, sheet.columns);
  headerCells(ws.getRow(1), sheet.columns.map((c) => c.header));
  ws.getRow(1).commit();
  for await (const page of pages) {
    for (const r of page) addRow(ws, sheet.columns, r, zone).commit();
    for (const sink of sinksOf(ws, out)) while (needsDrain(sink) && !out.destroyed) await drained(sink, out);
    if (out.destroyed) return; // the client went away: stop reading
  }
  ws.commit();
  await wb.commit();
}
