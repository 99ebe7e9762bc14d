import { attachmentName } from '../src/api.js';

describe('export file names (issue 16)', () => {
  it('takes the Vietnamese RFC 5987 name the server gave, else its ASCII name, else none', () => {
    const header = `attachment; filename="nhat-ky-phat-thanh-xa-tay-dang-2026-11.csv"; filename*=UTF-8''${encodeURIComponent('Nhật ký phát thanh Xã Tây Đằng 2026-11.csv')}`;
    expect(attachmentName(header)).toBe('Nhật ký phát thanh Xã Tây Đằng 2026-11.csv');
    expect(attachmentName('attachment; filename="audit.csv"')).toBe('audit.csv');
    expect(attachmentName(`attachment; filename="x.csv"; filename*=UTF-8''%E0%A4%A`)).toBe('x.csv');
    expect(attachmentName(null)).toBeNull();
  });
});
