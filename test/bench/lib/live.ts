// Scenario `live` (issue 18): live-voice latency end to end without a browser. The bench plays the operator: it starts
// a microphone session over REST, streams PCM over the mic WebSocket at the pace of the clock, and one real
// `loa-agent` speaker writes what it plays to a WAV file, which is followed as it grows. Same machine, same clock.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import WebSocket from 'ws';
import type { LoaApi } from '@loa/e2e/sim/dist/index.js';
import { AGENT_CLI, REPO, type LoaServer } from './loa-server.js';
import { round } from './proc.js';
import { WavFollower } from './wav-follower.js';

/** What the microphone sends: s16le mono 48 kHz, in 20 ms chunks (as an AudioWorklet would post them). */
const RATE = 48_000;
const CHUNK_SAMPLES = RATE / 50;
/** The operator's first words: a steady tone from the moment the microphone is ready, so "click to first sound" is
 * when the speaker first makes a sound, not when the next burst happens to come. Not one of the burst frequencies. */
const OPENING_HZ = 400;
/** Burst k is BURST_FREQS[k] Hz: a burst heard at the speaker is matched to the very burst sent, whatever the delay. */
const BURST_FREQS = [600, 900, 1200, 1500, 1800, 2100, 2400, 2700];
const BURST_S = 0.3;
/** Silence between the opening words and the first burst: long enough for the detector to see the words end. */
const GAP_S = 0.6;

export interface LiveOptions {
  /** Seconds of opening words: they must outlast the alert's lead (LOA_ALERT_LEAD_MS) and the agent's player start. */
  openingS: number;
  bursts: number;
  /** Seconds from one burst's start to the next. */
  everyS: number;
}

export interface LiveResult {
  /** Bursts sent, and heard at the speaker (matched by frequency). */
  sent: number;
  heard: number;
  /** Per heard burst: its first sample at the speaker − the send of the chunk holding its first sample (ms). */
  latenciesMs: number[];
  medianMs: number | null;
  maxMs: number | null;
  /** POST /api/v1/live sent → the first audible sample in the agent's output (includes the alert's start lead). */
  clickToFirstSoundMs: number | null;
  /** Whether that first sound was the opening words (else the speaker joined late, at a burst). */
  firstSoundWasOpening: boolean;
  /** The alert's start lead as the server gave it (effectiveAt − the POST's send), ms. */
  alertLeadMs: number | null;
  /** POST /api/v1/live answered (ms) and the microphone socket ready after it (ms). */
  apiMs: number;
  micReadyMs: number;
  /** The session stopped through POST /stop, read back as ended (reason `stopped`) with its alert cancelled. */
  ended: boolean;
}

/** The microphone's signal, sample by sample: opening words, silence, then the bursts. */
function micSignal(o: LiveOptions): { samples: Int16Array; burstStarts: number[] } {
  const open = Math.round(o.openingS * RATE);
  // Every burst starts on a chunk boundary, so "the chunk holding its first sample" is sent with that sample first.
  const align = (n: number) => Math.ceil(n / CHUNK_SAMPLES) * CHUNK_SAMPLES;
  const first = align(open + GAP_S * RATE);
  const burstStarts = BURST_FREQS.slice(0, o.bursts).map((_, k) => align(first + k * o.everyS * RATE));
  const total = align((burstStarts.at(-1) ?? first) + (BURST_S + 0.5) * RATE);
  const samples = new Int16Array(total);
  const tone = (from: number, n: number, hz: number) => {
    for (let i = 0; i < n && from + i < total; i++) samples[from + i] = Math.round(0.5 * 32767 * Math.sin((2 * Math.PI * hz * i) / RATE));
  };
  tone(0, open, OPENING_HZ);
  burstStarts.forEach((s, k) => tone(s, Math.round(BURST_S * RATE), BURST_FREQS[k] ?? 0));
  return { samples, burstStarts };
}

/** Opens the session's microphone socket as the dashboard does (subprotocols `loa.live` and `bearer.<token>`), PCM. */
function openMic(server: LoaServer, token: string, sessionId: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${server.httpUrl.replace(/^http/, 'ws')}/api/v1/live/${sessionId}/mic?format=pcm`, ['loa.live', `bearer.${token}`]);
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error('live: the microphone socket was not ready within 15 s'));
    }, 15_000);
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      const text = Buffer.isBuffer(data) ? data.toString() : Array.isArray(data) ? Buffer.concat(data).toString() : Buffer.from(data).toString();
      if ((JSON.parse(text) as { type?: string }).type !== 'ready') return;
      clearTimeout(timer);
      resolve(ws);
    });
    ws.once('close', (code, reason) => {
      clearTimeout(timer);
      reject(new Error(`live: the microphone socket closed before it was ready (${code} ${reason.toString()})`));
    });
    ws.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/**
 * Sends the signal in 20 ms chunks paced by the clock (chunk k at start + 20·k ms; a late timer sends what is due
 * at once, as a capture backlog would); returns the send time of every chunk.
 */
async function streamPaced(ws: WebSocket, samples: Int16Array): Promise<number[]> {
  const chunks = Math.ceil(samples.length / CHUNK_SAMPLES);
  const sentAt: number[] = [];
  const start = Date.now();
  while (sentAt.length < chunks) {
    if (ws.readyState !== WebSocket.OPEN) throw new Error('live: the microphone socket closed while streaming');
    const due = Math.min(chunks, Math.floor((Date.now() - start) / 20) + 1);
    while (sentAt.length < due) {
      const k = sentAt.length;
      const part = samples.subarray(k * CHUNK_SAMPLES, (k + 1) * CHUNK_SAMPLES);
      ws.send(Buffer.from(part.buffer, part.byteOffset, part.byteLength));
      sentAt.push(Date.now());
    }
    await new Promise((r) => setTimeout(r, Math.max(1, start + sentAt.length * 20 - Date.now())));
  }
  return sentAt;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, timeoutMs: number, done: () => boolean | Promise<boolean>, everyMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`live: timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/**
 * One real speaker in `areaCode` (its output a WAV file), one microphone session on that area (the server must run
 * without the two-person rule, as the bench's does), the signal streamed in real time, and the session stopped.
 */
export async function measureLive(server: LoaServer, api: LoaApi, areaCode: string, dir: string, o: LiveOptions, log: (s: string) => void, track: (c: ChildProcess) => void): Promise<LiveResult> {
  const out = path.join(dir, 'live-out');
  mkdirSync(out, { recursive: true });
  const wav = path.join(out, 'live.wav');
  const id = `bench-live-${randomBytes(3).toString('hex')}`;
  const { secret } = await api.request<{ secret: string }>('POST', '/api/v1/devices', { id, name: 'Bench live speaker', kind: 'speaker', areaCode }, [201]);
  const { publicKey } = await api.request<{ publicKey: string }>('GET', '/api/v1/signing-key');
  const child = spawn(
    process.execPath,
    [AGENT_CLI, `--server-url=${server.httpUrl}`, `--mqtt-url=${server.mqttUrl}`, `--device-id=${id}`, `--secret=${secret}`, `--server-public-key=${publicKey}`, '--kind=speaker', `--audio-output=file:${wav}`, `--data-dir=${path.join(dir, 'live-agent')}`, '--log-level=info'],
    { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  track(child);
  let agentOut = '';
  child.stdout?.on('data', (d: Buffer) => (agentOut += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (agentOut += d.toString()));
  const exited = new Promise((r) => child.once('exit', r));
  const { samples, burstStarts } = micSignal(o);
  const follower = new WavFollower(wav, [OPENING_HZ, ...BURST_FREQS.slice(0, o.bursts)]);
  let ws: WebSocket | null = null;
  try {
    // Connected with its timeline stored: it follows its area's alert channel from then on.
    const device = () => api.request<{ timelineVersion: number; ackedTimelineVersion: number }>('GET', `/api/v1/devices/${id}`);
    await until('the live speaker connected', 30_000, () => agentOut.includes('"msg":"connected to broker"'), 100);
    await until('the live speaker acked its timeline', 30_000, async () => {
      const d = await device();
      return d.ackedTimelineVersion >= d.timelineVersion && d.ackedTimelineVersion > 0;
    }, 100);
    follower.start();

    const click = Date.now();
    const session = await api.request<{ id: string; alertId: string; state: string }>('POST', '/api/v1/live', { kind: 'mic', areaCode, priority: 'emergency', title: 'Bench: phát trực tiếp', maxDurationS: 60 }, [201]);
    const apiMs = Date.now() - click;
    if (session.state !== 'waiting_for_mic') throw new Error(`live: the session is ${session.state}, not waiting_for_mic (is the two-person rule on?)`);
    ws = await openMic(server, api.token, session.id);
    const micReadyMs = Date.now() - click;
    const alert = await api.request<{ effectiveAt: string | null }>('GET', `/api/v1/alerts/${session.alertId}`).catch(() => null);
    const alertLeadMs = alert?.effectiveAt ? Date.parse(alert.effectiveAt) - click : null;
    log(`live: session ${session.id} on air (POST answered after ${apiMs} ms, microphone ready after ${micReadyMs} ms); streaming ${round(samples.length / RATE, 1)} s of PCM`);
    const sentAt = await streamPaced(ws, samples);
    const burstSentAt = burstStarts.map((s) => sentAt[s / CHUNK_SAMPLES] ?? NaN);
    // The last burst (or, if the speaker lost it, its time plus a bound) reaches the speaker after the stream's delay.
    const lastFreq = BURST_FREQS[o.bursts - 1];
    await until('the last burst at the speaker', 10_000, () => follower.onsets.some((x) => x.freq === lastFreq), 50).catch((err: Error) => log(err.message));

    const stopped = await api.request<{ state: string; endReason: string | null }>('POST', `/api/v1/live/${session.id}/stop`, {}, [200]);
    const view = await api.request<{ state: string; endReason: string | null }>('GET', `/api/v1/live/${session.id}`);
    const alertAfter = await api.request<{ status: string }>('GET', `/api/v1/alerts/${session.alertId}`);
    const ended = stopped.state === 'ended' && view.state === 'ended' && view.endReason === 'stopped' && alertAfter.status === 'cancelled';
    if (!ended) log(`live: after stop the session is ${view.state} (${view.endReason}), its alert ${alertAfter.status}`);

    const heardBursts: Array<{ freq: number; latencyMs: number }> = [];
    for (const h of follower.onsets) {
      const k = BURST_FREQS.indexOf(h.freq);
      if (k < 0 || k >= o.bursts || heardBursts.some((b) => b.freq === h.freq)) continue;
      heardBursts.push({ freq: h.freq, latencyMs: Math.round(h.at - (burstSentAt[k] ?? NaN)) });
    }
    const latencies = heardBursts.map((b) => b.latencyMs).sort((a, b) => a - b);
    const firstSound = follower.onsets[0];
    log(
      `live: ${heardBursts.length}/${o.bursts} bursts heard (${heardBursts.map((b) => `${b.freq} Hz ${b.latencyMs} ms`).join(', ') || 'none'}); ` +
        `first sound ${firstSound ? `${Math.round(firstSound.at - click)} ms after the click (${firstSound.freq} Hz)` : 'never'}`,
    );
    return {
      sent: o.bursts,
      heard: heardBursts.length,
      latenciesMs: latencies,
      medianMs: latencies.length > 0 ? (latencies[Math.floor(latencies.length / 2)] ?? null) : null,
      maxMs: latencies.at(-1) ?? null,
      clickToFirstSoundMs: firstSound ? Math.round(firstSound.at - click) : null,
      firstSoundWasOpening: firstSound?.freq === OPENING_HZ,
      alertLeadMs,
      apiMs,
      micReadyMs,
      ended,
    };
  } finally {
    follower.stop();
    ws?.terminate();
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}

export function liveRows(l: LiveResult): Array<{ scenario: string; metric: string; loa: number | null; raw: null; ratio: null; target: string }> {
  const row = (metric: string, v: number | null, target = '') => ({ scenario: '18 live voice', metric, loa: v, raw: null, ratio: null, target });
  return [
    row(`live voice latency median (ms), ${l.heard}/${l.sent} bursts, PCM mic → real agent's output`, l.medianMs, '≤ 2000'),
    row('live voice latency max (ms)', l.maxMs, '≤ 2000'),
    row(`click to first sound (ms): POST /live → first audible sample${l.firstSoundWasOpening ? '' : ' (joined late: at a burst)'}`, l.clickToFirstSoundMs),
    row('  of which the alert’s start lead (ms)', l.alertLeadMs === null ? null : round(l.alertLeadMs, 0)),
    row('session ended by stop, alert cancelled (1 = yes)', l.ended ? 1 : 0),
  ];
}
