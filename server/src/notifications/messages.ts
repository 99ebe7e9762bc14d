import type { NotificationKind, NotificationSubject } from '@loa/shared/rest';
import type { Recipient } from './notifications.repository.js';

/** The words of a message: what it is about and what happened (Vietnamese: the recipients are Vietnamese officers). */
interface MessageInput {
  kind: NotificationKind;
  subject: NotificationSubject;
  title: string;
  detail: string | null;
  actorName: string | null;
}

const SUBJECT_VI: Record<NotificationSubject, string> = { schedule: 'Lịch phát', content: 'Nội dung', alert: 'Cảnh báo khẩn' };
const KIND_VI: Record<NotificationKind, string> = {
  'approval.submitted': 'cần phê duyệt',
  'approval.approved': 'đã được phê duyệt',
  'approval.rejected': 'bị từ chối',
  'approval.withdrawn': 'đã được rút lại',
};

/** "Nội dung «Họp dân» cần phê duyệt". */
export const headline = (m: Pick<MessageInput, 'kind' | 'subject' | 'title'>): string => `${SUBJECT_VI[m.subject]} «${m.title}» ${KIND_VI[m.kind]}`;

const where = (m: Pick<MessageInput, 'kind'>, link: string | null): string | null => (link === null ? null : m.kind === 'approval.submitted' ? `${link}/#/approvals` : `${link}/#/notifications`);

export function composeEmail(m: MessageInput, r: Recipient, link: string | null): { subject: string; text: string } {
  const lines = [`Kính gửi ${r.fullName ?? r.username},`, '', `${headline(m)}.`];
  if (m.actorName) lines.push(m.kind === 'approval.submitted' ? `Người gửi: ${m.actorName}` : `Người xử lý: ${m.actorName}`);
  if (m.detail) lines.push('', m.kind === 'approval.rejected' ? `Lý do: ${m.detail}` : `Nội dung đọc: ${m.detail}`);
  const url = where(m, link);
  if (url) lines.push('', `Xem trên Loa: ${url}`);
  lines.push('', '— Loa (thư tự động, xin đừng trả lời)');
  return { subject: `[Loa] ${headline(m)}`, text: lines.join('\n') };
}

/**
 * Without diacritics, as Vietnamese service texts are sent (with them a message holds 70 characters instead of 160),
 * and cut to one message.
 */
export const plain = (s: string): string =>
  s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/đ/g, 'd')
    .replace(/Đ/g, 'D');

export function composeSms(m: MessageInput, link: string | null): string {
  const url = where(m, link);
  const reason = m.kind === 'approval.rejected' && m.detail ? ` Ly do: ${m.detail}` : '';
  const text = `Loa: ${plain(headline(m)).replace(/[«»]/g, '"')}.${plain(reason)}`;
  const max = 160 - (url ? url.length + 1 : 0);
  const cut = text.length <= max ? text : `${text.slice(0, max - 3)}...`;
  return url ? `${cut} ${url}` : cut;
}
