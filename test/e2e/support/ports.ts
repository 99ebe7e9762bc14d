import { createServer, type Server } from 'node:net';

/**
 * A port that was free a moment ago on 127.0.0.1: bind port 0, read what the kernel chose, close. The server
 * under test gets explicit ports this way (port 0 would hide them from the test), and never 1883/3000, which
 * Mosquitto or another program may hold on CI machines.
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(0, host, () => resolve());
  });
  const addr = srv.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  if (!port) throw new Error('could not obtain a free port');
  return port;
}

/** Distinct free ports (two calls to freePort could in principle return the same one). */
export async function freePorts(n: number, host = '127.0.0.1'): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < n) ports.add(await freePort(host));
  return [...ports];
}

/** Holds a port (for "port already in use" tests); close() releases it. */
export async function occupyPort(host = '127.0.0.1'): Promise<{ port: number; server: Server; close(): Promise<void> }> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return { port, server, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
