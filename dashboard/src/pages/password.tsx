import { useState } from 'preact/hooks';
import { post } from '../api.js';
import { defineStrings, setLang, useLang, useT } from '../i18n.js';
import { navigate } from '../router.js';
import { loadSession, saveSession, type Session } from '../session.js';
import { ErrorBox, Field, PageHeader } from '../ui.js';
import { CalendarLinkPanel } from './calendar-link.js';

const S = defineStrings({
  vi: {
    title: 'Đổi mật khẩu',
    current: 'Mật khẩu hiện tại',
    next: 'Mật khẩu mới (ít nhất 8 ký tự)',
    repeat: 'Nhập lại mật khẩu mới',
    mismatch: 'Hai mật khẩu mới không khớp',
    done: 'Đã đổi mật khẩu. Các phiên đăng nhập khác đã kết thúc.',
    save: 'Đổi mật khẩu',
    forcedTitle: 'Hãy đặt mật khẩu của riêng bạn',
    forcedText: 'Quản trị viên đã đặt mật khẩu cho tài khoản {name}. Trước khi làm việc khác, hãy đổi sang mật khẩu chỉ bạn biết.',
    forcedCurrent: 'Mật khẩu quản trị viên đã đưa',
    logout: 'Đăng xuất',
    other: 'English',
  },
  en: {
    title: 'Change password',
    current: 'Current password',
    next: 'New password (8 characters or more)',
    repeat: 'Repeat the new password',
    mismatch: 'The new passwords differ',
    done: 'Password changed. Your other sessions have ended.',
    save: 'Change password',
    forcedTitle: 'Set a password of your own',
    forcedText: 'An administrator set the password of the account {name}. Before anything else, change it to one only you know.',
    forcedCurrent: 'Password the administrator gave you',
    logout: 'Sign out',
    other: 'Tiếng Việt',
  },
});

/** Issue 19: the login answer (and a refreshed session) says an administrator set the password. */
export const mustChangePassword = (s: Session): boolean => (s.user as { mustChangePassword?: boolean }).mustChangePassword === true;

/** Current, new and repeated password; `onDone` after the server accepted the change. */
function PasswordForm({ onDone, currentLabel }: { onDone: () => void; currentLabel?: string }) {
  const t = useT(S);
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [repeat, setRepeat] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    if (next !== repeat) return setError(new Error(t('mismatch')));
    setBusy(true);
    try {
      await post('/api/v1/auth/password', { current, new: next });
      setCurrent('');
      setNext('');
      setRepeat('');
      onDone();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const bind = (set: (v: string) => void) => (e: Event) => set((e.target as HTMLInputElement).value);
  return (
    <form class="card form narrow" onSubmit={submit} data-testid="password-form">
      <Field label={currentLabel ?? t('current')}>
        <input type="password" name="current" autoComplete="current-password" value={current} onInput={bind(setCurrent)} required data-testid="password-current" />
      </Field>
      <Field label={t('next')}>
        <input type="password" name="new" autoComplete="new-password" minLength={8} value={next} onInput={bind(setNext)} required data-testid="password-new" />
      </Field>
      <Field label={t('repeat')}>
        <input type="password" name="repeat" autoComplete="new-password" minLength={8} value={repeat} onInput={bind(setRepeat)} required data-testid="password-repeat" />
      </Field>
      <ErrorBox error={error} />
      <button type="submit" class="primary" disabled={busy} data-testid="password-save">
        {t('save')}
      </button>
    </form>
  );
}

export function PasswordPage() {
  const t = useT(S);
  const [done, setDone] = useState(false);
  return (
    <section>
      <PageHeader title={t('title')} />
      <PasswordForm onDone={() => setDone(true)} />
      {done ? <p class="ok">{t('done')}</p> : null}
      {/* Issue 16: the account page also holds the user's calendar link. */}
      <CalendarLinkPanel />
    </section>
  );
}

/**
 * The only page a user whose password an administrator set can reach (the server refuses every other route with
 * `password.change-required`). Once changed, the session is marked done and the dashboard opens.
 */
export function ForcedPasswordPage({ session }: { session: Session }) {
  const t = useT(S);
  const lang = useLang();
  const name = session.user.username;
  const finished = () => {
    const s = loadSession() ?? session;
    navigate('/');
    saveSession({ ...s, user: { ...s.user, mustChangePassword: false } as Session['user'] });
  };
  const logout = () => {
    void post('/api/v1/auth/logout').catch(() => undefined).finally(() => saveSession(null));
  };
  return (
    <div class="login-wrap" data-testid="forced-password">
      <div style={{ width: '100%', maxWidth: '26rem' }}>
        <div class="card" style={{ marginBottom: '.75rem' }}>
          <h1 style={{ marginTop: 0, fontSize: '1.25rem' }}>{t('forcedTitle')}</h1>
          <p class="muted" style={{ marginBottom: 0 }}>
            {t('forcedText', { name })}
          </p>
        </div>
        <PasswordForm onDone={finished} currentLabel={t('forcedCurrent')} />
        <div style={{ display: 'flex', gap: '.5rem', marginTop: '.75rem' }}>
          <button type="button" class="ghost" onClick={logout} data-testid="forced-logout">
            {t('logout')}
          </button>
          <button type="button" class="ghost" onClick={() => setLang(lang === 'vi' ? 'en' : 'vi')}>
            {t('other')}
          </button>
        </div>
      </div>
    </div>
  );
}
