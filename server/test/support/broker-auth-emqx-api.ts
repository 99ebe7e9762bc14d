import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedCall {
  readonly method: string;
  readonly path: string;
  readonly authorization: string | undefined;
}

export interface EmqxApiStandIn {
  readonly url: string;
  readonly calls: RecordedCall[];
  /** Client ids the stand-in reports as connected (DELETE answers 204 for them, 404 CLIENTID_NOT_FOUND otherwise). */
  readonly connected: Set<string>;
  /** Resolves with the next call whose path is `path` (at once if one was recorded already). */
  nextCall(path: string): Promise<RecordedCall>;
  close(): Promise<void>;
}

/**
 * A real HTTP server standing in for EMQX's REST API (DELETE /api/v5/clients/{clientid}, HTTP Basic with an API key and
 * secret): it answers as EMQX documents and records every call, so tests see exactly what the server sent.
 */
export async function startEmqxApiStandIn(key: string, secret: string): Promise<EmqxApiStandIn> {
  const calls: RecordedCall[] = [];
  const connected = new Set<string>();
  const waiters: Array<{ path: string; resolve: (c: RecordedCall) => void }> = [];
  const expected = `Basic ${Buffer.from(`${key}:${secret}`).toString('base64')}`;
  const server: Server = createServer((req: IncomingMessage, res) => {
    req.resume();
    const call = { method: req.method ?? '', path: req.url ?? '', authorization: req.headers.authorization };
    calls.push(call);
    for (const w of waiters.splice(0)) {
      if (w.path === call.path) w.resolve(call);
      else waiters.push(w);
    }
    const json = (status: number, body?: unknown) => {
      res.writeHead(status, body === undefined ? {} : { 'content-type': 'application/json' });
      res.end(body === undefined ? undefined : JSON.stringify(body));
    };
    if (call.authorization !== expected) return json(401, { code: 'BAD_API_KEY_OR_SECRET', message: 'Check api_key/api_secret' });
    const m = /^\/api\/v5\/clients\/([^/]+)$/.exec(call.path);
    if (req.method !== 'DELETE' || !m) return json(404, { code: 'NOT_FOUND', message: 'Request Path Not Found' });
    const clientId = decodeURIComponent(m[1]!);
    if (!connected.delete(clientId)) return json(404, { code: 'CLIENTID_NOT_FOUND', message: 'Client ID not found' });
    json(204);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    connected,
    nextCall: (path) =>
      new Promise((resolve) => {
        const seen = calls.find((c) => c.path === path);
        if (seen) resolve(seen);
        else waiters.push({ path, resolve });
      }),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
