import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { BulletinPayload, ExchangeDetail, ExchangePage, ExchangeView, SourcePeerCreated } from '@loa/shared/rest';
import { PullPoller } from '../src/source-system/pull-poller.js';
import { PeersService } from '../src/source-system/peers.service.js';
import { UpFeeds } from '../src/source-system/up-feeds.js';
import { STAND_IN_INBOX_PATH, StandInSource } from '../../test/support/stand-in-source.js';
import { DATABASES } from './support/databases.js';
import { makeMediaFixtures } from './support/media-fixtures.js';
import { startTestServerOn, type TestServer } from './support/server.js';
import { until } from './support/until.js';

/**
 * Issue 16: what is pushed up (approved content as bulletins, schedules, the daily playout log and inventory) and
 * what an operator sends down (an approved audio content to a lower Loa, whose audio is fetched through a signed,
 * expiring link), against the stand-in, on SQLite and PostgreSQL.
 */
describe.each(DATABASES.map(([name]) => name))('source-system feeds (%s)', (db) => {
  const upper = new StandInSource({ auth: { type: 'basic', username: 'xa', password: 'mat-khau' } });
  const lower = new StandInSource({ loa: { secret: 'secret-the-lower-loa-minted-for-us', peerId: 'tinh-01' } });
  let t: TestServer;
  let close: () => Promise<void>;
  let dir: string;
  let upperId: string;
  let lowerId: string;

  const ok = async <T>(method: string, url: string, body?: unknown): Promise<T> => {
    const r = await t.api<T>(method, url, body);
    if (r.status >= 300) throw new Error(`${method} ${url}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };
  /** A content created, submitted and approved (the admin approves under the permissive rules). */
  const approved = async (body: Record<string, unknown>): Promise<{ id: string; state: string }> => {
    const c = await ok<{ id: string }>('POST', '/api/v1/contents', body);
    await ok('POST', `/api/v1/contents/${c.id}/submit`);
    return ok<{ id: string; state: string }>('POST', `/api/v1/contents/${c.id}/approve`);
  };
  const exchanges = (peerId: string) => ok<ExchangePage>('GET', `/api/v1/source-system/exchanges?peerId=${peerId}&limit=500`);

  beforeAll(async () => {
    await upper.start();
    await lower.start();
    dir = mkdtempSync(path.join(tmpdir(), 'loa-feeds-'));
    ({ t, close } = await startTestServerOn(db));
    await ok('POST', '/api/v1/areas', { code: '01', name: 'Tỉnh Thử', level: 'province' });
    await ok('POST', '/api/v1/areas', { code: '00004', name: 'Xã Tây Đằng', level: 'commune', parentCode: '01' });
    await ok('POST', '/api/v1/devices/bulk', { devices: [{ id: 'spk-1', name: 'Loa chợ', kind: 'speaker', areaCode: '00004' }, { id: 'brd-1', name: 'Bảng "UBND"', kind: 'board', areaCode: '00004' }] });
    upperId = (
      await ok<SourcePeerCreated>('POST', '/api/v1/source-system/peers', {
        kind: 'rest',
        name: 'Hệ thống nguồn',
        role: 'upper',
        baseUrl: upper.url,
        auth: { type: 'basic', username: 'xa', password: 'mat-khau' },
        push: { bulletins: true, schedules: true, playoutLog: true, coverage: true, inventory: true, dailyAt: '01:00' },
        templates: {
          bulletin: { path: '/ban-tin', body: '{"ma": "{{payload.originId}}", "tieuDe": "{{payload.title}}", "noiDung": {{json payload.text}}}' },
          schedule: { path: '/lich/{{payload.scheduleId}}', method: 'PUT', body: null },
          'playout-log': { path: '/nhat-ky', body: '{"ngay": "{{payload.day}}", "phan": {{payload.part}}, "dong": [{{#payload.rows}}"{{deviceId}}"{{^@last}},{{/@last}}{{/payload.rows}}]}' },
          inventory: { path: '/thiet-bi', body: '{"ngay": "{{payload.day}}", "ds": [{{#payload.devices}}{"ma": "{{id}}", "ten": "{{name}}", "online": {{online}}}{{^@last}},{{/@last}}{{/payload.devices}}]}' },
        },
      })
    ).id;
    lowerId = (
      await ok<SourcePeerCreated>('POST', '/api/v1/source-system/peers', {
        kind: 'loa',
        name: 'Loa xã Tây Đằng',
        role: 'lower',
        baseUrl: lower.url,
        remotePeerId: 'tinh-01',
        outboundSecret: 'secret-the-lower-loa-minted-for-us',
      })
    ).id;
  });

  afterAll(async () => {
    await close();
    await upper.close();
    await lower.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('pushes approved content up as a bulletin, once, through the template', async () => {
    const content = await approved({ type: 'text', title: 'Lịch tiêm "chủng"', text: 'Sáng thứ hai\ntại trạm y tế' });
    expect(content.state).toBe('approved');
    const key = `bulletin:${content.id}`;
    await upper.waitFor(() => upper.accepted.has(key), 'the bulletin at the upper system');
    expect(JSON.parse(upper.accepted.get(key)!.body)).toEqual({ ma: content.id, tieuDe: 'Lịch tiêm "chủng"', noiDung: 'Sáng thứ hai\ntại trạm y tế' });
    // The periodic catch-up enqueues it again (the approval event could have been lost): the key makes that a no-op.
    await t.server.app.get(UpFeeds).runPeriodic();
    const rows = (await exchanges(upperId)).items.filter((x) => x.idempotencyKey === key);
    expect(rows).toHaveLength(1);
    await until('the bulletin row to be sent', () => exchanges(upperId), (p) => p.items.some((x) => x.idempotencyKey === key && x.state === 'sent'));
    expect(upper.deliveriesOf(key)).toHaveLength(1);

    // An approval whose event found no listener wanting it (as after a crash between commit and event): the
    // periodic catch-up enqueues it.
    const push = { bulletins: false, schedules: true, playoutLog: true, coverage: true, inventory: true, dailyAt: '01:00' };
    await ok('PATCH', `/api/v1/source-system/peers/${upperId}`, { push });
    const missed = await approved({ type: 'text', title: 'Bị lỡ', text: 'x' });
    await ok('PATCH', `/api/v1/source-system/peers/${upperId}`, { push: { ...push, bulletins: true } });
    expect((await exchanges(upperId)).items.some((x) => x.idempotencyKey === `bulletin:${missed.id}`)).toBe(false);
    await t.server.app.get(UpFeeds).runPeriodic();
    await upper.waitFor(() => upper.accepted.has(`bulletin:${missed.id}`), 'the caught-up bulletin at the upper system');
  });

  it('pushes a schedule when it is saved', async () => {
    const content = await approved({ type: 'text', title: 'Thông báo', text: 'x' });
    const schedule = await ok<{ id: string }>('POST', '/api/v1/schedules', { contentId: content.id, startAt: new Date(Date.now() + 3_600_000).toISOString(), targets: { areas: ['01'] }, acceptConflicts: true });
    await upper.waitFor(() => upper.requests.some((r) => r.path === `/lich/${schedule.id}` && r.status === 201), 'the schedule at the upper system');
    const req = upper.requests.find((r) => r.path === `/lich/${schedule.id}`)!;
    expect(req.method).toBe('PUT');
    expect(JSON.parse(req.body)).toMatchObject({ scheduleId: schedule.id, contentId: content.id, targets: [{ kind: 'area', ref: '01' }] });
  });

  it('pushes the daily feeds once, after the peer’s time on Vietnam time', async () => {
    const feeds = t.server.app.get(UpFeeds);
    // Days far from the real clock: the server's own periodic job enqueues the real days' feeds meanwhile.
    const ofTheseDays = async () => (await exchanges(upperId)).items.filter((x) => /:2030-03-(09|10)(:|$)/.test(x.idempotencyKey));
    // 10/03/2030 00:30 in Vietnam: before 01:00, nothing.
    await feeds.dailyFeeds(Date.parse('2030-03-09T17:30:00Z'));
    expect(await ofTheseDays()).toHaveLength(0);
    // 02:00: yesterday's (09/03) playout log and coverage, today's inventory; a second run adds nothing.
    await feeds.dailyFeeds(Date.parse('2030-03-09T19:00:00Z'));
    await feeds.dailyFeeds(Date.parse('2030-03-09T19:01:00Z'));
    const daily = await ofTheseDays();
    expect(daily.map((x) => x.idempotencyKey).sort()).toEqual(['coverage:2030-03-09', 'inventory:2030-03-10:0', 'playout-log:2030-03-09:0']);
    // Coverage has no template on this peer: dead at once with the reason, the others go.
    const coverage = await until('the coverage exchange to settle', () => ok<ExchangeDetail>('GET', `/api/v1/source-system/exchanges/${daily.find((x) => x.kind === 'coverage')!.id}`), (x) => x.state === 'dead');
    expect(coverage.lastError).toMatch(/no template for "coverage"/);
    expect(coverage.payload).toMatchObject({ day: '2030-03-09', report: { period: { from: '2030-03-08T17:00:00.000Z', to: '2030-03-09T17:00:00.000Z' } } });
    await upper.waitFor(() => upper.accepted.has('inventory:2030-03-10:0') && upper.accepted.has('playout-log:2030-03-09:0'), 'the daily feeds');
    expect(JSON.parse(upper.accepted.get('inventory:2030-03-10:0')!.body)).toEqual({ ngay: '2030-03-10', ds: [{ ma: 'brd-1', ten: 'Bảng "UBND"', online: false }, { ma: 'spk-1', ten: 'Loa chợ', online: false }] });
    expect(JSON.parse(upper.accepted.get('playout-log:2030-03-09:0')!.body)).toEqual({ ngay: '2030-03-09', phan: 0, dong: [] });
    const detail = await ok<ExchangeDetail>('GET', `/api/v1/source-system/exchanges/${daily.find((x) => x.kind === 'playout-log')!.id}`);
    expect(detail.payload).toMatchObject({ from: '2030-03-08T17:00:00.000Z', to: '2030-03-09T17:00:00.000Z', parts: 1 });
  });

  it('sends an approved audio content down to a lower Loa, whose audio is fetched through a signed expiring link', async () => {
    const fx = await makeMediaFixtures(dir);
    const form = new FormData();
    form.append('file', new Blob([readFileSync(fx.mp3)]), 'ban-tin.mp3');
    const media = (await (await fetch(`${t.baseUrl}/api/v1/media`, { method: 'POST', body: form, headers: { authorization: `Bearer ${t.token}` } })).json()) as { sha256: string };
    const content = await approved({ type: 'audio', title: 'Bản tin từ tỉnh', mediaSha256: media.sha256 });
    const request = { contentId: content.id, areaCodes: ['00004'], priority: 'priority', validUntil: '2099-12-31T17:00:00+07:00' };
    const first = await t.api<ExchangeView>('POST', `/api/v1/source-system/peers/${lowerId}/bulletins`, request);
    expect(first.status).toBe(202);
    expect(first.body).toMatchObject({ kind: 'bulletin', direction: 'out', peerId: lowerId });
    // A double click: the same exchange.
    const again = await t.api<ExchangeView>('POST', `/api/v1/source-system/peers/${lowerId}/bulletins`, request);
    expect(again.body.id).toBe(first.body.id);

    const key = first.body.idempotencyKey;
    await lower.waitFor(() => lower.accepted.has(key), 'the bulletin at the lower Loa');
    const req = lower.deliveriesOf(key)[0]!;
    expect(req.path).toBe(STAND_IN_INBOX_PATH);
    expect(req.headers['x-loa-peer']).toBe('tinh-01');
    const payload = (JSON.parse(req.body) as { payload: BulletinPayload }).payload;
    expect(payload).toMatchObject({ originId: content.id, title: 'Bản tin từ tỉnh', priority: 'priority', areaCodes: ['00004'], audioSha256: media.sha256, originName: 'Tỉnh Thử' });
    expect(Date.parse(payload.validUntil!)).toBe(Date.parse('2099-12-31T10:00:00Z'));

    // The link works without an account, and gives the very file.
    const audio = await fetch(payload.audioUrl!);
    expect(audio.status).toBe(200);
    expect(createHash('sha256').update(Buffer.from(await audio.arrayBuffer())).digest('hex')).toBe(media.sha256);
    const range = await fetch(payload.audioUrl!, { headers: { range: 'bytes=0-9' } });
    expect(range.status).toBe(206);
    expect((await range.arrayBuffer()).byteLength).toBe(10);
    // A link changed in any way is refused.
    const url = new URL(payload.audioUrl!);
    const forged = new URL(url);
    forged.searchParams.set('exp', String(Number(url.searchParams.get('exp')) + 1));
    expect((await fetch(forged)).status).toBe(403);
    const otherPeer = new URL(url);
    otherPeer.searchParams.set('peer', upperId);
    expect((await fetch(otherPeer)).status).toBe(403);

    // Rules of the operator action.
    const draft = await t.api<{ id: string }>('POST', '/api/v1/contents', { type: 'text', title: 'x', text: 'y' });
    expect((await t.api('POST', `/api/v1/source-system/peers/${lowerId}/bulletins`, { contentId: draft.body.id })).status).toBe(409);
    expect((await t.api('POST', `/api/v1/source-system/peers/${upperId}/bulletins`, { contentId: content.id })).status).toBe(400);
    expect((await t.api('POST', `/api/v1/source-system/peers/${lowerId}/bulletins`, { contentId: 'nope' })).status).toBe(400);
    expect((await t.api('POST', `/api/v1/source-system/peers/${lowerId}/bulletins`, { contentId: content.id, priority: 'loud' })).status).toBe(400);
  });

  it('pulls bulletins by polling, through the reverse mapping; an item served twice is taken once', async () => {
    const item = { maTin: 'BT-2026-001', tieuDe: 'Cảnh báo lũ', noiDung: 'Sơ tán khu vực ven sông', mucDo: 'emergency', hetHan: '2099-12-31T00:00:00+07:00' };
    upper.pollItems = [item, item, { maTin: 'BT-2026-002' }];
    const peer = await ok<SourcePeerCreated>('POST', '/api/v1/source-system/peers', {
      kind: 'rest',
      name: 'Sở TT-TT (kéo)',
      role: 'upper',
      baseUrl: upper.url,
      auth: { type: 'basic', username: 'xa', password: 'mat-khau' },
      pull: { mode: 'poll', url: '/bulletins', intervalS: 60, mapping: { itemsPath: 'data.items', originId: 'maTin', title: 'tieuDe', text: 'noiDung', priority: 'mucDo', validUntil: 'hetHan' } },
    });
    const entity = (await t.server.app.get(PeersService).entity(peer.id))!;
    const poller = t.server.app.get(PullPoller);
    const first = await poller.poll(entity);
    expect(first).toEqual({ peerId: peer.id, items: 3, accepted: 1, duplicates: 1, refused: 1, error: null });
    const second = await poller.poll(entity);
    expect(second).toMatchObject({ accepted: 0, duplicates: 2, refused: 1, error: null });
    const contents = await ok<Array<{ title: string; text: string | null }>>('GET', '/api/v1/contents');
    expect(contents.filter((c) => c.title === 'Cảnh báo lũ')).toHaveLength(1);
    expect(upper.requests.filter((r) => r.path === '/bulletins').every((r) => r.headers.authorization === `Basic ${Buffer.from('xa:mat-khau').toString('base64')}`)).toBe(true);
  });
});
