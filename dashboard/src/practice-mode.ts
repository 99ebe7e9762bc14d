/**
 * Issue 21: practice mode in the dashboard. While on, every API call and the live event stream go to
 * `/practice/api/...` (the main server proxies them to the user's sandbox, a separate practice instance) instead of
 * `/api/...`; signing in, practice itself and the training records stay on the real server. The switch lives in
 * sessionStorage: one tab practises, and closing it ends practice.
 */
import { PRACTICE_API_PREFIX } from '@loa/shared/rest';

const KEY = 'loa.practice';

/** Routes that always answer from the real server, practice or not. */
const REAL_ONLY = ['/api/v1/auth/', '/api/v1/practice/', '/api/v1/training/'];

export function inPractice(): boolean {
  try {
    return sessionStorage.getItem(KEY) === '1';
  } catch {
    return false;
  }
}

/** `/api/v1/x` → `/practice/api/v1/x` while practising; anything else as it is. */
export function apiPath(path: string): string {
  if (!inPractice() || !path.startsWith('/api/') || REAL_ONLY.some((p) => path.startsWith(p))) return path;
  return `${PRACTICE_API_PREFIX}${path.slice('/api'.length)}`;
}

/**
 * Switches, then reloads the page from its start: every cached list, name and socket belonged to the other side,
 * and a clean start is the one way none of them leaks across.
 */
export function setPractice(on: boolean): void {
  try {
    if (on) sessionStorage.setItem(KEY, '1');
    else sessionStorage.removeItem(KEY);
  } catch {
    // private mode without storage: practice cannot be kept across the reload
  }
  location.hash = '#/';
  location.reload();
}
