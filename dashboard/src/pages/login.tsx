import { useState } from 'preact/hooks';
import { api, ApiError } from '../api.js';
import { defineStrings, setLang, useLang, useT } from '../i18n.js';
import { saveSession, type Session } from '../session.js';

const S = defineStrings({
  vi: {
    title: 'Hệ thống thông tin cơ sở',
    subtitle: 'Đăng nhập để quản lý loa và bảng tin',
    username: 'Tên đăng nhập',
    password: 'Mật khẩu',
    login: 'Đăng nhập',
    wrong: 'Sai tên đăng nhập hoặc mật khẩu',
    locked: 'Tài khoản tạm khóa do đăng nhập sai nhiều lần. {msg}',
    other: 'English',
  },
  en: {
    title: 'Grassroots information system',
    subtitle: 'Sign in to manage loudspeakers and e-boards',
    username: 'Username',
    password: 'Password',
    login: 'Sign in',
    wrong: 'Wrong username or password',
    locked: 'Account temporarily locked after repeated failures. {msg}',
    other: 'Tiếng Việt',
  },
});

export function LoginPage() {
  const t = useT(S);
  const lang = useLang();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const s = await api<Session>('POST', '/api/v1/auth/login', { body: { username, password } });
      saveSession(s);
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) setError(t('wrong'));
      else if (err instanceof ApiError && err.status === 429) setError(t('locked', { msg: err.message }));
      else setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="login-wrap">
      <form class="login card" onSubmit={submit}>
        <h1>Loa</h1>
        <p class="muted">{t('title')}</p>
        <p class="muted small">{t('subtitle')}</p>
        <label class="field">
          <span class="field-label">{t('username')}</span>
          <input name="username" autoComplete="username" value={username} onInput={(e) => setUsername((e.target as HTMLInputElement).value)} required autoFocus />
        </label>
        <label class="field">
          <span class="field-label">{t('password')}</span>
          <input name="password" type="password" autoComplete="current-password" value={password} onInput={(e) => setPassword((e.target as HTMLInputElement).value)} required />
        </label>
        {error ? (
          <div class="error" role="alert">
            {error}
          </div>
        ) : null}
        <button type="submit" class="primary" disabled={busy}>
          {t('login')}
        </button>
        <button type="button" class="ghost" onClick={() => setLang(lang === 'vi' ? 'en' : 'vi')}>
          {t('other')}
        </button>
      </form>
    </div>
  );
}
