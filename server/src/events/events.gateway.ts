import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import { AreaScope, ScopeService } from '../auth/area-scope.js';
import { AuthService } from '../auth/auth.service.js';
import { Metrics } from '../common/metrics.js';
import type { AppLogger } from '../logging/logger.js';
import { LOGGER } from '../logging/logging.module.js';
import { EventBus, type ServerEvent } from './event-bus.js';
import { reachesScope } from './event-scope.js';

export const EVENTS_PATH = '/api/v1/events';
/** Subprotocol a browser may offer to carry its token: `bearer.<token>` (browsers cannot set Authorization). */
const BEARER_PROTOCOL_PREFIX = 'bearer.';
/** The subprotocol the server answers with when the client offers it. */
export const EVENTS_PROTOCOL = 'loa.events';
const PING_EVERY_MS = 30_000;
/** Close code (private range) for a stream whose session ended. */
export const SESSION_ENDED = 4401;
/** A client that reads slower than events arrive is dropped rather than buffered without bound. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

/**
 * The live event stream for operators: a WebSocket at /api/v1/events on the same HTTP(S) server, authenticated
 * with the operator bearer token (`?token=` or subprotocol `bearer.<token>`). Every EventBus event goes to every
 * authenticated client as one JSON text message, except that an event carrying `areaCode` goes only to clients whose
 * area scope (computed once at connect) contains that area, or, for a `covering` event, lies inside it (reachesScope).
 */
@Injectable()
export class EventsGateway implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly wss = new WebSocketServer({ noServer: true, clientTracking: true, maxPayload: 64 * 1024, handleProtocols: pickProtocol });
  private readonly log: AppLogger;
  private server: Server | null = null;
  private unsubscribe: (() => void) | null = null;
  private pinger: NodeJS.Timeout | null = null;
  private readonly scopes = new WeakMap<WebSocket, AreaScope>();
  private readonly tokens = new WeakMap<WebSocket, string>();
  /** Issue 19: whose stream each client is, for the events of one user (`forUser`). */
  private readonly users = new WeakMap<WebSocket, string>();
  private readonly onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => void this.upgrade(req, socket, head);

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly auth: AuthService,
    private readonly scope: ScopeService,
    private readonly bus: EventBus,
    private readonly metrics: Metrics,
    @Inject(LOGGER) logger: AppLogger,
  ) {
    this.log = logger.child({ ctx: 'events' });
  }

  onApplicationBootstrap(): void {
    const server = this.adapterHost.httpAdapter?.getHttpServer() as Server | undefined;
    if (!server) return;
    this.server = server;
    server.on('upgrade', this.onUpgrade);
    // Per process on purpose (these sockets are this process's own), so not a leader-gated job (jobs/).
    this.pinger = setInterval(() => this.ping(), PING_EVERY_MS);
    this.pinger.unref();
  }

  async onModuleDestroy(): Promise<void> {
    this.server?.off('upgrade', this.onUpgrade);
    this.unsubscribe?.();
    if (this.pinger) clearInterval(this.pinger);
    for (const client of this.wss.clients) client.close(1001, 'server shutting down');
    // Clients that do not answer the close in time are cut off.
    await new Promise((r) => setTimeout(r, this.wss.clients.size > 0 ? 100 : 0));
    for (const client of this.wss.clients) client.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  get clientCount(): number {
    return this.wss.clients.size;
  }

  private async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== EVENTS_PATH) return; // someone else's upgrade (none today)
    socket.on('error', () => undefined);
    const token = url.searchParams.get('token') ?? bearerFromProtocols(req.headers['sec-websocket-protocol']);
    const user = token ? await this.auth.authenticate(token).catch(() => null) : null;
    if (!user) {
      this.metrics.inc('events_ws_refused');
      socket.end('HTTP/1.1 401 Unauthorized\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\ninvalid or missing operator token (?token= or subprotocol bearer.<token>)\n');
      return;
    }
    // Issue 19: until an administrator-set password is changed, nothing but the account's own routes answers.
    if (user.mustChangePassword) {
      this.metrics.inc('events_ws_refused');
      socket.end('HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\npassword.change-required\n');
      return;
    }
    let scope: AreaScope;
    try {
      scope = await this.scope.of(user);
    } catch (err) {
      this.log.warn({ userId: user.userId, err: (err as Error).message }, 'event stream: area scope lookup failed');
      socket.end('HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\ntry again\n');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      this.scopes.set(ws, scope);
      this.tokens.set(ws, token!);
      this.users.set(ws, user.userId);
      this.metrics.inc('events_ws_connected');
      this.log.debug({ userId: user.userId }, 'event stream client connected');
      ws.on('error', () => undefined);
      // Listen to the bus only while someone is connected (ws has already dropped a closed client from the set).
      this.unsubscribe ??= this.bus.subscribe((e) => this.broadcast(e));
      ws.on('close', () => {
        if (this.wss.clients.size > 0) return;
        this.unsubscribe?.();
        this.unsubscribe = null;
      });
      ws.send(JSON.stringify({ type: 'hello', userId: user.userId }));
    });
  }

  private broadcast(event: ServerEvent): void {
    if (this.wss.clients.size === 0) return;
    const text = JSON.stringify(event);
    for (const client of this.wss.clients) {
      if (client.readyState !== WebSocket.OPEN) continue;
      if (!reachesScope(event, this.scopes.get(client))) continue;
      if (typeof event.forUser === 'string' && this.users.get(client) !== event.forUser) continue;
      if (client.bufferedAmount > MAX_BUFFERED_BYTES) {
        client.terminate();
        continue;
      }
      client.send(text);
    }
  }

  /**
   * Also re-checks each client's token: a stream must not outlive the session that opened it (logout, an expired
   * access token, a disabled user, a revoked login). 4401 tells the browser to refresh its token and reconnect.
   */
  private ping(): void {
    for (const client of this.wss.clients) if (client.readyState === WebSocket.OPEN) client.ping();
    void this.recheckSessions();
  }

  /** Closes (4401) every stream whose token no longer authenticates; resolves when all are checked. */
  async recheckSessions(): Promise<void> {
    await Promise.all(
      [...this.wss.clients].map(async (client) => {
        const token = this.tokens.get(client);
        if (client.readyState !== WebSocket.OPEN || token === undefined) return;
        // A database hiccup is not a reason to drop operators' streams: only a definite "no" closes.
        const user = await this.auth.authenticate(token).catch(() => undefined);
        if (user === null) client.close(SESSION_ENDED, 'session ended; refresh the token and reconnect');
      }),
    );
  }
}

function bearerFromProtocols(header: string | string[] | undefined): string | null {
  const value = Array.isArray(header) ? header.join(',') : (header ?? '');
  for (const p of value.split(',').map((s) => s.trim())) if (p.startsWith(BEARER_PROTOCOL_PREFIX)) return p.slice(BEARER_PROTOCOL_PREFIX.length);
  return null;
}

/** Answers with `loa.events` when offered; never echoes the token protocol unless it is the only one. */
function pickProtocol(protocols: Set<string>): string | false {
  if (protocols.has(EVENTS_PROTOCOL)) return EVENTS_PROTOCOL;
  const first = protocols.values().next();
  return first.done ? false : first.value;
}
