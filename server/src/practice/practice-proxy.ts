import { HttpException, Injectable, type NestMiddleware, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect as netConnect } from 'node:net';
import type { Duplex } from 'node:stream';
import { PRACTICE_API_PREFIX } from '@loa/shared/rest';
import { AuthService } from '../auth/auth.service.js';
import type { UserPrincipal } from '../auth/principal.js';
import { coded } from '../common/loa-error.js';
import { PracticeService } from './practice.service.js';
import type { SandboxConnection } from './practice-sandboxes.js';

/** Where the dashboard's live event stream is, seen through the proxy. */
export const PRACTICE_EVENTS_PATH = `${PRACTICE_API_PREFIX}/v1/events`;
const BEARER_PROTOCOL = 'bearer.';

/** Hop-by-hop headers (RFC 9110 §7.6.1) and what the proxy replaces: never forwarded as they came. */
const DROPPED = new Set(['host', 'connection', 'keep-alive', 'proxy-authorization', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'authorization', 'cookie']);

type ParsedRequest = IncomingMessage & { originalUrl?: string; body?: unknown; _body?: boolean };

/**
 * The main server's door into practice: `/practice/api/...` → the user's sandbox `/api/...`. The main server
 * authenticates the user here (its own token, as on every route) and the sandbox gets an identity assertion instead of
 * the token, so a practice instance never sees a real credential and believes nobody else. Bodies and answers are
 * streamed (uploads, media downloads with Range, audio), except a JSON or CSV body the server's parsers have already
 * read, which is sent on as it was parsed.
 */
@Injectable()
export class PracticeProxy implements NestMiddleware, OnApplicationBootstrap, OnModuleDestroy {
  private server: Server | null = null;
  private readonly onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => void this.upgrade(req, socket, head);

  constructor(
    private readonly auth: AuthService,
    private readonly practice: PracticeService,
    private readonly adapter: HttpAdapterHost,
  ) {}

  onApplicationBootstrap(): void {
    this.server = this.adapter.httpAdapter?.getHttpServer() as Server | null;
    this.server?.on('upgrade', this.onUpgrade);
  }

  onModuleDestroy(): void {
    this.server?.off('upgrade', this.onUpgrade);
  }

  use(req: ParsedRequest, res: ServerResponse, next: (err?: unknown) => void): void {
    void this.forward(req, res).catch(next);
  }

  private async forward(req: ParsedRequest, res: ServerResponse): Promise<void> {
    const url = new URL(req.originalUrl ?? req.url ?? '/', 'http://practice');
    const queryToken = url.searchParams.get('token');
    const user = await this.userOf(bearerOf(req.headers.authorization) ?? queryToken);
    if (typeof user === 'number') return refuse(res, user, user === 401 ? 'http.unauthorized' : 'password.change-required');
    let conn: SandboxConnection;
    try {
      conn = await this.practice.connect(user);
    } catch (e) {
      if (e instanceof HttpException) return answer(res, e.getStatus(), e.getResponse());
      throw e;
    }
    const target = upstreamUrl(url, conn.assertion, queryToken !== null);
    const headers = forwardHeaders(req.headers);
    headers.authorization = `Bearer ${conn.assertion}`;
    let body: Buffer | null = null;
    // body-parser 2 no longer marks `_body`: a request stream that has ended was read by a parser (they run before
    // any middleware), and piping it would send nothing while the forwarded Content-Length promises a body.
    if (req._body === true || req.readableEnded) {
      // Already read by the JSON/text parsers: send what they parsed.
      body = req.body === undefined ? Buffer.alloc(0) : Buffer.isBuffer(req.body) ? req.body : Buffer.from(typeof req.body === 'string' ? req.body : JSON.stringify(req.body));
      headers['content-length'] = String(body.length);
    }
    const upstream = httpRequest({ host: '127.0.0.1', port: conn.httpPort, method: req.method, path: target, headers }, (answerRes) => {
      res.writeHead(answerRes.statusCode ?? 502, forwardHeaders(answerRes.headers, ['set-cookie']));
      answerRes.pipe(res);
      answerRes.on('error', () => res.destroy());
    });
    upstream.on('error', (err) => {
      if (res.headersSent) res.destroy();
      else answer(res, 502, { statusCode: 502, ...coded('practice.unavailable', { detail: err.message }) });
    });
    // The browser gave up (closed a download): so does the sandbox request.
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    if (body !== null) upstream.end(body);
    else req.pipe(upstream);
  }

  /** Websockets in practice mode (the live event stream, the microphone): re-authenticated and tunnelled to the sandbox. */
  private async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://practice');
    // The live event stream and the live microphone (issue 18) of the sandbox; anything else is not ours.
    if (!url.pathname.startsWith(`${PRACTICE_API_PREFIX}/`)) return;
    socket.on('error', () => undefined);
    const queryToken = url.searchParams.get('token');
    const protocols = String(req.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((p) => p.trim())
      .filter((p) => p !== '');
    const protocolToken = protocols.find((p) => p.startsWith(BEARER_PROTOCOL))?.slice(BEARER_PROTOCOL.length) ?? null;
    const user = await this.userOf(queryToken ?? protocolToken).catch(() => 503 as const);
    if (typeof user === 'number') {
      socket.end(`HTTP/1.1 ${user === 401 ? '401 Unauthorized' : user === 403 ? '403 Forbidden' : '503 Service Unavailable'}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    let conn: SandboxConnection;
    try {
      conn = await this.practice.connect(user);
    } catch (e) {
      const status = e instanceof HttpException ? e.getStatus() : 503;
      socket.end(`HTTP/1.1 ${status} Practice unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    const headers = forwardHeaders(req.headers);
    if (protocolToken !== null) headers['sec-websocket-protocol'] = protocols.map((p) => (p.startsWith(BEARER_PROTOCOL) ? `${BEARER_PROTOCOL}${conn.assertion}` : p)).join(', ');
    const lines = [`GET ${upstreamUrl(url, conn.assertion, queryToken !== null)} HTTP/1.1`, `Host: 127.0.0.1:${conn.httpPort}`, 'Connection: Upgrade', 'Upgrade: websocket'];
    for (const [k, v] of Object.entries(headers)) if (v !== undefined) for (const one of Array.isArray(v) ? v : [v]) lines.push(`${k}: ${one}`);
    const upstream = netConnect(conn.httpPort, '127.0.0.1');
    upstream.on('error', () => socket.destroy());
    socket.on('close', () => upstream.destroy());
    upstream.on('close', () => socket.destroy());
    upstream.once('connect', () => {
      upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head.length > 0) upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
  }

  /** The main server's own authentication of the user: 401 without a valid token, 403 while a password must change. */
  private async userOf(token: string | null): Promise<UserPrincipal | 401 | 403> {
    const user = token ? await this.auth.authenticate(token) : null;
    if (!user) return 401;
    if (user.mustChangePassword) return 403;
    return user;
  }
}

function bearerOf(header: string | undefined): string | null {
  if (!header) return null;
  const [scheme, value] = header.split(' ', 2);
  return scheme?.toLowerCase() === 'bearer' && value ? value : null;
}

/** `/practice/api/v1/x?token=…&y` → `/api/v1/x?token=<assertion>&y` (a media link's token is replaced too). */
function upstreamUrl(url: URL, assertion: string, hadToken: boolean): string {
  const params = new URLSearchParams(url.search);
  if (hadToken) params.set('token', assertion);
  const query = params.toString();
  return `${url.pathname.slice(PRACTICE_API_PREFIX.length - '/api'.length)}${query === '' ? '' : `?${query}`}`;
}

function forwardHeaders(headers: IncomingHttpHeaders, alsoDrop: readonly string[] = []): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined || DROPPED.has(k) || alsoDrop.includes(k)) continue;
    out[k] = v;
  }
  return out;
}

function answer(res: ServerResponse, status: number, body: unknown): void {
  res.statusCode = status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.end(JSON.stringify(typeof body === 'string' ? { statusCode: status, message: body } : body));
}

function refuse(res: ServerResponse, status: number, code: 'http.unauthorized' | 'password.change-required'): void {
  answer(res, status, { statusCode: status, ...coded(code) });
}
