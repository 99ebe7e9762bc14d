import type { Server } from 'node:http';

/**
 * Requests in progress on the HTTP(S) server, so that a stop can let them finish before the database closes, for a
 * bounded time: a media download over a slow link is cut (agents resume it with a Range request) rather than holding
 * the stop for minutes. WebSocket streams are upgrades, not requests; their own gateway closes them.
 */
export class HttpDrain {
  private active = 0;
  private waiters: Array<() => void> = [];

  constructor(private readonly server: Server) {
    server.on('request', (_req, res) => {
      this.active++;
      res.once('close', () => {
        this.active--;
        if (this.active === 0) for (const wake of this.waiters.splice(0)) wake();
      });
    });
  }

  /**
   * Stops accepting connections at once, waits up to `graceMs` for the requests in progress, then closes every HTTP
   * connection left (idle keep-alive ones at once). Resolves with how many requests were cut.
   */
  async close(graceMs: number): Promise<number> {
    if (this.server.listening) this.server.close();
    this.server.closeIdleConnections();
    if (this.active > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((resolve) => this.waiters.push(resolve)),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs))),
      ]);
      clearTimeout(timer);
    }
    const cut = this.active;
    this.server.closeAllConnections();
    return cut;
  }
}
