import { FEEDBACK_MAX_TOTAL_BYTES, normalizePhone as contractNormalizePhone } from '@loa/shared/rest';
import { refusalOf } from '../src/public-feedback/api.js';
import { fileRefusal, formatBytes, formatVnDateTime, normalizePhone, validate, type FormValues } from '../src/public-feedback/rules.js';

const MB = 1024 * 1024;
const limits = { maxAttachments: 2, maxAttachmentBytes: 8 * MB };
const ok: FormValues = { name: 'Nguyễn Văn An', phone: '0912345678', email: '', village: '', title: 'Ổ gà', content: 'Nội dung', category: 'ha-tang', consent: true };

describe('the public feedback page’s own checks (issue 17)', () => {
  it('normalises phones exactly as the contract does (the page carries a copy to stay free of zod)', () => {
    const samples = ['0912345678', '+84 912 345 678', '84912345678', '0912.345.678', '(091) 234-5678', '+840912345678', '091234567', '1912345678', '', 'abc', '+84-24-3825-1234', '842438251234'];
    for (const s of samples) expect([s, normalizePhone(s)]).toEqual([s, contractNormalizePhone(s)]);
    expect(normalizePhone('+84 912 345 678')).toBe('0912345678');
  });

  it('says in Vietnamese what is missing or wrong, field by field', () => {
    expect(validate(ok)).toEqual({});
    expect(validate({ ...ok, name: ' ', phone: '12345', email: 'an@', title: '', content: 'x'.repeat(5001), category: '', consent: false })).toEqual({
      name: 'Vui lòng nhập họ và tên.',
      phone: 'Số điện thoại không hợp lệ (10 chữ số, bắt đầu bằng 0, ví dụ 0912345678).',
      email: 'Địa chỉ e-mail không hợp lệ (ví dụ ten@gmail.com), hoặc để trống.',
      title: 'Vui lòng nhập tiêu đề.',
      content: 'Nội dung dài quá 5000 ký tự.',
      category: 'Vui lòng chọn lĩnh vực.',
      consent: 'Cần đồng ý cho phép sử dụng thông tin cá nhân để xử lý ý kiến.',
    });
  });

  it('turns away files by type (MIME, else extension), size, count and total before any upload', () => {
    const jpg = { name: 'a.jpg', type: 'image/jpeg', size: MB };
    expect(fileRefusal(jpg, [], limits)).toBeNull();
    expect(fileRefusal({ name: 'b.PDF', type: '', size: MB }, [], limits)).toBeNull();
    expect(fileRefusal({ name: 'c.heic', type: 'image/heic', size: MB }, [], limits)).toMatch(/^Tệp "c.heic" không được nhận/);
    expect(fileRefusal({ name: 'd.jpg', type: 'image/jpeg', size: 8 * MB + 1 }, [], limits)).toBe('Tệp "d.jpg" (8,0 MB) quá lớn: tối đa 8,0 MB mỗi tệp.');
    expect(fileRefusal({ name: 'e.jpg', type: 'image/jpeg', size: 0 }, [], limits)).toBe('Tệp "e.jpg" rỗng.');
    expect(fileRefusal(jpg, [jpg, jpg], limits)).toBe('Chỉ được gửi tối đa 2 tệp đính kèm.');
    const big = { name: 'f.jpg', type: 'image/jpeg', size: 8 * MB };
    expect(fileRefusal(big, [big, { ...big, size: FEEDBACK_MAX_TOTAL_BYTES - 16 * MB + 1 }], { ...limits, maxAttachments: 5 })).toMatch(/tổng dung lượng/);
  });

  it('shows sizes and Vietnam’s time as a resident reads them', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(300 * 1024)).toBe('300 KB');
    expect(formatBytes(1.25 * MB)).toBe('1,3 MB');
    // 17:05 UTC is 00:05 the next day in Hà Nội.
    expect(formatVnDateTime('2026-12-31T17:05:00.000Z')).toBe('01/01/2027 00:05');
  });

  it('shows the server’s Vietnamese refusal as it is, and a Vietnamese word for anything else', () => {
    expect(refusalOf(415, { statusCode: 415, code: 'attachment-type', message: 'Chỉ nhận ảnh (JPEG, PNG, WebP) hoặc tài liệu PDF.' })).toEqual({
      status: 415,
      code: 'attachment-type',
      message: 'Chỉ nhận ảnh (JPEG, PNG, WebP) hoặc tài liệu PDF.',
    });
    expect(refusalOf(429, { statusCode: 429, code: 'rate-limited-address', message: 'Bạn đã gửi quá nhiều ý kiến', retryAfterSeconds: 120 }).retryAfterSeconds).toBe(120);
    expect(refusalOf(502, '<html>Bad gateway</html>').message).toBe('Máy chủ đang bận hoặc gặp sự cố. Vui lòng thử lại sau ít phút.');
    expect(refusalOf(400, { statusCode: 400, message: 'title: too long' }).message).toBe('Thông tin chưa hợp lệ. (title: too long)');
    expect(refusalOf(404, { statusCode: 404, message: 'Cannot GET /x' }).message).toBe('Không tìm thấy thông tin yêu cầu.');
  });
});
