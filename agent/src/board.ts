import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';

export interface BoardMessage {
  occurrenceId: string;
  text: string;
  title: string;
  since: number;
}

export interface BoardServerOptions {
  host: string;
  port: number;
  logger: Logger;
  now?: () => number;
  /** SSE comment sent this often so proxies and the browser keep the stream open. */
  heartbeatMs?: number;
}

/**
 * The kiosk page shown full-screen on an e-board. It renders `#title` and `#message` from `/events`
 * (Server-Sent Events) without reloading, and shrinks the font until the text fits the screen.
 */
export const BOARD_PAGE = `<!doctype html>
<html lang="vi">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Loa — Bảng tin</title>
<style>
  html, body { margin: 0; height: 100%; background: #0b0f14; color: #f5f7fa; overflow: hidden;
    font-family: "Noto Sans", "Be Vietnam Pro", "Roboto", "Segoe UI", "DejaVu Sans", Arial, sans-serif; }
  #screen { box-sizing: border-box; height: 100vh; width: 100vw; padding: 4vh 4vw; display: flex;
    flex-direction: column; justify-content: center; gap: 3vh; }
  #title { font-size: 5vh; font-weight: 700; color: #ffd166; line-height: 1.2; }
  #message { font-size: 12vh; line-height: 1.25; white-space: pre-wrap; overflow-wrap: anywhere; }
  #screen.idle #message { color: #5c6b7a; font-size: 6vh; text-align: center; }
  #screen.idle #title { display: none; }
  #status { position: fixed; right: 1vw; bottom: 1vh; font-size: 1.6vh; color: #5c6b7a; }
</style>
</head>
<body>
<div id="screen" class="idle" data-occurrence="">
  <div id="title"></div>
  <div id="message">Chưa có bản tin</div>
</div>
<div id="status">…</div>
<script>
(function () {
  var screen = document.getElementById('screen');
  var title = document.getElementById('title');
  var message = document.getElementById('message');
  var status = document.getElementById('status');
  function fit() {
    // Start large and step down until the text fits; long bulletins still end up readable.
    var size = screen.classList.contains('idle') ? 6 : 12;
    message.style.fontSize = size + 'vh';
    while (size > 2 && screen.scrollHeight > window.innerHeight) {
      size -= 0.5;
      message.style.fontSize = size + 'vh';
    }
  }
  function render(current) {
    if (current) {
      screen.className = '';
      screen.setAttribute('data-occurrence', current.occurrenceId);
      title.textContent = current.title;
      message.textContent = current.text;
    } else {
      screen.className = 'idle';
      screen.setAttribute('data-occurrence', '');
      title.textContent = '';
      message.textContent = 'Chưa có bản tin';
    }
    fit();
  }
  window.addEventListener('resize', fit);
  var es = new EventSource('/events');
  es.addEventListener('state', function (e) { render(JSON.parse(e.data).current); });
  es.onopen = function () { status.textContent = '● trực tuyến'; };
  es.onerror = function () { status.textContent = '○ đang kết nối lại…'; };
})();
</script>
</body>
</html>
`;

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

  show(msg: Omit<BoardMessage, 'since'> & { since?: number }): void {
    this.current = { ...msg, since: msg.since ?? (this.opts.now ?? Date.now)() };
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
        res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found');
    }
  }
}
