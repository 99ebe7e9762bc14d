import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';

/**
 * What the load balancer in front of several Loa instances does in production (deploy/scale-out.md: nginx or
 * HAProxy), reduced to what the tests need: round robin over the instances' HTTP ports, WebSocket upgrades passed
 * through, and an instance that refuses connections skipped (the request goes to the next one), so agents whose
 * --server-url is the balancer keep downloading media when one instance dies.
 */
export interface TestBalancer {
  readonly url: string;
  readonly port: number;
  /** Requests answered by each upstream port. */
  readonly served: Map<number, number>;
  close(): Promise<void>;
}

/** Request bodies are buffered (test uploads are small), so a request refused by a dead instance can go elsewhere. */
export async function startBalancer(upstreamPorts: readonly number[], host = '127.0.0.1'): Promise<TestBalancer> {
  let next = 0;
  const served = new Map<number, number>(upstreamPorts.map((p) => [p, 0]));
  const order = (): number[] => {
    const start = next++ % upstreamPorts.length;
    return [...upstreamPorts.slice(start), ...upstreamPorts.slice(0, start)];
  };
  const sockets = new Set<Socket | Duplex>();

  const forward = (req: IncomingMessage, body: Buffer, ports: number[], res: import('node:http').ServerResponse): void => {
    const port = ports[0];
    if (port === undefined) {
      res.writeHead(502, { 'content-type': 'text/plain' }).end('no Loa instance answered\n');
      return;
    }
    const up = request({ host, port, method: req.method, path: req.url, headers: { ...req.headers, host: `${host}:${port}`, 'x-forwarded-for': req.socket.remoteAddress ?? '' } }, (upRes) => {
      served.set(port, (served.get(port) ?? 0) + 1);
      res.writeHead(upRes.statusCode ?? 502, upRes.headers);
      upRes.pipe(res);
    });
    up.on('error', (err: NodeJS.ErrnoException) => {
      // Refused or reset before an answer: that instance is down, the next one gets the request.
      if (!res.headersSent && (err.code === 'ECONNREFUSED' || err.code === 'ECONNRESET')) forward(req, body, ports.slice(1), res);
      else res.destroy(err);
    });
    up.end(body);
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => forward(req, Buffer.concat(chunks), order(), res));
    req.on('error', () => res.destroy());
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  // The dashboard's live stream (/api/v1/events): the upgrade request is replayed to an instance, then bytes flow both ways.
  server.on('upgrade', (req: IncomingMessage, client: Duplex, head: Buffer) => {
    const tryPort = (ports: number[]): void => {
      const port = ports[0];
      if (port === undefined) return void client.destroy();
      const up = connect(port, host);
      sockets.add(up);
      up.once('close', () => sockets.delete(up));
      up.once('error', () => tryPort(ports.slice(1)));
      up.once('connect', () => {
        up.removeAllListeners('error');
        up.on('error', () => client.destroy());
        client.on('error', () => up.destroy());
        const headers = Object.entries(req.headers).flatMap(([k, v]) => (Array.isArray(v) ? v.map((x) => `${k}: ${x}`) : v === undefined ? [] : [`${k}: ${v}`]));
        up.write(`${req.method} ${req.url} HTTP/1.1\r\n${headers.join('\r\n')}\r\n\r\n`);
        if (head.length > 0) up.write(head);
        up.pipe(client);
        client.pipe(up);
      });
    };
    tryPort(order());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://${host}:${port}`,
    port,
    served,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
