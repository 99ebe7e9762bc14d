import { csvField, UTF8_BOM } from './csv.js';

/** What a CSV cell may hold; null and undefined are an empty cell. */
export type CsvValue = string | number | null | undefined;

/** One column of an export: its header and how a row fills it. */
export interface CsvColumn<T> {
  header: string;
  value: (row: T) => CsvValue;
}

/**
 * A spreadsheet runs a cell that starts with = + - @ (or a tab or CR, which some strip before looking) as a formula:
 * a device name or an agent's reason like `=HYPERLINK(...)` would run on the officer's machine. The leading
 * apostrophe makes it text; spreadsheets hide it. Applied to every cell, not only the ones that "look" user-typed,
 * because which fields an operator or an agent can write changes over time.
 */
export const guardFormula = (text: string): string => (/^[=+\-@\t\r]/.test(text) ? `'${text}` : text);

/** One guarded, RFC 4180-quoted cell. */
export const csvCell = (value: CsvValue): string => (value === null || value === undefined ? '' : csvField(guardFormula(String(value))));

/** One guarded record, CRLF-terminated. */
export const csvRecord = (cells: readonly CsvValue[]): string => `${cells.map(csvCell).join(',')}\r\n`;

/**
 * The one CSV writer of every export (delivery matrix, audit, playout log): UTF-8 BOM first so Excel reads the
 * Vietnamese as UTF-8, a header row, CRLF records, every cell guarded against formula injection.
 */
export class CsvWriter<T> {
  constructor(private readonly columns: ReadonlyArray<CsvColumn<T>>) {}

  /** BOM and header row: the first chunk of the file. */
  head(): string {
    return UTF8_BOM + csvRecord(this.columns.map((c) => c.header));
  }

  rows(rows: readonly T[]): string {
    let out = '';
    for (const r of rows) out += csvRecord(this.columns.map((c) => c.value(r)));
    return out;
  }

  /** The whole file from rows already in memory (bounded exports such as the audit's). */
  document(rows: readonly T[]): string {
    return this.head() + this.rows(rows);
  }

  /**
   * The file as chunks, one per page read: pulled, so a slow client holds the next database page back instead of
   * the server buffering the period.
   */
  async *stream(pages: AsyncIterable<readonly T[]>): AsyncGenerator<string> {
    yield this.head();
    for await (const page of pages) if (page.length > 0) yield this.rows(page);
  }
}
