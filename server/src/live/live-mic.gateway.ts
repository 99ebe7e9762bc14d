import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { AuthService } from '../auth/auth.service.js';
import { EDITORS } from '../auth/roles.js';
import type { AppLogger } from '../logging/logger.js';
import { LOGGER } from '../logging/logging.module.js';
import { LiveService } from './live.service.js';

const MIC_PATH = /^\/api\/v1\/live\/([A-Za-z0-9-]{1,80})\/mic$/;
const BEARER_PREFIX = 'bearer.';
export const MIC_PROTOCOL = 'loa.live';
/** Close code (private range): the session ended, do not reconnect. */
export const MIC_SESSION_ENDED = 4410;
/** Far above what a browser sends in 100 ms (WebM/Opus ≈ 1 KB, PCM 9.6 KB). */
const MAX_CHUNK_BYTES = 256 * 1024;

/**
 * The browser's microphone, in: a WebSocket at /api/v1/live/:id/mic on the same HTTP(S) server, authenticated like
 * the event stream (subprotocol `bearer.<token>` or `?token=`), carrying binary chunks: MediaRecorder's WebM/Opus
 * (`?format=webm`, the default) or s16le mono 48 kHz PCM (`?format=pcm`). Text messages are ignored.
 */
@Injectable()
export class LiveMicGateway implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_CHUNK_BYTES, handleProtocols: (p) => (p.has(MIC_PROTOCOL) ? MIC_PROTOCOL : false) });
  private server: Server | null = null;
  private readonly log: AppLogger;
  private readonly onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => void this.upgrade(req, socket, head);

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly auth: AuthService,
    private readonly live: LiveService,
    @Inject(LOGGER) logger: AppLogger,
  ) {
    this.log = logger.child({ ctx: 'live' });
  }

  onApplicationBootstrap(): void {
    const server = this.adapterHost.httpAdapter?.getHttpServer() as Server | undefined;
    if (!server) return;
    this.server = server;
    server.on('upgrade', this.onUpgrade);
  }

  async onModuleDestroy(): Promise<void> {
    this.server?.off('upgrade', this.onUpgrade);
    for (const client of this.wss.clients) client.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  private async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const match = MIC_PATH.exec(url.pathname);
    if (!match) return; // another gateway's upgrade
    socket.on('error', () => undefined);
    const refuse = (status: number, reason: string, why: string): void => {
      socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n${why}\n`);
    };
    const token = url.searchParams.get('token') ?? bearerFromProtocols(req.headers['sec-websocket-protocol']);
    const user = token ? await this.auth.authenticate(token).catch(() => null) : null;
    if (!user) return refuse(401, 'Unauthorized', 'invalid or missing operator token (subprotocol bearer.<token>)');
    if (!EDITORS.includes(user.role)) return refuse(403, 'Forbidden', 'your role may not broadcast');
    const format = url.searchParams.get('format') ?? 'webm';
    if (format !== 'webm' && format !== 'pcm') return refuse(400, 'Bad Request', 'format must be webm or pcm');
    this.wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      ws.on('error', () => undefined);
      let sink: { write: (chunk: Buffer) => void; detach: () => void } | null = null;
      const early: Buffer[] = [];
      ws.on('message', (data, isBinary) => {
        if (!isBinary) return;
        const chunk = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
        if (sink) sink.write(chunk);
        else early.push(chunk);
      });
      let closed = false;
      ws.on('close', () => {
        closed = true;
        sink?.detach();
      });
      // Attached after the upgrade, so a refusal can carry its reason in the close frame the browser can read.
      void this.live.attachMic(match[1]!, user.userId, format, () => ws.close(MIC_SESSION_ENDED, 'session ended')).then(
        (attached) => {
          if ('refused' in attached) {
            ws.close(attached.refused === 409 ? MIC_SESSION_ENDED : 4000 + attached.refused, attached.why.slice(0, 120));
            return;
          }
          sink = attached;
          for (const chunk of early.splice(0)) attached.write(chunk);
          if (closed) attached.detach();
          else ws.send(JSON.stringify({ type: 'ready' }));
        },
        (err: Error) => {
          this.log.error({ err: err.message }, 'live microphone could not attach');
          ws.close(1011, 'server error');
        },
      );
    });
  }
}

function bearerFromProtocols(header: string | string[] | undefined): string | null {
  const value = Array.isArray(header) ? header.join(',') : (header ?? '');
  for (const p of value.split(',').map((s) => s.trim())) if (p.startsWith(BEARER_PREFIX)) return p.slice(BEARER_PREFIX.length);
  return null;
}
