import ffmpegInstaller from '@ffmpeg-installer/ffmpeg';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { WebSocket } from 'ws';
import { alertViewSchema, liveSessionViewSchema, relayTestResultSchema, type LiveSessionView, type RelayTestResult } from '@loa/shared/rest';
import { mp3FrameLength } from '../src/live/mp3-frames.js';
import { probeFile } from './support/audio-fixtures.js';
import { startTestServer, type TestServer } from './support/server.js';
import { until } from './support/until.js';

const run = promisify(execFile);
const PW = 'password-123';

/**
 * Issue 18, live voice through the real server (SQLite, embedded broker, real ffmpeg): a microphone session from
 * start to stop (WebM/Opus chunks in over the WebSocket, MP3 frames out at the capability URL, the alert carrying it,
 * the recording kept as media), who may start, hear and stop a session, the stream test against a real MP3 served
 * over HTTP and a dead address, and bad input.
 */
describe('live voice sessions', () => {
  let t: TestServer;
  let dir: string;
  let webm: Buffer;
  let mp3Server: Server;
  let mp3Url: string;
  const tokens: Record<string, string> = {};

  const call = async <T = any>(who: string, method: string, url: string, body?: unknown): Promise<{ status: number; body: T }> => {
    const res = await fetch(t.baseUrl + url, {
      method,
      headers: { authorization: `Bearer ${tokens[who]}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
  };
  const ok = async <T = any>(who: string, method: string, url: string, body?: unknown): Promise<T> => {
    const r = await call<T>(who, method, url, body);
    if (r.status >= 300) throw new Error(`${method} ${url}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };
  const startMic = (who = 'admin', over: Record<string, unknown> = {}) =>
    call<LiveSessionView>(who, 'POST', '/api/v1/live', { kind: 'mic', areaCode: '00004', priority: 'emergency', title: 'Thông báo khẩn của UBND xã', maxDurationS: 120, ...over });

  /** Opens the microphone socket as the dashboard does (token as a subprotocol); resolves once the server is ready. */
  const openMic = (session: LiveSessionView, who = 'admin'): Promise<WebSocket> =>
    new Promise((resolve, reject) => {
      const ws = new WebSocket(`${t.baseUrl.replace('http', 'ws')}${session.micPath}?format=webm`, ['loa.live', `bearer.${tokens[who]}`]);
      ws.on('message', (m) => String(m).includes('ready') && resolve(ws));
      ws.on('close', (code, reason) => reject(new Error(`mic socket closed ${code} ${String(reason)}`)));
      ws.on('error', reject);
    });
  /** Sends the WebM file as MediaRecorder would: small chunks, paced a little faster than real time. */
  const speak = async (ws: WebSocket, bytes: Buffer): Promise<void> => {
    for (let at = 0; at < bytes.length; at += 600) {
      ws.send(bytes.subarray(at, at + 600));
      await new Promise((r) => setTimeout(r, 10));
    }
  };

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'loa-live-spec-'));
    // What Chromium's MediaRecorder sends: Opus in WebM; a 1 kHz tone.
    const webmFile = path.join(dir, 'mic.webm');
    await run(ffmpegInstaller.path, ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'sine=frequency=1000:duration=4:sample_rate=48000', '-ac', '1', '-c:a', 'libopus', '-b:a', '48k', '-f', 'webm', webmFile]);
    webm = readFileSync(webmFile);
    const mp3File = path.join(dir, 'station.mp3');
    await run(ffmpegInstaller.path, ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=8:sample_rate=44100', '-ac', '2', '-c:a', 'libmp3lame', '-b:a', '128k', mp3File]);
    const mp3 = readFileSync(mp3File);
    // A stand-in for the province station: serves a real MP3 as Icecast does (audio/mpeg), 404 elsewhere.
    mp3Server = createServer((req, res) => {
      if (req.url !== '/radio.mp3') {
        res.writeHead(404).end('not here');
        return;
      }
      res.writeHead(200, { 'content-type': 'audio/mpeg' });
      res.end(mp3);
    });
    await new Promise<void>((r) => mp3Server.listen(0, '127.0.0.1', r));
    mp3Url = `http://127.0.0.1:${(mp3Server.address() as AddressInfo).port}/radio.mp3`;

    t = await startTestServer({ LOA_APPROVAL_RULES_DEFAULT: 'permissive' });
    tokens.admin = t.token;
    await ok('admin', 'POST', '/api/v1/areas', { code: '01', name: 'Tỉnh', level: 'province' });
    await ok('admin', 'POST', '/api/v1/areas', { code: '00004', name: 'Xã A', level: 'commune', parentCode: '01' });
    await ok('admin', 'POST', '/api/v1/areas', { code: '00005', name: 'Xã B', level: 'commune', parentCode: '01' });
    for (const [user, role, areaCode] of [
      ['op-a', 'operator', '00004'],
      ['op-b', 'operator', '00005'],
      ['appr-a', 'approver', '00004'],
      ['officer-a', 'commune_officer', '00004'],
    ] as const) {
      await ok('admin', 'POST', '/api/v1/users', { username: user, password: PW, role, areaCode });
      tokens[user] = (await ok<{ accessToken: string }>('admin', 'POST', '/api/v1/auth/login', { username: user, password: PW })).accessToken;
    }
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await new Promise((r) => mp3Server?.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  it('carries a microphone to the area alert stream, frame-aligned, and keeps the recording when stopped', async () => {
    const started = await startMic('op-a');
    expect(started.status).toBe(201);
    const session = liveSessionViewSchema.parse(started.body);
    expect(session).toMatchObject({ kind: 'mic', state: 'waiting_for_mic', areaCode: '00004', priority: 'emergency' });
    expect(session.streamUrl).toMatch(new RegExp(`^${t.baseUrl}/api/v1/live/${session.id}/stream\\?token=[A-Za-z0-9_-]{32}$`));
    // The area alert the speakers act on carries the capability URL as a live stream.
    const alert = alertViewSchema.parse(await ok('admin', 'GET', `/api/v1/alerts/${session.alertId}`));
    expect(alert).toMatchObject({ status: 'active', source: 'live', streamUrl: session.streamUrl, areaCode: '00004', priority: 'emergency' });

    // A speaker listens before the microphone speaks, as an agent does the moment the alert arrives.
    const res = await fetch(session.streamUrl);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('audio/mpeg');
    const reader = res.body!.getReader();
    const ws = await openMic(session, 'op-a');
    expect((await ok<LiveSessionView>('op-a', 'GET', `/api/v1/live/${session.id}`)).state).toBe('live');
    const speaking = speak(ws, webm);
    const chunks: Buffer[] = [];
    let got = 0;
    // 3 s of 64 kb/s MP3 (8 kB/s).
    while (got < 24_000) {
      const { value, done } = await reader.read();
      if (done) break;
      chunks.push(Buffer.from(value));
      got += value.length;
    }
    await speaking;
    const heard = Buffer.concat(chunks);
    // Starts on a frame (a late joiner never gets half a frame) and every frame follows the one before.
    let at = 0;
    let frames = 0;
    while (at + 4 <= heard.length) {
      const len = mp3FrameLength(heard, at);
      expect(len).toBeGreaterThan(0);
      at += len;
      frames++;
    }
    expect(frames).toBeGreaterThan(100);
    const heardFile = path.join(dir, 'heard.mp3');
    writeFileSync(heardFile, heard.subarray(0, at - (at > heard.length ? mp3FrameLength(heard, 0) : 0)));
    expect(await probeFile(heardFile)).toMatchObject({ codecName: 'mp3', sampleRate: 48000, channels: 1 });
    expect((await ok<LiveSessionView>('admin', 'GET', `/api/v1/live/${session.id}`)).listeners).toBe(1);

    // Stop: the alert is cancelled (speakers withdraw it), the socket and the stream end, the recording becomes media.
    const closed = new Promise<number>((r) => ws.on('close', (code) => r(code)));
    const stopped = liveSessionViewSchema.parse(await ok('op-a', 'POST', `/api/v1/live/${session.id}/stop`));
    expect(stopped).toMatchObject({ state: 'ended', endReason: 'stopped' });
    expect(await closed).toBe(4410);
    for (;;) if ((await reader.read()).done) break;
    expect((await ok('admin', 'GET', `/api/v1/alerts/${session.alertId}`)).status).toBe('cancelled');
    expect((await call('op-a', 'POST', `/api/v1/live/${session.id}/stop`)).status).toBe(409);
    expect((await fetch(session.streamUrl)).status).toBe(410);
    const kept = await until('the recording kept as media', () => ok<LiveSessionView>('admin', 'GET', `/api/v1/live/${session.id}`), (s) => s.recordingSha256 !== null);
    const media = await ok<{ durationMs: number }>('admin', 'GET', `/api/v1/media/${kept.recordingSha256}/info`);
    expect(media.durationMs).toBeGreaterThan(2500);
  }, 60_000);

  it('takes raw PCM from an AudioWorklet too (?format=pcm)', async () => {
    const session = (await startMic('admin')).body;
    const res = await fetch(session.streamUrl);
    const reader = res.body!.getReader();
    const ws = await new Promise<WebSocket>((resolve, reject) => {
      const w = new WebSocket(`${t.baseUrl.replace('http', 'ws')}${session.micPath}?format=pcm`, ['loa.live', `bearer.${tokens.admin}`]);
      w.on('message', (m) => String(m).includes('ready') && resolve(w));
      w.on('close', (code) => reject(new Error(`closed ${code}`)));
    });
    // 2 s of a 1 kHz tone, s16le mono 48 kHz, in 100 ms chunks.
    const pcm = Buffer.alloc(2 * 96_000);
    for (let i = 0; i < 96_000; i++) pcm.writeInt16LE(Math.round(12_000 * Math.sin((2 * Math.PI * 1000 * i) / 48_000)), 2 * i);
    for (let at = 0; at < pcm.length; at += 9600) ws.send(pcm.subarray(at, at + 9600));
    let got = Buffer.alloc(0);
    while (got.length < 8000) {
      const { value, done } = await reader.read();
      if (done) break;
      got = Buffer.concat([got, Buffer.from(value)]);
    }
    expect(mp3FrameLength(got, 0)).toBe(192); // 64 kb/s at 48 kHz
    await ok('admin', 'POST', `/api/v1/live/${session.id}/stop`);
    await reader.cancel();
  });

  it('keeps speakers connected when the browser drops and comes back within the grace period', async () => {
    const session = (await startMic('op-a')).body;
    const res = await fetch(session.streamUrl);
    const reader = res.body!.getReader();
    let got = 0;
    const readAtLeast = async (n: number) => {
      const target = got + n;
      while (got < target) {
        const { value, done } = await reader.read();
        if (done) throw new Error('the stream ended');
        got += value.length;
      }
    };
    const first = await openMic(session, 'op-a');
    // About 1 s of sound: at most ≈ 8 kB of MP3 can ever come from the first connection.
    await speak(first, webm.subarray(0, 6000));
    await readAtLeast(2000);
    first.terminate();
    await until('the drop noticed', () => ok<LiveSessionView>('op-a', 'GET', `/api/v1/live/${session.id}`), (s) => s.state === 'waiting_for_mic');
    // A new recorder: a new WebM stream with its own header, taken by a new decoder; the speaker's response goes on.
    const second = await openMic(session, 'op-a');
    expect((await ok<LiveSessionView>('op-a', 'GET', `/api/v1/live/${session.id}`)).state).toBe('live');
    const speaking = speak(second, webm);
    // Twice what the first connection could give: the second one's sound reaches the same response.
    await readAtLeast(16_000);
    await speaking;
    expect((await ok<LiveSessionView>('op-a', 'GET', `/api/v1/live/${session.id}`)).listeners).toBe(1);
    await ok('op-a', 'POST', `/api/v1/live/${session.id}/stop`);
    await reader.cancel();
  }, 60_000);

  it('hands the stream only to a request carrying its token', async () => {
    const session = (await startMic('admin')).body;
    const base = session.streamUrl.split('?')[0]!;
    expect((await fetch(base)).status).toBe(401);
    expect((await fetch(`${base}?token=`)).status).toBe(401);
    expect((await fetch(`${base}?token=${'x'.repeat(32)}`)).status).toBe(404);
    const other = base.replace(session.id, '00000000-0000-4000-8000-000000000000');
    expect((await fetch(`${other}?${session.streamUrl.split('?')[1]}`)).status).toBe(404);
    await ok('admin', 'POST', `/api/v1/live/${session.id}/stop`);
  });

  it('lets only broadcasters of the area start, speak into and stop a session', async () => {
    expect((await startMic('officer-a')).status).toBe(403);
    expect((await startMic('appr-a')).status).toBe(403);
    expect((await startMic('op-b')).status).toBe(403); // commune B's operator, commune A
    const session = (await startMic('op-a')).body;
    // Someone else's microphone is refused at the socket; without a token, before the upgrade.
    await expect(openMic(session, 'admin')).rejects.toThrow(/4403/);
    await expect(
      new Promise((resolve, reject) => {
        const ws = new WebSocket(`${t.baseUrl.replace('http', 'ws')}${session.micPath}`, ['loa.live']);
        ws.on('unexpected-response', (_req, res) => resolve(res.statusCode));
        ws.on('open', () => reject(new Error('opened without a token')));
        ws.on('error', () => undefined);
      }),
    ).resolves.toBe(401);
    // Out of scope reads as absent (the project's rule for reads), writes as forbidden.
    expect((await call('op-b', 'GET', `/api/v1/live/${session.id}`)).status).toBe(404);
    expect((await call('op-b', 'GET', '/api/v1/live')).body.map((s: LiveSessionView) => s.id)).not.toContain(session.id);
    expect((await call('appr-a', 'GET', '/api/v1/live')).body.map((s: LiveSessionView) => s.id)).toContain(session.id);
    expect((await call('op-b', 'POST', `/api/v1/live/${session.id}/stop`)).status).toBe(403);
    expect((await call('appr-a', 'POST', `/api/v1/live/${session.id}/stop`)).status).toBe(403);
    expect((await call('op-a', 'GET', '/api/v1/live/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await call('op-a', 'POST', '/api/v1/live/00000000-0000-4000-8000-000000000000/stop')).status).toBe(404);
    expect((await call('op-a', 'POST', `/api/v1/live/${session.id}/stop`)).status).toBe(200);
  });

  it('refuses bad input with 400 and creates nothing', async () => {
    const before = (await ok<unknown[]>('admin', 'GET', '/api/v1/alerts')).length;
    for (const body of [
      { kind: 'mic', areaCode: '00004', priority: 'normal', title: 'x' },
      { kind: 'mic', areaCode: '00004', title: '' },
      { kind: 'mic', areaCode: '00004', title: 'x', maxDurationS: 5 },
      { kind: 'mic', areaCode: '00004', title: 'x', maxDurationS: 100_000 },
      { kind: 'relay', areaCode: '00004', title: 'x' },
      { kind: 'relay', areaCode: '00004', title: 'x', url: 'ftp://example.org/a.mp3' },
      { kind: 'tv', areaCode: '00004', title: 'x' },
      { areaCode: '00004', title: 'x' },
    ]) {
      const r = await call('admin', 'POST', '/api/v1/live', body);
      expect([r.status, body]).toEqual([400, body]);
    }
    expect((await call('admin', 'POST', '/api/v1/live', { kind: 'mic', areaCode: '99999', title: 'x' })).status).toBeGreaterThanOrEqual(400);
    expect((await call('admin', 'POST', '/api/v1/live', { kind: 'mic', areaCode: '99999', title: 'x' })).status).toBeLessThan(500);
    expect((await call('admin', 'POST', '/api/v1/live/relay-test', { url: 'not a url' })).status).toBe(400);
    expect((await call('admin', 'POST', '/api/v1/live/relay-test', {})).status).toBe(400);
    expect((await ok<unknown[]>('admin', 'GET', '/api/v1/alerts')).length).toBe(before);
  });

  it('tests a stream: a real MP3 passes with its codec and bit rate; a dead address and a 404 say why', async () => {
    const good = relayTestResultSchema.parse(await ok('op-a', 'POST', '/api/v1/live/relay-test', { url: mp3Url }));
    expect(good).toMatchObject({ ok: true, code: 'ok', codec: 'mp3', sampleRate: 44100, channels: 2, bitrateKbps: 128 });
    // A privileged port nobody listens on (a freed ephemeral port may be taken by another process meanwhile).
    const dead = 9;
    const refused = await ok<RelayTestResult>('op-a', 'POST', '/api/v1/live/relay-test', { url: `http://127.0.0.1:${dead}/live` });
    expect(refused).toMatchObject({ ok: false, code: 'unreachable', codec: null });
    expect(refused.message).toMatch(/Không kết nối được/);
    const missing = await ok<RelayTestResult>('op-a', 'POST', '/api/v1/live/relay-test', { url: mp3Url.replace('radio.mp3', 'nothing.mp3') });
    expect(missing).toMatchObject({ ok: false, code: 'http_error' });
    expect((await call('officer-a', 'POST', '/api/v1/live/relay-test', { url: mp3Url })).status).toBe(403);
  }, 60_000);

  it('relays on demand only a stream that passes the test, with no proxying, and stops by cancelling', async () => {
    const refused = await call('op-a', 'POST', '/api/v1/live', { kind: 'relay', areaCode: '00004', title: 'Tiếp sóng', url: mp3Url.replace('radio.mp3', 'gone.mp3') });
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({ code: 'live.stream-test-failed', params: { reason: 'http_error' }, test: { code: 'http_error' } });
    const started = await call<LiveSessionView>('op-a', 'POST', '/api/v1/live', { kind: 'relay', areaCode: '00004', priority: 'priority', title: 'Tiếp sóng Đài tỉnh', url: mp3Url });
    expect(started.status).toBe(201);
    expect(started.body).toMatchObject({ kind: 'relay', state: 'live', streamUrl: mp3Url, micPath: null, priority: 'priority' });
    expect(await ok('admin', 'GET', `/api/v1/alerts/${started.body.alertId}`)).toMatchObject({ status: 'active', source: 'relay', streamUrl: mp3Url, priority: 'priority' });
    expect(await ok('op-a', 'POST', `/api/v1/live/${started.body.id}/stop`)).toMatchObject({ state: 'ended', endReason: 'stopped' });
    expect((await ok('admin', 'GET', `/api/v1/alerts/${started.body.alertId}`)).status).toBe('cancelled');
  }, 30_000);

  it('ends a session whose microphone dropped for longer than the grace period, and one whose alert was cancelled', async () => {
    const session = (await startMic('op-a')).body;
    const ws = await openMic(session, 'op-a');
    await speak(ws, webm.subarray(0, 4000));
    ws.terminate();
    const ended = await until('the session to end after the grace period', () => ok<LiveSessionView>('op-a', 'GET', `/api/v1/live/${session.id}`), (s) => s.state === 'ended', 30_000);
    expect(ended.endReason).toBe('mic_lost');
    expect((await ok('admin', 'GET', `/api/v1/alerts/${session.alertId}`)).status).toBe('cancelled');

    const other = (await startMic('op-a')).body;
    await ok('admin', 'POST', `/api/v1/alerts/${other.alertId}/cancel`);
    expect(await ok('op-a', 'GET', `/api/v1/live/${other.id}`)).toMatchObject({ state: 'ended', endReason: 'alert_ended' });
  }, 60_000);

  it('holds an emergency for a second person under the two-person rule', async () => {
    const rules = await ok('admin', 'GET', '/api/v1/settings/approval');
    await ok('admin', 'PUT', '/api/v1/settings/approval', { ...rules, emergency: { ...rules.emergency, twoPerson: true } });
    const session = (await startMic('op-a')).body;
    expect(session.state).toBe('awaiting_approval');
    expect((await ok('admin', 'GET', `/api/v1/alerts/${session.alertId}`)).status).toBe('pending');
    await ok('admin', 'POST', `/api/v1/alerts/${session.alertId}/confirm`);
    expect((await ok<LiveSessionView>('op-a', 'GET', `/api/v1/live/${session.id}`)).state).toBe('waiting_for_mic');
    await ok('op-a', 'POST', `/api/v1/live/${session.id}/stop`);
  });
});
