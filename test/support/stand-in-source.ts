/**
 * A stand-in for the source information system (and for a peer Loa's inbox), for the connector's tests: a real HTTP
 * server on a loopback port that records every request, checks the credentials it was configured with (API key,
 * HTTP Basic, OAuth2 client credentials with its own token endpoint, or Loa's HMAC signature), deduplicates by
 * idempotency key as a well-behaved receiver does, and can misbehave on demand: answer slowly, fail with 5xx for
 * the next N requests, never answer (the client times out), refuse with a 4xx, revoke its tokens, and serve the
 * same bulletin twice on a poll.
 *
 * Written with node:http and node:crypto only, independently of the server's code, so that a test against it checks
 * the server against the protocol rather than against itself.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type StandInAuth =
  | { type: 'none' }
  | { type: 'api-key'; header: string; key: string }
  | { type: 'basic'; username: string; password: string }
  /** `clientAuth`: the only way the token endpoint takes the client's credentials (default: either). */
  | { type: 'oauth2'; clientId: string; clientSecret: string; tokenTtlS?: number; clientAuth?: 'basic' | 'post' };

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** What the stand-in answered (null: it never answered). */
  status: number | null;
  /** The idempotency key (Idempotency-Key header, or the Loa envelope's). */
  key: string | null;
}

export interface StandInOptions {
  auth?: StandInAuth;
  /** Loa inbox at /api/v1/source-system/inbox: the secret signatures are checked with, and the peer id expected. */
  loa?: { secret: string; peerId: string };
  /** Bulletins served by GET /bulletins (the poll). */
  pollItems?: unknown[];
}

export const STAND_IN_TOKEN_PATH = '/oauth/token';
export const STAND_IN_INBOX_PATH = '/api/v1/source-system/inbox';
export const STAND_IN_POLL_PATH = '/bulletins';

export class StandInSource {
  readonly requests: RecordedRequest[] = [];
  /** Deliveries accepted the first time, per idempotency key (a repeat is answered, not counted here). */
  readonly accepted = new Map<string, { count: number; ref: string; body: string }>();
  /** Repeats per idempotency key (answered as the first time). */
  readonly duplicates = new Map<string, number>();
  tokensIssued = 0;
  auth: StandInAuth;
  loa: StandInOptions['loa'];
  pollItems: unknown[];

  /** The next `failNext` deliveries answer `failStatus` (before any processing). */
  failNext = 0;
  failStatus = 503;
  /** Retry-After (seconds) sent with those failures; null: "1" on a 503, none otherwise. */
  failRetryAfterS: number | null = null;
  /** The next `hangNext` deliveries are never answered (the socket is left open until the stand-in closes). */
  hangNext = 0;
  /** Deliveries are processed (accepted) at once but answered this much later: a slow receiver. */
  answerDelayMs = 0;
  /** Deliveries whose body contains this text are refused with `refuseStatus` (a 4xx: bad data). */
  refuseWhenBodyHas: string | null = null;
  refuseStatus = 422;

  private server: Server | null = null;
  private validTokens = new Set<string>();
  private refs = 0;
  private readonly waiters = new Set<() => void>();
  private readonly hanging = new Set<ServerResponse>();

  constructor(options: StandInOptions = {}) {
    this.auth = options.auth ?? { type: 'none' };
    this.loa = options.loa;
    this.pollItems = options.pollItems ?? [];
  }

  get url(): string {
    const a = this.server?.address() as AddressInfo | null;
    if (!a) throw new Error('the stand-in is not listening');
    return `http://127.0.0.1:${a.port}`;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this;
  }

  async close(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.hanging.clear();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** Every token issued so far stops working (the next use gets a 401). */
  revokeTokens(): void {
    this.validTokens.clear();
  }

  /** Resolves when `test()` holds, checked now and after every request; rejects after `timeoutMs`. */
  waitFor(test: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
    if (test()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const check = () => {
        if (!test()) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`stand-in: timed out waiting for ${what}; saw ${this.requests.map((r) => `${r.method} ${r.path} → ${r.status}`).join(', ')}`));
      }, timeoutMs);
      this.waiters.add(check);
    });
  }

  /** Deliveries (not token requests, not polls) seen for a key. */
  deliveriesOf(key: string): RecordedRequest[] {
    return this.requests.filter((r) => r.key === key);
  }

  private record(r: RecordedRequest): void {
    this.requests.push(r);
    for (const w of [...this.waiters]) w();
  }

  private answer(res: ServerResponse, rec: RecordedRequest, status: number, body: unknown, headers: Record<string, string> = {}): void {
    rec.status = status;
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
    for (const w of [...this.waiters]) w();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const path = (req.url ?? '/').split('?')[0]!;
    const rec: RecordedRequest = { method: req.method ?? 'GET', path, headers: req.headers, body, status: null, key: null };

    if (path === STAND_IN_TOKEN_PATH && req.method === 'POST') {
      this.record(rec);
      return this.token(req, res, rec, body);
    }

    const isInbox = path === STAND_IN_INBOX_PATH && req.method === 'POST';
    if (isInbox) {
      try {
        rec.key = String((JSON.parse(body) as { idempotencyKey?: unknown }).idempotencyKey ?? '') || null;
      } catch {
        rec.key = null;
      }
    } else {
      const k = req.headers['idempotency-key'];
      rec.key = typeof k === 'string' ? k : null;
    }
    this.record(rec);

    if (isInbox) {
      const refusal = this.checkSignature(req, body);
      if (refusal) return this.answer(res, rec, 401, { message: refusal });
    } else if (!this.authorised(req)) {
      return this.answer(res, rec, 401, { message: 'unauthorised' }, { 'www-authenticate': 'Bearer error="invalid_token"' });
    }

    if (path === STAND_IN_POLL_PATH && req.method === 'GET') return this.answer(res, rec, 200, { data: { items: this.pollItems } });

    if (this.hangNext > 0) {
      this.hangNext--;
      this.hanging.add(res);
      return;
    }
    if (this.failNext > 0) {
      this.failNext--;
      const retryAfter = this.failRetryAfterS !== null ? String(this.failRetryAfterS) : this.failStatus === 503 ? '1' : null;
      return this.answer(res, rec, this.failStatus, { message: 'temporarily unavailable' }, retryAfter === null ? {} : { 'retry-after': retryAfter });
    }
    if (this.refuseWhenBodyHas !== null && body.includes(this.refuseWhenBodyHas)) {
      return this.answer(res, rec, this.refuseStatus, { message: `refused: the data is not valid (${this.refuseWhenBodyHas})` });
    }

    const key = rec.key ?? `no-key-${this.requests.length}`;
    const seen = this.accepted.get(key);
    let status: number;
    let ref: string;
    if (seen) {
      this.duplicates.set(key, (this.duplicates.get(key) ?? 0) + 1);
      status = 200;
      ref = seen.ref;
    } else {
      ref = `rem-${++this.refs}`;
      this.accepted.set(key, { count: 1, ref, body });
      status = 201;
    }
    const answer = isInbox ? { accepted: true, duplicate: Boolean(seen), ref } : { data: { id: ref }, duplicate: Boolean(seen) };
    if (this.answerDelayMs > 0) await new Promise((r) => setTimeout(r, this.answerDelayMs));
    if (res.destroyed) return;
    this.answer(res, rec, isInbox ? 200 : status, answer);
  }

  private token(req: IncomingMessage, res: ServerResponse, rec: RecordedRequest, body: string): void {
    if (this.auth.type !== 'oauth2') return this.answer(res, rec, 404, { error: 'no token endpoint' });
    const form = new URLSearchParams(body);
    const basic = /^Basic (.+)$/i.exec(String(req.headers.authorization ?? ''));
    let id = form.get('client_id');
    let secret = form.get('client_secret');
    // A server that reads only one of the two (RFC 6749 §2.3.1) does not see the other at all.
    if (this.auth.clientAuth === 'post' && basic) return this.answer(res, rec, 401, { error: 'invalid_client', error_description: 'client_secret_post only' });
    if (this.auth.clientAuth === 'basic' && !basic) return this.answer(res, rec, 401, { error: 'invalid_client', error_description: 'client_secret_basic only' });
    if (basic) {
      const [u, p] = Buffer.from(basic[1]!, 'base64').toString('utf8').split(':');
      id = decodeURIComponent(u ?? '');
      secret = decodeURIComponent(p ?? '');
    }
    if (form.get('grant_type') !== 'client_credentials') return this.answer(res, rec, 400, { error: 'unsupported_grant_type' });
    if (id !== this.auth.clientId || secret !== this.auth.clientSecret) return this.answer(res, rec, 401, { error: 'invalid_client' });
    const token = `tok-${++this.tokensIssued}-${Math.random().toString(36).slice(2)}`;
    this.validTokens.add(token);
    this.answer(res, rec, 200, { access_token: token, token_type: 'Bearer', expires_in: this.auth.tokenTtlS ?? 3600 });
  }

  private authorised(req: IncomingMessage): boolean {
    const a = this.auth;
    const header = String(req.headers.authorization ?? '');
    switch (a.type) {
      case 'none':
        return true;
      case 'api-key':
        return req.headers[a.header.toLowerCase()] === a.key;
      case 'basic':
        return header === `Basic ${Buffer.from(`${a.username}:${a.password}`).toString('base64')}`;
      case 'oauth2': {
        const m = /^Bearer (.+)$/.exec(header);
        return m !== null && this.validTokens.has(m[1]!);
      }
    }
  }

  /** Loa's signature: `t=<s>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, within 300 s, from the expected peer id. */
  private checkSignature(req: IncomingMessage, body: string): string | null {
    if (!this.loa) return 'no Loa inbox configured';
    if (req.headers['x-loa-peer'] !== this.loa.peerId) return `unknown peer ${String(req.headers['x-loa-peer'])}`;
    const sig = String(req.headers['x-loa-signature'] ?? '');
    const t = /(?:^|,)t=(\d+)/.exec(sig)?.[1];
    const v1 = /(?:^|,)v1=([0-9a-f]{64})/.exec(sig)?.[1];
    if (!t || !v1) return 'malformed signature';
    if (Math.abs(Date.now() / 1000 - Number(t)) > 300) return 'signature too old';
    const expected = createHmac('sha256', this.loa.secret).update(`${t}.${body}`).digest();
    return timingSafeEqual(expected, Buffer.from(v1, 'hex')) ? null : 'bad signature';
  }
}
