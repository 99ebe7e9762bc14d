/**
 * Issue 19 item 7: the signed-in user's notifications: a bell in the top bar with the unread count, opening a list
 * (newest first) whose items lead to what they are about; live, so a submission or a decision shows at once.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { NOTIFICATION_LIVE_EVENT, NOTIFICATION_READ_LIVE_EVENT, type NotificationList, type NotificationView } from '@loa/shared/rest';
import { get, post } from '../api.js';
import { fmtDateTime } from '../format.js';
import { defineStrings, useT } from '../i18n.js';
import { useLive } from '../live.js';
import { href } from '../router.js';
import { useUserNames } from '../user-names.js';

const S = defineStrings({
  vi: {
    bell: 'Thông báo',
    unread: '{n} thông báo chưa đọc',
    empty: 'Chưa có thông báo.',
    readAll: 'Đánh dấu đã đọc tất cả',
    schedule: 'Lịch phát',
    content: 'Nội dung',
    alert: 'Cảnh báo khẩn',
    submitted: '{what} «{title}» cần bạn phê duyệt',
    approved: '{what} «{title}» đã được phê duyệt',
    rejected: '{what} «{title}» bị từ chối',
    withdrawn: '{what} «{title}» đã được rút lại',
    by: 'bởi {who}',
    reason: 'Lý do: {text}',
  },
  en: {
    bell: 'Notifications',
    unread: '{n} unread notifications',
    empty: 'No notifications yet.',
    readAll: 'Mark all as read',
    schedule: 'Schedule',
    content: 'Content',
    alert: 'Emergency alert',
    submitted: '{what} “{title}” needs your approval',
    approved: '{what} “{title}” was approved',
    rejected: '{what} “{title}” was rejected',
    withdrawn: '{what} “{title}” was withdrawn',
    by: 'by {who}',
    reason: 'Reason: {text}',
  },
});

const KIND_KEY = { 'approval.submitted': 'submitted', 'approval.approved': 'approved', 'approval.rejected': 'rejected', 'approval.withdrawn': 'withdrawn' } as const;

/** Where a notification leads: the queue for what waits; the schedule or the contents for a decision. */
const target = (n: NotificationView): string =>
  n.kind === 'approval.submitted' ? href('/approvals') : n.subject === 'schedule' ? href(`/schedules/${encodeURIComponent(n.subjectId)}`) : n.subject === 'alert' ? href(`/alert/${encodeURIComponent(n.subjectId)}`) : href('/contents');

export function NotificationBell() {
  const t = useT(S);
  const userName = useUserNames();
  const [items, setItems] = useState<NotificationView[]>([]);
  const [unread, setUnread] = useState(0);
  const [open, setOpen] = useState(false);
  const box = useRef<HTMLDivElement>(null);
  const load = () =>
    void get<NotificationList>('/api/v1/notifications', { limit: 30 }).then(
      (l) => {
        setItems(l.items);
        setUnread(l.unread);
      },
      () => undefined,
    );
  useEffect(load, []);
  useLive(NOTIFICATION_LIVE_EVENT, (e) => {
    const n = e.notification as NotificationView;
    setItems((xs) => [n, ...xs.filter((x) => x.id !== n.id)].slice(0, 30));
    setUnread(Number(e.unread));
  });
  useLive(NOTIFICATION_READ_LIVE_EVENT, (e) => {
    setUnread(Number(e.unread));
    load();
  });
  // A reconnected stream may have missed some.
  useLive('hello', load);
  useEffect(() => {
    if (!open) return;
    const away = (e: MouseEvent) => box.current && !box.current.contains(e.target as Node) && setOpen(false);
    document.addEventListener('click', away);
    return () => document.removeEventListener('click', away);
  }, [open]);

  const read = async (ids: string[] | null) => {
    const r = await post<{ unread: number }>('/api/v1/notifications/read', ids === null ? { all: true } : { ids });
    const at = new Date().toISOString();
    setItems((xs) => xs.map((x) => (ids === null || ids.includes(x.id) ? { ...x, readAt: x.readAt ?? at } : x)));
    setUnread(r.unread);
  };

  return (
    <div class="bell" ref={box}>
      <button type="button" class="ghost bell-button" aria-label={unread > 0 ? t('unread', { n: unread }) : t('bell')} aria-expanded={open} data-testid="notification-bell" data-unread={unread} onClick={() => setOpen(!open)}>
        {/* Drawn, not an emoji: phones and kiosks without an emoji font show a box instead. */}
        <svg aria-hidden="true" width="22" height="22" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">
          <path d="M18 8a6 6 0 0 0-12 0c0 7-3 9-3 9h18s-3-2-3-9" />
          <path d="M13.7 21a2 2 0 0 1-3.4 0" />
        </svg>
        {unread > 0 ? (
          <span class="bell-count" data-testid="notification-count">
            {unread > 99 ? '99+' : unread}
          </span>
        ) : null}
      </button>
      {open ? (
        <div class="bell-panel" role="dialog" aria-label={t('bell')} data-testid="notification-panel">
          <div class="bell-head">
            <strong>{t('bell')}</strong>
            {unread > 0 ? (
              <button type="button" class="ghost small" data-testid="notifications-read-all" onClick={() => void read(null)}>
                {t('readAll')}
              </button>
            ) : null}
          </div>
          {items.length === 0 ? <p class="muted small">{t('empty')}</p> : null}
          <ul class="bell-list">
            {items.map((n) => (
              <li key={n.id} class={n.readAt ? 'read' : 'unread'} data-testid="notification" data-kind={n.kind} data-subject-id={n.subjectId} data-read={n.readAt ? 'yes' : 'no'}>
                <a
                  href={target(n)}
                  onClick={() => {
                    setOpen(false);
                    if (!n.readAt) void read([n.id]);
                  }}
                >
                  <span class="bell-text">{t(KIND_KEY[n.kind], { what: t(n.subject), title: n.title })}</span>
                  {n.detail ? <span class="bell-detail small">{n.kind === 'approval.rejected' ? t('reason', { text: n.detail }) : n.detail}</span> : null}
                  <span class="muted small">
                    {n.actor ? `${t('by', { who: userName(n.actor) })} · ` : ''}
                    {fmtDateTime(n.createdAt)}
                  </span>
                </a>
              </li>
            ))}
          </ul>
        </div>
      ) : null}
    </div>
  );
}
