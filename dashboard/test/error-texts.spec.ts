import { approvalReasonTexts } from '../src/components/approval-reasons.js';
import { describeInvalidRequest, describeIssue, fieldLabel } from '../src/request-invalid.js';

/** Issue 19: what the dashboard makes of the server's coded answers (the ApiError text itself comes from formatError). */
describe('request.invalid in the user language', () => {
  it('names the field by its label, ignoring list indexes', () => {
    expect(fieldLabel('targets.areas.0', 'vi')).toBe('Địa bàn');
    expect(fieldLabel('startAt', 'en')).toBe('Start');
    expect(fieldLabel('somethingNew', 'vi')).toBe('somethingNew');
  });

  it('translates the common zod phrases and keeps any other as sent', () => {
    expect(describeIssue('startAt: Invalid input: expected string, received undefined', 'vi')).toBe('Thời điểm bắt đầu — chưa nhập');
    expect(describeIssue('title: Too small: expected string to have >=1 characters', 'vi')).toBe('Tiêu đề — cần ít nhất 1 ký tự');
    expect(describeIssue('volume: Too big: expected number to be <=100', 'en')).toBe('Volume — at most 100');
    expect(describeIssue('rrule: something odd', 'vi')).toBe('Quy tắc lặp — something odd');
    expect(describeIssue('Unrecognized key: "x"', 'vi')).toBe('trường không được hỗ trợ: "x"');
  });

  it('heads the list with "Dữ liệu không hợp lệ"', () => {
    expect(describeInvalidRequest(['code: Invalid input: expected string, received undefined', 'level: Invalid option: expected one of "province"|"commune"'], 'vi')).toBe(
      'Dữ liệu không hợp lệ: Mã — chưa nhập; Cấp — phải là một trong "province"|"commune"',
    );
  });
});

describe('approval reasons in the user language', () => {
  it('formats the coded reasons, falling back to the English text only without codes', () => {
    const result: Parameters<typeof approvalReasonTexts>[0] = {
      approvalReasons: ['targets an area of level province (rule: district or wider)', 'priority emergency'],
      approvalReasonCodes: [
        { code: 'approval.reason.area-level', params: { level: 'province', rule: 'district' }, text: 'targets an area of level province (rule: district or wider)' },
        { code: 'approval.reason.priority', params: { priority: 'emergency' }, text: 'priority emergency' },
      ],
    };
    expect(approvalReasonTexts(result, 'vi')).toEqual(['nhắm tới địa bàn cấp tỉnh (quy tắc: cấp huyện trở lên)', 'mức ưu tiên khẩn cấp']);
    expect(approvalReasonTexts(result, 'en')).toEqual(result.approvalReasons);
    expect(approvalReasonTexts({ approvalReasons: ['from an older server'] }, 'vi')).toEqual(['from an older server']);
  });
});
