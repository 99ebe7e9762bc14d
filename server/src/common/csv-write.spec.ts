import { csvField, csvLine } from './csv.js';

describe(csvField.name, () => {
  it('quotes fields holding commas, quotes, line breaks or edge spaces, doubling inner quotes', () => {
    expect(csvField('Cụm loa "Đông", thôn 1')).toBe('"Cụm loa ""Đông"", thôn 1"');
    expect(csvField('a\nb')).toBe('"a\nb"');
    expect(csvField(' lead')).toBe('" lead"');
    expect(csvField('Xã Tây Đằng')).toBe('Xã Tây Đằng');
  });

  it('writes null as an empty field and numbers as they are, CRLF-terminated', () => {
    expect(csvLine(['x', null, 1.5, undefined])).toBe('x,,1.5,\r\n');
  });
});
