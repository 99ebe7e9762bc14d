import { composeEmail, composeSms, plain } from './messages.js';

const recipient = { userId: 'u1', username: 'duyet.bavi', fullName: 'Nguyễn Thị Hoa', role: 'approver', areaCode: '271', phone: '0912000002', email: 'hoa@ubnd.test' };

describe('notification messages', () => {
  it('writes a text without diacritics, one message long, keeping the link whole', () => {
    const sms = composeSms({ kind: 'approval.rejected', subject: 'content', title: 'Thông báo lịch tiêm phòng dại cho chó mèo toàn xã Tây Đằng năm 2026', detail: 'Thiếu thời gian và địa điểm cụ thể của từng thôn, đề nghị bổ sung trước khi phát', actorName: 'duyet.bavi' }, 'https://loa.ubnd.test');
    expect(sms.length).toBeLessThanOrEqual(160);
    expect(sms).toMatch(/^Loa: Noi dung "Thong bao lich tiem phong dai .*\.\.\. https:\/\/loa\.ubnd\.test\/#\/notifications$/);
    expect(sms).not.toMatch(/[^\x20-\x7e]/);
    expect(plain('Đường Đông')).toBe('Duong Dong');
  });

  it('addresses the e-mail by name, with who submitted, what it says and where to act', () => {
    const m = composeEmail({ kind: 'approval.submitted', subject: 'schedule', title: 'Họp dân', detail: 'Lúc 14 giờ 30 họp dân tại nhà văn hóa.', actorName: 'bientap.bavi' }, recipient, 'https://loa.ubnd.test');
    expect(m.subject).toBe('[Loa] Lịch phát «Họp dân» cần phê duyệt');
    expect(m.text.split('\n')).toEqual([
      'Kính gửi Nguyễn Thị Hoa,',
      '',
      'Lịch phát «Họp dân» cần phê duyệt.',
      'Người gửi: bientap.bavi',
      '',
      'Nội dung đọc: Lúc 14 giờ 30 họp dân tại nhà văn hóa.',
      '',
      'Xem trên Loa: https://loa.ubnd.test/#/approvals',
      '',
      '— Loa (thư tự động, xin đừng trả lời)',
    ]);
  });
});
