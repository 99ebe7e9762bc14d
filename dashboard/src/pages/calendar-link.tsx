import { useState } from 'preact/hooks';
import { del, get, post } from '../api.js';
import { fmtDateTime } from '../format.js';
import { defineStrings, useT } from '../i18n.js';
import type { CalendarTokenCreated, CalendarTokenStatus } from '@loa/shared/rest';
import { ErrorBox, Loading, useAsync } from '../ui.js';
import { ConfirmModal, CopyField, OnceWarning } from './fleet-common.js';

const S = defineStrings({
  vi: {
    title: 'Lịch trên điện thoại',
    intro: 'Xem các lượt phát thanh của địa bàn bạn (7 ngày trước đến 60 ngày tới) ngay trong ứng dụng lịch của điện thoại. Ứng dụng lịch tự cập nhật khi lịch phát thay đổi hoặc bị hủy.',
    none: 'Bạn chưa có liên kết lịch.',
    has: 'Đã có liên kết, tạo lúc {created}.',
    used: 'Ứng dụng lịch lấy lần gần nhất lúc {used}.',
    neverUsed: 'Chưa ứng dụng lịch nào dùng liên kết này.',
    create: 'Tạo liên kết lịch',
    rotate: 'Đổi liên kết',
    revoke: 'Thu hồi liên kết',
    rotateTitle: 'Đổi liên kết lịch?',
    rotateBody: 'Liên kết cũ sẽ ngừng hoạt động ngay; các điện thoại đang dùng nó phải thêm liên kết mới.',
    revokeTitle: 'Thu hồi liên kết lịch?',
    revokeBody: 'Liên kết sẽ ngừng hoạt động ngay; lịch trên các điện thoại đang dùng nó sẽ không còn cập nhật.',
    once: 'Liên kết chỉ hiện MỘT LẦN. Ai có liên kết này đều xem được lịch phát của địa bàn bạn: đừng chia sẻ. Nếu lộ, hãy đổi hoặc thu hồi.',
    url: 'Liên kết lịch (dán vào ứng dụng lịch)',
    open: 'Mở bằng ứng dụng lịch',
    howTitle: 'Cách thêm vào điện thoại',
    howIphone: 'iPhone: bấm "Mở bằng ứng dụng lịch", hoặc Cài đặt → Lịch → Tài khoản → Thêm tài khoản → Khác → Thêm lịch đã đăng ký, rồi dán liên kết.',
    howAndroid: 'Android (Google Lịch): trên máy tính mở calendar.google.com → Lịch khác → + → Từ URL, dán liên kết; lịch sẽ hiện trên điện thoại đăng nhập cùng tài khoản.',
    done: 'Xong',
  },
  en: {
    title: 'Calendar on your phone',
    intro: "See your area's broadcasts (7 days back to 60 days ahead) in your phone's calendar app. The calendar app updates itself when a schedule changes or is cancelled.",
    none: 'You have no calendar link.',
    has: 'You have a link, created {created}.',
    used: 'Last fetched by a calendar app {used}.',
    neverUsed: 'No calendar app has used this link yet.',
    create: 'Create a calendar link',
    rotate: 'Replace the link',
    revoke: 'Revoke the link',
    rotateTitle: 'Replace the calendar link?',
    rotateBody: 'The old link stops working at once; phones using it need the new one.',
    revokeTitle: 'Revoke the calendar link?',
    revokeBody: 'The link stops working at once; calendars on phones using it stop updating.',
    once: "The link is shown only ONCE. Anyone with it can see your area's broadcast schedule: do not share it. If it leaks, replace or revoke it.",
    url: 'Calendar link (paste it into a calendar app)',
    open: 'Open in the calendar app',
    howTitle: 'How to add it to a phone',
    howIphone: 'iPhone: tap "Open in the calendar app", or Settings → Calendar → Accounts → Add Account → Other → Add Subscribed Calendar, and paste the link.',
    howAndroid: 'Android (Google Calendar): on a computer open calendar.google.com → Other calendars → + → From URL and paste the link; it then shows on phones signed in to the same account.',
    done: 'Done',
  },
});

/**
 * Issue 16: the user's calendar link (an iCalendar feed of its area's schedules). The server keeps only a hash of the
 * link, so it is shown once, right after it is made; the panel then only says whether one exists and when it was used.
 */
export function CalendarLinkPanel() {
  const t = useT(S);
  const status = useAsync(() => get<CalendarTokenStatus>('/api/v1/calendar/token'), []);
  const [created, setCreated] = useState<CalendarTokenCreated | null>(null);
  const [confirm, setConfirm] = useState<'rotate' | 'revoke' | null>(null);
  const [error, setError] = useState<unknown>(null);

  const create = async () => {
    setError(null);
    try {
      setCreated(await post<CalendarTokenCreated>('/api/v1/calendar/token'));
      status.reload();
    } catch (err) {
      setError(err);
    }
  };
  const revoke = async () => {
    await del('/api/v1/calendar/token');
    setCreated(null);
    status.reload();
  };

  const s = status.data;
  return (
    <div class="card narrow" data-testid="calendar-link" style={{ marginTop: '1rem' }}>
      <h2>{t('title')}</h2>
      <p class="muted">{t('intro')}</p>
      <Loading when={status.loading && !s} />
      <ErrorBox error={status.error ?? error} />
      {created ? (
        <div data-testid="calendar-link-once">
          <OnceWarning>{t('once')}</OnceWarning>
          <CopyField label={t('url')} value={created.url} testid="calendar-link-url" copyTestid="calendar-link-copy" />
          <div class="row" style={{ marginTop: '.5rem' }}>
            <a class="button" href={created.webcalUrl} data-testid="calendar-link-webcal">
              {t('open')}
            </a>
            <button type="button" onClick={() => setCreated(null)}>
              {t('done')}
            </button>
          </div>
          <h3>{t('howTitle')}</h3>
          <ul>
            <li>{t('howIphone')}</li>
            <li>{t('howAndroid')}</li>
          </ul>
        </div>
      ) : s ? (
        <div>
          {s.exists ? (
            <p data-testid="calendar-link-status">
              {t('has', { created: fmtDateTime(s.createdAt) })} {s.lastUsedAt ? t('used', { used: fmtDateTime(s.lastUsedAt) }) : t('neverUsed')}
            </p>
          ) : (
            <p data-testid="calendar-link-status">{t('none')}</p>
          )}
          <div class="row">
            {s.exists ? (
              <>
                <button type="button" onClick={() => setConfirm('rotate')} data-testid="calendar-link-rotate">
                  {t('rotate')}
                </button>
                <button type="button" class="danger" onClick={() => setConfirm('revoke')} data-testid="calendar-link-revoke">
                  {t('revoke')}
                </button>
              </>
            ) : (
              <button type="button" class="primary" onClick={() => void create()} data-testid="calendar-link-create">
                {t('create')}
              </button>
            )}
          </div>
        </div>
      ) : null}
      {confirm ? (
        <ConfirmModal
          title={t(confirm === 'rotate' ? 'rotateTitle' : 'revokeTitle')}
          confirmLabel={t(confirm)}
          danger={confirm === 'revoke'}
          testid="calendar-link-confirm"
          onConfirm={async () => {
            if (confirm === 'rotate') setCreated(await post<CalendarTokenCreated>('/api/v1/calendar/token'));
            else await revoke();
            setConfirm(null);
            status.reload();
          }}
          onClose={() => setConfirm(null)}
        >
          <p>{t(confirm === 'rotate' ? 'rotateBody' : 'revokeBody')}</p>
        </ConfirmModal>
      ) : null}
    </div>
  );
}
