import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHttpClient } from '../src/http.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A loopback server answering with `handle`, recording every request and connection. */
async function serve(handle: (req: IncomingMessage, res: ServerResponse, body: string) => void) {
  const seen: Seen[] = [];
  let connections = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      handle(req, res, body);
    });
  });
  server.on('connection', () => connections++);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    seen,
    get connections() {
      return connections;
    },
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('the agent HTTP client (node:http in place of fetch)', () => {
  const servers: Array<{ close(): Promise<void> }> = [];
  const start = async (handle: Parameters<typeof serve>[0]) => {
    const s = await serve(handle);
    servers.push(s);
    return s;
  };
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  it('answers status, headers (any case) and text, and reuses one connection', async () => {
    const server = await start((_req, res) => res.writeHead(200, { 'content-type': 'application/json', ETag: '"v1"' }).end('{"ok":true}'));
    const http = createHttpClient();
    const res = await http(`${server.url}/a`, { headers: { 'cache-control': 'no-store' } });
    expect(res.status).toBe(200);
    expect(res.ok).toBe(true);
    expect(res.headers.get('Content-Type')).toBe('application/json');
    expect(res.headers.get('etag')).toBe('"v1"');
    expect(res.headers.get('x-missing')).toBeNull();
    expect(await res.text()).toBe('{"ok":true}');
    expect(await (await http(`${server.url}/b`)).text()).toBe('{"ok":true}');
    expect(server.seen.map((r) => [r.method, r.url, r.headers['cache-control']])).toEqual([
      ['GET', '/a', 'no-store'],
      ['GET', '/b', undefined],
    ]);
    expect(server.connections).toBe(1);
  });

  it('streams a large body through a web ReadableStream, and has none for HEAD and 204', async () => {
    const big = Buffer.alloc(3 * 1024 * 1024 + 7, 'x');
    const server = await start((req, res) => {
      if (req.url === '/empty') res.writeHead(204).end();
      else res.writeHead(200, { 'content-length': String(big.length) }).end(req.method === 'HEAD' ? undefined : big);
    });
    const http = createHttpClient();
    const res = await http(`${server.url}/big`);
    expect(res.headers.get('content-length')).toBe(String(big.length));
    const reader = res.body!.getReader();
    let bytes = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.length;
    }
    expect(bytes).toBe(big.length);
    const head = await http(`${server.url}/big`, { method: 'HEAD' });
    expect([head.status, head.body]).toEqual([200, null]);
    const empty = await http(`${server.url}/empty`);
    expect([empty.status, empty.ok, empty.body, await empty.text()]).toEqual([204, true, null, '']);
  });

  it('sends a POST with its headers and body, and reports a refusal as not ok', async () => {
    const server = await start((_req, res) => res.writeHead(401, { 'content-type': 'application/json' }).end('{"message":"invalid provisioning key"}'));
    const res = await createHttpClient()(`${server.url}/enroll`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
    expect([res.status, res.ok, await res.text()]).toEqual([401, false, '{"message":"invalid provisioning key"}']);
    expect(server.seen[0]).toMatchObject({ method: 'POST', url: '/enroll', body: '{"a":1}', headers: { 'content-type': 'application/json' } });
  });

  it('follows redirects as fetch does: 303 turns a POST into a GET, 307 keeps it, credentials stay on their origin', async () => {
    const other = await start((_req, res) => res.writeHead(200).end('elsewhere'));
    const server = await start((req, res) => {
      if (req.url === '/see-other') res.writeHead(303, { location: '/done' }).end();
      else if (req.url === '/temporary') res.writeHead(307, { location: '/done' }).end();
      else if (req.url === '/away') res.writeHead(302, { location: `${other.url}/there` }).end();
      else res.writeHead(200).end(`${req.method} done`);
    });
    const http = createHttpClient();
    const post = { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Basic eDp5' }, body: '{"b":2}' };
    expect(await (await http(`${server.url}/see-other`, post)).text()).toBe('GET done');
    expect(await (await http(`${server.url}/temporary`, post)).text()).toBe('POST done');
    expect(server.seen.filter((r) => r.url === '/done').map((r) => [r.method, r.body, r.headers['content-type'], r.headers.authorization])).toEqual([
      ['GET', '', undefined, 'Basic eDp5'],
      ['POST', '{"b":2}', 'application/json', 'Basic eDp5'],
    ]);
    expect(await (await http(`${server.url}/away`, { headers: { authorization: 'Basic eDp5' } })).text()).toBe('elsewhere');
    expect(other.seen[0]?.headers.authorization).toBeUndefined();
  });

  it('gives up when its signal aborts, before or during the exchange', async () => {
    let received!: () => void;
    const arrived = new Promise<void>((resolve) => (received = resolve));
    const server = await start(() => received()); // never answers
    const http = createHttpClient();
    await expect(http(`${server.url}/x`, { signal: AbortSignal.abort(new Error('already stopped')) })).rejects.toThrow();
    const stop = new AbortController();
    const pending = http(`${server.url}/hang`, { signal: stop.signal });
    await arrived;
    stop.abort(new Error('shutdown requested'));
    await expect(pending).rejects.toThrow();
  });

  it('refuses a URL that is not http:// or https://', async () => {
    await expect(createHttpClient()('ftp://127.0.0.1/file')).rejects.toThrow(/unsupported URL scheme ftp:/);
  });
});
