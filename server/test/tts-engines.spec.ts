import ffmpegInstaller from '@ffmpeg-installer/ffmpeg';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Clock } from '../src/common/clock.js';
import { AppConfig, ConfigError } from '../src/config/app-config.js';
import { ChildProcessMediaTools } from '../src/media/media-tools.js';
import { EspeakEngine, espeakRate, espeakVoiceName } from '../src/tts/espeak.engine.js';
import { HttpTtsEngine } from '../src/tts/http-tts.engine.js';
import type { HttpTtsSettings } from '../src/config/tts-settings.js';
import { TtsEngineError, type SynthesisRequest } from '../src/tts/tts-engine.js';
import { normalizeVietnamese } from '../src/tts/vi-normalize.js';
import { encodeWav, wavDurationMs } from '../src/tts/wav.js';

/** Integrated loudness (LUFS) as ffmpeg's ebur128 filter measures it. */
function integratedLufs(file: string): Promise<number> {
  return new Promise((resolve, reject) => {
    execFile(ffmpegInstaller.path, ['-hide_banner', '-nostats', '-i', file, '-af', 'ebur128', '-f', 'null', '-'], (err, _out, stderr) => {
      if (err) return reject(err);
      const m = /Integrated loudness:\s*I:\s*(-?[\d.]+|-inf)\s*LUFS/.exec(String(stderr));
      resolve(m?.[1] === undefined || m[1] === '-inf' ? -Infinity : Number(m[1]));
    });
  });
}

const durationOf = (file: string): number => wavDurationMs(readFileSync(file)) ?? NaN;

const tools = new ChildProcessMediaTools();
const clock = new Clock();

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'loa-tts-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe(EspeakEngine.name, () => {
  const sut = new EspeakEngine(tools);
  afterAll(() => sut.close());
  const sentence = normalizeVietnamese('Ngày 07/9/2020, UBND Thành phố ban hành Kế hoạch số 179/KH-UBND về thông tin cơ sở.');
  const syllables = sentence.split(/\s+/).length;
  const req = (over: Partial<SynthesisRequest> = {}): SynthesisRequest => ({ text: sentence, voice: 'female', accent: 'north', speed: 1, ...over });

  it('maps options to eSpeak voices and rates', () => {
    expect(espeakVoiceName('male', 'north')).toBe('vi+m3');
    expect(espeakVoiceName('female', 'south')).toBe('vi-vn-x-south+f3');
    expect(espeakRate(1)).toBe(175);
    expect(espeakRate(0.5)).toBe(88);
    expect(espeakRate(2)).toBe(350);
  });

  it('speaks a Vietnamese sentence: plausible length per syllable, not silent, event loop free meanwhile', async () => {
    const out = path.join(dir, 'female.wav');
    let ticks = 0;
    const timer = setInterval(() => ticks++, 10);
    // How busy this thread's event loop was during the synthesis (time running callbacks against time waiting for
    // I/O): a share, not a wall-clock bound, so a loaded machine does not move it; synthesis on this thread
    // would keep it near 1.
    const before = performance.eventLoopUtilization();
    const result = await sut.synthesize(req(), out);
    const busy = performance.eventLoopUtilization(before).utilization;
    clearInterval(timer);
    const perSyllable = durationOf(out) / 1000 / syllables;
    expect(perSyllable).toBeGreaterThan(0.15);
    expect(perSyllable).toBeLessThan(0.6);
    expect(await integratedLufs(out)).toBeGreaterThan(-40);
    expect(result.chunks).toBe(1);
    expect(ticks).toBeGreaterThan(0);
    expect(busy).toBeLessThan(0.5);
  });

  it('sounds different for male and female voices and for the three accents', async () => {
    const files = await Promise.all(
      (
        [
          ['male', 'north'],
          ['female', 'north'],
          ['female', 'central'],
          ['female', 'south'],
        ] as const
      ).map(async ([voice, accent]) => {
        const f = path.join(dir, `${voice}-${accent}.wav`);
        await sut.synthesize(req({ voice, accent }), f);
        return readFileSync(f);
      }),
    );
    const [male, female, central, south] = files.map((b) => b.toString('base64'));
    expect(male).not.toBe(female);
    expect(central).not.toBe(female);
    expect(south).not.toBe(female);
  });

  it('speaks faster at speed 2 than at 1', async () => {
    const normal = path.join(dir, 'normal.wav');
    const fast = path.join(dir, 'fast.wav');
    await sut.synthesize(req({ speed: 1 }), normal);
    await sut.synthesize(req({ speed: 2 }), fast);
    expect(durationOf(fast)).toBeLessThan(durationOf(normal) * 0.75);
  });

  // Its speed is printed for the record; speed is the bench's business, not a pass/fail bound here.
  it('synthesises a 200-word bulletin in full', async () => {
    const seed = readFileSync(new URL('./fixtures/bulletin-kh179.txt', import.meta.url), 'utf8');
    const words = normalizeVietnamese(seed).split(/\s+/).slice(0, 200).join(' ');
    const out = path.join(dir, 'bulletin.wav');
    const result = await sut.synthesize(req({ text: words }), out);
    process.stdout.write(`[tts] 200-word bulletin: ${result.elapsedMs} ms synthesis, ${Math.round(durationOf(out) / 1000)} s of audio\n`);
    expect(durationOf(out)).toBeGreaterThan(200 * 150);
  });
});

describe(HttpTtsEngine.name, () => {
  interface Seen {
    method: string;
    url: string;
    headers: IncomingMessage['headers'];
    body: string;
  }
  let server: Server;
  let base: string;
  const seen: Seen[] = [];
  let handler: (req: IncomingMessage, res: ServerResponse, body: string) => void = () => undefined;
  const tone = (ms: number): Buffer => {
    const rate = 16000;
    const samples = new Int16Array(Math.round((rate * ms) / 1000)).map((_, i) => Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / rate)));
    return encodeWav({ sampleRate: rate, channels: 1, samples });
  };

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (body += c));
      req.on('end', () => {
        seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
        handler(req, res, body);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));
  beforeEach(() => {
    seen.length = 0;
  });

  const settings = (over: Partial<HttpTtsSettings> = {}): HttpTtsSettings => ({
    url: `${base}/tts`,
    method: 'POST',
    headers: { 'api-key': 'secret-key', voice: '{{voice}}' },
    bodyTemplate: '{"input":"{{text}}","speaker":"{{voice}}","region":"{{accent}}","speed":"{{speed}}"}',
    voiceMap: { 'female-north': 'banmai', 'male-north': 'leminh', female: 'lannhi' },
    audioUrlPath: null,
    timeoutMs: 5000,
    maxChars: 2000,
    ...over,
  });
  const req: SynthesisRequest = { text: 'xin chào bà con.', voice: 'female', accent: 'north', speed: 1.5 };

  it('sends headers, the filled body template and the mapped voice, and keeps a WAV answer as it is', async () => {
    const wav = tone(800);
    handler = (_req, res) => res.writeHead(200, { 'content-type': 'audio/wav' }).end(wav);
    const sut = new HttpTtsEngine(settings(), tools, clock);
    const out = path.join(dir, 'http.wav');
    await sut.synthesize(req, out);
    expect(readFileSync(out).equals(wav)).toBe(true);
    expect(seen).toHaveLength(1);
    const [first] = seen;
    expect(first?.method).toBe('POST');
    expect(first?.headers['api-key']).toBe('secret-key');
    expect(first?.headers.voice).toBe('banmai');
    expect(first?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(first?.body ?? '')).toEqual({ input: 'xin chào bà con.', speaker: 'banmai', region: 'north', speed: 1.5 });
  });

  it('falls back to the voice-only key of the map and fails clearly when neither key is mapped', async () => {
    const sut = new HttpTtsEngine(settings(), tools, clock);
    expect(sut.vendorVoice({ voice: 'female', accent: 'south' })).toBe('lannhi');
    await expect(sut.synthesize({ ...req, voice: 'male', accent: 'south' }, path.join(dir, 'x.wav'))).rejects.toThrow(
      /LOA_TTS_HTTP_VOICE_MAP has no voice for "male-south"/,
    );
  });

  it('follows a JSON answer to the audio URL (retrying while it is not ready yet) and converts it to WAV', async () => {
    let audioHits = 0;
    handler = (r, res) => {
      if (r.url === '/tts') return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 0, async: `${base}/files/a.wav` }));
      audioHits++;
      if (audioHits < 3) return void res.writeHead(404).end('not yet');
      res.writeHead(200, { 'content-type': 'audio/wav' }).end(tone(600));
    };
    const sut = new HttpTtsEngine(settings({ audioUrlPath: 'async', bodyTemplate: '{{text}}' }), tools, clock);
    const out = path.join(dir, 'async.wav');
    await sut.synthesize(req, out);
    expect(audioHits).toBe(3);
    expect(seen[0]?.body).toBe('xin chào bà con.');
    expect(seen[0]?.headers['content-type']).toMatch(/^text\/plain/);
    expect(durationOf(out)).toBeGreaterThan(550);
  });

  it('splits long text into several requests and joins the answers into one WAV', async () => {
    handler = (_r, res) => res.writeHead(200, { 'content-type': 'audio/wav' }).end(tone(500));
    const sut = new HttpTtsEngine(settings({ maxChars: 100 }), tools, clock);
    const text = Array.from({ length: 5 }, (_, i) => `đây là câu thứ ${i} của bản tin phát thanh hôm nay gửi tới bà con trong xã.`).join(' ');
    const out = path.join(dir, 'joined.wav');
    const result = await sut.synthesize({ ...req, text }, out);
    expect(result.chunks).toBeGreaterThan(1);
    expect(seen).toHaveLength(result.chunks);
    expect(seen.every((s) => (JSON.parse(s.body) as { input: string }).input.length <= 100)).toBe(true);
    expect(durationOf(out)).toBeGreaterThan(result.chunks * 500 - 50);
  });

  it('reports the service error with its status and message', async () => {
    handler = (_r, res) => res.writeHead(401, { 'content-type': 'application/json' }).end('{"message":"invalid api key"}');
    const sut = new HttpTtsEngine(settings(), tools, clock);
    const err = await sut.synthesize(req, path.join(dir, 'err.wav')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TtsEngineError);
    expect((err as Error).message).toMatch(/answered 401.*invalid api key/);
  });

  it('says so when a JSON answer has no audio at the configured path, and when the service is unreachable', async () => {
    handler = (_r, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"error":1,"message":"quota exceeded"}');
    await expect(new HttpTtsEngine(settings({ audioUrlPath: 'async' }), tools, clock).synthesize(req, path.join(dir, 'e.wav'))).rejects.toThrow(
      /no audio at "async".*quota exceeded/,
    );
    await expect(new HttpTtsEngine(settings({ url: 'http://127.0.0.1:1/tts' }), tools, clock).synthesize(req, path.join(dir, 'e.wav'))).rejects.toThrow(
      /could not be reached/,
    );
  });
});

describe('TTS settings', () => {
  const load = (env: Record<string, string>) => () => AppConfig.load({ LOA_DATA_DIR: dir, ...env });

  it('defaults to the offline engine', () => {
    expect(load({})().tts).toEqual({ engine: 'espeak', http: null, abbreviations: {} });
  });

  it('refuses an http engine without a URL, or a template without {{text}}', () => {
    expect(load({ LOA_TTS_ENGINE: 'http' })).toThrow(ConfigError);
    expect(load({ LOA_TTS_ENGINE: 'http' })).toThrow(/LOA_TTS_HTTP_URL is required/);
    expect(load({ LOA_TTS_ENGINE: 'http', LOA_TTS_HTTP_URL: 'https://api.example.vn/tts', LOA_TTS_HTTP_BODY_TEMPLATE: '{"voice":"{{voice}}"}' })).toThrow(
      /must contain \{\{text\}\}/,
    );
  });

  it('refuses malformed JSON settings, naming them', () => {
    expect(load({ LOA_TTS_HTTP_HEADERS: '{api-key: 1}' })).toThrow(/LOA_TTS_HTTP_HEADERS.*must be JSON/s);
    expect(load({ LOA_TTS_HTTP_VOICE_MAP: '{"woman-north":"banmai"}' })).toThrow(/LOA_TTS_HTTP_VOICE_MAP/);
    expect(load({ LOA_TTS_ABBREVIATIONS: '["BQL"]' })).toThrow(/LOA_TTS_ABBREVIATIONS/);
  });

  it('reads a complete vendor configuration', () => {
    const config = load({
      LOA_TTS_ENGINE: 'http',
      LOA_TTS_HTTP_URL: 'https://api.fpt.ai/hmi/tts/v5',
      LOA_TTS_HTTP_HEADERS: '{"api-key":"k","voice":"{{voice}}"}',
      LOA_TTS_HTTP_BODY_TEMPLATE: '{{text}}',
      LOA_TTS_HTTP_VOICE_MAP: '{"female-north":"banmai","male-south":"minhquang"}',
      LOA_TTS_HTTP_AUDIO_URL_PATH: 'async',
      LOA_TTS_ABBREVIATIONS: '{"BQL":"ban quản lý"}',
    })();
    expect(config.tts.engine).toBe('http');
    expect(config.tts.http).toMatchObject({ method: 'POST', audioUrlPath: 'async', voiceMap: { 'female-north': 'banmai' }, timeoutMs: 60_000, maxChars: 2000 });
    expect(config.tts.abbreviations).toEqual({ BQL: 'ban quản lý' });
  });
});
