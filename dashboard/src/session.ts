/** The signed-in user's tokens, kept in localStorage so a reload (or a second tab) stays signed in. */
export type Role = 'admin' | 'operator' | 'approver' | 'commune_officer';

export interface SessionUser {
  id: string;
  username: string;
  role: Role;
  areaCode: string | null;
}

export interface Session {
  accessToken: string;
  expiresAt: string;
  refreshToken?: string;
  refreshExpiresAt?: string;
  user: SessionUser;
}

const KEY = 'loa.session';
type Listener = (s: Session | null) => void;
const listeners = new Set<Listener>();

export function loadSession(): Session | null {
  try {
    const raw = localStorage.getItem(KEY);
    return raw ? (JSON.parse(raw) as Session) : null;
  } catch {
    return null;
  }
}

export function saveSession(s: Session | null): void {
  if (s) localStorage.setItem(KEY, JSON.stringify(s));
  else localStorage.removeItem(KEY);
  for (const l of listeners) l(s);
}

export function onSessionChange(l: Listener): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}

// Another tab signing in or out is followed here too.
if (typeof window !== 'undefined') {
  window.addEventListener('storage', (e) => {
    if (e.key === KEY) for (const l of listeners) l(loadSession());
  });
}
