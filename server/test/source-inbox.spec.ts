import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SchedulerRegistry } from '@nestjs/schedule';
import { DataSource } from 'typeorm';
import {
  SOURCE_INBOX_PATH,
  SOURCE_PEER_HEADER,
  SOURCE_SIGNATURE_HEADER,
  contentViewSchema,
  inboundExchangeViewSchema,
  lowerLevelsViewSchema,
  remoteResultViewSchema,
  type BulletinPayload,
  type BulletinResultPayload,
  type ContentView,
  type InboundExchangeView,
  type RemoteResultView,
} from '@loa/shared/rest';
import { DeliveryEntity } from '../src/deliveries/delivery.entity.js';
import { DomainEvents } from '../src/domain-events/domain-events.js';
import { JobScheduler } from '../src/jobs/job-scheduler.js';
import { OccurrenceEntity } from '../src/schedules/occurrence.entity.js';
import { ScheduleEntity } from '../src/schedules/schedule.entity.js';
import { BULLETIN_RESULTS_JOB } from '../src/source-system/bulletin-results.service.js';
import { InboundExchangeEntity } from '../src/source-system/inbound-exchange.entity.js';
import { INBOUND_FETCH_JOB } from '../src/source-system/inbound-bulletins.service.js';
import { signBody } from '../src/source-system/signing.js';
import { DATABASES } from './support/databases.js';
import { makeMediaFixtures, sha256Of, type MediaFixtures } from './support/media-fixtures.js';
import { startTestServerOn, type TestServer } from './support/server.js';

interface Peer {
  id: string;
  secret: string;
}

/**
 * Issue 16, the receiving side of the source-system connector on a real server (SQLite and PostgreSQL): the signed
 * inbox, bulletins from an upper peer into the approval queue (text at once, audio fetched from a real HTTP server
 * through the media pipeline), idempotency under repeats and races, validity, and the results that go back up.
 */
describe.each(DATABASES.map(([name]) => name))('source-system inbox (%s)', (db) => {
  let t: TestServer;
  let close: () => Promise<void>;
  let ds: DataSource;
  let fx: MediaFixtures;
  let fxDir: string;
  let upper: Peer;
  let lower: Peer;
  /** The upper server's audio: what it answers is set per test. */
  let audio: Server;
  let audioUrl: string;
  let audioMode: { status: number; file: string | null } = { status: 503, file: null };
  let n = 0;
  const key = (what: string): string => `${what}-${db}-${++n}-xxxxxxxx`;

  const ok = async <T>(method: string, url: string, body?: unknown): Promise<T> => {
    const r = await t.api<T>(method, url, body);
    if (r.status >= 300) throw new Error(`${method} ${url}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };

  /** POSTs to the inbox as a peer would: the raw body signed with the secret (or as told otherwise). */
  const post = async (
    peer: { id: string; secret: string } | null,
    body: string,
    opts: { t?: number; secret?: string } = {},
  ): Promise<{ status: number; body: { accepted?: boolean; duplicate?: boolean; ref?: string; message?: string } }> => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (peer) {
      headers[SOURCE_PEER_HEADER] = peer.id;
      headers[SOURCE_SIGNATURE_HEADER] = signBody(opts.secret ?? peer.secret, body, opts.t ?? Date.now() / 1000);
    }
    const res = await fetch(t.baseUrl + SOURCE_INBOX_PATH, { method: 'POST', headers, body });
    const text = await res.text();
    let parsed: { message?: string } = {};
    try {
      parsed = text ? (JSON.parse(text) as never) : {};
    } catch {
      parsed = { message: text }; // body-parser's own refusals (413) are not JSON
    }
    return { status: res.status, body: parsed };
  };
  const envelope = (kind: string, payload: unknown, idempotencyKey = key(kind)): string =>
    JSON.stringify({ idempotencyKey, kind, v: 1, sentAt: new Date().toISOString(), payload });
  const bulletin = (over: Partial<BulletinPayload> = {}): BulletinPayload => ({
    originId: `tin-${db}-${++n}`,
    title: 'Thông báo lịch tiêm chủng',
    text: 'Tiêm chủng mở rộng vào sáng thứ bảy tại trạm y tế xã.',
    audioUrl: null,
    audioSha256: null,
    priority: 'priority',
    category: 'essential',
    validFrom: null,
    validUntil: null,
    areaCodes: null,
    originName: 'Sở VH-TT Tỉnh Thử',
    ...over,
  });

  const inbound = async (peerId: string): Promise<InboundExchangeView[]> => ok<InboundExchangeView[]>('GET', `/api/v1/source-system/inbound?peerId=${peerId}&limit=500`);
  const byOrigin = async (originId: string): Promise<ContentView[]> => (await ok<ContentView[]>('GET', '/api/v1/contents')).filter((c) => c.origin?.originId === originId);
  /**
   * One whole run of a job from here. Its timer may be running it right now ('busy'): that run's work may predate what
   * the test just did, so wait for it to end and run again.
   */
  const runJob = async (name: string): Promise<void> => {
    for (;;) {
      const outcome = await t.server.app.get(JobScheduler).runNow(name);
      if (outcome === 'done') return;
      expect(outcome).toBe('busy');
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const waitFor = async <T>(what: string, probe: () => Promise<T | null | undefined | false>): Promise<T> => {
    const until = Date.now() + 60_000;
    for (;;) {
      const v = await probe();
      if (v) return v;
      if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  beforeAll(async () => {
    fxDir = mkdtempSync(path.join(tmpdir(), 'loa-inbox-fx-'));
    fx = await makeMediaFixtures(fxDir);
    audio = createServer((req, res) => {
      if (audioMode.status !== 200 || audioMode.file === null) {
        res.writeHead(audioMode.status).end('upstream is down');
        return;
      }
      const bytes = readFileSync(audioMode.file);
      res.writeHead(200, { 'content-type': 'audio/mpeg', 'content-length': bytes.length }).end(bytes);
    });
    await new Promise<void>((r) => audio.listen(0, '127.0.0.1', () => r()));
    audioUrl = `http://127.0.0.1:${(audio.address() as AddressInfo).port}/media/bulletin.mp3`;

    ({ t, close } = await startTestServerOn(db));
    ds = t.server.app.get(DataSource);
    // The tests run these two jobs themselves (runJob): their timers would make "once per change" a race with the clock.
    const timers = t.server.app.get(SchedulerRegistry);
    for (const name of [BULLETIN_RESULTS_JOB, INBOUND_FETCH_JOB]) timers.deleteInterval(name);
    // The upper peer's address is where its audio is served: the fetcher takes audio from the sender's origin only.
    const mk = async (name: string, role: 'upper' | 'lower'): Promise<Peer> => {
      const baseUrl = role === 'upper' ? new URL(audioUrl).origin : 'http://127.0.0.1:9';
      const p = await ok<{ id: string; inboundSecret: string }>('POST', '/api/v1/source-system/peers', { kind: 'loa', name, role, baseUrl });
      return { id: p.id, secret: p.inboundSecret };
    };
    upper = await mk('Tỉnh Thử', 'upper');
    lower = await mk('Xã Dưới', 'lower');
    await ok('POST', '/api/v1/areas', { code: '77', name: 'Tỉnh Thử', level: 'province' });
    await ok('POST', '/api/v1/areas', { code: '77001', name: 'Xã Một', level: 'commune', parentCode: '77' });
    await ok('POST', '/api/v1/devices/bulk', { devices: [{ id: `spk-${db}-1`, name: 'Loa chợ', kind: 'speaker', areaCode: '77001' }, { id: `spk-${db}-2`, name: 'Loa đình', kind: 'speaker', areaCode: '77001' }, { id: `brd-${db}-1`, name: 'Bảng tin UBND', kind: 'board', areaCode: '77001' }] });
  }, 180_000);

  afterAll(async () => {
    await close?.();
    await new Promise((r) => audio?.close(r));
    rmSync(fxDir, { recursive: true, force: true });
  });

  describe('who may send (401) and what (400, 403)', () => {
    it('accepts a well-signed bulletin from an upper peer', async () => {
      const r = await post(upper, envelope('bulletin', bulletin()));
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ accepted: true, duplicate: false });
      expect(typeof r.body.ref).toBe('string');
    });

    it('refuses a wrong signature, a stale one, an unknown peer and a missing peer header with 401', async () => {
      const body = envelope('bulletin', bulletin());
      const wrong = await post(upper, body, { secret: 'not-the-secret-at-all-000000000' });
      expect(wrong.status).toBe(401);
      expect(wrong.body.message).toMatch(/bad signature: signature does not match/);
      const stale = await post(upper, body, { t: Date.now() / 1000 - 400 });
      expect(stale.status).toBe(401);
      expect(stale.body.message).toMatch(/outside the time window/);
      const future = await post(upper, body, { t: Date.now() / 1000 + 400 });
      expect(future.status).toBe(401);
      const unknown = await post({ id: 'no-such-peer', secret: upper.secret }, body);
      expect(unknown.status).toBe(401);
      expect(unknown.body.message).toMatch(/unknown peer no-such-peer/);
      const anonymous = await post(null, body);
      expect(anonymous.status).toBe(401);
      expect(anonymous.body.message).toMatch(/x-loa-peer/);
      // A body changed after signing is refused too: the signature covers the bytes as sent.
      const res = await fetch(t.baseUrl + SOURCE_INBOX_PATH, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [SOURCE_PEER_HEADER]: upper.id, [SOURCE_SIGNATURE_HEADER]: signBody(upper.secret, body, Date.now() / 1000) },
        body: body.replace('Thông báo', 'Thông bao'),
      });
      expect(res.status).toBe(401);
    });

    it('answers 400 naming the field for a bad envelope or payload', async () => {
      const notJson = await post(upper, '{"idempotencyKey": ');
      expect(notJson.status).toBe(400);
      expect(notJson.body.message).toMatch(/not JSON/);
      const noKey = await post(upper, JSON.stringify({ kind: 'bulletin', v: 1, sentAt: new Date().toISOString(), payload: bulletin() }));
      expect(noKey.status).toBe(400);
      expect(noKey.body.message).toMatch(/^idempotencyKey/);
      const badKind = await post(upper, envelope('gossip', bulletin()));
      expect(badKind.status).toBe(400);
      expect(badKind.body.message).toMatch(/^kind/);
      const noTitle = await post(upper, envelope('bulletin', { ...bulletin(), title: undefined }));
      expect(noTitle.status).toBe(400);
      expect(noTitle.body.message).toMatch(/^payload\.title/);
      const badSha = await post(upper, envelope('bulletin', bulletin({ audioUrl, audioSha256: 'XYZ' })));
      expect(badSha.status).toBe(400);
      expect(badSha.body.message).toMatch(/^payload\.audioSha256/);
      const backwards = await post(upper, envelope('bulletin', bulletin({ validFrom: '2027-01-02T00:00:00+07:00', validUntil: '2027-01-01T00:00:00+07:00' })));
      expect(backwards.status).toBe(400);
      expect(backwards.body.message).toMatch(/payload\.validUntil/);
      const empty = await post(upper, envelope('bulletin', bulletin({ text: '  ', audioUrl: null })));
      expect(empty.status).toBe(400);
      expect(empty.body.message).toMatch(/^payload\.text: a bulletin without audioUrl needs a text/);
      const badResult = await post(lower, envelope('bulletin-result', { originId: 'x', status: 'played', due: 1, played: 1, failed: 0, rows: [] }));
      expect(badResult.status).toBe(400);
      expect(badResult.body.message).toMatch(/^payload\.status/);
    });

    it('answers 403 when a peer sends what its direction does not allow', async () => {
      const down = await post(lower, envelope('bulletin', bulletin()));
      expect(down.status).toBe(403);
      expect(down.body.message).toMatch(/lower peer/);
      const up = await post(upper, envelope('bulletin-result', { originId: 'x', status: 'received', due: 0, played: 0, failed: 0, rows: [] }));
      expect(up.status).toBe(403);
      expect(up.body.message).toMatch(/upper peer/);
    });

    it('refuses a body above the limit', async () => {
      const huge = envelope('coverage', { blob: 'x'.repeat(17 * 1024 * 1024) });
      expect((await post(lower, huge)).status).toBe(413);
    });

    it('writes every accepted exchange, and the refusals of known peers, to the audit log', async () => {
      const k = key('audited');
      const r = await post(upper, envelope('bulletin', bulletin(), k));
      expect(r.status).toBe(200);
      const audit = await ok<Array<{ action: string; outcome: string; resourceId: string | null; actor: { name: string }; detail: { exchange?: string } }>>('GET', '/api/v1/audit?action=source.inbox.bulletin&limit=200');
      const entry = audit.find((e) => e.detail.exchange === k);
      expect(entry).toMatchObject({ outcome: 'ok', resourceId: r.body.ref, actor: { name: 'peer:Tỉnh Thử' } });
      // The lower peer's bulletin (403 above) is there too, refused.
      expect(audit.some((e) => e.outcome === 'refused' && e.actor.name === 'peer:Xã Dưới')).toBe(true);
    });
  });

  describe('down: bulletins into the approval queue', () => {
    it('puts a text bulletin in the approval queue with its origin, once however often it is delivered', async () => {
      const b = bulletin({ validFrom: '2026-01-01T00:00:00+07:00', validUntil: '2099-01-01T00:00:00+07:00' });
      const k = key('text');
      const first = await post(upper, envelope('bulletin', b, k));
      const again = await post(upper, envelope('bulletin', b, k));
      expect(first.body).toMatchObject({ accepted: true, duplicate: false });
      expect(again.body).toEqual({ accepted: true, duplicate: true, ref: first.body.ref });
      const queue = await ok<{ contents: ContentView[] }>('GET', '/api/v1/approvals');
      const mine = queue.contents.filter((c) => c.origin?.originId === b.originId);
      expect(mine).toHaveLength(1);
      expect(mine[0]).toMatchObject({
        type: 'text',
        state: 'submitted',
        title: b.title,
        text: b.text,
        validFrom: '2025-12-31T17:00:00.000Z',
        validUntil: '2098-12-31T17:00:00.000Z',
        origin: { peerId: upper.id, peerName: 'Sở VH-TT Tỉnh Thử', originId: b.originId, priority: 'priority', category: 'essential' },
      });
      // The views answer in their shared contract.
      expect(() => contentViewSchema.parse(mine[0])).not.toThrow();
      const all = await inbound(upper.id);
      expect(() => inboundExchangeViewSchema.array().parse(all)).not.toThrow();
      const rows = all.filter((r) => r.idempotencyKey === k);
      expect(rows).toEqual([expect.objectContaining({ state: 'queued', contentId: mine[0]!.id, kind: 'bulletin' })]);
    });

    it('creates one content when copies of one envelope race', async () => {
      const b = bulletin();
      const body = envelope('bulletin', b, key('race'));
      const answers = await Promise.all(Array.from({ length: 8 }, () => post(upper, body)));
      expect(answers.map((a) => a.status)).toEqual(Array(8).fill(200));
      expect(answers.filter((a) => !a.body.duplicate)).toHaveLength(1);
      expect(new Set(answers.map((a) => a.body.ref)).size).toBe(1);
      expect(await byOrigin(b.originId)).toHaveLength(1);
    });

    it('fetches the audio after the upper server comes back, then queues it through the media pipeline', async () => {
      audioMode = { status: 503, file: null };
      const b = bulletin({ text: null, audioUrl, audioSha256: sha256Of(fx.mp3) });
      const k = key('audio');
      const r = await post(upper, envelope('bulletin', b, k));
      expect(r.body).toMatchObject({ accepted: true, duplicate: false });
      // The first attempt runs at once, in the background, and fails: the row waits for its retry.
      const waiting = await waitFor('the failed first fetch', async () => (await inbound(upper.id)).find((x) => x.idempotencyKey === k && x.state === 'received' && x.attempts === 1));
      expect(waiting.error).toMatch(/HTTP 503/);
      expect(waiting.nextAttemptAt).not.toBeNull();
      expect(await byOrigin(b.originId)).toHaveLength(0);
      // The upper server is back; the retry is due (its back-off moved to now).
      audioMode = { status: 200, file: fx.mp3 };
      await ds.getRepository(InboundExchangeEntity).update({ id: waiting.id }, { nextAttemptAt: 0 });
      await runJob(INBOUND_FETCH_JOB);
      const row = (await inbound(upper.id)).find((x) => x.idempotencyKey === k)!;
      expect(row).toMatchObject({ state: 'queued', attempts: 2, error: null });
      const [content] = await byOrigin(b.originId);
      expect(content).toMatchObject({ id: row.contentId, type: 'audio', state: 'submitted', origin: { originId: b.originId, peerId: upper.id } });
      // The delivered file is the pipeline's (transcoded and normalised), not the bytes fetched.
      const media = await ok<{ sha256: string; durationMs: number }>('GET', `/api/v1/media/${content!.mediaSha256}/info`);
      expect(media.durationMs).toBeGreaterThan(1500);
      expect(content!.durationMs).toBe(media.durationMs);
    });

    it('fails a bulletin whose audio the pipeline refuses, with the reason, and stores nothing of it', async () => {
      audioMode = { status: 200, file: fx.randomMp3 };
      const mediaBefore = (await ok<unknown[]>('GET', '/api/v1/media')).length;
      const b = bulletin({ text: null, audioUrl, audioSha256: null });
      const k = key('corrupt');
      expect((await post(upper, envelope('bulletin', b, k))).status).toBe(200);
      const failed = await waitFor('the refusal', async () => (await inbound(upper.id)).find((x) => x.idempotencyKey === k && x.state === 'failed'));
      expect(failed.error).toMatch(/^audio refused \(\w+\)/);
      expect(failed.contentId).toBeNull();
      expect(await byOrigin(b.originId)).toHaveLength(0);
      expect((await ok<unknown[]>('GET', '/api/v1/media')).length).toBe(mediaBefore);
      // The job does not take it up again.
      await runJob(INBOUND_FETCH_JOB);
      expect((await inbound(upper.id)).find((x) => x.idempotencyKey === k)).toMatchObject({ state: 'failed', attempts: 1 });
    });

    it('fails a bulletin whose audio is not the file announced (sha256)', async () => {
      audioMode = { status: 200, file: fx.wav };
      const b = bulletin({ text: null, audioUrl, audioSha256: sha256Of(fx.mp3) });
      const k = key('sha');
      expect((await post(upper, envelope('bulletin', b, k))).status).toBe(200);
      const failed = await waitFor('the sha256 refusal', async () => (await inbound(upper.id)).find((x) => x.idempotencyKey === k && x.state === 'failed'));
      expect(failed.error).toMatch(/sha256 is [0-9a-f]{64}, the sender announced/);
      expect(await byOrigin(b.originId)).toHaveLength(0);
    });

    it('keeps a bulletin unschedulable outside its validity, and drops it from the queue once expired', async () => {
      const day = 86_400_000;
      const later = bulletin({ validFrom: new Date(Date.now() + day).toISOString(), validUntil: new Date(Date.now() + 2 * day).toISOString() });
      expect((await post(upper, envelope('bulletin', later))).status).toBe(200);
      const [c] = await byOrigin(later.originId);
      await ok('POST', `/api/v1/contents/${c!.id}/approve`);
      const outside = await t.api<{ message: string }>('POST', '/api/v1/schedules', { contentId: c!.id, startAt: new Date(Date.now() + 3_600_000).toISOString(), targets: { devices: [`brd-${db}-1`] } });
      expect(outside.status).toBe(400);
      expect(outside.body.message).toMatch(/valid only from/);
      const inside = await t.api<{ message: string }>('POST', '/api/v1/schedules', { contentId: c!.id, startAt: new Date(Date.now() + day + 3_600_000).toISOString(), targets: { devices: [`brd-${db}-1`] } });
      expect([inside.status, inside.body.message]).toEqual([201, undefined]);

      const lapsed = bulletin({ validFrom: new Date(Date.now() - 2 * day).toISOString(), validUntil: new Date(Date.now() - day).toISOString() });
      expect((await post(upper, envelope('bulletin', lapsed))).status).toBe(200);
      expect((await byOrigin(lapsed.originId))[0]!.state).toBe('submitted');
      await runJob(INBOUND_FETCH_JOB);
      const [gone] = await byOrigin(lapsed.originId);
      expect(gone).toMatchObject({ state: 'archived', archivedBy: 'source-system' });
      const queue = await ok<{ contents: ContentView[] }>('GET', '/api/v1/approvals');
      expect(queue.contents.some((x) => x.id === gone!.id)).toBe(false);
    });
  });

  describe('up: results of a bulletin go back, when they change', () => {
    const outbox = async (peerId: string): Promise<Array<{ key: string; payload: BulletinResultPayload }>> => {
      const rows = await ds
        .createQueryBuilder()
        .select('x.idempotency_key', 'key')
        .addSelect('x.payload', 'payload')
        .from('source_exchanges', 'x')
        .where('x.peer_id = :peerId', { peerId })
        .andWhere("x.kind = 'bulletin-result'")
        .orderBy('x.created_at', 'ASC')
        .getRawMany<{ key: string; payload: string }>();
      return rows.map((r) => ({ key: r.key, payload: JSON.parse(r.payload) as BulletinResultPayload }));
    };
    const mine = async (originId: string) => (await outbox(upper.id)).filter((x) => x.payload.originId === originId);
    const runResults = () => runJob(BULLETIN_RESULTS_JOB);

    it('enqueues results built from the deliveries, once per change', async () => {
      const b = bulletin();
      expect((await post(upper, envelope('bulletin', b))).status).toBe(200);
      const [c] = await byOrigin(b.originId);
      await runResults();
      const first = await mine(b.originId);
      expect(first.map((x) => x.payload)).toEqual([{ originId: b.originId, status: 'received', due: 0, played: 0, failed: 0, rows: [], asOf: expect.any(String) }]);
      expect(Math.abs(Date.parse((first[0]!.payload as { asOf?: string }).asOf!) - Date.now())).toBeLessThan(60_000);

      await ok('POST', `/api/v1/contents/${c!.id}/approve`);
      // A schedule with an occurrence that has passed on two speakers, written as planning would.
      const sid = `sch-${db}-${n}`;
      const start = Date.now() - 600_000;
      await ds.createQueryBuilder().insert().into(ScheduleEntity).values({ id: sid, contentId: c!.id, priority: 'priority', startAt: start, volume: null, status: 'active', createdBy: 'seed', createdAt: start }).execute();
      await ds.createQueryBuilder().insert().into(OccurrenceEntity).values({ id: `${sid}-o1`, scheduleId: sid, startAt: start, durationMs: 30_000 }).execute();
      const delivery = (deviceId: string): Partial<DeliveryEntity> => ({ occurrenceId: `${sid}-o1`, deviceId, scheduleId: sid, state: 'delivered', queuedAt: start - 60_000, deliveredAt: start - 30_000, startedAt: null, endedAt: null, playedMs: null, reason: null, updatedAt: start });
      await ds.createQueryBuilder().insert().into(DeliveryEntity).values([delivery(`spk-${db}-1`), delivery(`spk-${db}-2`)]).execute();
      // Tomorrow's occurrence is listed but not yet due; a cancelled one (skipped) is never due.
      await ds.createQueryBuilder().insert().into(OccurrenceEntity).values([{ id: `${sid}-o2`, scheduleId: sid, startAt: start + 86_400_000, durationMs: 30_000 }, { id: `${sid}-o0`, scheduleId: sid, startAt: start - 86_400_000, durationMs: 30_000 }]).execute();
      await ds.createQueryBuilder().insert().into(DeliveryEntity).values([{ ...delivery(`spk-${db}-1`), occurrenceId: `${sid}-o2` }, { ...delivery(`spk-${db}-1`), occurrenceId: `${sid}-o0`, state: 'skipped' as const, reason: 'cancelled' }]).execute();
      const events = t.server.app.get(DomainEvents);
      const change = (deviceId: string, state: 'finished' | 'failed') => ({ scheduleId: sid, occurrenceId: `${sid}-o1`, deviceId, state, reason: null, at: Date.now() });

      // Device reports: one played to the end, one failed.
      await ds.getRepository(DeliveryEntity).update({ occurrenceId: `${sid}-o1`, deviceId: `spk-${db}-1` }, { state: 'finished', startedAt: start + 1000, endedAt: start + 31_000, playedMs: 30_000 });
      await events.emitAsync('deliveries.changed', { changes: [change(`spk-${db}-1`, 'finished')] });
      await ds.getRepository(DeliveryEntity).update({ occurrenceId: `${sid}-o1`, deviceId: `spk-${db}-2` }, { state: 'failed', reason: 'amplifier fault' });
      await events.emitAsync('deliveries.changed', { changes: [change(`spk-${db}-2`, 'failed')] });
      await runResults();
      // Two reports, one exchange (the debounce): the second state as of the job's run.
      const sent = await mine(b.originId);
      expect(sent).toHaveLength(2);
      expect(sent[1]!.payload).toMatchObject({ originId: b.originId, status: 'scheduled', due: 2, played: 1, failed: 1 });
      expect(sent[1]!.payload.rows).toEqual([
        expect.objectContaining({ deviceId: `spk-${db}-1`, state: 'skipped', reason: 'cancelled' }),
        expect.objectContaining({ deviceId: `spk-${db}-1`, deviceName: 'Loa chợ', areaCode: '77001', areaName: 'Xã Một', state: 'finished', startedAt: new Date(start + 1000).toISOString() }),
        expect.objectContaining({ deviceId: `spk-${db}-2`, deviceName: 'Loa đình', state: 'failed', reason: 'amplifier fault' }),
        expect.objectContaining({ deviceId: `spk-${db}-1`, state: 'delivered', scheduledStart: new Date(start + 86_400_000).toISOString() }),
      ]);
      expect(sent[1]!.key).not.toBe(sent[0]!.key);

      // Nothing changed: no new exchange, even when told something did.
      await runResults();
      await events.emitAsync('deliveries.changed', { changes: [change(`spk-${db}-2`, 'failed')] });
      await runResults();
      expect(await mine(b.originId)).toHaveLength(2);
    });

    it('ignores deliveries of our own contents', async () => {
      await runResults(); // whatever earlier tests left marked goes out first
      const before = (await outbox(upper.id)).length;
      const own = await ok<{ id: string }>('POST', '/api/v1/contents', { type: 'text', title: 'Tin của xã', text: 'x', approve: true });
      const sid = `own-${db}-${++n}`;
      await ds.createQueryBuilder().insert().into(ScheduleEntity).values({ id: sid, contentId: own.id, priority: 'normal', startAt: 0, volume: null, status: 'active', createdBy: 'seed', createdAt: 0 }).execute();
      await t.server.app.get(DomainEvents).emitAsync('deliveries.changed', { changes: [{ scheduleId: sid, occurrenceId: 'o', deviceId: `spk-${db}-1`, state: 'finished', reason: null, at: 0 }] });
      await runResults();
      expect((await outbox(upper.id)).length).toBe(before);
    });

    it('at the upper side, keeps the newest results a lower peer reports and shows them', async () => {
      const originId = `ours-${db}-${++n}`;
      const result = (played: number): BulletinResultPayload => ({
        originId,
        status: 'scheduled',
        due: 2,
        played,
        failed: 0,
        rows: [{ deviceId: 'x-1', deviceName: 'Loa thôn', areaCode: '0101', areaName: 'Xã Dưới', scheduledStart: '2026-12-01T00:00:00.000Z', startedAt: null, endedAt: null, state: 'finished', reason: null }],
      });
      const newer = JSON.stringify({ idempotencyKey: key('res'), kind: 'bulletin-result', v: 1, sentAt: '2026-12-01T01:00:00.000Z', payload: result(2) });
      const older = JSON.stringify({ idempotencyKey: key('res'), kind: 'bulletin-result', v: 1, sentAt: '2026-12-01T00:30:00.000Z', payload: result(1) });
      expect((await post(lower, newer)).body).toMatchObject({ accepted: true, duplicate: false });
      expect((await post(lower, newer)).body).toMatchObject({ accepted: true, duplicate: true });
      expect((await post(lower, older)).body).toMatchObject({ accepted: true, duplicate: false });
      // A report produced before the one kept, retried by its sender (so sent later): its asOf says it is stale.
      const retried = JSON.stringify({ idempotencyKey: key('res'), kind: 'bulletin-result', v: 1, sentAt: '2026-12-01T02:00:00.000Z', payload: { ...result(0), asOf: '2026-12-01T00:10:00.000Z' } });
      expect((await post(lower, retried)).body).toMatchObject({ accepted: true, duplicate: false });
      const shown = await ok<RemoteResultView[]>('GET', `/api/v1/source-system/peers/${lower.id}/results?originId=${originId}`);
      expect(shown).toEqual([expect.objectContaining({ peerId: lower.id, peerName: 'Xã Dưới', originId, status: 'scheduled', due: 2, played: 2, failed: 0, sentAt: '2026-12-01T01:00:00.000Z' })]);
      expect(shown[0]!.rows).toHaveLength(1);
      expect(() => remoteResultViewSchema.array().parse(shown)).not.toThrow();
      const levels = await ok<{ due: number; played: number; peers: unknown[] }>('GET', `/api/v1/source-system/lower-levels?originId=${originId}`);
      expect(levels).toMatchObject({ due: 2, played: 2, peers: [expect.objectContaining({ peerId: lower.id, played: 2 })] });
      expect(() => lowerLevelsViewSchema.parse(levels)).not.toThrow();
      expect((await t.api('GET', `/api/v1/source-system/peers/nope/results`)).status).toBe(404);
    });
  });
});
