import ExcelJS from 'exceljs';
import { PassThrough, Writable } from 'node:stream';
import { streamXlsx, wallClockDate, xlsxSheet, xlsxWorkbook, type XlsxColumn } from './xlsx-export.js';

const ZONE = 'Asia/Ho_Chi_Minh';

interface Row {
  name: string;
  at: number | null;
  seconds: number | null;
  share: number | null;
}

const COLUMNS: ReadonlyArray<XlsxColumn<Row>> = [
  { header: 'Tên thiết bị', value: (r) => r.name },
  { header: 'Giờ phát theo lịch', value: (r) => r.at, kind: 'datetime' },
  { header: 'Thời lượng đã phát (giây)', value: (r) => r.seconds, kind: 'integer' },
  { header: 'Tỷ lệ phát', value: (r) => r.share, kind: 'percent' },
];

const EVIL = ['=HYPERLINK("http://x","y")', '+1+2', '-3', '@SUM(A1:A2)', '=cmd|"/c calc"!A1'];

async function read(buf: Buffer | ArrayBuffer): Promise<ExcelJS.Workbook> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(buf as ArrayBuffer);
  return wb;
}

describe('XLSX exports', () => {
  it('shows Vietnam wall-clock time in a date cell', () => {
    // 03:17Z is 10:17 in Vietnam; the cell holds the wall clock (an XLSX date has no zone).
    expect(wallClockDate(Date.parse('2026-11-15T03:17:05Z'), ZONE).toISOString()).toBe('2026-11-15T10:17:05.000Z');
    expect(wallClockDate(Date.parse('2026-10-31T17:00:00Z'), ZONE).toISOString()).toBe('2026-11-01T00:00:00.000Z');
  });

  it('writes a bold frozen header, typed cells and formula-looking text as plain strings', async () => {
    const rows: Row[] = [
      { name: 'Cụm loa thôn Đông', at: Date.parse('2026-11-15T03:17:00Z'), seconds: 60, share: 0.875 },
      ...EVIL.map((name) => ({ name, at: null, seconds: null, share: null })),
    ];
    const buf = await xlsxWorkbook([xlsxSheet({ name: 'Nhật ký phát thanh', columns: COLUMNS, rows })], ZONE);
    const wb = await read(buf);
    const ws = wb.getWorksheet('Nhật ký phát thanh')!;
    expect(ws).toBeDefined();
    expect(ws.getRow(1).values).toEqual([undefined, 'Tên thiết bị', 'Giờ phát theo lịch', 'Thời lượng đã phát (giây)', 'Tỷ lệ phát']);
    expect(ws.getRow(1).getCell(1).font?.bold).toBe(true);
    expect(ws.views[0]).toMatchObject({ state: 'frozen', ySplit: 1 });
    expect(ws.getColumn(2).width).toBeGreaterThanOrEqual(17);

    const first = ws.getRow(2);
    expect(first.getCell(1).value).toBe('Cụm loa thôn Đông');
    expect(first.getCell(2).type).toBe(ExcelJS.ValueType.Date);
    expect((first.getCell(2).value as Date).toISOString()).toBe('2026-11-15T10:17:00.000Z');
    expect(first.getCell(2).numFmt).toBe('dd/mm/yyyy hh:mm');
    expect(first.getCell(3).value).toBe(60);
    expect(first.getCell(3).type).toBe(ExcelJS.ValueType.Number);
    expect(first.getCell(4).value).toBe(0.875);
    expect(first.getCell(4).numFmt).toBe('0.0%');

    EVIL.forEach((text, i) => {
      const cell = ws.getRow(3 + i).getCell(1);
      expect([text, cell.type, cell.value, cell.formula]).toEqual([text, ExcelJS.ValueType.String, text, undefined]);
      expect(ws.getRow(3 + i).getCell(2).value).toBeNull();
    });
    // And in the XML itself: no <f> (formula) element anywhere in the sheet; the text is a shared string.
    const JSZip = (await import('jszip')).default;
    const zip = await JSZip.loadAsync(buf);
    expect(await zip.file('xl/worksheets/sheet1.xml')!.async('string')).not.toMatch(/<f[ >]/);
    expect(await zip.file('xl/sharedStrings.xml')!.async('string')).toContain('=HYPERLINK(&quot;http://x&quot;');
  });

  it('writes a title above the table and freezes below the header', async () => {
    const buf = await xlsxWorkbook([xlsxSheet({ name: 'Tổng hợp', title: ['Báo cáo tháng 11/2026', 'Xã Tây Đằng'], columns: COLUMNS, rows: [{ name: 'x', at: null, seconds: 1, share: 1 }] })], ZONE);
    const ws = (await read(buf)).getWorksheet('Tổng hợp')!;
    expect(ws.getRow(1).getCell(1).value).toBe('Báo cáo tháng 11/2026');
    expect(ws.getRow(4).getCell(1).value).toBe('Tên thiết bị');
    expect(ws.getRow(5).getCell(1).value).toBe('x');
    expect(ws.views[0]).toMatchObject({ state: 'frozen', ySplit: 4 });
  });

  it('streams a long sheet page by page, pulling the next page only after the previous one was written', async () => {
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (c: Buffer) => chunks.push(c));
    const ended = new Promise((resolve) => out.on('end', resolve));
    let pulled = 0;
    async function* pages(): AsyncGenerator<Row[]> {
      for (let p = 0; p < 20; p++) {
        pulled++;
        yield Array.from({ length: 500 }, (_, i) => ({ name: i === 0 && p === 3 ? EVIL[0]! : `Loa ${p}-${i}`, at: Date.parse('2026-11-01T00:00:00Z') + (p * 500 + i) * 60_000, seconds: i, share: null }));
      }
    }
    await streamXlsx(out, { name: 'Nhật ký phát thanh', columns: COLUMNS }, pages(), ZONE);
    await ended;
    expect(pulled).toBe(20);
    const ws = (await read(Buffer.concat(chunks))).getWorksheet('Nhật ký phát thanh')!;
    expect(ws.rowCount).toBe(1 + 20 * 500);
    expect(ws.getRow(1).getCell(2).value).toBe('Giờ phát theo lịch');
    expect(ws.getRow(1).getCell(1).font?.bold).toBe(true);
    expect(ws.views[0]).toMatchObject({ state: 'frozen', ySplit: 1 });
    expect((ws.getRow(2).getCell(2).value as Date).toISOString()).toBe('2026-11-01T07:00:00.000Z');
    expect(ws.getRow(2).getCell(2).numFmt).toBe('dd/mm/yyyy hh:mm');
    const evil = ws.getRow(2 + 3 * 500).getCell(1);
    expect([evil.type, evil.value]).toEqual([ExcelJS.ValueType.String, EVIL[0]]);
    expect(ws.getRow(1 + 20 * 500).getCell(1).value).toBe('Loa 19-499');
  });

  it('holds the next page back until a slow client has taken the previous ones', async () => {
    const PAGES = 30;
    let acked = 0;
    const chunks: Buffer[] = [];
    // A client that takes each chunk a turn of the event loop later, with a small buffer.
    const out = new Writable({
      highWaterMark: 16 * 1024,
      write(chunk: Buffer, _enc, cb) {
        chunks.push(chunk);
        setImmediate(() => {
          acked += chunk.length;
          cb();
        });
      },
    });
    const ackedAtPull: number[] = [];
    async function* pages(): AsyncGenerator<Row[]> {
      for (let p = 0; p < PAGES; p++) {
        ackedAtPull.push(acked);
        // Random text compresses badly: each page is tens of kilobytes in the zip, more than the buffers hold.
        yield Array.from({ length: 1000 }, (_, i) => ({ name: `Loa ${p}-${i} ${Math.random().toString(36)}${Math.random().toString(36)}`, at: Date.parse('2026-11-01T00:00:00Z') + i * 60_000, seconds: i, share: Math.random() }));
      }
    }
    const finished = new Promise((resolve) => out.on('finish', resolve));
    await streamXlsx(out, { name: 'Nhật ký phát thanh', columns: COLUMNS }, pages(), ZONE);
    await finished;
    const total = Buffer.concat(chunks).length;
    const perPage = total / PAGES;
    // Pages pulled beyond what the client had taken when each was pulled: a page or two, never the period.
    const ahead = ackedAtPull.map((a, p) => p - a / perPage);
    expect(Math.max(...ahead)).toBeLessThan(3);
    expect((await read(Buffer.concat(chunks))).getWorksheet('Nhật ký phát thanh')!.rowCount).toBe(1 + PAGES * 1000);
  });
});
