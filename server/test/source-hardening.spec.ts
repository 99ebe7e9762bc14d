import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  bulletinResultPayloadSchema,
  SOURCE_INBOX_PATH,
  SOURCE_PEER_HEADER,
  SOURCE_SIGNATURE_HEADER,
  type BulletinPayload,
  type ExchangePage,
  type InboundExchangeView,
  type RemoteResultView,
  type SourcePeerCreated,
  type SourcePeerView,
} from '@loa/shared/rest';
import type { AuditEntryView } from '../src/audit/audit.service.js';
import { SourceOutbox } from '../src/source-system/outbox.port.js';
import { PeersService } from '../src/source-system/peers.service.js';
import { PULL_AUDIT_ACTION, PullPoller } from '../src/source-system/pull-poller.js';
import { signBody } from '../src/source-system/signing.js';
import { STAND_IN_TOKEN_PATH, StandInSource } from '../../test/support/stand-in-source.js';
import { DATABASES } from './support/databases.js';
import { makeMediaFixtures, sha256Of, type MediaFixtures } from './support/media-fixtures.js';
import { startTestServerOn, type TestServer } from './support/server.js';
import { until } from './support/until.js';

/**
 * Issue 16, the connector's gaps closed: `asOf` in the results contract, bulletins taken by polling audited like the
 * inbox's, the inbound audio fetcher kept to the sending peer's origin (no server-side request forgery, redirects
 * included), and OAuth2 client credentials in the form body (client_secret_post) as well as the Basic header, chosen
 * per peer; on SQLite and PostgreSQL, against the stand-in and plain HTTP servers.
 */
describe.each(DATABASES.map(([name]) => name))('source-system hardening (%s)', (db) => {
  let t: TestServer;
  let close: () => Promise<void>;
  let fxDir: string;
  let fx: MediaFixtures;
  /** The upper peer's own address: serves the audio, and redirects as told. */
  let home: Server;
  /** Somewhere else (an internal service, say): must never be asked anything. */
  let elsewhere: Server;
  const elsewhereHits: string[] = [];
  let homeUrl: string;
  let elsewhereUrl: string;
  let upper: { id: string; secret: string };
  let lower: { id: string; secret: string };
  let n = 0;

  const ok = async <T>(method: string, url: string, body?: unknown): Promise<T> => {
    const r = await t.api<T>(method, url, body);
    if (r.status >= 300) throw new Error(`${method} ${url}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };
  const post = async (peer: { id: string; secret: string }, body: string): Promise<{ status: number; body: { ref?: string; message?: string } }> => {
    const res = await fetch(t.baseUrl + SOURCE_INBOX_PATH, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [SOURCE_PEER_HEADER]: peer.id, [SOURCE_SIGNATURE_HEADER]: signBody(peer.secret, body, Date.now() / 1000) },
      body,
    });
    return { status: res.status, body: (await res.json()) as { ref?: string; message?: string } };
  };
  const envelope = (kind: string, payload: unknown): string =>
    JSON.stringify({ idempotencyKey: `${kind}-${db}-${++n}-${Date.now()}`, kind, v: 1, sentAt: new Date().toISOString(), payload });
  const bulletin = (over: Partial<BulletinPayload>): BulletinPayload => ({
    originId: `tin-${db}-${++n}`,
    title: 'Thông báo phòng chống bão',
    text: null,
    audioUrl: null,
    audioSha256: null,
    priority: 'priority',
    category: null,
    validFrom: null,
    validUntil: null,
    areaCodes: null,
    originName: 'Sở VH-TT Tỉnh Thử',
    ...over,
  });
  const inboundRow = (ref: string) => until(`inbound ${ref} settled`, () => ok<InboundExchangeView[]>('GET', `/api/v1/source-system/inbound?peerId=${upper.id}&limit=500`), (rows) => ['failed', 'queued'].includes(rows.find((r) => r.id === ref)?.state ?? '')).then((rows) => rows.find((r) => r.id === ref)!);

  beforeAll(async () => {
    fxDir = mkdtempSync(path.join(tmpdir(), 'loa-hardening-fx-'));
    fx = await makeMediaFixtures(fxDir);
    elsewhere = createServer((req, res) => {
      elsewhereHits.push(req.url ?? '');
      res.writeHead(200, { 'content-type': 'audio/mpeg' }).end(readFileSync(fx.mp3));
    });
    await new Promise<void>((r) => elsewhere.listen(0, '127.0.0.1', () => r()));
    elsewhereUrl = `http://127.0.0.1:${(elsewhere.address() as AddressInfo).port}`;
    home = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname === '/away') return void res.writeHead(302, { location: `${elsewhereUrl}/secret.mp3` }).end();
      if (url.pathname === '/moved') return void res.writeHead(301, { location: '/media/bulletin.mp3' }).end();
      const bytes = readFileSync(fx.mp3);
      res.writeHead(200, { 'content-type': 'audio/mpeg', 'content-length': bytes.length }).end(bytes);
    });
    await new Promise<void>((r) => home.listen(0, '127.0.0.1', () => r()));
    homeUrl = `http://127.0.0.1:${(home.address() as AddressInfo).port}`;
    ({ t, close } = await startTestServerOn(db));
    const mk = async (name: string, role: 'upper' | 'lower', baseUrl: string) => {
      const p = await ok<SourcePeerCreated>('POST', '/api/v1/source-system/peers', { kind: 'loa', name, role, baseUrl });
      return { id: p.id, secret: p.inboundSecret };
    };
    upper = await mk('Tỉnh Thử', 'upper', homeUrl);
    lower = await mk('Xã Dưới', 'lower', 'http://127.0.0.1:9');
  }, 180_000);

  afterAll(async () => {
    await close?.();
    await new Promise((r) => home?.close(r));
    await new Promise((r) => elsewhere?.close(r));
    rmSync(fxDir, { recursive: true, force: true });
  });

  describe('results contract: asOf', () => {
    const result = { originId: 'c-1', status: 'scheduled', due: 2, played: 1, failed: 0, rows: [] };

    it('the schema keeps a valid asOf and refuses one that is not an instant', () => {
      expect(bulletinResultPayloadSchema.parse({ ...result, asOf: '2026-12-05T01:00:00.000Z' }).asOf).toBe('2026-12-05T01:00:00.000Z');
      expect(bulletinResultPayloadSchema.parse({ ...result, asOf: '2026-12-05T08:00:00+07:00' }).asOf).toBe('2026-12-05T08:00:00+07:00');
      expect(bulletinResultPayloadSchema.parse(result).asOf).toBeUndefined();
      expect(bulletinResultPayloadSchema.safeParse({ ...result, asOf: 'hôm qua' }).success).toBe(false);
    });

    it('the inbox refuses a bad asOf by name, and orders reports by asOf, not by when they arrive', async () => {
      const bad = await post(lower, envelope('bulletin-result', { ...result, originId: `asof-${db}`, asOf: 'hôm qua' }));
      expect(bad.status).toBe(400);
      expect(bad.body.message).toMatch(/^payload\.asOf: /);
      const newer = await post(lower, envelope('bulletin-result', { ...result, originId: `asof-${db}`, played: 2, asOf: new Date(Date.now() - 60_000).toISOString() }));
      expect(newer.status).toBe(200);
      // An older report retried late: its envelope is newer, its asOf is not.
      const older = await post(lower, envelope('bulletin-result', { ...result, originId: `asof-${db}`, played: 0, asOf: new Date(Date.now() - 3_600_000).toISOString() }));
      expect(older.status).toBe(200);
      const [kept] = await ok<RemoteResultView[]>('GET', `/api/v1/source-system/peers/${lower.id}/results?originId=asof-${db}&rows=false`);
      expect(kept).toMatchObject({ played: 2, rows: [] });
      // The list of every lower peer's results (the dashboard's "results from lower levels") has it too.
      const all = await ok<RemoteResultView[]>('GET', '/api/v1/source-system/results?rows=false');
      expect(all.find((r) => r.originId === `asof-${db}`)).toMatchObject({ peerId: lower.id, played: 2, due: 2 });
    });
  });

  describe('inbound audio only from the sending peer', () => {
    it('refuses an audioUrl on another origin, without asking it anything', async () => {
      const r = await post(upper, envelope('bulletin', bulletin({ audioUrl: `${elsewhereUrl}/secret.mp3`, audioSha256: sha256Of(fx.mp3) })));
      expect(r.status).toBe(200);
      const row = await inboundRow(r.body.ref!);
      expect(row.state).toBe('failed');
      expect(row.error).toContain(`audio URL ${elsewhereUrl} is not on the sending peer's address (${homeUrl}): refused`);
      expect(row.attempts).toBeLessThanOrEqual(1);
      expect(elsewhereHits).toEqual([]);
    });

    it('refuses a redirect from the peer to another origin, and follows one within it', async () => {
      const away = await post(upper, envelope('bulletin', bulletin({ audioUrl: `${homeUrl}/away` })));
      const awayRow = await inboundRow(away.body.ref!);
      expect(awayRow.state).toBe('failed');
      expect(awayRow.error).toMatch(/is not on the sending peer's address/);
      expect(elsewhereHits).toEqual([]);

      const moved = await post(upper, envelope('bulletin', bulletin({ audioUrl: `${homeUrl}/moved`, audioSha256: sha256Of(fx.mp3) })));
      const movedRow = await inboundRow(moved.body.ref!);
      expect(movedRow.error).toBeNull();
      expect(movedRow.state).toBe('queued');
      expect(movedRow.contentId).not.toBeNull();
    });

    it('refuses a non-http scheme', async () => {
      const r = await post(upper, envelope('bulletin', bulletin({ audioUrl: 'file:///etc/passwd' })));
      const row = await inboundRow(r.body.ref!);
      expect(row.state).toBe('failed');
      expect(row.error).toMatch(/is not on the sending peer's address/);
    });
  });

  describe('pulled bulletins are audited', () => {
    const source = new StandInSource({ auth: { type: 'api-key', header: 'X-Api-Key', key: 'k-pull' } });
    beforeAll(() => source.start());
    afterAll(() => source.close());

    it('audits a bulletin taken by polling once (not its repeats), and a refusal', async () => {
      source.pollItems = [
        { maTin: `P-${db}-1`, tieuDe: 'Lịch cắt điện', noiDung: 'Thứ bảy 7h-11h' },
        { maTin: `P-${db}-1`, tieuDe: 'Lịch cắt điện', noiDung: 'Thứ bảy 7h-11h' },
        // Mapped, but the receiving side refuses it (no audio, no text): audited as refused.
        { maTin: `P-${db}-2`, tieuDe: 'Không có nội dung' },
      ];
      const peer = await ok<SourcePeerCreated>('POST', '/api/v1/source-system/peers', {
        kind: 'rest',
        name: 'Sở TT-TT (kéo)',
        role: 'upper',
        baseUrl: source.url,
        auth: { type: 'api-key', header: 'X-Api-Key', key: 'k-pull' },
        pull: { mode: 'poll', url: '/bulletins', intervalS: 60, mapping: { itemsPath: 'data.items', originId: 'maTin', title: 'tieuDe', text: 'noiDung' } },
      });
      const entity = (await t.server.app.get(PeersService).entity(peer.id))!;
      const poller = t.server.app.get(PullPoller);
      expect(await poller.poll(entity)).toMatchObject({ items: 3, accepted: 1, duplicates: 1, refused: 1, error: null });
      expect(await poller.poll(entity)).toMatchObject({ accepted: 0, duplicates: 2, refused: 1 });

      const entries = await ok<AuditEntryView[]>('GET', `/api/v1/audit?action=${PULL_AUDIT_ACTION}&limit=500`);
      const mine = entries.filter((e) => (e.detail as { peerId?: string } | null)?.peerId === peer.id);
      const taken = mine.filter((e) => e.outcome === 'ok');
      expect(taken).toHaveLength(1);
      const inbound = await ok<InboundExchangeView[]>('GET', `/api/v1/source-system/inbound?peerId=${peer.id}`);
      expect(inbound).toHaveLength(1);
      expect(taken[0]).toMatchObject({ actor: { name: 'peer:Sở TT-TT (kéo)', role: 'source-peer' }, resourceType: 'source-exchange', resourceId: inbound[0]!.id });
      expect(taken[0]!.detail).toMatchObject({ exchange: `pull:P-${db}-1`, via: 'poll', duplicate: false });
      const refused = mine.filter((e) => e.outcome === 'refused');
      expect(refused.length).toBe(2); // once per poll: the item is refused each time it is served
      expect(refused[0]!.detail).toMatchObject({ exchange: `pull:P-${db}-2`, reason: expect.stringMatching(/payload\.text/) });
    });
  });

  describe('OAuth2 client authentication chosen per peer', () => {
    const postOnly = new StandInSource({ auth: { type: 'oauth2', clientId: 'loa-xa', clientSecret: 'b1 m@t', clientAuth: 'post' } });
    beforeAll(() => postOnly.start());
    afterAll(() => postOnly.close());

    const peerBody = (name: string, clientAuth?: 'basic' | 'post') => ({
      kind: 'rest',
      name,
      role: 'upper',
      baseUrl: postOnly.url,
      timeoutMs: 5_000,
      auth: { type: 'oauth2', tokenUrl: postOnly.url + STAND_IN_TOKEN_PATH, clientId: 'loa-xa', clientSecret: 'b1 m@t', scope: null, ...(clientAuth ? { clientAuth } : {}) },
      templates: { bulletin: { method: 'POST', path: '/api/ban-tin', body: null } },
    });
    const stateOf = async (key: string) => {
      const page = await ok<ExchangePage>('GET', '/api/v1/source-system/exchanges?limit=500');
      return page.items.find((x) => x.idempotencyKey === key) ?? null;
    };

    it('client_secret_post: the credentials in the form body, no Authorization header; the view says which', async () => {
      const peer = await ok<SourcePeerCreated>('POST', '/api/v1/source-system/peers', peerBody(`Nguồn (post) ${db}`, 'post'));
      expect(peer.auth).toEqual({ type: 'oauth2', tokenUrl: postOnly.url + STAND_IN_TOKEN_PATH, clientId: 'loa-xa', scope: null, clientAuth: 'post' });
      const key = `oauth-post-${db}`;
      await t.server.app.get(SourceOutbox).enqueue([{ peerId: peer.id, kind: 'bulletin', idempotencyKey: key, payload: { title: 'a' } }]);
      await postOnly.waitFor(() => postOnly.accepted.has(key), 'the exchange at the post-only peer');
      const tokenRequest = postOnly.requests.find((r) => r.path === STAND_IN_TOKEN_PATH && r.status === 200)!;
      expect(tokenRequest.headers.authorization).toBeUndefined();
      const form = new URLSearchParams(tokenRequest.body);
      expect({ grant: form.get('grant_type'), id: form.get('client_id'), secret: form.get('client_secret') }).toEqual({ grant: 'client_credentials', id: 'loa-xa', secret: 'b1 m@t' });
      await until('sent', () => stateOf(key), (x) => x?.state === 'sent');
      // No read answers the secret.
      const read = await ok<SourcePeerView>('GET', `/api/v1/source-system/peers/${peer.id}`);
      expect(JSON.stringify(read)).not.toContain('b1 m@t');
    });

    it('client_secret_basic (the default) is what a peer saved without a choice uses: refused by a post-only server', async () => {
      const peer = await ok<SourcePeerCreated>('POST', '/api/v1/source-system/peers', peerBody(`Nguồn (basic) ${db}`));
      expect(peer.auth).toMatchObject({ clientAuth: 'basic' });
      const key = `oauth-basic-${db}`;
      await t.server.app.get(SourceOutbox).enqueue([{ peerId: peer.id, kind: 'bulletin', idempotencyKey: key, payload: { title: 'b' } }]);
      const dead = await until('dead', () => stateOf(key), (x) => x?.state === 'dead');
      expect(dead!.lastError).toMatch(/token endpoint: HTTP 401/);
      expect(postOnly.accepted.has(key)).toBe(false);
      const refusedToken = postOnly.requests.filter((r) => r.path === STAND_IN_TOKEN_PATH && r.status === 401);
      expect(refusedToken.length).toBeGreaterThanOrEqual(1);
      expect(String(refusedToken[0]!.headers.authorization)).toMatch(/^Basic /);
      expect(new URLSearchParams(refusedToken[0]!.body).get('client_secret')).toBeNull();

      // Switched to post by PATCH (the auth is replaced whole), then "retry now": sent.
      await ok('PATCH', `/api/v1/source-system/peers/${peer.id}`, { auth: peerBody('x', 'post').auth });
      await ok('POST', `/api/v1/source-system/exchanges/${dead!.id}/retry`);
      await until('sent after the switch', () => stateOf(key), (x) => x?.state === 'sent');
      expect(postOnly.accepted.has(key)).toBe(true);
    });
  });
});
