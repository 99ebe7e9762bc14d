import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ExchangeDetail, ExchangePage, SourcePeerCreated, SourcePeerView } from '@loa/shared/rest';
import { DataSource } from 'typeorm';
import { Clock } from '../src/common/clock.js';
import { JobScheduler } from '../src/jobs/job-scheduler.js';
import { DISPATCH_JOB, Dispatcher } from '../src/source-system/dispatcher.js';
import { SourceOutbox, type OutboxEntry } from '../src/source-system/outbox.port.js';
import { STAND_IN_INBOX_PATH, STAND_IN_TOKEN_PATH, StandInSource } from '../../test/support/stand-in-source.js';
import { copySqliteTemplate, openPostgres, type TestDatabase } from './support/databases.js';
import { startTestServer, type TestServer } from './support/server.js';
import { until } from './support/until.js';

/**
 * Issue 16: the outbox and its dispatcher against a stand-in source system, on SQLite and PostgreSQL: retries with
 * backoff across a restart of the server (sent exactly once), 5xx then success, a slow receiver (time-out, then the
 * repeat answered as a duplicate), a receiver that never answers, 4xx → dead and "retry now", OAuth2 with a token
 * refreshed on 401, Loa's signed envelope, the audit entries, the API; on PostgreSQL two servers dispatching the same
 * rows at once.
 *
 * Backoff is tested on the servers' own Clock moved forward (every service reads "now" from it), not by waiting.
 */
describe.each(['sqlite', 'postgres'])('source-system outbox (%s)', (db) => {
  const stand = new StandInSource({ auth: { type: 'api-key', header: 'X-Api-Key', key: 'k-123' }, loa: { secret: 'secret-minted-by-the-stand-in-0001', peerId: 'huyen-01' } });
  const oauth = new StandInSource({ auth: { type: 'oauth2', clientId: 'loa client', clientSecret: 's3cr:et' } });
  let dir: string;
  let pg: TestDatabase | null = null;
  let dbUrl: string;
  const running = new Set<TestServer>();
  const offsets = new Map<TestServer, { ms: number }>();

  beforeAll(async () => {
    await stand.start();
    await oauth.start();
    dir = mkdtempSync(path.join(tmpdir(), 'loa-source-'));
    if (db === 'sqlite') {
      const file = path.join(dir, 'loa.sqlite');
      await copySqliteTemplate(file);
      dbUrl = `sqlite:${file}`;
    } else {
      pg = await openPostgres();
      dbUrl = (pg.dataSource.options as { url: string }).url;
    }
  });

  afterAll(async () => {
    for (const t of running) await t.server.close();
    await stand.close();
    await oauth.close();
    await pg?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A server on the suite's database, its Clock offset by `offsets.get(t).ms`. */
  const boot = async (): Promise<TestServer> => {
    const t = await startTestServer({ LOA_DATABASE_URL: dbUrl });
    running.add(t);
    const offset = { ms: 0 };
    offsets.set(t, offset);
    const clock = t.server.app.get(Clock);
    const real = clock.now.bind(clock);
    clock.now = () => real() + offset.ms;
    return t;
  };
  const stop = async (t: TestServer) => {
    running.delete(t);
    await t.server.close();
  };
  /** Moves the server's clock on and runs its dispatcher (its own ticks may run it too). */
  const advance = async (t: TestServer, ms: number) => {
    offsets.get(t)!.ms += ms;
    await t.server.app.get(JobScheduler).runNow(DISPATCH_JOB);
  };
  const ok = async <T>(t: TestServer, method: string, url: string, body?: unknown): Promise<T> => {
    const r = await t.api<T>(method, url, body);
    if (r.status >= 300) throw new Error(`${method} ${url}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };
  const exchangeByKey = async (t: TestServer, key: string): Promise<ExchangeDetail | null> => {
    const page = await ok<ExchangePage>(t, 'GET', '/api/v1/source-system/exchanges?limit=500');
    const hit = page.items.find((x) => x.idempotencyKey === key);
    return hit ? ok<ExchangeDetail>(t, 'GET', `/api/v1/source-system/exchanges/${hit.id}`) : null;
  };
  const waitState = (t: TestServer, key: string, test: (x: ExchangeDetail) => boolean, what: string) =>
    until(what, () => exchangeByKey(t, key), (x): x is ExchangeDetail => x !== null && test(x)) as Promise<ExchangeDetail>;
  const enqueue = (t: TestServer, entries: OutboxEntry[]) => t.server.app.get(SourceOutbox).enqueue(entries);

  const restPeer = (over: Record<string, unknown> = {}) => ({
    kind: 'rest',
    name: 'Hệ thống thông tin nguồn (giả lập)',
    role: 'upper',
    baseUrl: stand.url,
    auth: { type: 'api-key', header: 'X-Api-Key', key: 'k-123' },
    timeoutMs: 1_000,
    templates: {
      bulletin: { method: 'POST', path: '/api/ban-tin', body: '{"tieuDe": "{{payload.title}}", "ma": "{{idempotencyKey}}"}', refPath: 'data.id' },
    },
    ...over,
  });

  let t: TestServer;
  let peerId: string;

  it('keeps secrets write-only: shown once at creation, never in a read; admins only; a broken template is a 400', async () => {
    t = await boot();
    const created = await ok<SourcePeerCreated>(t, 'POST', '/api/v1/source-system/peers', restPeer());
    peerId = created.id;
    expect(created.inboundSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(created.auth).toEqual({ type: 'api-key', header: 'X-Api-Key' });
    const read = await ok<SourcePeerView>(t, 'GET', `/api/v1/source-system/peers/${peerId}`);
    const text = JSON.stringify(read) + JSON.stringify(await ok<SourcePeerView[]>(t, 'GET', '/api/v1/source-system/peers'));
    expect(text).not.toContain('k-123');
    expect(text).not.toContain(created.inboundSecret);
    expect(read).not.toHaveProperty('inboundSecret');

    const broken = await t.api('POST', '/api/v1/source-system/peers', restPeer({ templates: { bulletin: { path: '/x', body: '{"a": "{{#rows}}"}' } } }));
    expect(broken.status).toBe(400);
    expect(JSON.stringify(broken.body)).toMatch(/never closed/);
    expect((await t.api('POST', '/api/v1/source-system/peers', restPeer({ baseUrl: 'ftp://x' }))).status).toBe(400);

    await ok(t, 'POST', '/api/v1/areas', { code: '01', name: 'Tỉnh Thử', level: 'province' });
    await ok(t, 'POST', '/api/v1/users', { username: 'op1', password: 'password-123', role: 'operator', areaCode: '01' });
    const login = await fetch(`${t.baseUrl}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'op1', password: 'password-123' }) });
    const opToken = ((await login.json()) as { accessToken: string }).accessToken;
    const asOp = (url: string, method = 'GET') => fetch(t.baseUrl + url, { method, headers: { authorization: `Bearer ${opToken}` } });
    expect((await asOp('/api/v1/source-system/peers')).status).toBe(403);
    expect((await asOp('/api/v1/source-system/exchanges')).status).toBe(200);
  });

  it('retries with backoff across a restart of the server and delivers exactly once', async () => {
    stand.failNext = 2;
    const key = 'bulletin:restart-1';
    await enqueue(t, [{ peerId, kind: 'bulletin', idempotencyKey: key, payload: { title: 'Bão số 3 "khẩn"' } }]);
    const first = await waitState(t, key, (x) => x.state === 'failed' && x.attempts === 1, 'the first attempt to fail');
    expect(first.httpStatus).toBe(503);
    expect(first.lastError).toMatch(/^HTTP 503/);
    const wait1 = Date.parse(first.nextAttemptAt!) - Date.parse(first.updatedAt);
    expect(wait1).toBeGreaterThanOrEqual(7_500);
    expect(wait1).toBeLessThanOrEqual(12_500);

    // A restart: the row is in the database, nothing in memory.
    await stop(t);
    t = await boot();
    await advance(t, 13_000);
    const second = await waitState(t, key, (x) => x.attempts === 2 && x.state === 'failed', 'the second attempt (after the restart) to fail');
    const wait2 = Date.parse(second.nextAttemptAt!) - Date.parse(second.updatedAt);
    expect(wait2).toBeGreaterThanOrEqual(15_000);
    expect(wait2).toBeLessThanOrEqual(25_000);
    await advance(t, 26_000);
    const sent = await waitState(t, key, (x) => x.state === 'sent', 'the third attempt to succeed');
    expect(sent.attempts).toBe(3);
    expect(sent.httpStatus).toBe(201);
    expect(sent.remoteRef).toBe(stand.accepted.get(key)!.ref);
    expect(sent.lastError).toBeNull();

    expect(stand.deliveriesOf(key).map((r) => r.status)).toEqual([503, 503, 201]);
    expect(stand.accepted.get(key)!.count).toBe(1);
    expect(JSON.parse(stand.accepted.get(key)!.body)).toEqual({ tieuDe: 'Bão số 3 "khẩn"', ma: key });
    expect(stand.deliveriesOf(key).every((r) => r.headers['x-api-key'] === 'k-123' && r.headers['idempotency-key'] === key)).toBe(true);

    // Every attempt is in the audit log.
    const audit = await ok<Array<{ action: string; outcome: string; status: number; detail: { attempt: number } }>>(t, 'GET', `/api/v1/audit?resourceType=source-exchange&resourceId=${sent.id}`);
    expect(audit.map((a) => [a.action, a.status, a.detail.attempt]).sort()).toEqual([
      ['source-system.exchange-failed', 503, 1],
      ['source-system.exchange-failed', 503, 2],
      ['source-system.exchange-sent', 201, 3],
    ]);
  });

  it("a row left 'sending' by a sender that died is taken up once its lease lapses, not before", async () => {
    const peer = await ok<SourcePeerCreated>(t, 'POST', '/api/v1/source-system/peers', restPeer({ name: 'Lease', enabled: false }));
    const key = 'bulletin:crashed-1';
    await enqueue(t, [{ peerId: peer.id, kind: 'bulletin', idempotencyKey: key, payload: { title: 'Bỏ dở' } }]);
    // What a process that claimed the row and died mid-send leaves behind: state sending, a lease a minute ahead.
    const now = t.server.app.get(Clock).now();
    await t.server.app
      .get(DataSource)
      .query(`UPDATE source_exchanges SET state = 'sending', attempts = 1, lease_until = ${now + 60_000} WHERE idempotency_key = '${key}'`);
    await ok(t, 'PATCH', `/api/v1/source-system/peers/${peer.id}`, { enabled: true });
    await t.server.app.get(Dispatcher).dispatchDue();
    expect(stand.deliveriesOf(key)).toHaveLength(0);
    expect((await exchangeByKey(t, key))!.state).toBe('sending');
    await advance(t, 61_000);
    const sent = await waitState(t, key, (x) => x.state === 'sent', 'the abandoned row to be sent');
    expect(sent.attempts).toBe(2);
    expect(stand.deliveriesOf(key)).toHaveLength(1);
  });

  it('a slow receiver: the time-out is retried and the repeat is answered as a duplicate, accepted once', async () => {
    const key = 'bulletin:slow-1';
    stand.answerDelayMs = 3_000;
    await enqueue(t, [{ peerId, kind: 'bulletin', idempotencyKey: key, payload: { title: 'Chậm' } }]);
    const timedOut = await waitState(t, key, (x) => x.state === 'failed', 'the slow attempt to time out');
    expect(timedOut.lastError).toBe('no answer within 1000 ms');
    expect(timedOut.httpStatus).toBeNull();
    await stand.waitFor(() => stand.accepted.has(key), 'the stand-in to take the slow delivery');
    stand.answerDelayMs = 0;
    await advance(t, 13_000);
    const sent = await waitState(t, key, (x) => x.state === 'sent', 'the repeat to be answered');
    expect(stand.accepted.get(key)!.count).toBe(1);
    expect(stand.duplicates.get(key)).toBe(1);
    expect(sent.remoteRef).toBe(stand.accepted.get(key)!.ref);
  });

  it('a receiver that never answers: timed out, then sent', async () => {
    const key = 'bulletin:hang-1';
    stand.hangNext = 1;
    await enqueue(t, [{ peerId, kind: 'bulletin', idempotencyKey: key, payload: { title: 'Treo' } }]);
    await waitState(t, key, (x) => x.state === 'failed' && x.lastError === 'no answer within 1000 ms', 'the hung attempt to time out');
    expect(stand.accepted.has(key)).toBe(false);
    await advance(t, 13_000);
    await waitState(t, key, (x) => x.state === 'sent' && x.attempts === 2, 'the second attempt to be sent');
    expect(stand.accepted.get(key)!.count).toBe(1);
  });

  it('a 4xx is dead at once with the reason; "retry now" sends it again; a sent one cannot be retried', async () => {
    const key = 'bulletin:bad-1';
    stand.refuseWhenBodyHas = 'INVALID';
    await enqueue(t, [{ peerId, kind: 'bulletin', idempotencyKey: key, payload: { title: 'INVALID' } }]);
    const dead = await waitState(t, key, (x) => x.state === 'dead', 'the refused exchange to be dead');
    expect(dead.attempts).toBe(1);
    expect(dead.httpStatus).toBe(422);
    expect(dead.lastError).toMatch(/^HTTP 422: .*refused/);
    expect(dead.nextAttemptAt).toBeNull();
    const deadList = await ok<ExchangePage>(t, 'GET', `/api/v1/source-system/exchanges?state=dead&peerId=${peerId}`);
    expect(deadList.items.map((x) => x.idempotencyKey)).toEqual([key]);
    const audit = await ok<Array<{ action: string }>>(t, 'GET', `/api/v1/audit?resourceType=source-exchange&resourceId=${dead.id}`);
    expect(audit.map((a) => a.action)).toEqual(['source-system.exchange-dead']);

    stand.refuseWhenBodyHas = null;
    const retried = await ok<ExchangeDetail>(t, 'POST', `/api/v1/source-system/exchanges/${dead.id}/retry`);
    expect(['pending', 'sending', 'sent']).toContain(retried.state);
    const sent = await waitState(t, key, (x) => x.state === 'sent', 'the retried exchange to be sent');
    expect(sent.attempts).toBe(2);
    expect((await t.api('POST', `/api/v1/source-system/exchanges/${dead.id}/retry`)).status).toBe(409);
    expect((await t.api('POST', '/api/v1/source-system/exchanges/00000000-0000-4000-8000-000000000000/retry')).status).toBe(404);
  });

  it('enqueuing a key twice is a no-op; the list pages newest first with a cursor', async () => {
    const before = stand.requests.length;
    await enqueue(t, [{ peerId, kind: 'bulletin', idempotencyKey: 'bulletin:restart-1', payload: { title: 'again' } }]);
    // The dispatcher has nothing due for this key: the row stays sent with its first payload.
    await t.server.app.get(JobScheduler).runNow(DISPATCH_JOB);
    const x = await exchangeByKey(t, 'bulletin:restart-1');
    expect(x!.payload).toEqual({ title: 'Bão số 3 "khẩn"' });
    expect(stand.requests.length).toBe(before);

    const p1 = await ok<ExchangePage>(t, 'GET', '/api/v1/source-system/exchanges?limit=2');
    expect(p1.items).toHaveLength(2);
    const p2 = await ok<ExchangePage>(t, 'GET', `/api/v1/source-system/exchanges?limit=2&cursor=${p1.nextCursor!}`);
    const all = await ok<ExchangePage>(t, 'GET', '/api/v1/source-system/exchanges?limit=500');
    expect([...p1.items, ...p2.items].map((i) => i.id)).toEqual(all.items.slice(0, 4).map((i) => i.id));
    expect((await t.api('GET', '/api/v1/source-system/exchanges?state=bogus')).status).toBe(400);
  });

  it('OAuth2 client credentials: the token is cached, and refreshed once on a 401', async () => {
    const peer = await ok<SourcePeerCreated>(t, 'POST', '/api/v1/source-system/peers', restPeer({
      name: 'OAuth2',
      baseUrl: oauth.url,
      auth: { type: 'oauth2', tokenUrl: oauth.url + STAND_IN_TOKEN_PATH, clientId: 'loa client', clientSecret: 's3cr:et', scope: 'bulletins' },
    }));
    await enqueue(t, [{ peerId: peer.id, kind: 'bulletin', idempotencyKey: 'oauth:1', payload: { title: 'a' } }]);
    await waitState(t, 'oauth:1', (x) => x.state === 'sent', 'the first OAuth2 exchange');
    await enqueue(t, [{ peerId: peer.id, kind: 'bulletin', idempotencyKey: 'oauth:2', payload: { title: 'b' } }]);
    await waitState(t, 'oauth:2', (x) => x.state === 'sent', 'the second OAuth2 exchange');
    expect(oauth.tokensIssued).toBe(1);
    const tokenRequest = oauth.requests.find((r) => r.path === STAND_IN_TOKEN_PATH)!;
    expect(new URLSearchParams(tokenRequest.body).get('scope')).toBe('bulletins');

    oauth.revokeTokens();
    await enqueue(t, [{ peerId: peer.id, kind: 'bulletin', idempotencyKey: 'oauth:3', payload: { title: 'c' } }]);
    const third = await waitState(t, 'oauth:3', (x) => x.state === 'sent', 'the exchange after the revocation');
    expect(third.attempts).toBe(1);
    expect(oauth.tokensIssued).toBe(2);
    expect(oauth.deliveriesOf('oauth:3').map((r) => r.status)).toEqual([401, 201]);
  });

  it("Loa's protocol: the signed envelope to the peer's inbox, naming us by our id there", async () => {
    const peer = await ok<SourcePeerCreated>(t, 'POST', '/api/v1/source-system/peers', {
      kind: 'loa',
      name: 'Loa huyện (giả lập)',
      role: 'lower',
      baseUrl: stand.url,
      remotePeerId: 'huyen-01',
      outboundSecret: 'secret-minted-by-the-stand-in-0001',
      timeoutMs: 5_000,
    });
    await enqueue(t, [{ peerId: peer.id, kind: 'bulletin', idempotencyKey: 'loa:bulletin-1', payload: { originId: 'c-1', title: 'Từ tỉnh' } }]);
    const sent = await waitState(t, 'loa:bulletin-1', (x) => x.state === 'sent' || x.state === 'dead', 'the Loa exchange');
    expect(sent.state).toBe('sent');
    const req = stand.deliveriesOf('loa:bulletin-1')[0]!;
    expect(req.path).toBe(STAND_IN_INBOX_PATH);
    const envelope = JSON.parse(req.body) as Record<string, unknown>;
    expect(envelope).toMatchObject({ idempotencyKey: 'loa:bulletin-1', kind: 'bulletin', v: 1, payload: { originId: 'c-1', title: 'Từ tỉnh' } });
    expect(sent.remoteRef).toBe(stand.accepted.get('loa:bulletin-1')!.ref);

    // A wrong secret: the inbox answers 401, which will not get better by itself.
    await ok(t, 'PATCH', `/api/v1/source-system/peers/${peer.id}`, { outboundSecret: 'not-the-secret-the-peer-minted' });
    await enqueue(t, [{ peerId: peer.id, kind: 'bulletin', idempotencyKey: 'loa:bulletin-2', payload: { originId: 'c-2', title: 'x' } }]);
    const refused = await waitState(t, 'loa:bulletin-2', (x) => x.state === 'dead', 'the badly signed exchange to be dead');
    expect(refused.lastError).toMatch(/HTTP 401.*bad signature/);
  });

  // Two servers on one SQLite file is not a deployment Loa supports (one process owns it): PostgreSQL only.
  if (db === 'postgres') it('two servers dispatching the same rows at once send each exactly once', async () => {
    const u = await boot();
    const peer = await ok<SourcePeerCreated>(t, 'POST', '/api/v1/source-system/peers', restPeer({ name: 'Hai máy', enabled: false, timeoutMs: 10_000 }));
    const keys = Array.from({ length: 40 }, (_, i) => `race:${i}`);
    await enqueue(t, keys.map((k) => ({ peerId: peer.id, kind: 'bulletin' as const, idempotencyKey: k, payload: { title: k } })));
    stand.answerDelayMs = 20;
    await ok(t, 'PATCH', `/api/v1/source-system/peers/${peer.id}`, { enabled: true });
    // Both dispatchers at once, twice each, besides the leader's own ticks.
    await Promise.all([t, u, t, u].map((s) => s.server.app.get(Dispatcher).dispatchDue()));
    await until('every race row to be sent', () => ok<ExchangePage>(t, 'GET', `/api/v1/source-system/exchanges?peerId=${peer.id}&limit=500`), (p) => p.items.length === 40 && p.items.every((x) => x.state === 'sent'));
    stand.answerDelayMs = 0;
    for (const k of keys) {
      expect(stand.deliveriesOf(k)).toHaveLength(1);
      expect(stand.accepted.get(k)!.count).toBe(1);
    }
    const page = await ok<ExchangePage>(t, 'GET', `/api/v1/source-system/exchanges?peerId=${peer.id}&limit=500`);
    expect(page.items.every((x) => x.attempts === 1)).toBe(true);
    await stop(u);
  });
});
