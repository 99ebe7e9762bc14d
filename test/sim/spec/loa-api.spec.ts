import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LoaApi } from '../provision.js';

/**
 * The bench and demo outlive an access token (15 min by default). The client must trade its refresh token once when
 * a call answers 401, even when several calls hit 401 together, and use each refresh token once only.
 */
describe(LoaApi.name, () => {
  let server: Server;
  let base: string;
  let valid = 'access-1';
  let refreshTokens = new Set(['refresh-1']);
  let refreshCalls = 0;
  let generation = 1;

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const send = (status: number, json: unknown) => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(json));
        };
        if (req.url === '/api/v1/auth/login') return send(200, { accessToken: valid, refreshToken: 'refresh-1' });
        if (req.url === '/api/v1/auth/refresh') {
          refreshCalls++;
          const { refreshToken } = JSON.parse(body) as { refreshToken: string };
          if (!refreshTokens.delete(refreshToken)) return send(401, { message: 'already used' });
          generation++;
          valid = `access-${generation}`;
          refreshTokens.add(`refresh-${generation}`);
          return send(200, { accessToken: valid, refreshToken: `refresh-${generation}` });
        }
        if (req.headers.authorization !== `Bearer ${valid}`) return send(401, { message: 'expired' });
        return send(200, { ok: true, url: req.url });
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('renews once on 401 and retries, for concurrent calls too', async () => {
    const sut = await LoaApi.login(base, 'admin', 'pw');
    valid = 'rotated-by-expiry'; // the server no longer accepts access-1
    refreshTokens = new Set(['refresh-1']);
    refreshCalls = 0;
    const answers = await Promise.all([1, 2, 3].map((i) => sut.request<{ ok: boolean; url: string }>('GET', `/api/v1/x/${i}`)));
    expect(answers.map((a) => a.url)).toEqual(['/api/v1/x/1', '/api/v1/x/2', '/api/v1/x/3']);
    expect(refreshCalls).toBe(1);
    expect(sut.token).toBe(valid);
  });

  it('reports the 401 when the refresh is refused', async () => {
    const sut = await LoaApi.login(base, 'admin', 'pw');
    valid = 'something-else';
    refreshTokens = new Set();
    await expect(sut.request('GET', '/api/v1/y')).rejects.toThrow(/refresh → HTTP 401/);
  });
});
