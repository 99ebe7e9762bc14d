import { rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { splitForSynthesis } from './vi-normalize.js';
import { TtsEngineError, type SynthesisRequest, type SynthesisResult, type TtsAccent, type TtsEngine, type TtsVoice } from './tts-engine.js';
import { encodeWav } from './wav.js';
import { failureOf, type MediaTools } from '../media/media-tools.js';

/** eSpeak-NG voices of the bundled data (checked: aav/vi, aav/vi-VN-x-central, aav/vi-VN-x-south). */
export const ESPEAK_ACCENT_VOICES: Record<TtsAccent, string> = { north: 'vi', central: 'vi-vn-x-central', south: 'vi-vn-x-south' };
/** eSpeak variants (espeak-ng-data/voices/!v) giving a male or female timbre. */
export const ESPEAK_VOICE_VARIANTS: Record<TtsVoice, string> = { male: 'm3', female: 'f3' };
/** eSpeak's normal rate (words per minute) and its limits. */
export const ESPEAK_NORMAL_WPM = 175;
const MIN_WPM = 80;
const MAX_WPM = 450;
/**
 * eSpeak's formant speech is very spiky: about 20 dB between true peak and integrated loudness (and it clips), so
 * the media pipeline cannot reach -16 LUFS under a -1.5 dBTP ceiling with one gain and falls back to dynamic
 * normalisation that lands 1.5 LU short. A fast limiter (ceiling -10.5 dBFS, 1 ms attack) brings that to ~14 dB,
 * inaudible on speech, and the pipeline then normalises linearly to the target. Measured in test/tts-api.spec.ts.
 */
export const PEAK_LIMITER = 'alimiter=limit=0.3:attack=1:release=30:level=false';
/** eSpeak is fast; chunks only keep each worker call (and message) moderate. */
const CHUNK_CHARS = 2000;
const LIMITER_TIMEOUT_MS = 120_000;

export function espeakVoiceName(voice: TtsVoice, accent: TtsAccent): string {
  return `${ESPEAK_ACCENT_VOICES[accent]}+${ESPEAK_VOICE_VARIANTS[voice]}`;
}

export function espeakRate(speed: number): number {
  return Math.round(Math.min(MAX_WPM, Math.max(MIN_WPM, ESPEAK_NORMAL_WPM * speed)));
}

interface WorkerJob {
  id: number;
  chunks: string[];
  voice: string;
  rate: number;
}
type WorkerAnswer = { id: number; ok: true; sampleRate: number; pcm: Int16Array } | { id: number; ok: false; error: string };

/**
 * Runs in a worker thread (plain JavaScript: it is not compiled, so it works the same from dist/ and under Jest).
 * Loads the Emscripten module once, then synthesises jobs one after another.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const ready = import(workerData.moduleUrl).then(async (m) => {
  const mod = await m.default();
  return new mod.eSpeakNGWorker();
});
let lastVoice = null;
parentPort.on('message', async (job) => {
  try {
    const espeak = await ready;
    if (job.voice !== lastVoice) { espeak.set_voice(job.voice); lastVoice = job.voice; }
    espeak.set_rate(job.rate);
    const parts = [];
    let total = 0;
    for (const chunk of job.chunks) {
      espeak.synthesize(chunk, (samples) => { if (samples && samples.length) { parts.push(samples); total += samples.length; } return false; });
    }
    const pcm = new Int16Array(total);
    let off = 0;
    for (const p of parts) { pcm.set(p, off); off += p.length; }
    parentPort.postMessage({ id: job.id, ok: true, sampleRate: espeak.get_samplerate(), pcm }, [pcm.buffer]);
  } catch (err) {
    lastVoice = null;
    parentPort.postMessage({ id: job.id, ok: false, error: String(err && err.message || err) });
  }
});
`;

/**
 * The offline default: eSpeak-NG compiled to WebAssembly (GPL-3.0), Vietnamese voices, in one worker thread so the
 * event loop never waits for synthesis. Jobs queue in the worker; the worker is started on first use and does not
 * keep the process alive.
 */
export class EspeakEngine implements TtsEngine {
  readonly name = 'espeak';
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, { worker: Worker; resolve: (a: WorkerAnswer) => void; reject: (e: Error) => void }>();

  constructor(
    private readonly tools: MediaTools,
    private readonly options: {
      timeoutMsPerChar?: number;
      baseTimeoutMs?: number;
      /** Tame eSpeak's spiky peaks (see PEAK_LIMITER); off gives the synthesiser's raw output. */
      peakLimit?: boolean;
    } = {},
  ) {}

  async synthesize(request: SynthesisRequest, outFile: string): Promise<SynthesisResult> {
    const started = performance.now();
    const chunks = splitForSynthesis(request.text, CHUNK_CHARS);
    if (chunks.length === 0) throw new TtsEngineError('nothing to say: the text is empty after normalisation');
    const answer = await this.run({ chunks, voice: espeakVoiceName(request.voice, request.accent), rate: espeakRate(request.speed) }, request.text.length);
    if (!answer.ok) throw new TtsEngineError(`eSpeak-NG failed: ${answer.error}`);
    if (answer.pcm.length === 0) throw new TtsEngineError('eSpeak-NG produced no audio');
    const wav = encodeWav({ sampleRate: answer.sampleRate, channels: 1, samples: answer.pcm });
    if (this.options.peakLimit === false) await writeFile(outFile, wav);
    else await this.limitPeaks(wav, outFile);
    return { file: outFile, chunks: chunks.length, elapsedMs: Math.round(performance.now() - started) };
  }

  /** Runs the raw WAV through PEAK_LIMITER (ffmpeg, a child process) into outFile. */
  private async limitPeaks(wav: Buffer, outFile: string): Promise<void> {
    const raw = `${outFile}.raw.wav`;
    await writeFile(raw, wav);
    try {
      const args = ['-hide_banner', '-loglevel', 'error', '-y', '-i', raw, '-af', PEAK_LIMITER, '-c:a', 'pcm_s16le', outFile];
      const failure = await failureOf(this.tools.ffmpeg(args, { timeoutMs: LIMITER_TIMEOUT_MS }), LIMITER_TIMEOUT_MS);
      if (failure !== null) throw new TtsEngineError(`could not condition eSpeak-NG's audio: ${failure}`);
    } finally {
      await rm(raw, { force: true });
    }
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    if (w) await w.terminate();
  }

  private run(job: Omit<WorkerJob, 'id'>, chars: number): Promise<WorkerAnswer> {
    const worker = this.ensureWorker();
    const id = this.nextId++;
    const timeoutMs = (this.options.baseTimeoutMs ?? 30_000) + chars * (this.options.timeoutMsPerChar ?? 20);
    return new Promise<WorkerAnswer>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new TtsEngineError(`eSpeak-NG did not finish within ${Math.round(timeoutMs / 1000)} s`));
        // A stuck synthesis cannot be interrupted: start afresh next time.
        if (this.worker === worker) this.worker = null;
        void worker.terminate();
      }, timeoutMs);
      this.pending.set(id, {
        worker,
        resolve: (a) => {
          clearTimeout(timer);
          resolve(a);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      worker.ref();
      worker.postMessage({ ...job, id } satisfies WorkerJob);
    });
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const moduleUrl = pathToFileURL(createRequire(import.meta.url).resolve('@echogarden/espeak-ng-emscripten')).href;
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { moduleUrl } });
    worker.on('message', (a: WorkerAnswer) => {
      const p = this.pending.get(a.id);
      this.pending.delete(a.id);
      if (![...this.pending.values()].some((q) => q.worker === worker)) worker.unref();
      p?.resolve(a);
    });
    const fail = (err: Error): void => {
      if (this.worker === worker) this.worker = null;
      for (const [id, p] of this.pending) {
        if (p.worker !== worker) continue;
        this.pending.delete(id);
        p.reject(new TtsEngineError(`eSpeak-NG worker stopped: ${err.message}`));
      }
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`exit code ${code}`)));
    worker.unref();
    this.worker = worker;
    return worker;
  }
}
