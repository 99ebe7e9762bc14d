import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mediaPath, TIME_PATH } from '@loa/shared';

export interface MediaServer {
  url: string;
  requests: Array<{ path: string; headers: IncomingHttpHeaders; status: number }>;
  files: Map<string, Buffer>;
  /** Serves these bytes for a sha instead of the real file (to test hash verification). */
  lies: Map<string, Buffer>;
  /** Stop sending a response body after this many bytes (simulates a dropped connection). */
  cutAfter: number | null;
  /** The server's clock as answered on TIME_PATH (default Date.now). */
  now: () => number;
  timeRequests: number;
  add(data: Buffer): string;
  close(): Promise<void>;
}

export const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** A small media endpoint honouring Basic auth, ETag, Range and If-Range like the real server should. */
export async function startMediaServer(auth: { user: string; pass: string } | Record<string, string>): Promise<MediaServer> {
  const files = new Map<string, Buffer>();
  const lies = new Map<string, Buffer>();
  const requests: MediaServer['requests'] = [];
  const state = { cutAfter: null as number | null, now: () => Date.now(), timeRequests: 0 };
  const creds: Record<string, string> = typeof auth.user === 'string' && typeof auth.pass === 'string' && Object.keys(auth).length === 2 ? { [auth.user]: auth.pass } : auth;
  const accepted = new Set(Object.entries(creds).map(([u, p]) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`));
  const server: Server = createServer((req, res) => {
    if (req.method === 'GET' && req.url === TIME_PATH) {
      // Public, like the real server's: the time is no secret.
      state.timeRequests++;
      const receivedAt = state.now();
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify({ receivedAt, sentAt: state.now() }));
      return;
    }
    const log = (status: number) => requests.push({ path: req.url ?? '', headers: req.headers, status });
    if (!accepted.has(req.headers.authorization ?? '')) {
      log(401);
      res.writeHead(401, { 'www-authenticate': 'Basic' }).end();
      return;
    }
    const sha = [...files.keys()].find((k) => req.url === mediaPath(k));
    const body = sha ? (lies.get(sha) ?? files.get(sha)) : undefined;
    if (!sha || !body) {
      log(404);
      res.writeHead(404).end();
      return;
    }
    const etag = `"${sha}"`;
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const ifRange = req.headers['if-range'];
    let start = 0;
    let status = 200;
    if (range && (!ifRange || ifRange === etag)) {
      start = Number(range[1]);
      if (start >= body.length) {
        log(416);
        res.writeHead(416, { 'content-range': `bytes */${body.length}` }).end();
        return;
      }
      status = 206;
    }
    log(status);
    const chunk = body.subarray(start);
    const headers: Record<string, string | number> = { etag, 'accept-ranges': 'bytes', 'content-length': chunk.length, 'content-type': 'audio/wav' };
    if (status === 206) headers['content-range'] = `bytes ${start}-${body.length - 1}/${body.length}`;
    res.writeHead(status, headers);
    if (state.cutAfter !== null) {
      // drop the connection mid-body, once the first part has really left
      res.write(chunk.subarray(0, state.cutAfter), () => setTimeout(() => res.socket?.destroy(), 50));
      return;
    }
    res.end(chunk);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    files,
    lies,
    get cutAfter() {
      return state.cutAfter;
    },
    set cutAfter(v) {
      state.cutAfter = v;
    },
    get now() {
      return state.now;
    },
    set now(fn) {
      state.now = fn;
    },
    get timeRequests() {
      return state.timeRequests;
    },
    add(data: Buffer) {
      const sha = sha256(data);
      files.set(sha, data);
      return sha;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
