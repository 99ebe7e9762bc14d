import { useEffect, useState } from 'preact/hooks';

/** Vietnamese first: the people using this are commune and district staff; English is a switch. */
export type Lang = 'vi' | 'en';
const KEY = 'loa.lang';
const listeners = new Set<(l: Lang) => void>();
let current: Lang = ((): Lang => {
  try {
    return localStorage.getItem(KEY) === 'en' ? 'en' : 'vi';
  } catch {
    return 'vi';
  }
})();

export const getLang = (): Lang => current;

export function setLang(l: Lang): void {
  current = l;
  try {
    localStorage.setItem(KEY, l);
  } catch {
    // private mode: the choice lasts until reload
  }
  document.documentElement.lang = l;
  for (const f of listeners) f(l);
}

export function useLang(): Lang {
  const [l, set] = useState(current);
  useEffect(() => {
    listeners.add(set);
    return () => void listeners.delete(set);
  }, []);
  return l;
}

/**
 * A page's own strings, both languages side by side so none is forgotten: the `en` table must have every key of
 * `vi` (the type says so). Each page defines its table next to its code; common words live in COMMON below.
 */
export type Strings<K extends string> = { vi: Record<K, string>; en: Record<K, string> };
export const defineStrings = <K extends string>(s: Strings<K>): Strings<K> => s;

const fill = (s: string, vars?: Record<string, string | number>): string =>
  vars ? s.replace(/\{(\w+)\}/g, (m, k: string) => (k in vars ? String(vars[k]) : m)) : s;

/** `const t = useT(STRINGS); t('key', { n: 3 })` — re-renders when the language changes. */
export function useT<K extends string>(strings: Strings<K>): (key: K, vars?: Record<string, string | number>) => string {
  const lang = useLang();
  return (key, vars) => fill(strings[lang][key] ?? strings.vi[key] ?? key, vars);
}

export const COMMON = defineStrings({
  vi: {
    appName: 'Loa — Thông tin cơ sở',
    overview: 'Tổng quan',
    commune: 'Xã của tôi',
    devices: 'Thiết bị',
    contents: 'Nội dung',
    schedules: 'Lịch phát',
    deliveries: 'Kết quả phát',
    approvals: 'Phê duyệt',
    alerts: 'Phát khẩn cấp',
    liveVoice: 'Phát trực tiếp',
    fleet: 'Quản lý thiết bị',
    users: 'Người dùng',
    areas: 'Địa bàn',
    audit: 'Nhật ký',
    reports: 'Báo cáo',
    sourceSystem: 'Kết nối hệ thống nguồn',
    capSources: 'Nguồn CAP',
    ttsDictionary: 'Từ điển cách đọc',
    agentUpdates: 'Cập nhật phần mềm',
    feedback: 'Ý kiến người dân',
    logout: 'Đăng xuất',
    save: 'Lưu',
    cancel: 'Hủy',
    close: 'Đóng',
    delete: 'Xóa',
    edit: 'Sửa',
    create: 'Tạo mới',
    search: 'Tìm kiếm',
    loading: 'Đang tải…',
    error: 'Lỗi',
    none: 'Không có dữ liệu',
    all: 'Tất cả',
    area: 'Địa bàn',
    status: 'Trạng thái',
    kind: 'Loại',
    online: 'Trực tuyến',
    offline: 'Mất kết nối',
    live: 'Trực tiếp',
    reconnecting: 'Đang kết nối lại…',
    language: 'English',
    exportCsv: 'Xuất CSV',
    refresh: 'Làm mới',
    more: 'Xem thêm',
    yes: 'Có',
    no: 'Không',
    speaker: 'Cụm loa',
    board: 'Bảng tin',
    role_admin: 'Quản trị',
    role_operator: 'Biên tập viên',
    role_approver: 'Người duyệt',
    role_commune_officer: 'Cán bộ xã',
    menu: 'Menu',
    password: 'Đổi mật khẩu',
    lessons: 'Bài học',
    trainingClasses: 'Lớp tập huấn',
  },
  en: {
    appName: 'Loa — Grassroots information',
    overview: 'Overview',
    commune: 'My commune',
    devices: 'Devices',
    contents: 'Content',
    schedules: 'Schedules',
    deliveries: 'Deliveries',
    approvals: 'Approvals',
    alerts: 'Emergency alerts',
    liveVoice: 'Live broadcast',
    fleet: 'Fleet admin',
    users: 'Users',
    areas: 'Areas',
    audit: 'Audit log',
    reports: 'Reports',
    sourceSystem: 'Source system link',
    capSources: 'CAP sources',
    ttsDictionary: 'Pronunciation dictionary',
    agentUpdates: 'Agent updates',
    feedback: 'Citizen feedback',
    logout: 'Log out',
    save: 'Save',
    cancel: 'Cancel',
    close: 'Close',
    delete: 'Delete',
    edit: 'Edit',
    create: 'New',
    search: 'Search',
    loading: 'Loading…',
    error: 'Error',
    none: 'Nothing here',
    all: 'All',
    area: 'Area',
    status: 'Status',
    kind: 'Kind',
    online: 'Online',
    offline: 'Offline',
    live: 'Live',
    reconnecting: 'Reconnecting…',
    language: 'Tiếng Việt',
    exportCsv: 'Export CSV',
    refresh: 'Refresh',
    more: 'More',
    yes: 'Yes',
    no: 'No',
    speaker: 'Loudspeaker',
    board: 'E-board',
    role_admin: 'Administrator',
    role_operator: 'Operator',
    role_approver: 'Approver',
    role_commune_officer: 'Commune officer',
    menu: 'Menu',
    password: 'Change password',
    lessons: 'Lessons',
    trainingClasses: 'Training classes',
  },
});

export const useCommon = () => useT(COMMON);
