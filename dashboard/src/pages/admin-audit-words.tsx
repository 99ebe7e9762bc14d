import type { Lang } from '../i18n.js';

/**
 * Audit actions in words. Names are `<controller tag>.<handler>` or the @Audit name given in the controllers
 * (server/src/*\/*.controller.ts); an action not listed here is shown raw.
 */
export const ACTIONS: Record<string, { vi: string; en: string }> = {
  'auth.login': { vi: 'Đăng nhập', en: 'Signed in' },
  'auth.login-failed': { vi: 'Đăng nhập thất bại', en: 'Failed sign-in' },
  'auth.logout': { vi: 'Đăng xuất', en: 'Signed out' },
  'auth.password': { vi: 'Đổi mật khẩu', en: 'Changed password' },
  'auth.refresh': { vi: 'Gia hạn phiên đăng nhập', en: 'Renewed session' },
  'users.create': { vi: 'Tạo tài khoản', en: 'Created account' },
  'users.update': { vi: 'Sửa tài khoản', en: 'Changed account' },
  'areas.create': { vi: 'Tạo địa bàn', en: 'Created area' },
  'areas.importCsv': { vi: 'Nhập cây địa bàn (CSV)', en: 'Imported area tree (CSV)' },
  'devices.register': { vi: 'Đăng ký thiết bị', en: 'Registered device' },
  'devices.registerMany': { vi: 'Đăng ký nhiều thiết bị', en: 'Registered devices' },
  'devices.importCsv': { vi: 'Nhập thiết bị (CSV)', en: 'Imported devices (CSV)' },
  'devices.update': { vi: 'Sửa thiết bị', en: 'Changed device' },
  'devices.revoke': { vi: 'Thu hồi thiết bị', en: 'Revoked device' },
  'devices.rotate-credentials': { vi: 'Đổi khóa truy cập thiết bị', en: 'Rotated device credentials' },
  'contents.create': { vi: 'Tạo bản tin', en: 'Created content' },
  'contents.create-image': { vi: 'Tạo bản tin hình ảnh', en: 'Created image content' },
  'contents.update': { vi: 'Sửa bản tin', en: 'Changed content' },
  'contents.submit': { vi: 'Gửi duyệt bản tin', en: 'Submitted content' },
  'contents.approve': { vi: 'Duyệt bản tin', en: 'Approved content' },
  'contents.reject': { vi: 'Từ chối bản tin', en: 'Rejected content' },
  'contents.archive': { vi: 'Lưu trữ bản tin', en: 'Archived content' },
  'schedules.create': { vi: 'Tạo lịch phát', en: 'Created schedule' },
  'schedules.update': { vi: 'Sửa lịch phát', en: 'Changed schedule' },
  'schedules.cancel': { vi: 'Hủy lịch phát', en: 'Cancelled schedule' },
  'schedules.approve': { vi: 'Duyệt lịch phát', en: 'Approved schedule' },
  'schedules.reject': { vi: 'Từ chối lịch phát', en: 'Rejected schedule' },
  'alerts.create': { vi: 'Phát thông báo khẩn', en: 'Raised emergency alert' },
  'alerts.confirm': { vi: 'Xác nhận thông báo khẩn', en: 'Confirmed emergency alert' },
  'alerts.cancel': { vi: 'Dừng thông báo khẩn', en: 'Cancelled emergency alert' },
  'alarms.ack': { vi: 'Xác nhận cảnh báo thiết bị', en: 'Acknowledged alarm' },
  'commands.create': { vi: 'Gửi lệnh điều khiển', en: 'Sent command' },
  'groups.create': { vi: 'Tạo nhóm thiết bị', en: 'Created device group' },
  'groups.update': { vi: 'Sửa nhóm thiết bị', en: 'Changed device group' },
  'board-profiles.create': { vi: 'Tạo cấu hình bảng tin', en: 'Created board profile' },
  'board-profiles.update': { vi: 'Sửa cấu hình bảng tin', en: 'Changed board profile' },
  'board-profiles.delete': { vi: 'Xóa cấu hình bảng tin', en: 'Deleted board profile' },
  'media.upload': { vi: 'Tải lên tệp âm thanh', en: 'Uploaded audio' },
  'tts.speak': { vi: 'Chuyển văn bản thành giọng nói', en: 'Text to speech' },
  'tts.preview': { vi: 'Xem trước văn bản đọc', en: 'Previewed speech text' },
  'provisioning.create': { vi: 'Tạo khóa cấp phát thiết bị', en: 'Created provisioning key' },
  'provisioning.delete': { vi: 'Xóa khóa cấp phát thiết bị', en: 'Deleted provisioning key' },
  'provisioning.claim': { vi: 'Tiếp nhận thiết bị đăng ký', en: 'Claimed enrolment' },
  'provisioning.reject': { vi: 'Từ chối thiết bị đăng ký', en: 'Rejected enrolment' },
  'settings.put': { vi: 'Đổi quy tắc phê duyệt', en: 'Changed approval rules' },
};

/** Groups for the action filter (`prefix.*` matches every action of the group). */
export const ACTION_GROUPS: Array<{ prefix: string; vi: string; en: string }> = [
  { prefix: 'auth', vi: 'Đăng nhập, mật khẩu', en: 'Sign-in, password' },
  { prefix: 'users', vi: 'Tài khoản', en: 'Accounts' },
  { prefix: 'areas', vi: 'Địa bàn', en: 'Areas' },
  { prefix: 'devices', vi: 'Thiết bị', en: 'Devices' },
  { prefix: 'contents', vi: 'Bản tin', en: 'Content' },
  { prefix: 'schedules', vi: 'Lịch phát', en: 'Schedules' },
  { prefix: 'alerts', vi: 'Thông báo khẩn', en: 'Emergency alerts' },
  { prefix: 'alarms', vi: 'Cảnh báo thiết bị', en: 'Alarms' },
  { prefix: 'commands', vi: 'Lệnh điều khiển', en: 'Commands' },
  { prefix: 'groups', vi: 'Nhóm thiết bị', en: 'Device groups' },
  { prefix: 'board-profiles', vi: 'Cấu hình bảng tin', en: 'Board profiles' },
  { prefix: 'media', vi: 'Âm thanh', en: 'Media' },
  { prefix: 'tts', vi: 'Giọng đọc tự động', en: 'Text to speech' },
  { prefix: 'provisioning', vi: 'Cấp phát thiết bị', en: 'Provisioning' },
  { prefix: 'settings', vi: 'Cài đặt', en: 'Settings' },
];

export const RESOURCES: Record<string, { vi: string; en: string }> = {
  device: { vi: 'Thiết bị', en: 'Device' },
  content: { vi: 'Bản tin', en: 'Content' },
  schedule: { vi: 'Lịch phát', en: 'Schedule' },
  group: { vi: 'Nhóm thiết bị', en: 'Device group' },
  user: { vi: 'Tài khoản', en: 'Account' },
  area: { vi: 'Địa bàn', en: 'Area' },
  alert: { vi: 'Thông báo khẩn', en: 'Emergency alert' },
  'board-profile': { vi: 'Cấu hình bảng tin', en: 'Board profile' },
};

export const actionWord = (lang: Lang, action: string): string => ACTIONS[action]?.[lang] ?? action;
export const resourceWord = (lang: Lang, type: string | null): string => (type ? (RESOURCES[type]?.[lang] ?? type) : '');
