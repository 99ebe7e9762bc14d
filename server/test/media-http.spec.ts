import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DataSource } from 'typeorm';
import { mediaPath } from '@loa/shared';
import { startServer, type RunningServer } from '../src/bootstrap.js';
import { AppConfig } from '../src/config/app-config.js';
import { AreaEntity } from '../src/areas/area.entity.js';
import { DeviceEntity } from '../src/devices/device.entity.js';
import { hashDeviceSecret } from '../src/device-auth/device-credentials.service.js';
import { makeMediaFixtures, sha256Of, type MediaFixtures } from './support/media-fixtures.js';

// Real server in-process (SQLite, embedded broker, HTTP on an ephemeral port), real ffprobe/ffmpeg.
describe('media over HTTP', () => {
  let root: string;
  let fx: MediaFixtures;
  let config: AppConfig;
  let server: RunningServer;
  let base: string;
  let bearer: string;
  const tmpDir = () => path.join(config.dataDir, 'tmp');
  const temps = () => readdirSync(tmpDir());
  const stored = () => readdirSync(config.mediaDir).sort();

  beforeAll(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'loa-media-http-'));
    fx = await makeMediaFixtures(mkdtempSync(path.join(root, 'fixtures-')));
    config = AppConfig.load({
      LOA_DATA_DIR: path.join(root, 'data'),
      LOA_HTTP_PORT: '0',
      LOA_MQTT_PORT: '0',
      LOA_ADMIN_PASSWORD: 'test-password',
      LOA_LOG_LEVEL: 'silent',
      LOA_HTTP_HOST: '127.0.0.1',
      LOA_MQTT_HOST: '127.0.0.1',
      LOA_MAX_UPLOAD_MB: '0.5', // the 4 s stereo WAV (~700 KB) is over, everything else under
      LOA_MAX_AUDIO_MINUTES: '0.05', // 3 s
    });
    server = await startServer(config);
    base = `http://127.0.0.1:${server.httpPort}`;
    const login = await fetch(`${base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: 'test-password' }),
    });
    expect(login.status).toBe(200);
    bearer = `Bearer ${((await login.json()) as { accessToken: string }).accessToken}`;
  });

  afterAll(async () => {
    await server?.close();
    rmSync(root, { recursive: true, force: true });
  });

  function upload(file: string, name = path.basename(file), auth: string | null = bearer, field = 'file'): Promise<Response> {
    const form = new FormData();
    form.append(field, new Blob([readFileSync(file)]), name);
    return fetch(`${base}/api/v1/media`, { method: 'POST', body: form, headers: auth ? { authorization: auth } : {} });
  }

  const messageOf = async (res: Response): Promise<string> => ((await res.json()) as { message: string }).message;

  describe('upload', () => {
    it('stores a new file (201) and answers the same bytes again with the same record (200, created=false)', async () => {
      const first = await upload(fx.mp3, 'Bản tin sáng.mp3');
      expect(first.status).toBe(201);
      const body = (await first.json()) as Record<string, unknown>;
      // Deliberate change (issue 6): the record is the delivered (transcoded, normalised) file; the source is in `audio`.
      const sha = body.sha256 as string;
      expect(sha).not.toBe(sha256Of(fx.mp3));
      expect(body).toMatchObject({ mime: 'audio/mpeg', codec: 'mp3', originalName: 'Bản tin sáng.mp3', created: true });
      expect((body.audio as Record<string, unknown>).sourceSha256).toBe(sha256Of(fx.mp3));
      expect(body.bytes).toBe(statSync(path.join(config.mediaDir, sha)).size);
      expect(Object.keys(body)).toEqual(expect.arrayContaining(['sha256', 'bytes', 'durationMs', 'mime', 'codec', 'originalName', 'createdAt', 'created', 'audio', 'jobId']));
      expect(body.durationMs).toBeGreaterThanOrEqual(1990);
      expect(new Date(body.createdAt as string).toISOString()).toBe(body.createdAt);

      const again = await upload(fx.mp3, 'other name.mp3');
      expect(again.status).toBe(200);
      expect(await again.json()).toEqual({ ...body, created: false, jobId: expect.any(String) });
      expect(stored()).toContain(sha);
      expect(temps()).toEqual([]);
    });

    it('refuses a file over LOA_MAX_UPLOAD_MB with 413 and keeps nothing', async () => {
      const before = stored();
      const res = await upload(fx.bigWav);
      expect(res.status).toBe(413);
      expect(await messageOf(res)).toBe('the file is larger than the upload limit of 0.5 MB (LOA_MAX_UPLOAD_MB)');
      expect(stored()).toEqual(before);
      expect(temps()).toEqual([]);
    });

    it.each<[keyof MediaFixtures, RegExp]>([
      ['empty', /^the file is empty \(0 bytes\)$/],
      ['textMp3', /^not a recognised audio file/],
      ['randomMp3', /^not a recognised audio file/],
      ['videoOnlyMp4', /^the file has no audio stream/],
      ['headerOnlyWav', /^the file contains no audio samples \(duration 0\)$/],
      ['truncatedMp3', /^the file is truncated: its header announces 2\.0 s/],
      ['corruptMp3', /^the audio is damaged and cannot be decoded in full/],
      ['longMp3', /LOA_MAX_AUDIO_MINUTES/],
    ])('refuses %s with 400 and the reason', async (key, message) => {
      const before = stored();
      const res = await upload(fx[key]);
      expect(res.status).toBe(400);
      expect(await messageOf(res)).toMatch(message);
      expect(stored()).toEqual(before);
      expect(temps()).toEqual([]);
    });

    it('refuses a request without the file field, or not multipart at all, with 400', async () => {
      const wrongField = await upload(fx.mp3, 'a.mp3', bearer, 'audio');
      expect(wrongField.status).toBe(400);
      expect(await messageOf(wrongField)).toMatch(/field "file"/);

      const json = await fetch(`${base}/api/v1/media`, { method: 'POST', headers: { authorization: bearer, 'content-type': 'application/json' }, body: '{}' });
      expect(json.status).toBe(400);
      expect(await messageOf(json)).toMatch(/multipart\/form-data in a field named "file"/);
      expect(temps()).toEqual([]);
    });

    it('needs an operator token (401), and device credentials are not enough', async () => {
      expect((await upload(fx.wav, 'x.wav', null)).status).toBe(401);
      expect((await upload(fx.wav, 'x.wav', 'Bearer not-a-token')).status).toBe(401);
      expect((await upload(fx.wav, 'x.wav', basic('dev-1', 's3cret'))).status).toBe(401);
      expect(((await (await fetch(`${base}/api/v1/media`, { headers: { authorization: bearer } })).json()) as Array<{ audio: { sourceSha256: string } | null }>).map((m) => m.audio?.sourceSha256)).not.toContain(sha256Of(fx.wav));
    });

    it('removes the temp file of an upload the client abandons half-way, and keeps serving', async () => {
      const boundary = 'loa-test-boundary';
      const req = httpRequest({
        host: '127.0.0.1',
        port: server.httpPort,
        method: 'POST',
        path: '/api/v1/media',
        headers: { authorization: bearer, 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': 400_000 },
      });
      req.on('error', () => undefined);
      req.write(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="half.wav"\r\nContent-Type: audio/wav\r\n\r\n`);
      req.write(readFileSync(fx.wav).subarray(0, 100_000));
      await waitFor(() => temps().length === 1, 'the upload to reach the temp directory');
      req.destroy();
      await waitFor(() => temps().length === 0, 'the temp file to be removed');

      const health = await fetch(`${base}/api/health`);
      expect(health.status).toBe(200);
      const counters = ((await health.json()) as { counters: Record<string, number> }).counters;
      expect(counters.media_upload_aborted).toBe(1);
      expect(counters.media_upload_refused).toBeGreaterThanOrEqual(9);
    });
  });

  describe('download', () => {
    let sha: string;
    let bytes: Buffer;

    beforeAll(async () => {
      const res = await upload(fx.wav);
      expect(res.status).toBe(201);
      sha = ((await res.json()) as { sha256: string }).sha256;
      bytes = readFileSync(path.join(config.mediaDir, sha));
    });

    const get = (headers: Record<string, string> = {}, method = 'GET', auth: string = bearer) =>
      fetch(`${base}${mediaPath(sha)}`, { method, headers: { authorization: auth, ...headers } });

    it('lists and describes the record', async () => {
      const list = (await (await fetch(`${base}/api/v1/media`, { headers: { authorization: bearer } })).json()) as Array<{ sha256: string }>;
      expect(list.map((m) => m.sha256)).toContain(sha);
      const info = await fetch(`${base}/api/v1/media/${sha}/info`, { headers: { authorization: bearer } });
      expect(info.status).toBe(200);
      expect(await info.json()).toMatchObject({ sha256: sha, bytes: bytes.length, mime: 'audio/mpeg', codec: 'mp3', audio: { sourceSha256: sha256Of(fx.wav), sourceMime: 'audio/wav', sourceCodec: 'pcm_s16le', sourceDurationMs: 2000 } });
      expect((await fetch(`${base}/api/v1/media/${'0'.repeat(64)}/info`, { headers: { authorization: bearer } })).status).toBe(404);
    });

    it('sends the whole file with its caching headers', async () => {
      const res = await get();
      expect(res.status).toBe(200);
      expect(res.headers.get('etag')).toBe(`"${sha}"`);
      expect(res.headers.get('accept-ranges')).toBe('bytes');
      expect(res.headers.get('content-type')).toBe('audio/mpeg');
      expect(res.headers.get('cache-control')).toBe('private, max-age=31536000, immutable');
      expect(res.headers.get('content-length')).toBe(String(bytes.length));
      expect(Buffer.from(await res.arrayBuffer()).equals(bytes)).toBe(true);
    });

    it('answers HEAD with the headers and no body', async () => {
      const res = await get({}, 'HEAD');
      expect(res.status).toBe(200);
      expect(res.headers.get('content-length')).toBe(String(bytes.length));
      expect(res.headers.get('etag')).toBe(`"${sha}"`);
      expect((await res.arrayBuffer()).byteLength).toBe(0);
    });

    it('sends byte ranges (206) exactly', async () => {
      const mid = await get({ range: 'bytes=100-199' });
      expect(mid.status).toBe(206);
      expect(mid.headers.get('content-range')).toBe(`bytes 100-199/${bytes.length}`);
      expect(mid.headers.get('content-length')).toBe('100');
      expect(Buffer.from(await mid.arrayBuffer()).equals(bytes.subarray(100, 200))).toBe(true);

      const open = await get({ range: `bytes=${bytes.length - 10}-` });
      expect(open.status).toBe(206);
      expect(Buffer.from(await open.arrayBuffer()).equals(bytes.subarray(bytes.length - 10))).toBe(true);

      const suffix = await get({ range: 'bytes=-50' });
      expect(suffix.status).toBe(206);
      expect(suffix.headers.get('content-range')).toBe(`bytes ${bytes.length - 50}-${bytes.length - 1}/${bytes.length}`);
      expect(Buffer.from(await suffix.arrayBuffer()).equals(bytes.subarray(bytes.length - 50))).toBe(true);
    });

    it('answers an unsatisfiable range with 416 and the size', async () => {
      const res = await get({ range: `bytes=${bytes.length}-` });
      expect(res.status).toBe(416);
      expect(res.headers.get('content-range')).toBe(`bytes */${bytes.length}`);
    });

    it('answers If-None-Match with 304, and a stale If-Range with the whole file', async () => {
      const notModified = await get({ 'if-none-match': `"${sha}"` });
      expect(notModified.status).toBe(304);
      expect(notModified.headers.get('etag')).toBe(`"${sha}"`);

      const stale = await get({ range: 'bytes=0-9', 'if-range': '"something-else"' });
      expect(stale.status).toBe(200);
      expect((await stale.arrayBuffer()).byteLength).toBe(bytes.length);

      const fresh = await get({ range: 'bytes=0-9', 'if-range': `"${sha}"` });
      expect(fresh.status).toBe(206);
      expect((await fresh.arrayBuffer()).byteLength).toBe(10);
    });

    it('validates the hash (400) and knows unknown ones (404)', async () => {
      const bad = await fetch(`${base}/api/v1/media/not-a-hash`, { headers: { authorization: bearer } });
      expect(bad.status).toBe(400);
      expect(JSON.stringify(await bad.json())).toMatch(/64 lowercase hex/);
      expect((await fetch(`${base}${mediaPath('0'.repeat(64))}`, { headers: { authorization: bearer } })).status).toBe(404);
    });

    describe('for devices (HTTP Basic deviceId:secret)', () => {
      beforeAll(async () => {
        const db = server.app.get(DataSource);
        const now = Date.now();
        await db.getRepository(AreaEntity).insert({ code: '00115', name: 'Phường Phúc Xá', level: 'commune', parentCode: null, path: '/00115/', createdAt: now });
        await db.getRepository(DeviceEntity).insert({
          id: 'dev-1',
          name: 'Cụm loa tổ 1',
          kind: 'speaker',
          areaCode: '00115',
          secretHash: hashDeviceSecret('s3cret'),
          online: false,
          lastSeenAt: null,
          agentVersion: null,
          timelineVersion: 0,
          ackedTimelineVersion: 0,
          createdAt: now,
        });
      });

      it('lets a device download with its credentials, ranges included', async () => {
        const res = await get({}, 'GET', basic('dev-1', 's3cret'));
        expect(res.status).toBe(200);
        expect(Buffer.from(await res.arrayBuffer()).equals(bytes)).toBe(true);
        const part = await get({ range: 'bytes=0-43' }, 'GET', basic('dev-1', 's3cret'));
        expect(part.status).toBe(206);
        expect(Buffer.from(await part.arrayBuffer()).equals(bytes.subarray(0, 44))).toBe(true);
      });

      it('refuses a wrong secret, an unknown device, and no credentials (401)', async () => {
        expect((await get({}, 'GET', basic('dev-1', 'wrong'))).status).toBe(401);
        expect((await get({}, 'GET', basic('dev-404', 's3cret'))).status).toBe(401);
        expect((await fetch(`${base}${mediaPath(sha)}`)).status).toBe(401);
      });

      it('does not let a device list or describe media', async () => {
        expect((await fetch(`${base}/api/v1/media`, { headers: { authorization: basic('dev-1', 's3cret') } })).status).toBe(401);
        expect((await fetch(`${base}/api/v1/media/${sha}/info`, { headers: { authorization: basic('dev-1', 's3cret') } })).status).toBe(401);
      });
    });
  });
});

const basic = (user: string, secret: string): string => `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}`;

async function waitFor(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
