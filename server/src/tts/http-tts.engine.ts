import { rm, writeFile } from 'node:fs/promises';
import type { Clock } from '../common/clock.js';
import type { HttpTtsSettings } from '../config/tts-settings.js';
import { failureOf, type MediaTools } from '../media/media-tools.js';
import { splitForSynthesis } from './vi-normalize.js';
import { TtsEngineError, type SynthesisRequest, type SynthesisResult, type TtsEngine } from './tts-engine.js';
import { isWav } from './wav.js';

const PLACEHOLDER = /\{\{\s*(text|voice|accent|speed)\s*\}\}/g;

type Values = Record<'text' | 'voice' | 'accent' | 'speed', string | number>;

function fill(template: string, values: Values, encode: (s: string) => string = (s) => s): string {
  return template.replace(PLACEHOLDER, (_m, key: keyof Values) => encode(String(values[key])));
}

function fillJson(node: unknown, values: Values): unknown {
  if (typeof node === 'string') {
    const exact = /^\{\{\s*speed\s*\}\}$/.exec(node);
    return exact ? values.speed : fill(node, values);
  }
  if (Array.isArray(node)) return node.map((n) => fillJson(n, values));
  if (node !== null && typeof node === 'object') return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, fillJson(v, values)]));
  return node;
}

export function getPath(obj: unknown, dotPath: string): unknown {
  let cur: unknown = obj;
  for (const key of dotPath.split('.').filter((k) => k !== '')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = Array.isArray(cur) && /^\d+$/.test(key) ? cur[Number(key)] : (cur as Record<string, unknown>)[key];
  }
  return cur;
}

const TO_WAV_TIMEOUT_MS = 120_000;

const snippet = (s: string): string => (s.length > 300 ? `${s.slice(0, 300)}…` : s).replace(/\s+/g, ' ').trim();

/**
 * Commercial Vietnamese voices (FPT.AI, Viettel AI, Zalo AI… any HTTP API) configured without code: URL, method,
 * headers, body template and voice map come from settings; the answer is either audio bytes or JSON naming the
 * audio (URL or base64) at a configured path. Whatever format comes back is converted to WAV with ffmpeg.
 */
export class HttpTtsEngine implements TtsEngine {
  readonly name = 'http';
  private readonly jsonTemplate: unknown;

  constructor(
    private readonly settings: HttpTtsSettings,
    private readonly tools: MediaTools,
    private readonly clock: Clock,
  ) {
    this.jsonTemplate = parseJsonOrUndefined(settings.bodyTemplate);
  }

  /** The vendor's voice id for these options (throws naming the missing LOA_TTS_HTTP_VOICE_MAP key). */
  vendorVoice(request: Pick<SynthesisRequest, 'voice' | 'accent'>): string {
    const key = `${request.voice}-${request.accent}`;
    const map = this.settings.voiceMap;
    if (Object.keys(map).length === 0) return key;
    const id = map[key] ?? map[request.voice];
    if (id === undefined) throw new TtsEngineError(`LOA_TTS_HTTP_VOICE_MAP has no voice for "${key}" (known: ${Object.keys(map).join(', ')})`);
    return id;
  }

  async synthesize(request: SynthesisRequest, outFile: string): Promise<SynthesisResult> {
    const started = performance.now();
    const voice = this.vendorVoice(request);
    const chunks = splitForSynthesis(request.text, this.settings.maxChars);
    if (chunks.length === 0) throw new TtsEngineError('nothing to say: the text is empty after normalisation');
    const deadline = this.clock.now() + this.settings.timeoutMs * chunks.length;
    const parts: string[] = [];
    try {
      for (const [i, chunk] of chunks.entries()) {
        const audio = await this.fetchAudio({ text: chunk, voice, accent: request.accent, speed: request.speed }, deadline);
        if (chunks.length === 1 && isWav(audio)) {
          await writeFile(outFile, audio);
          return { file: outFile, chunks: 1, elapsedMs: Math.round(performance.now() - started) };
        }
        const part = `${outFile}.part${i}`;
        parts.push(part);
        await writeFile(part, audio);
      }
      await this.toWav(parts, outFile);
      return { file: outFile, chunks: chunks.length, elapsedMs: Math.round(performance.now() - started) };
    } finally {
      await Promise.all(parts.map((p) => rm(p, { force: true })));
    }
  }

  private async fetchAudio(values: Values, deadline: number): Promise<Buffer> {
    const s = this.settings;
    const headers = Object.fromEntries(Object.entries(s.headers).map(([k, v]) => [k, fill(v, values)]));
    const contentTypeKey = Object.keys(headers).find((k) => k.toLowerCase() === 'content-type');
    const contentType = contentTypeKey ? (headers[contentTypeKey] ?? '') : '';
    let body: string | undefined;
    if (s.method !== 'GET' && s.bodyTemplate !== null) {
      if (this.jsonTemplate !== undefined) {
        body = JSON.stringify(fillJson(this.jsonTemplate, values));
        if (!contentTypeKey) headers['content-type'] = 'application/json';
      } else {
        body = fill(s.bodyTemplate, values, /x-www-form-urlencoded/i.test(contentType) ? encodeURIComponent : undefined);
        if (!contentTypeKey) headers['content-type'] = 'text/plain; charset=utf-8';
      }
    }
    const url = fill(s.url, values, encodeURIComponent);
    const res = await this.request(url, { method: s.method, headers, ...(body === undefined ? {} : { body }) }, deadline);
    const bytes = Buffer.from(await res.arrayBuffer());
    if (!res.ok) throw new TtsEngineError(`the TTS service answered ${res.status} ${res.statusText}: ${snippet(bytes.toString('utf8'))}`);
    const type = res.headers.get('content-type') ?? '';
    const looksJson = /json/i.test(type) || (!/^audio\//i.test(type) && /^\s*[{[]/.test(bytes.subarray(0, 16).toString('utf8')));
    if (!looksJson) {
      if (bytes.length === 0) throw new TtsEngineError('the TTS service answered with an empty body');
      return bytes;
    }
    let json: unknown;
    try {
      json = JSON.parse(bytes.toString('utf8'));
    } catch {
      throw new TtsEngineError(`the TTS service answered malformed JSON: ${snippet(bytes.toString('utf8'))}`);
    }
    if (!s.audioUrlPath) throw new TtsEngineError(`the TTS service answered JSON, not audio, and LOA_TTS_HTTP_AUDIO_URL_PATH is not set: ${snippet(bytes.toString('utf8'))}`);
    const found = getPath(json, s.audioUrlPath);
    if (typeof found !== 'string' || found === '') {
      throw new TtsEngineError(`the TTS service's answer has no audio at "${s.audioUrlPath}": ${snippet(bytes.toString('utf8'))}`);
    }
    if (!/^https?:\/\//i.test(found)) {
      const audio = Buffer.from(found.replace(/^data:[^,]*,/, ''), 'base64');
      if (audio.length === 0) throw new TtsEngineError(`"${s.audioUrlPath}" is neither an http(s) URL nor base64 audio`);
      return audio;
    }
    return this.download(found, deadline);
  }

  /** Vendors that answer at once with a URL (FPT.AI) may take a few seconds to put the file there: 404 is retried. */
  private async download(url: string, deadline: number): Promise<Buffer> {
    for (let attempt = 0; ; attempt++) {
      const res = await this.request(url, { method: 'GET' }, deadline);
      const bytes = Buffer.from(await res.arrayBuffer());
      if (res.ok && bytes.length > 0) return bytes;
      if ((res.status === 404 || res.status === 202 || (res.ok && bytes.length === 0)) && this.clock.now() + 500 < deadline) {
        await new Promise((r) => setTimeout(r, Math.min(2000, 200 * 2 ** attempt)));
        continue;
      }
      throw new TtsEngineError(`the audio at ${url} could not be downloaded: ${res.status} ${res.statusText}`);
    }
  }

  private async request(url: string, init: RequestInit, deadline: number): Promise<Response> {
    const remaining = Math.max(1, deadline - this.clock.now());
    try {
      return await fetch(url, { ...init, signal: AbortSignal.timeout(remaining) });
    } catch (err) {
      const e = err as Error;
      const why = e.name === 'TimeoutError' ? `no answer within ${Math.round(this.settings.timeoutMs / 1000)} s` : `${e.message}${e.cause instanceof Error ? ` (${e.cause.message})` : ''}`;
      throw new TtsEngineError(`the TTS service at ${new URL(url).origin} could not be reached: ${why}`);
    }
  }

  /** Any audio the vendor sends (WAV, MP3, OGG…), one file or several, becomes one mono 16-bit WAV. */
  private async toWav(inputs: string[], outFile: string): Promise<void> {
    const args = ['-hide_banner', '-loglevel', 'error', '-y'];
    for (const i of inputs) args.push('-i', i);
    const pre = inputs.map((_, i) => `[${i}:a]aresample=44100,aformat=sample_fmts=s16:channel_layouts=mono[a${i}]`).join(';');
    const filter = `${pre};${inputs.map((_, i) => `[a${i}]`).join('')}concat=n=${inputs.length}:v=0:a=1[out]`;
    args.push('-filter_complex', filter, '-map', '[out]', '-c:a', 'pcm_s16le', outFile);
    const failure = await failureOf(this.tools.ffmpeg(args, { timeoutMs: TO_WAV_TIMEOUT_MS }), TO_WAV_TIMEOUT_MS);
    if (failure !== null) throw new TtsEngineError(`the TTS service's audio could not be decoded: ${snippet(failure)}`);
  }
}

function parseJsonOrUndefined(s: string | null): unknown {
  if (s === null) return undefined;
  try {
    const v: unknown = JSON.parse(s);
    return v !== null && typeof v === 'object' ? v : undefined;
  } catch {
    return undefined;
  }
}
