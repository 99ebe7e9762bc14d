/**
 * The public feedback page's pure rules (no DOM): what the server checks, checked first here so a resident on a slow
 * line learns of a mistake before uploading. The server stays the judge; these only mirror it.
 */
import { FEEDBACK_ATTACHMENT_MIME, FEEDBACK_MAX_TOTAL_BYTES, type FeedbackForm } from '@loa/shared/rest';

/**
 * Same rule as `normalizePhone` in `shared/src/rest/feedback.ts`, copied because importing it would pull zod into
 * this bundle (`dashboard/test/public-feedback-rules.spec.ts` keeps the two in step).
 */
export const normalizePhone = (raw: string): string | null => {
  const digits = raw.replace(/[\s.\-()]/g, '');
  const local = digits.startsWith('+84') ? `0${digits.slice(3)}` : /^84\d{9}$/.test(digits) ? `0${digits.slice(2)}` : digits;
  return /^0\d{9}$/.test(local) ? local : null;
};

/** Loose on purpose: the server's check decides; this catches a missing "@" or domain. */
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export const LIMITS = { name: 120, email: 200, village: 120, title: 200, content: 5000, comment: 1000 } as const;

export interface FormValues {
  name: string;
  phone: string;
  email: string;
  village: string;
  title: string;
  content: string;
  category: string;
  consent: boolean;
}
export type FieldName = keyof FormValues;

/** Vietnamese reasons per field, in the order of the form (the first one gets the focus). */
export function validate(v: FormValues): Partial<Record<FieldName, string>> {
  const e: Partial<Record<FieldName, string>> = {};
  if (v.name.trim() === '') e.name = 'Vui lòng nhập họ và tên.';
  else if (v.name.trim().length > LIMITS.name) e.name = `Họ tên dài quá ${LIMITS.name} ký tự.`;
  if (v.phone.trim() === '') e.phone = 'Vui lòng nhập số điện thoại để tra cứu và nhận trả lời.';
  else if (normalizePhone(v.phone) === null) e.phone = 'Số điện thoại không hợp lệ (10 chữ số, bắt đầu bằng 0, ví dụ 0912345678).';
  const email = v.email.trim();
  if (email !== '' && (!EMAIL.test(email) || email.length > LIMITS.email)) e.email = 'Địa chỉ e-mail không hợp lệ (ví dụ ten@gmail.com), hoặc để trống.';
  if (v.village.trim().length > LIMITS.village) e.village = `Tên thôn/tổ dân phố dài quá ${LIMITS.village} ký tự.`;
  if (v.title.trim() === '') e.title = 'Vui lòng nhập tiêu đề.';
  else if (v.title.trim().length > LIMITS.title) e.title = `Tiêu đề dài quá ${LIMITS.title} ký tự.`;
  if (v.content.trim() === '') e.content = 'Vui lòng nhập nội dung ý kiến.';
  else if (v.content.trim().length > LIMITS.content) e.content = `Nội dung dài quá ${LIMITS.content} ký tự.`;
  if (v.category === '') e.category = 'Vui lòng chọn lĩnh vực.';
  if (!v.consent) e.consent = 'Cần đồng ý cho phép sử dụng thông tin cá nhân để xử lý ý kiến.';
  return e;
}

/** Some phones give no MIME type for a picked file: the extension then says what it claims to be. */
const BY_EXTENSION: Record<string, string> = { jpg: 'image/jpeg', jpeg: 'image/jpeg', png: 'image/png', webp: 'image/webp', pdf: 'application/pdf' };
export function fileMime(f: { name: string; type: string }): string {
  if (f.type !== '') return f.type;
  const ext = f.name.toLowerCase().split('.').pop() ?? '';
  return BY_EXTENSION[ext] ?? '';
}
export const ACCEPT = [...FEEDBACK_ATTACHMENT_MIME, '.jpg', '.jpeg', '.png', '.webp', '.pdf'].join(',');

export interface FileLike {
  name: string;
  type: string;
  size: number;
}

/** Why this file cannot be added to those already chosen (Vietnamese), or null when it can. */
export function fileRefusal(f: FileLike, chosen: readonly FileLike[], form: Pick<FeedbackForm, 'maxAttachments' | 'maxAttachmentBytes'>): string | null {
  if (chosen.length >= form.maxAttachments) return `Chỉ được gửi tối đa ${form.maxAttachments} tệp đính kèm.`;
  if (!(FEEDBACK_ATTACHMENT_MIME as readonly string[]).includes(fileMime(f))) return `Tệp "${f.name}" không được nhận: chỉ nhận ảnh (JPEG, PNG, WebP) hoặc tài liệu PDF.`;
  if (f.size === 0) return `Tệp "${f.name}" rỗng.`;
  if (f.size > form.maxAttachmentBytes) return `Tệp "${f.name}" (${formatBytes(f.size)}) quá lớn: tối đa ${formatBytes(form.maxAttachmentBytes)} mỗi tệp.`;
  const total = chosen.reduce((s, c) => s + c.size, 0) + f.size;
  if (total > FEEDBACK_MAX_TOTAL_BYTES) return `Không thêm được "${f.name}": tổng dung lượng các tệp tối đa ${formatBytes(FEEDBACK_MAX_TOTAL_BYTES)}.`;
  return null;
}

/** 850 KB, 1,2 MB (Vietnamese decimal comma). */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${Math.max(1, Math.round(n / 1024))} KB`;
  return `${(n / (1024 * 1024)).toFixed(1).replace('.', ',')} MB`;
}

const pad = (n: number): string => String(n).padStart(2, '0');
/**
 * dd/mm/yyyy HH:mm in Vietnam's time (UTC+7 all year, no summer time): computed by hand rather than with Intl's time
 * zones, which some cheap phones' browsers lack.
 */
export function formatVnDateTime(iso: string): string {
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return iso;
  const d = new Date(t + 7 * 3_600_000);
  return `${pad(d.getUTCDate())}/${pad(d.getUTCMonth() + 1)}/${d.getUTCFullYear()} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
}
