import { Agent, request } from 'node:http';

export interface BrokerCall {
  readonly status: number;
  readonly contentType: string | undefined;
  readonly body: unknown;
}

/** The headers EMQX 5's HTTP authenticator and authoriser send by default, plus the one its configuration adds. */
export const emqxHeaders = (token: string | null, contentType = 'application/json'): Record<string, string> => ({
  accept: 'application/json',
  'cache-control': 'no-cache',
  connection: 'keep-alive',
  'keep-alive': 'timeout=30, max=1000',
  'content-type': contentType,
  ...(token === null ? {} : { authorization: `Bearer ${token}` }),
});

/**
 * An HTTP client calling the way a broker does: a small pool of kept-alive connections, exact headers, the body as
 * given (JSON, form or raw text). node:http rather than fetch, which refuses to send `connection` and `keep-alive`.
 */
export class BrokerHttpClient {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 8 });

  constructor(private readonly baseUrl: string) {}

  send(method: 'GET' | 'POST', path: string, headers: Record<string, string>, body?: string): Promise<BrokerCall> {
    return new Promise((resolve, reject) => {
      const req = request(this.baseUrl + path, { method, agent: this.agent, headers: body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const contentType = res.headers['content-type'];
          let parsed: unknown = text;
          if (contentType?.includes('json') && text !== '') parsed = JSON.parse(text);
          resolve({ status: res.statusCode ?? 0, contentType, body: parsed });
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  /** POST of a JSON body, as EMQX sends its rendered body template with content-type application/json. */
  json(path: string, body: unknown, token: string | null): Promise<BrokerCall> {
    return this.send('POST', path, emqxHeaders(token), JSON.stringify(body));
  }

  /** POST of a form, as EMQX sends its body when its headers set content-type application/x-www-form-urlencoded. */
  form(path: string, fields: Record<string, string>, token: string | null): Promise<BrokerCall> {
    return this.send('POST', path, emqxHeaders(token, 'application/x-www-form-urlencoded'), new URLSearchParams(fields).toString());
  }

  /** GET with the body as the query string, as EMQX sends it with method = get. */
  query(path: string, fields: Record<string, string>, token: string | null): Promise<BrokerCall> {
    const headers = emqxHeaders(token);
    delete headers['content-type'];
    return this.send('GET', `${path}?${new URLSearchParams(fields).toString()}`, headers);
  }

  close(): void {
    this.agent.destroy();
  }
}
