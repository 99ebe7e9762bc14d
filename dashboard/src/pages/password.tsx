import { useState } from 'preact/hooks';
import { post } from '../api.js';
import { defineStrings, useT } from '../i18n.js';
import { ErrorBox, Field, PageHeader } from '../ui.js';
import { CalendarLinkPanel } from './calendar-link.js';

const S = defineStrings({
  vi: { title: 'Đổi mật khẩu', current: 'Mật khẩu hiện tại', next: 'Mật khẩu mới (ít nhất 8 ký tự)', repeat: 'Nhập lại mật khẩu mới', mismatch: 'Hai mật khẩu mới không khớp', done: 'Đã đổi mật khẩu. Các phiên đăng nhập khác đã kết thúc.', save: 'Đổi mật khẩu' },
  en: { title: 'Change password', current: 'Current password', next: 'New password (8 characters or more)', repeat: 'Repeat the new password', mismatch: 'The new passwords differ', done: 'Password changed. Your other sessions have ended.', save: 'Change password' },
});

export function PasswordPage() {
  const t = useT(S);
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [repeat, setRepeat] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    setDone(false);
    if (next !== repeat) return setError(new Error(t('mismatch')));
    try {
      await post('/api/v1/auth/password', { current, new: next });
      setDone(true);
      setCurrent('');
      setNext('');
      setRepeat('');
    } catch (err) {
      setError(err);
    }
  };
  const bind = (set: (v: string) => void) => (e: Event) => set((e.target as HTMLInputElement).value);
  return (
    <section>
      <PageHeader title={t('title')} />
      <form class="card form narrow" onSubmit={submit}>
        <Field label={t('current')}>
          <input type="password" autoComplete="current-password" value={current} onInput={bind(setCurrent)} required />
        </Field>
        <Field label={t('next')}>
          <input type="password" autoComplete="new-password" minLength={8} value={next} onInput={bind(setNext)} required />
        </Field>
        <Field label={t('repeat')}>
          <input type="password" autoComplete="new-password" minLength={8} value={repeat} onInput={bind(setRepeat)} required />
        </Field>
        <ErrorBox error={error} />
        {done ? <p class="ok">{t('done')}</p> : null}
        <button type="submit" class="primary">
          {t('save')}
        </button>
      </form>
      {/* Issue 16: the account page also holds the user's calendar link. */}
      <CalendarLinkPanel />
    </section>
  );
}
