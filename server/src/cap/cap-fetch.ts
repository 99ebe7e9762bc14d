import { type CapFeedAuth } from '@loa/shared/rest';

/** A fetch that will not succeed by asking again the same way (refused, too large, wrong digest…). */
export class CapFetchError extends Error {}

export interface BoundedFetchOptions {
  timeoutMs: number;
  maxBytes: number;
  /** Origins the URL (and every redirect) must be on; null: any http(s) URL. */
  allowedOrigins: readonly string[] | null;
  /** Sent only to `credentialOrigin` (a redirect elsewhere does not get them). */
  auth?: CapFeedAuth | undefined;
  credentialOrigin?: string | null | undefined;
  accept?: string;
}

const MAX_REDIRECTS = 3;

export function originOf(url: string): string | null {
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.origin : null;
  } catch {
    return null;
  }
}

function authHeader(auth: CapFeedAuth | undefined): string | null {
  if (!auth || auth.type === 'none') return null;
  if (auth.type === 'bearer') return `Bearer ${auth.token}`;
  return `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
}

/** GET bounded in time and size; redirects followed by hand so each hop is checked against the allowed origins. */
export async function boundedFetch(url: string, o: BoundedFetchOptions): Promise<{ body: Buffer; contentType: string | null; finalUrl: string }> {
  const signal = AbortSignal.timeout(o.timeoutMs);
  let at = url;
  for (let hop = 0; ; hop++) {
    const origin = originOf(at);
    if (origin === null) throw new CapFetchError(`${at.slice(0, 200)} is not an http(s) URL`);
    if (o.allowedOrigins !== null && !o.allowedOrigins.includes(origin)) throw new CapFetchError(`${origin} is not an allowed origin for this source (${o.allowedOrigins.join(', ') || 'none'})`);
    const headers: Record<string, string> = { accept: o.accept ?? '*/*' };
    const auth = authHeader(o.auth);
    if (auth && origin === o.credentialOrigin) headers.authorization = auth;
    let res: Response;
    try {
      res = await fetch(at, { signal, redirect: 'manual', headers });
    } catch (err) {
      throw new Error(`GET ${at.slice(0, 200)} failed: ${describe(err)}`);
    }
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location !== null) {
      await res.body?.cancel().catch(() => undefined);
      if (hop >= MAX_REDIRECTS) throw new CapFetchError(`more than ${MAX_REDIRECTS} redirects`);
      at = new URL(location, at).toString();
      continue;
    }
    if (!res.ok) {
      await res.body?.cancel().catch(() => undefined);
      throw new CapFetchError(`GET ${at.slice(0, 200)} answered HTTP ${res.status}`);
    }
    const declared = Number(res.headers.get('content-length') ?? NaN);
    if (Number.isFinite(declared) && declared > o.maxBytes) {
      await res.body?.cancel().catch(() => undefined);
      throw new CapFetchError(`${declared} bytes, more than the ${o.maxBytes} allowed`);
    }
    const chunks: Buffer[] = [];
    let bytes = 0;
    try {
      for await (const chunk of res.body ?? []) {
        bytes += (chunk as Uint8Array).length;
        if (bytes > o.maxBytes) throw new CapFetchError(`more than the ${o.maxBytes} bytes allowed`);
        chunks.push(Buffer.from(chunk as Uint8Array));
      }
    } catch (err) {
      if (err instanceof CapFetchError) throw err;
      throw new Error(`GET ${at.slice(0, 200)} broke off: ${describe(err)}`);
    }
    return { body: Buffer.concat(chunks), contentType: res.headers.get('content-type'), finalUrl: at };
  }
}

function describe(err: unknown): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError') return 'timed out';
  return e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(err);
}
