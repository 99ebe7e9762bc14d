import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { PeerTemplate } from '@loa/shared/rest';
import { Clock } from '../common/clock.js';
import {
  answerGist,
  classifyStatus,
  ExchangeAdapter,
  networkError,
  readAnswer,
  retryAfterMs,
  type OutgoingExchange,
  type SendResult,
} from './dispatcher.adapter.js';
import type { SourcePeerEntity } from './peer.entity.js';
import type { PeerOutboundAuth } from './peers.port.js';
import { compileTemplate, readPath, renderTemplate, TemplateError } from './templates.js';

/** A token is used until this long before it expires (clock skew, the request's own time on the way). */
const TOKEN_MARGIN_MS = 30_000;
/** Expiry assumed when a token answer gives no expires_in. */
const DEFAULT_TOKEN_TTL_MS = 5 * 60_000;

/** Something the peer's auth could not be got for; `dead` when asking again will not help. */
export class AuthFailure extends Error {
  constructor(
    message: string,
    readonly httpStatus: number | null,
    readonly permanent: boolean,
  ) {
    super(message);
  }
}

/**
 * OAuth2 client-credentials tokens per peer, kept in memory until shortly before they expire (each instance keeps
 * its own: a token is cheap to get, and a second instance asking for one is harmless). Dropped on a 401.
 */
@Injectable()
export class OAuthTokens {
  private readonly tokens = new Map<string, { token: string; until: number }>();
  /** Token requests in flight, so concurrent sends to one peer ask once. */
  private readonly pending = new Map<string, Promise<string>>();

  constructor(private readonly clock: Clock) {}

  async token(auth: Extract<PeerOutboundAuth, { type: 'oauth2' }>, timeoutMs: number): Promise<string> {
    const key = cacheKey(auth);
    const held = this.tokens.get(key);
    if (held && held.until > this.clock.now()) return held.token;
    let p = this.pending.get(key);
    if (!p) {
      p = this.fetchToken(key, auth, timeoutMs).finally(() => this.pending.delete(key));
      this.pending.set(key, p);
    }
    return p;
  }

  drop(auth: Extract<PeerOutboundAuth, { type: 'oauth2' }>): void {
    this.tokens.delete(cacheKey(auth));
  }

  private async fetchToken(key: string, auth: Extract<PeerOutboundAuth, { type: 'oauth2' }>, timeoutMs: number): Promise<string> {
    const form = new URLSearchParams({ grant_type: 'client_credentials' });
    if (auth.scope) form.set('scope', auth.scope);
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
    if (auth.clientAuth === 'post') {
      // client_secret_post (RFC 6749 §2.3.1): for token endpoints that do not read the Authorization header.
      form.set('client_id', auth.clientId);
      form.set('client_secret', auth.clientSecret);
    } else {
      // client_secret_basic, the RFC's recommendation: the names are form-encoded first.
      headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(auth.clientId)}:${encodeURIComponent(auth.clientSecret)}`).toString('base64')}`;
    }
    let res: Response;
    let text: string;
    try {
      res = await fetch(auth.tokenUrl, {
        method: 'POST',
        redirect: 'manual',
        headers,
        body: form.toString(),
        signal: AbortSignal.timeout(timeoutMs),
      });
      text = await readAnswer(res);
    } catch (err) {
      throw new AuthFailure(`token endpoint: ${networkError(err, timeoutMs)}`, null, false);
    }
    const verdict = classifyStatus(res.status);
    if (verdict !== 'sent') throw new AuthFailure(`token endpoint: ${answerGist(res.status, text)}`, res.status, verdict === 'dead');
    let body: { access_token?: unknown; expires_in?: unknown };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      throw new AuthFailure('token endpoint: the answer is not JSON', res.status, false);
    }
    if (typeof body.access_token !== 'string' || body.access_token === '') throw new AuthFailure('token endpoint: no access_token in the answer', res.status, false);
    const ttl = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in * 1000 : DEFAULT_TOKEN_TTL_MS;
    this.tokens.set(key, { token: body.access_token, until: this.clock.now() + Math.max(0, ttl - TOKEN_MARGIN_MS) });
    return body.access_token;
  }
}

function cacheKey(auth: Extract<PeerOutboundAuth, { type: 'oauth2' }>): string {
  return createHash('sha256').update(JSON.stringify([auth.tokenUrl, auth.clientId, auth.clientSecret, auth.scope, auth.clientAuth ?? 'basic'])).digest('hex');
}

/** Headers carrying the peer's credentials. */
export async function authHeaders(auth: PeerOutboundAuth, tokens: OAuthTokens, timeoutMs: number): Promise<Record<string, string>> {
  switch (auth.type) {
    case 'none':
      return {};
    case 'api-key':
      return { [auth.header]: auth.key };
    case 'basic':
      return { authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}` };
    case 'oauth2':
      return { authorization: `Bearer ${await tokens.token(auth, timeoutMs)}` };
  }
}

/** An absolute URL as is (http/https only), or a path under the peer's base URL. */
export function peerUrl(baseUrl: string, pathOrUrl: string): string {
  if (/^https?:\/\//i.test(pathOrUrl)) return pathOrUrl;
  return baseUrl + (pathOrUrl.startsWith('/') ? pathOrUrl : `/${pathOrUrl}`);
}

export interface RenderedRequest {
  method: string;
  url: string;
  contentType: string;
  body: string;
}

/**
 * The request of one exchange from the peer's template. The template sees `payload`, `idempotencyKey`, `kind`,
 * `sentAt` and `peer.name`. A JSON body that does not parse after rendering is refused here, not sent.
 */
export function renderRequest(peer: SourcePeerEntity, template: PeerTemplate, x: OutgoingExchange, sentAt: string): RenderedRequest {
  const data = { payload: x.payload, idempotencyKey: x.idempotencyKey, kind: x.kind, sentAt, peer: { name: peer.name } };
  const url = peerUrl(peer.baseUrl, renderTemplate(compileTemplate(template.path), data, 'url'));
  const json = /json/i.test(template.contentType);
  const body = template.body === null ? JSON.stringify(x.payload) : renderTemplate(compileTemplate(template.body), data, json ? 'json' : 'text');
  if (json) {
    try {
      JSON.parse(body);
    } catch (err) {
      throw new TemplateError(`the ${x.kind} template did not give JSON: ${(err as Error).message}`);
    }
  }
  return { method: template.method, url, contentType: template.contentType, body };
}

/**
 * The configurable REST adapter: a request per exchange from the peer's template for the kind, with the peer's auth
 * and the idempotency key as `Idempotency-Key`; the remote id read from the answer by the template's `refPath`. A
 * 401 with OAuth2 drops the token and tries once more with a fresh one.
 */
@Injectable()
export class RestAdapter extends ExchangeAdapter {
  constructor(
    private readonly clock: Clock,
    private readonly tokens: OAuthTokens,
  ) {
    super();
  }

  async send(peer: SourcePeerEntity, x: OutgoingExchange): Promise<SendResult> {
    const template = peer.templates[x.kind];
    if (!template) return { outcome: 'dead', httpStatus: null, error: `no template for "${x.kind}" on this peer: add one, then retry` };
    let req: RenderedRequest;
    try {
      req = renderRequest(peer, template, x, new Date(this.clock.now()).toISOString());
    } catch (err) {
      return { outcome: 'dead', httpStatus: null, error: `template: ${(err as Error).message}` };
    }
    let res: { status: number; text: string; retryAfter: string | null };
    try {
      res = await this.call(peer, req, x.idempotencyKey);
      if (res.status === 401 && peer.auth.type === 'oauth2') {
        this.tokens.drop(peer.auth);
        res = await this.call(peer, req, x.idempotencyKey);
      }
    } catch (err) {
      if (err instanceof AuthFailure) {
        return err.permanent
          ? { outcome: 'dead', httpStatus: err.httpStatus, error: err.message }
          : { outcome: 'retry', httpStatus: err.httpStatus, error: err.message, retryAfterMs: null };
      }
      return { outcome: 'retry', httpStatus: null, error: networkError(err, peer.timeoutMs), retryAfterMs: null };
    }
    const verdict = classifyStatus(res.status);
    if (verdict === 'retry') return { outcome: 'retry', httpStatus: res.status, error: answerGist(res.status, res.text), retryAfterMs: retryAfterMs(res.retryAfter, this.clock.now()) };
    if (verdict === 'dead') return { outcome: 'dead', httpStatus: res.status, error: answerGist(res.status, res.text) };
    return { outcome: 'sent', httpStatus: res.status, remoteRef: remoteRef(res.text, template.refPath) };
  }

  private async call(peer: SourcePeerEntity, req: RenderedRequest, idempotencyKey: string): Promise<{ status: number; text: string; retryAfter: string | null }> {
    const res = await fetch(req.url, {
      method: req.method,
      redirect: 'manual',
      headers: {
        'content-type': req.contentType,
        accept: 'application/json',
        'idempotency-key': idempotencyKey,
        ...(await authHeaders(peer.auth, this.tokens, peer.timeoutMs)),
      },
      body: req.body,
      signal: AbortSignal.timeout(peer.timeoutMs),
    });
    return { status: res.status, text: await readAnswer(res), retryAfter: res.headers.get('retry-after') };
  }
}

/** The remote id at `refPath` of a JSON answer, as text; null when there is no path, no JSON or nothing there. */
export function remoteRef(text: string, refPath: string | null): string | null {
  if (refPath === null) return null;
  try {
    const v = readPath(JSON.parse(text), refPath);
    return v === undefined || v === null || typeof v === 'object' ? null : String(v).slice(0, 200);
  } catch {
    return null;
  }
}
