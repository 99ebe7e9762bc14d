import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startTestServer, type TestServer } from './support/server.js';

/** The server serves whatever dashboard build it is pointed at, at "/", without a login, and the API stays guarded. */
describe('dashboard static files', () => {
  let t: TestServer;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'loa-dash-'));
    writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>Loa</title><script type="module" src="app.js"></script>');
    writeFileSync(path.join(dir, 'app.js'), 'console.log("loa")');
    t = await startTestServer({ LOA_DASHBOARD_DIR: dir });
  });
  afterAll(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers / with index.html, never cached, with protective headers', async () => {
    const res = await fetch(`${t.baseUrl}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(await res.text()).toContain('app.js');
  });

  it('serves the bundle as JavaScript', async () => {
    const res = await fetch(`${t.baseUrl}/app.js`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/javascript/);
  });

  it('keeps the API behind authentication', async () => {
    expect((await fetch(`${t.baseUrl}/api/v1/devices`)).status).toBe(401);
  });

  it('says how to build the dashboard when it is missing', async () => {
    const missing = await startTestServer({ LOA_DASHBOARD_DIR: path.join(dir, 'nope') });
    try {
      const res = await fetch(`${missing.baseUrl}/`);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('npm run build');
    } finally {
      await missing.close();
    }
  });
});

/** Phones on 3G: JSON and the dashboard's files go gzipped when the browser asks; media is never re-encoded. */
describe('HTTP compression', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(() => t.close());

  it('gzips a large JSON answer for a client that accepts it, and leaves it plain for one that does not', async () => {
    for (let i = 0; i < 40; i++) await t.api('POST', '/api/v1/areas', { code: `${10 + i}`, name: `Tỉnh thử nghiệm số ${i}`, level: 'province' });
    const gz = await fetch(`${t.baseUrl}/api/v1/areas`, { headers: { authorization: `Bearer ${t.token}`, 'accept-encoding': 'gzip' } });
    expect(gz.headers.get('content-encoding')).toBe('gzip');
    expect(((await gz.json()) as unknown[]).length).toBe(40); // fetch decodes it
    const plain = await fetch(`${t.baseUrl}/api/v1/areas`, { headers: { authorization: `Bearer ${t.token}`, 'accept-encoding': 'identity' } });
    expect(plain.headers.get('content-encoding')).toBeNull();
    expect(((await plain.json()) as unknown[]).length).toBe(40);
  });
});
