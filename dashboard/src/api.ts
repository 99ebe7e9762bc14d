import { formatError } from '@loa/shared/rest';
import { getLang } from './i18n.js';
import { describeInvalidRequest } from './request-invalid.js';
import { loadSession, saveSession, type Session } from './session.js';
import { apiPath } from './practice-mode.js';

/**
 * An API answer other than 2xx. Its message is the text of the server's stable `code` in the user's language
 * (issue 19), or the server's English `message` for a code this build does not know.
 */
export class ApiError extends Error {
  readonly code: string | null;
  readonly params: Record<string, string | number>;
  constructor(
    readonly status: number,
    message: string,
    readonly body: unknown,
  ) {
    super(message);
    const b = body && typeof body === 'object' ? (body as { code?: unknown; params?: unknown }) : {};
    this.code = typeof b.code === 'string' ? b.code : null;
    this.params = b.params && typeof b.params === 'object' ? (b.params as Record<string, string | number>) : {};
  }
}

const messageOf = (status: number, body: unknown): string => {
  if (body && typeof body === 'object' && 'code' in body) {
    const b = body as { code: unknown; params?: Record<string, string | number>; message?: unknown };
    // The schema's refusal names fields in English: say which, in the user's language (issue 19).
    if (b.code === 'request.invalid' && Array.isArray(b.message) && b.message.length > 0) return describeInvalidRequest(b.message.map(String), getLang());
    const text = typeof b.code === 'string' ? formatError(b.code, b.params, getLang()) : null;
    if (text) return text;
  }
  if (body && typeof body === 'object' && 'message' in body) {
    const m = (body as { message: unknown }).message;
    if (Array.isArray(m)) return m.map(String).join('; ');
    if (typeof m === 'string') return m;
  }
  return typeof body === 'string' && body ? body : `HTTP ${status}`;
};

let refreshing: Promise<boolean> | null = null;

/** Trades the refresh token for a new pair once, however many requests hit 401 at the same moment. */
export async function refresh(): Promise<boolean> {
  const s = loadSession();
  if (!s?.refreshToken) return false;
  refreshing ??= (async () => {
    try {
      const res = await fetch('/api/v1/auth/refresh', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refreshToken: s.refreshToken }) });
      if (!res.ok) return false;
      const next = (await res.json()) as Session;
      saveSession({ ...next, user: next.user ?? s.user });
      return true;
    } catch {
      return false;
    } finally {
      setTimeout(() => (refreshing = null), 0);
    }
  })();
  return refreshing;
}

export interface RequestOptions {
  body?: unknown;
  /** Raw body (CSV, FormData); sent as is. */
  raw?: BodyInit;
  contentType?: string;
  query?: Record<string, string | number | boolean | undefined | null>;
}

export function withQuery(path: string, query?: RequestOptions['query']): string {
  if (!query) return path;
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `${path}${path.includes('?') ? '&' : '?'}${s}` : path;
}

async function send(method: string, path: string, opts: RequestOptions, retried: boolean): Promise<Response> {
  const s = loadSession();
  const headers: Record<string, string> = {};
  if (s) headers.authorization = `Bearer ${s.accessToken}`;
  let body: BodyInit | undefined;
  if (opts.raw !== undefined) {
    body = opts.raw;
    if (opts.contentType) headers['content-type'] = opts.contentType;
  } else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['content-type'] = 'application/json';
  }
  // Issue 21: in practice mode the call goes to the sandbox through /practice/api.
  const res = await fetch(withQuery(apiPath(path), opts.query), { method, headers, body });
  if (res.status === 401 && s && !retried) {
    if (await refresh()) return send(method, path, opts, true);
    saveSession(null);
  }
  return res;
}

/** Calls the API as the signed-in user; throws ApiError with the server's message on failure. */
export async function api<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
  const res = await send(method, path, opts, false);
  const text = await res.text();
  let body: unknown = text;
  if ((res.headers.get('content-type') ?? '').includes('json') && text) body = JSON.parse(text);
  if (!res.ok) throw new ApiError(res.status, messageOf(res.status, body), body);
  return body as T;
}

/** Like api() but also returns the response headers (X-Total-Count). */
export async function apiWithHeaders<T>(method: string, path: string, opts: RequestOptions = {}): Promise<{ data: T; headers: Headers }> {
  const res = await send(method, path, opts, false);
  const text = await res.text();
  const body: unknown = text && (res.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : text;
  if (!res.ok) throw new ApiError(res.status, messageOf(res.status, body), body);
  return { data: body as T, headers: res.headers };
}

export const get = <T>(path: string, query?: RequestOptions['query']) => api<T>('GET', path, { query });
export const post = <T>(path: string, body?: unknown) => api<T>('POST', path, { body: body ?? {} });
export const patch = <T>(path: string, body: unknown) => api<T>('PATCH', path, { body });
export const put = <T>(path: string, body: unknown) => api<T>('PUT', path, { body });
export const del = <T>(path: string) => api<T>('DELETE', path);

/**
 * Multipart upload with progress (fetch cannot report upload progress). `onProgress` gets 0..1 of the bytes sent.
 */
export function upload<T>(path: string, form: FormData, onProgress: (fraction: number) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', apiPath(path));
    const s = loadSession();
    if (s) xhr.setRequestHeader('authorization', `Bearer ${s.accessToken}`);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress(e.loaded / e.total);
    };
    xhr.onload = () => {
      let body: unknown = xhr.responseText;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        // not JSON: keep the text
      }
      if (xhr.status >= 200 && xhr.status < 300) resolve(body as T);
      else reject(new ApiError(xhr.status, messageOf(xhr.status, body), body));
    };
    xhr.onerror = () => reject(new ApiError(0, 'network error', null));
    xhr.send(form);
  });
}

/** Downloads an authenticated file (CSV export) and hands it to the browser as a download. */
export async function download(path: string, filename: string, query?: RequestOptions['query']): Promise<void> {
  const res = await send('GET', path, { query }, false);
  if (!res.ok) throw new ApiError(res.status, messageOf(res.status, await res.text()), null);
  const blob = await res.blob();
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = attachmentName(res.headers.get('content-disposition')) ?? filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * The name the server gave an export (issue 16: area and period, in Vietnamese as RFC 5987 `filename*`, ASCII as
 * `filename`); null when it gave none, and the caller's name is used.
 */
export function attachmentName(header: string | null): string | null {
  if (header === null) return null;
  const star = /filename\*=UTF-8''([^;]+)/i.exec(header);
  if (star?.[1]) {
    try {
      return decodeURIComponent(star[1]);
    } catch {
      /* a malformed escape: fall back to the ASCII name */
    }
  }
  return /filename="([^"]+)"/i.exec(header)?.[1] ?? null;
}

/** An authenticated object URL for media (audio preview, images): the server needs the bearer header. */
export async function objectUrl(path: string): Promise<string> {
  const res = await send('GET', path, {}, false);
  if (!res.ok) throw new ApiError(res.status, messageOf(res.status, await res.text()), null);
  return URL.createObjectURL(await res.blob());
}
