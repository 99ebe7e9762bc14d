/**
 * Issue 18, live voice end to end: an operator speaks from the dashboard ("Phát trực tiếp") in a real Chromium whose
 * microphone is a WAV file (`--use-file-for-fake-audio-capture`), the server carries it, and a real `loa-agent`
 * speaker, writing its output to a WAV file, plays it; the bulletin the speaker was playing is preempted and resumes
 * after the operator stops.
 *
 * Mouth-to-speaker latency: the fake microphone says six tone bursts, each at its own frequency (so a burst heard
 * at the speaker is matched to the very burst spoken, whatever the delay). In the page, a ScriptProcessor on the
 * same microphone track stamps each burst's onset with the wall clock (the "mouth": when the sound entered the
 * browser's capture pipeline); beside it, this test reads the agent's output file as the agent's ffmpeg writes it
 * (every packet flushed, as a sound card takes it) and stamps each burst's onset there (the "speaker"). Same machine,
 * same clock. The number includes: MediaRecorder's Opus encoding and 100 ms chunking, the WebSocket, the server's
 * decode and MP3 encode, the HTTP fan-out, the agent's fetch and decode and the write to its output. It excludes a
 * sound card's own buffer and the air. Precision: ±15 ms (one analysis block on each side, one 20 ms poll).
 */
import { jest } from '@jest/globals';
import { execFile } from 'node:child_process';
import { openSync, readSync, closeSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import ffmpeg from '@ffmpeg-installer/ffmpeg';
import { chromium, type Browser } from 'playwright-core';
import { WavFollower, dominant } from '../bench/lib/wav-follower.js';
import { ADMIN_PASSWORD, ADMIN_USERNAME, artifactsDir, loa, makeTone, spawnAgent, spawnServer, stopAll, tempDir, waitFor, type TestServer } from './support/index.js';

jest.setTimeout(240_000);

const SUITE = 'live';
const CHROMIUM = process.env.LOA_E2E_CHROMIUM ?? '/usr/bin/chromium';
const run = promisify(execFile);

/** Burst k: FREQS[k] Hz for BURST_S, starting at LEAD_S + k × EVERY_S into the microphone file. */
const FREQS = [600, 900, 1200, 1500, 1800, 2100];
const LEAD_S = 4;
const EVERY_S = 1.5;
const BURST_S = 0.3;
/** Onset when a 512-sample block's RMS passes ON; the burst is over after 100 ms below OFF. */
const ON = 0.02;
const OFF = 0.005;

interface Onset {
  at: number;
  freq: number;
}

/** The microphone: silence, then the bursts (mono, 48 kHz, 16 bit), made with ffmpeg. */
async function makeBurstWav(file: string): Promise<string> {
  const total = LEAD_S + FREQS.length * EVERY_S + 1;
  const tones = FREQS.map((f, k) => `between(t,${LEAD_S + k * EVERY_S},${LEAD_S + k * EVERY_S + BURST_S})*0.5*sin(2*PI*${f}*t)`).join('+');
  await run(ffmpeg.path, ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', `aevalsrc='${tones}':s=48000:d=${total}`, '-ac', '1', '-c:a', 'pcm_s16le', file]);
  return file;
}


/** The same detector, as a page script: wraps getUserMedia so the page's own microphone track is analysed. */
const PAGE_DETECTOR = `(() => {
  const FREQS = ${JSON.stringify(FREQS)};
  const dominant = ${dominant.toString()};
  window.__onsets = [];
  const original = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  navigator.mediaDevices.getUserMedia = async (constraints) => {
    const stream = await original(constraints);
    const ctx = new AudioContext();
    const proc = ctx.createScriptProcessor(512, 1, 1);
    let inBurst = false;
    let quiet = 0;
    let onset = null;
    proc.onaudioprocess = (e) => {
      const now = Date.now();
      const x = e.inputBuffer.getChannelData(0);
      let sum = 0;
      for (let i = 0; i < x.length; i++) sum += x[i] * x[i];
      const rms = Math.sqrt(sum / x.length);
      // The frequency from the block after the onset, which the tone fills (the onset block may hold a few samples).
      if (onset) {
        window.__onsets.push({ at: onset, freq: dominant(x, ctx.sampleRate, FREQS) });
        onset = null;
      }
      if (!inBurst && rms > ${ON}) {
        inBurst = true;
        quiet = 0;
        // The block ended now; its first sample entered the pipeline one block earlier.
        onset = now - (x.length / ctx.sampleRate) * 1000;
      } else if (inBurst && rms < ${OFF}) {
        quiet += x.length;
        if (quiet > ctx.sampleRate * 0.1) inBurst = false;
      } else if (inBurst) quiet = 0;
    };
    ctx.createMediaStreamSource(stream).connect(proc);
    proc.connect(ctx.destination);
    window.__detector = { ctx, proc };
    return stream;
  };
})();`;


describe('live microphone from the dashboard to a real speaker', () => {
  let server: TestServer;
  let browser: Browser;
  let micWav: string;
  const out = tempDir('live-out');
  let agent: Awaited<ReturnType<typeof spawnAgent>>;
  let page: Awaited<ReturnType<Browser['newPage']>>;

  beforeAll(async () => {
    micWav = await makeBurstWav(path.join(tempDir('live-mic'), 'bursts.wav'));
    server = await spawnServer({ suite: SUITE, env: { LOA_HEARTBEAT_TIMEOUT_S: '60' } });
    await loa.createArea(server.api, { code: '01', name: 'Thành phố Hà Nội', level: 'province' });
    await loa.createArea(server.api, { code: '09955', name: 'Xã Tây Đằng', level: 'commune', parentCode: '01' });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync',
        '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-audio-capture=${micWav}%noloop`, '--autoplay-policy=no-user-gesture-required',
      ],
    });
  });

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await stopAll();
  });

  it('carries the operator’s voice to the speaker within the latency target, then the bulletin resumes', async () => {
    const { api } = server;
    const device = await loa.createDevice(api, { id: 'loa-taydang-01', name: 'Cụm loa thôn Yên Thịnh', kind: 'speaker', areaCode: '09955' });
    agent = await spawnAgent({
      suite: SUITE, serverUrl: server.baseUrl, mqttUrl: server.mqttUrl, deviceId: device.device.id, secret: device.secret, kind: 'speaker',
      audioOutput: `file:${out}/{occurrenceId}-{seq}.wav`,
    });

    // A bulletin is playing when the officer starts speaking.
    const media = await loa.uploadAudio(api, await makeTone(path.join(tempDir('live-media'), 'ban-tin.mp3'), 30, 330));
    const content = await loa.createAudioContent(api, 'Bản tin sáng', media.sha256);
    const schedule = await loa.createSchedule(api, { contentId: content.id, startAt: new Date(Date.now() + 6000).toISOString(), targets: { areas: ['09955'] }, priority: 'normal' });
    await waitFor(async () => (await loa.deliveries(api, schedule.id)).find((d) => d.state === 'started'), 30_000, { what: 'the bulletin playing', intervalMs: 100 });

    page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    await page.addInitScript(PAGE_DETECTOR);
    await page.goto(server.baseUrl, { waitUntil: 'domcontentloaded' });
    await page.fill('input[name=username]', ADMIN_USERNAME);
    await page.fill('input[name=password]', ADMIN_PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForSelector('[data-testid=logout]');
    await page.goto(`${server.baseUrl}/#/live`);
    await page.waitForSelector('[data-testid=live-page]');
    await page.selectOption('#live-area', '09955');
    await page.fill('[data-testid=live-title]', 'UBND xã thông báo khẩn');
    await page.click('[data-testid=live-start]');
    const onAir = await page.waitForSelector('[data-testid=live-on-air][data-mic=sending]', { timeout: 20_000 });
    const sessionId = (await onAir.getAttribute('data-session-id'))!;
    await page.screenshot({ path: path.join(artifactsDir(SUITE), '01-on-air-390px.png'), fullPage: true });
    const session = await api.get<{ alertId: string; state: string }>(`/api/v1/live/${sessionId}`);
    expect(session.state).toBe('live');

    // The speaker plays the alert's stream into its own output file; follow it as it is written.
    const liveFile = await waitFor(() => readdirSync(out).find((f) => f.includes(session.alertId)), 30_000, { what: 'the speaker playing the live stream', intervalMs: 20 });
    const follower = new WavFollower(path.join(out, liveFile), FREQS);
    follower.start();
    try {
      // Every burst spoken after the speaker joined is heard: wait for the last one at the speaker.
      await waitFor(() => follower.onsets.some((o) => o.freq === FREQS.at(-1)), 60_000, { what: 'the last burst at the speaker', intervalMs: 50 });
    } finally {
      follower.stop();
    }
    const spoken = await page.evaluate<Onset[]>('window.__onsets');
    expect(spoken.map((o) => o.freq)).toEqual(FREQS);
    const heard = follower.onsets;
    const latencies = heard.map((h) => h.at - (spoken.find((s) => s.freq === h.freq)?.at ?? NaN)).sort((a, b) => a - b);
    const median = latencies[Math.floor(latencies.length / 2)]!;
    // eslint-disable-next-line no-console
    console.log(
      `live voice mouth-to-speaker latency over ${latencies.length} bursts: median ${Math.round(median)} ms, min ${Math.round(latencies[0]!)} ms, max ${Math.round(latencies.at(-1)!)} ms ` +
        `(each: ${heard.map((h) => `${h.freq} Hz ${Math.round(h.at - (spoken.find((s) => s.freq === h.freq)?.at ?? NaN))} ms`).join(', ')})`,
    );
    // Each burst heard once, in order (no repeats from a backlog, nothing garbled into another frequency).
    expect(heard.map((o) => o.freq)).toEqual(FREQS.slice(FREQS.length - heard.length));
    expect(heard.length).toBeGreaterThanOrEqual(4);
    expect(latencies[0]).toBeGreaterThan(0);
    expect(median).toBeLessThanOrEqual(2000);

    // Stop: the session ends, its alert is withdrawn, and the bulletin continues where it was interrupted.
    await page.click('[data-testid=live-stop]');
    await page.waitForSelector(`[data-testid=live-session-row][data-session-id="${sessionId}"][data-state=ended]`, { timeout: 20_000 });
    expect((await api.get<{ status: string }>(`/api/v1/alerts/${session.alertId}`)).status).toBe('cancelled');
    await waitFor(() => agent.proc.stdout().includes('continuing preempted item'), 30_000, { what: 'the bulletin resumed' });
    const final = await waitFor(async () => (await loa.deliveries(api, schedule.id)).find((d) => d.state === 'finished' || d.state === 'failed' || d.state === 'preempted'), 60_000, { what: 'the bulletin ended' });
    expect(final.state).toBe('finished');
    // Resumed, not restarted: what was played adds up to the bulletin, once.
    expect(final.playedMs).toBeGreaterThan(28_000);
    expect(final.playedMs).toBeLessThan(32_000);
    // The recording is kept with the session.
    const kept = await waitFor(async () => (await api.get<{ recordingSha256: string | null }>(`/api/v1/live/${sessionId}`)).recordingSha256, 30_000, { what: 'the recording kept' });
    expect(kept).toMatch(/^[0-9a-f]{64}$/);
  });
  it('relays a station on demand from the same page, after its stream test, and stops it', async () => {
    const { api } = server;
    // The province station: a real MP3 served as Icecast serves it; and an address where nothing listens.
    const mp3 = readFileSync(await makeTone(path.join(tempDir('live-station'), 'dai-tinh.mp3'), 30, 440));
    const station: Server = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'audio/mpeg' });
      res.end(mp3);
    });
    await new Promise<void>((r) => station.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(station.address() as AddressInfo).port}/dai-tinh.mp3`;
    try {
      await page.fill('[data-testid=relay-url]', 'http://127.0.0.1:9/khong-co');
      await page.click('[data-testid=relay-test]');
      await page.waitForSelector('[data-testid=relay-test-result][data-code=unreachable]', { timeout: 20_000 });
      expect(await page.isDisabled('[data-testid=relay-start]')).toBe(true);
      await page.fill('[data-testid=relay-url]', url);
      await page.click('[data-testid=relay-test]');
      await page.waitForSelector('[data-testid=relay-test-result][data-code=ok]', { timeout: 20_000 });
      expect(await page.textContent('[data-testid=relay-test-result]')).toContain('mp3');
      await page.click('[data-testid=relay-start]');
      const onAir = await page.waitForSelector('[data-testid=relay-on-air]', { timeout: 20_000 });
      await page.screenshot({ path: path.join(artifactsDir(SUITE), '02-relay-390px.png'), fullPage: true });
      const session = await api.get<{ alertId: string; streamUrl: string }>(`/api/v1/live/${await onAir.getAttribute('data-session-id')}`);
      expect(session.streamUrl).toBe(url);
      // The speaker fetches the station itself and plays it.
      const file = await waitFor(() => readdirSync(out).find((f) => f.includes(session.alertId)), 30_000, { what: 'the speaker relaying', intervalMs: 50 });
      await waitFor(() => statSync(path.join(out, file)).size > 48_000, 30_000, { what: 'relayed audio written', intervalMs: 50 });
      await page.click('[data-testid=relay-stop]');
      await waitFor(async () => (await api.get<{ status: string }>(`/api/v1/alerts/${session.alertId}`)).status === 'cancelled', 20_000, { what: 'the relay alert cancelled' });
      await waitFor(() => agent.proc.stdout().includes(`"occurrenceId":"alert:${session.alertId}","playedMs"`), 20_000, { what: 'the speaker stopping the relay' });
    } finally {
      await new Promise((r) => station.close(r));
    }
  });
});
