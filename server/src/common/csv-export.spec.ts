import { parseCsv } from './csv.js';
import { csvCell, CsvWriter, guardFormula } from './csv-export.js';
import { asciiFold, attachmentDisposition, localDate, localDateTime } from './export-format.js';

describe('CSV exports: the shared writer', () => {
  it('guards every cell that a spreadsheet would run as a formula, and only those', () => {
    for (const bad of ['=HYPERLINK("http://x")', '+1', '-2+3', '@SUM(A1)', '\tx', '\rx']) expect(guardFormula(bad)).toBe(`'${bad}`);
    for (const fine of ['Xã Tây Đằng', 'a=b', '12', ' lead', "'quoted"]) expect(guardFormula(fine)).toBe(fine);
    expect(csvCell('=1+2,"x"')).toBe(`"'=1+2,""x"""`);
    expect(csvCell(null)).toBe('');
    expect(csvCell(-5)).toBe("'-5");
  });

  it('writes a BOM, a header and guarded CRLF records that parse back', async () => {
    const w = new CsvWriter<{ name: string; n: number | null }>([
      { header: 'Tên', value: (r) => r.name },
      { header: 'Số', value: (r) => r.n },
    ]);
    async function* pages(): AsyncGenerator<Array<{ name: string; n: number | null }>> {
      yield [{ name: 'Cụm loa "Đông", thôn 1', n: 1 }];
      yield [];
      yield [{ name: '=cmd|"/c calc"!A1', n: null }];
    }
    let text = '';
    for await (const chunk of w.stream(pages())) text += chunk;
    expect(text.charCodeAt(0)).toBe(0xfeff);
    expect(text.endsWith('\r\n')).toBe(true);
    expect(parseCsv(text)).toEqual([['Tên', 'Số'], ['Cụm loa "Đông", thôn 1', '1'], ['\'=cmd|"/c calc"!A1', '']]);
    expect(w.document([{ name: 'x', n: 2 }])).toBe('\uFEFFTên,Số\r\nx,2\r\n');
  });
});

describe('CSV exports: dates and file names', () => {
  it('writes instants as dd/mm/yyyy HH:mm on Vietnam time', () => {
    // The example: a broadcast at 10:17 in Vietnam is 03:17Z.
    expect(localDateTime(Date.parse('2026-12-05T03:17:00.000Z'), 'Asia/Ho_Chi_Minh')).toBe('05/12/2026 10:17');
    expect(localDateTime(Date.parse('2026-11-30T17:00:00.000Z'), 'Asia/Ho_Chi_Minh')).toBe('01/12/2026 00:00');
    expect(localDateTime(null, 'Asia/Ho_Chi_Minh')).toBeNull();
    expect(localDate(Date.parse('2026-11-30T17:00:00.000Z'), 'Asia/Ho_Chi_Minh')).toBe('2026-12-01');
  });

  it('folds Vietnamese to an ASCII slug and names the attachment both ways (RFC 5987)', () => {
    expect(asciiFold('Lịch phát Xã Tây Đằng 2026-11')).toBe('lich-phat-xa-tay-dang-2026-11');
    expect(asciiFold('ĐỒNG THÁP / "x"')).toBe('dong-thap-x');
    const d = attachmentDisposition(['Lịch phát', 'Xã Tây Đằng', null, '2026-11'], 'csv');
    expect(d.asciiName).toBe('lich-phat-xa-tay-dang-2026-11.csv');
    expect(d.header).toBe(`attachment; filename="lich-phat-xa-tay-dang-2026-11.csv"; filename*=UTF-8''${encodeURIComponent('Lịch phát Xã Tây Đằng 2026-11.csv')}`);
    expect(attachmentDisposition(["Tin (khẩn)'s"], 'csv').header).toContain("filename*=UTF-8''Tin%20%28kh%E1%BA%A9n%29%27s.csv");
    expect(attachmentDisposition([], 'csv').asciiName).toBe('export.csv');
  });
});
