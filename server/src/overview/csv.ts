/** One CSV field (RFC 4180): quoted when it holds a comma, quote, CR or LF, or leading/trailing space. */
export function csvField(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  const s = String(value);
  return /[",\r\n]|^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One CSV record, CRLF-terminated as RFC 4180 (and spreadsheet programs) expect. */
export const csvLine = (fields: ReadonlyArray<string | number | null | undefined>): string => `${fields.map(csvField).join(',')}\r\n`;

/** Makes spreadsheet programs (Excel on Windows) read the file as UTF-8, so Vietnamese names survive. */
export const UTF8_BOM = '\uFEFF';
