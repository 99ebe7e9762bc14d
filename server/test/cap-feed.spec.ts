import ffmpegInstaller from '@ffmpeg-installer/ffmpeg';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { DataSource } from 'typeorm';
import type { AlertView, CapMessagePage, CapSourceCreated } from '@loa/shared/rest';
import { CAP_FEEDS_JOB } from '../src/cap/cap-feeds.js';
import { JobScheduler } from '../src/jobs/job-scheduler.js';
import { MediaEntity } from '../src/media/media.entity.js';
import { speechLike } from './support/audio-fixtures.js';
import { capSample, capTime, withIdentifier } from './support/cap.js';
import { startTestServerOn, type TestServer } from './support/server.js';
import { until } from './support/until.js';

const run = promisify(execFile);
const USER = 'loa-xa';
const PASSWORD = 'mat-khau-feed';

/**
 * A province warning service on real HTTP: an Atom feed behind HTTP Basic whose entries link to CAP messages or
 * embed them, and the audio a message names. Counts what was asked of it.
 */
class WarningService {
  readonly hits = new Map<string, number>();
  readonly files = new Map<string, { type: string; body: Buffer }>();
  private server: Server | null = null;
  base = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const url = req.url ?? '/';
      this.hits.set(url, (this.hits.get(url) ?? 0) + 1);
      if (req.headers.authorization !== `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}` && !url.startsWith('/audio/')) {
        res.writeHead(401, { 'www-authenticate': 'Basic' }).end();
        return;
      }
      const f = this.files.get(url);
      if (!f) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': f.type, 'content-length': f.body.length }).end(f.body);
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  put(url: string, type: string, body: string | Buffer): void {
    this.files.set(url, { type, body: Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8') });
  }

  feed(entries: string[]): void {
    this.put('/feed.atom', 'application/atom+xml', `<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom"><id>urn:kttv:feed</id><title>KTTV</title><updated>${new Date().toISOString()}</updated>${entries.join('')}</feed>`);
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => this.server?.close(() => r()) ?? r());
  }
}

const linkEntry = (id: string, href: string) => `<entry><id>${id}</id><title>${id}</title><updated>${new Date().toISOString()}</updated><link rel="alternate" type="application/cap+xml" href="${href}"/></entry>`;
const embeddedEntry = (id: string, cap: string) => `<entry><id>${id}</id><title>${id}</title><updated>${new Date().toISOString()}</updated><content type="application/cap+xml">${cap.replace(/^<\?xml[^>]*>\s*/, '')}</content></entry>`;

describe.each(['sqlite', 'postgres'])('CAP feeds and audio resources on %s', (db) => {
  let t: TestServer;
  let close: () => Promise<void>;
  let ds: DataSource;
  let svc: WarningService;
  let wav: Buffer;
  let dir: string;

  const times = () => {
    const now = Date.now();
    return { SENT: capTime(now - 60_000), ONSET: capTime(now), EXPIRES: capTime(now + 7_200_000) };
  };
  const messages = async (sourceId: string) => (await t.api<CapMessagePage>('GET', `/api/v1/cap/messages?sourceId=${sourceId}`)).body.items;
  const alert = async (id: string) => (await t.api<AlertView>('GET', `/api/v1/alerts/${id}`)).body;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'loa-cap-'));
    const file = path.join(dir, 'storm.wav');
    await run(ffmpegInstaller.path, ['-v', 'error', '-nostdin', '-y', '-f', 'lavfi', '-i', speechLike(3), '-ac', '1', file]);
    wav = readFileSync(file);
    svc = new WarningService();
    await svc.start();
    ({ t, close } = await startTestServerOn(db));
    ds = t.server.app.get(DataSource);
    for (const a of [
      { code: '01', name: 'Tỉnh Bắc Sơn', level: 'province' },
      { code: '00004', name: 'Xã A', level: 'commune', parentCode: '01' },
      { code: '00007', name: 'Xã B', level: 'commune', parentCode: '01' },
    ]) {
      expect((await t.api('POST', '/api/v1/areas', a)).status).toBe(201);
    }
  });
  afterAll(async () => {
    await close();
    await svc.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('polls an Atom feed with its credentials, takes linked and embedded CAP once each, and fetches the audio through the media pipeline', async () => {
    svc.put('/audio/storm.wav', 'audio/wav', wav);
    const alertXml = capSample('audio.xml', { ...times(), URI: `${svc.base}/audio/storm.wav`, DIGEST: createHash('sha1').update(wav).digest('hex') });
    svc.put('/cap/1.xml', 'application/cap+xml', alertXml);
    const ref = `canhbao@kttv.gov.vn,KTTV-2026-0060,${/<sent>([^<]+)</.exec(alertXml)![1]}`;
    const update = withIdentifier(capSample('update.xml', { ...times(), REFERENCES: ref }), 'KTTV-2026-0061');
    // Newest first, as feeds list them: the poller takes the Alert before the Update that references it.
    svc.feed([embeddedEntry('urn:kttv:2', update), linkEntry('urn:kttv:1', '/cap/1.xml'), linkEntry('urn:kttv:missing', '/cap/missing.xml')]);
    const created = await t.api<CapSourceCreated>('POST', '/api/v1/cap/sources', {
      name: 'KTTV feed',
      kind: 'feed',
      feedUrl: `${svc.base}/feed.atom`,
      feedAuth: { type: 'basic', username: USER, password: PASSWORD },
      pollIntervalS: 3600,
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ secret: null, feedAuthType: 'basic', feedUsername: USER });
    expect(JSON.stringify(created.body)).not.toContain(PASSWORD);
    const src = created.body;

    // The leader's periodic job finds the new source due (it may already be running on its own tick).
    await t.server.app.get(JobScheduler).runNow(CAP_FEEDS_JOB);
    const got = await until('both entries recorded', () => messages(src.id), (m) => m.length === 2);
    const first = got.find((m) => m.identifier === 'KTTV-2026-0060')!;
    const second = got.find((m) => m.identifier === 'KTTV-2026-0061')!;
    expect(first).toMatchObject({ via: 'feed', state: 'accepted', reason: null });
    expect(second).toMatchObject({ via: 'feed', state: 'accepted', msgType: 'Update' });

    const played = await alert(first.alertIds[0]!);
    expect(played).toMatchObject({ areaCode: '00004', priority: 'emergency', source: 'cap' });
    expect(played.mediaSha256).toMatch(/^[a-f0-9]{64}$/);
    const media = await ds.getRepository(MediaEntity).findOneByOrFail({ sha256: played.mediaSha256! });
    // Transcoded by the real pipeline: not the WAV bytes we served, and about as long.
    expect(media.sha256).not.toBe(createHash('sha256').update(wav).digest('hex'));
    expect(media.durationMs).toBeGreaterThan(2500);
    expect(media.durationMs).toBeLessThan(3500);
    expect((await alert(second.alertIds[0]!)).replaces).toBe(played.id);
    // CAP out: the alert's resource link serves the processed audio to anyone, without an account.
    const capXml = await (await fetch(`${t.baseUrl}/api/v1/cap/alerts/${played.id}.xml`)).text();
    const audioUri = /<uri>([^<]+)<\/uri>/.exec(capXml)?.[1];
    expect(audioUri).toBe(`${t.baseUrl}/api/v1/cap/alerts/${played.id}/audio`);
    const audio = await fetch(audioUri!);
    expect(audio.status).toBe(200);
    expect(createHash('sha256').update(Buffer.from(await audio.arrayBuffer())).digest('hex')).toBe(media.sha256);
    expect((await fetch(`${t.baseUrl}/api/v1/cap/alerts/nope/audio`)).status).toBe(404);

    // The entry that failed is not recorded and is asked for again; the others are not fetched again.
    const poll = await t.api<{ handled: number; error: string | null }>('POST', `/api/v1/cap/sources/${src.id}/poll`);
    expect(poll.status).toBe(200);
    expect(poll.body.handled).toBe(0);
    expect(poll.body.error).toMatch(/missing\.xml.*404/);
    expect(svc.hits.get('/cap/1.xml')).toBe(1);
    expect(svc.hits.get('/cap/missing.xml')).toBeGreaterThanOrEqual(2);
    expect(svc.hits.get('/audio/storm.wav')).toBe(1);
    expect((await messages(src.id)).length).toBe(2);
    const view = (await t.api<{ lastPolledAt: string | null; lastPollError: string | null }>('GET', `/api/v1/cap/sources/${src.id}`)).body;
    expect(view.lastPolledAt).not.toBeNull();
    expect(view.lastPollError).toMatch(/404/);
  });

  it('still broadcasts the text when the audio’s digest does not match, and says why', async () => {
    const xml = withIdentifier(capSample('audio.xml', { ...times(), URI: `${svc.base}/audio/storm.wav`, DIGEST: 'a'.repeat(40) }), 'KTTV-2026-0070');
    const src = await t.api<CapSourceCreated>('POST', '/api/v1/cap/sources', { name: 'KTTV push', kind: 'push', resourceOrigins: [svc.base] });
    const res = await fetch(`${t.baseUrl}${src.body.pushUrl}`, { method: 'POST', headers: { 'content-type': 'application/cap+xml', authorization: `Bearer ${src.body.secret}` }, body: xml });
    const answer = (await res.json()) as { state: string; reason: string; alertIds: string[] };
    expect(answer.state).toBe('accepted');
    expect(answer.reason).toMatch(/audio resource not used: resource digest \(SHA-1\) is [a-f0-9]{40}, the message says a{40}/);
    const a = await alert(answer.alertIds[0]!);
    expect(a.mediaSha256).toBeNull();
    expect(a.text).toBe('Bão số 4 đổ bộ.');
  });

  it('takes embedded audio (derefUri) and refuses to fetch from an origin the source does not allow', async () => {
    const src = (await t.api<CapSourceCreated>('POST', '/api/v1/cap/sources', { name: 'KTTV push 2', kind: 'push' })).body;
    const send = async (xml: string) =>
      (await (await fetch(`${t.baseUrl}${src.pushUrl}`, { method: 'POST', headers: { 'content-type': 'application/cap+xml', authorization: `Bearer ${src.secret}` }, body: xml })).json()) as { state: string; reason: string | null; alertIds: string[] };
    const byUri = await send(withIdentifier(capSample('audio.xml', { ...times(), URI: `${svc.base}/audio/storm.wav`, DIGEST: createHash('sha1').update(wav).digest('hex') }), 'KTTV-2026-0080'));
    expect(byUri.reason).toMatch(/is not an allowed origin/);
    const embedded = capSample('audio.xml', { ...times(), URI: '', DIGEST: createHash('sha1').update(wav).digest('hex') })
      .replace('<uri></uri>', `<derefUri>${wav.toString('base64')}</derefUri>`)
      .replace(/<identifier>[^<]*</, '<identifier>KTTV-2026-0081<');
    const deref = await send(embedded);
    expect(deref).toMatchObject({ state: 'accepted', reason: null });
    expect((await alert(deref.alertIds[0]!)).mediaSha256).toMatch(/^[a-f0-9]{64}$/);
  });
});
