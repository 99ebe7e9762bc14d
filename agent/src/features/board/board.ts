import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { createReadStream } from 'node:fs';
import { boardPage, renderBoard, sha256Schema, type BoardView, type TextStyle } from '@loa/shared';

export interface BoardMessage {
  occurrenceId: string;
  /** The text shown (for an image, its title). */
  text: string;
  title: string;
  since: number;
  /** `#screen` as rendered by the shared board renderer (the same one the server's preview uses). */
  className: string;
  html: string;
  css: string;
}

/** What to show: a text (with its style) or an image already in the media cache. */
export type BoardShow = {
  occurrenceId: string;
  title: string;
  since?: number;
} & ({ text: string; style?: TextStyle | undefined } | { image: { sha256: string; mime: string }; fit?: 'contain' | 'cover' | undefined; background?: string | undefined });

export interface BoardServerOptions {
  host: string;
  port: number;
  logger: Logger;
  now?: () => number;
  /** SSE comment sent this often so proxies and the browser keep the stream open. */
  heartbeatMs?: number;
  /** Verified path of a cached media file (images are served from the agent's media cache at /media/<sha256>). */
  mediaPath?: (sha256: string) => Promise<string>;
}

/** Updates `#screen` from `/events` (Server-Sent Events) without reloading. */
const LIVE_SCRIPT = `(function () {
  var screen = document.getElementById('screen');
  var css = document.getElementById('slot-css');
  var status = document.getElementById('status');
  function render(current) {
    var c = current || IDLE;
    screen.className = c.className;
    screen.setAttribute('data-occurrence', current ? current.occurrenceId : '');
    css.textContent = c.css;
    screen.innerHTML = c.html;
    loaFit();
  }
  var es = new EventSource('/events');
  es.addEventListener('state', function (e) { render(JSON.parse(e.data).current); });
  es.onopen = function () { status.textContent = '● trực tuyến'; };
  es.onerror = function () { status.textContent = '○ đang kết nối lại…'; };
})();`;

const IDLE = renderBoard(null);

/**
 * The kiosk page shown full-screen on an e-board: the shared board page (renderBoard/boardPage from @loa/shared,
 * as in the server's preview) plus live updates. Auto-sized text shrinks until it fits; styled text keeps its size.
 */
export const BOARD_PAGE = boardPage({
  content: IDLE,
  extra: '<div id="status">…</div>',
  script: `var IDLE = ${JSON.stringify(IDLE).replace(/</g, '\\u003c')};\n${LIVE_SCRIPT}`,
});

export class BoardServer {
  private server: Server | null = null;
  private readonly clients = new Set<ServerResponse>();
  private current: BoardMessage | null = null;
  private heartbeat: NodeJS.Timeout | undefined;
  private boundPort = 0;

  constructor(private readonly opts: BoardServerOptions) {}

  get port(): number {
    return this.boundPort;
  }

  get url(): string {
    const host = this.opts.host.includes(':') ? `[${this.opts.host}]` : this.opts.host;
    return `http://${host}:${this.boundPort}`;
  }

  get state(): { current: BoardMessage | null } {
    return { current: this.current };
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port, this.opts.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    this.boundPort = (server.address() as AddressInfo).port;
    this.heartbeat = setInterval(() => this.broadcastRaw(': ping\n\n'), this.opts.heartbeatMs ?? 15_000);
    this.heartbeat.unref();
    this.opts.logger.info({ host: this.opts.host, port: this.boundPort, url: this.url }, 'board page listening');
  }

  async stop(): Promise<void> {
    clearInterval(this.heartbeat);
    for (const c of this.clients) c.end();
    this.clients.clear();
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  show(msg: BoardShow): void {
    const view: BoardView =
      'image' in msg
        ? { type: 'image', title: msg.title, src: `/media/${msg.image.sha256}`, fit: msg.fit, background: msg.background }
        : { type: 'text', title: msg.title, text: msg.text, style: msg.style };
    const r = renderBoard(view);
    this.current = {
      occurrenceId: msg.occurrenceId,
      title: msg.title,
      text: 'image' in msg ? msg.title : msg.text,
      since: msg.since ?? (this.opts.now ?? Date.now)(),
      className: r.className,
      html: r.html,
      css: r.css,
    };
    this.broadcast();
  }

  /** Clears the board, but only if it still shows `occurrenceId` (a newer message may have replaced it). */
  clear(occurrenceId?: string): void {
    if (occurrenceId !== undefined && this.current?.occurrenceId !== occurrenceId) return;
    this.current = null;
    this.broadcast();
  }

  private sse(): string {
    return `event: state\ndata: ${JSON.stringify(this.state)}\n\n`;
  }

  private broadcast(): void {
    this.broadcastRaw(this.sse());
  }

  private broadcastRaw(chunk: string): void {
    for (const c of this.clients) c.write(chunk);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    switch (path) {
      case '/':
      case '/index.html':
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(BOARD_PAGE);
        return;
      case '/state':
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }).end(JSON.stringify(this.state));
        return;
      case '/events':
        res.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-store',
          connection: 'keep-alive',
          'x-accel-buffering': 'no',
        });
        res.write(`retry: 2000\n${this.sse()}`);
        this.clients.add(res);
        res.on('close', () => this.clients.delete(res));
        return;
      default:
        if (path?.startsWith('/media/')) {
          this.serveMedia(path.slice('/media/'.length), res);
          return;
        }
        res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found');
    }
  }

  /** Serves a cached image; only files the verified cache knows, by sha256. */
  private serveMedia(sha256: string, res: ServerResponse): void {
    if (!this.opts.mediaPath || !sha256Schema.safeParse(sha256).success) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found');
      return;
    }
    this.opts.mediaPath(sha256).then(
      (file) => {
        res.writeHead(200, { 'content-type': 'image/png', 'cache-control': 'max-age=86400, immutable' });
        createReadStream(file)
          .on('error', () => res.destroy())
          .pipe(res);
      },
      () => res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not cached'),
    );
  }
}
