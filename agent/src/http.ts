import { Agent as HttpAgent, request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import type { Agent as HttpsAgent } from 'node:https';
import { Readable } from 'node:stream';

/**
 * What the agent reads of an HTTP answer: a subset of the WHATWG `Response`, so a test may hand in a real one.
 * The agent's own client below answers with node:http messages instead: Node's global fetch (undici) costs an idle
 * agent ~18 MB of resident memory for good (its JavaScript and its WebAssembly HTTP parser) and ~40 MB at its
 * first request, for a clock exchange every few minutes (agent/README.md, "Memory").
 */
export interface HttpResponse {
  readonly status: number;
  readonly ok: boolean;
  readonly headers: { get(name: string): string | null };
  /** null for HEAD, 204, 205 and 304. */
  readonly body: ReadableStream<Uint8Array> | null;
  text(): Promise<string>;
}

export interface HttpRequestInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
}

/** The fetch subset the agent uses (media download, clock sync, enrolment). */
export type HttpFetch = (url: string, init?: HttpRequestInit) => Promise<HttpResponse>;

/** As fetch: 303, and 301/302 after a POST, are followed with a GET. */
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;

/**
 * An HTTP(S) client on node:http/https with keep-alive agents (the clock sync's exchanges reuse one connection).
 * `ca`: trust it, and only it in place of the system's public CAs, for https:// (a private deployment's CA).
 */
export function createHttpClient(opts: { ca?: Buffer } = {}): HttpFetch {
  const plain = new HttpAgent({ keepAlive: true, maxSockets: 8 });
  // node:https (and TLS) is loaded at the first https:// request only.
  let secure: Promise<{ agent: HttpsAgent; request: typeof import('node:https').request }> | null = null;
  const https = () =>
    (secure ??= import('node:https').then((m) => ({ agent: new m.Agent({ keepAlive: true, maxSockets: 8, ...(opts.ca ? { ca: opts.ca } : {}) }), request: m.request })));

  const once = async (target: URL, init: HttpRequestInit): Promise<IncomingMessage> => {
    const options: RequestOptions = { method: init.method ?? 'GET', headers: init.headers ?? {}, ...(init.signal ? { signal: init.signal } : {}) };
    let send: typeof httpRequest;
    if (target.protocol === 'http:') {
      send = httpRequest;
      options.agent = plain;
    } else if (target.protocol === 'https:') {
      const s = await https();
      send = s.request;
      options.agent = s.agent;
    } else {
      throw new TypeError(`unsupported URL scheme ${target.protocol} in ${target.href}`);
    }
    init.signal?.throwIfAborted();
    return new Promise<IncomingMessage>((resolve, reject) => {
      const req = send(target, options, resolve);
      req.on('error', reject);
      req.end(init.body);
    });
  };

  return async (url, init = {}) => {
    let target = new URL(url);
    let current = init;
    for (let hop = 0; ; hop++) {
      const res = await once(target, current);
      const status = res.statusCode ?? 502;
      const location = res.headers.location;
      if (!REDIRECTS.has(status) || location === undefined || hop >= MAX_REDIRECTS) return new NodeHttpResponse(res, current.method === 'HEAD');
      res.resume();
      const next = new URL(location, target);
      const headers = { ...current.headers };
      // As fetch: credentials are not handed to another origin.
      if (next.origin !== target.origin) for (const name of Object.keys(headers)) if (name.toLowerCase() === 'authorization') delete headers[name];
      const toGet = status === 303 || ((status === 301 || status === 302) && current.method === 'POST');
      current = toGet ? { ...current, method: 'GET', headers, body: undefined } : { ...current, headers };
      if (toGet) for (const name of Object.keys(headers)) if (/^content-/i.test(name)) delete headers[name];
      target = next;
    }
  };
}

class NodeHttpResponse implements HttpResponse {
  private stream: ReadableStream<Uint8Array> | null | undefined;
  private used = false;

  constructor(
    private readonly res: IncomingMessage,
    head: boolean,
  ) {
    const s = this.status;
    if (head || s === 204 || s === 205 || s === 304) {
      res.resume();
      this.stream = null;
    }
  }

  get status(): number {
    return this.res.statusCode ?? 502;
  }

  get ok(): boolean {
    return this.status >= 200 && this.status <= 299;
  }

  readonly headers = {
    get: (name: string): string | null => {
      const v = this.res.headers[name.toLowerCase()];
      return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
    },
  };

  get body(): ReadableStream<Uint8Array> | null {
    if (this.stream === undefined) {
      this.take();
      // Web streams are loaded only here: a media download reads its body this way.
      this.stream = Readable.toWeb(this.res) as unknown as ReadableStream<Uint8Array>;
    }
    return this.stream;
  }

  async text(): Promise<string> {
    if (this.stream === null) return '';
    this.take();
    const chunks: Buffer[] = [];
    for await (const chunk of this.res) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }

  private take(): void {
    if (this.used) throw new TypeError('the response body was already read');
    this.used = true;
  }
}

/** The client of an agent without a private CA. */
export const defaultHttpFetch: HttpFetch = createHttpClient();
