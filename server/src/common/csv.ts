/** One CSV record and the line of the file it starts on (a quoted field may span several lines). */
export interface CsvRecord {
  line: number;
  cells: string[];
}

/**
 * RFC 4180 records: quoted fields may hold separators, quotes ("") and line breaks; CRLF or LF; a UTF-8 BOM (as
 * spreadsheet programs write) is dropped; blank lines are skipped. Throws only on an unterminated quote, reported
 * with its line.
 */
export function parseCsvRecords(text: string, separator: ',' | ';' = ','): CsvRecord[] {
  const records: CsvRecord[] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let rowLine = 1;
  let quoteLine = 0;
  const s = stripBom(text);
  const endRow = () => {
    row.push(field);
    records.push({ line: rowLine, cells: row });
    row = [];
    field = '';
  };
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quoted) {
      if (c === '"') {
        if (s[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else {
        if (c === '\n') line++;
        field += c;
      }
      continue;
    }
    if (c === '"' && field === '') {
      quoted = true;
      quoteLine = line;
    } else if (c === separator) {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && s[i + 1] === '\n') i++;
      endRow();
      line++;
      rowLine = line;
    } else field += c;
  }
  if (quoted) throw new Error(`line ${quoteLine}: a quoted field is never closed`);
  if (field !== '' || row.length > 0) endRow();
  return records.filter((r) => !(r.cells.length === 1 && r.cells[0]!.trim() === ''));
}

/** The records without their line numbers. */
export function parseCsv(text: string, separator: ',' | ';' = ','): string[][] {
  return parseCsvRecords(text, separator).map((r) => r.cells);
}

/**
 * Spreadsheets in locales with a decimal comma (Vietnamese Excel among them) save "CSV" with semicolons; the header
 * line tells which one a file uses.
 */
export function detectSeparator(text: string): ',' | ';' {
  const s = stripBom(text);
  const end = s.search(/\r|\n/);
  const header = (end < 0 ? s : s.slice(0, end)).replace(/"[^"]*"/g, '');
  const count = (ch: string) => header.split(ch).length - 1;
  return count(';') > count(',') ? ';' : ',';
}

const stripBom = (text: string): string => (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);

// ---- writing ----------------------------------------------------------------------------------------------

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
