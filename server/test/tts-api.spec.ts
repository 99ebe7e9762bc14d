import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AppConfig } from '../src/config/app-config.js';
import { startTestServer, type TestServer } from './support/server.js';

interface TtsAnswer {
  media: {
    sha256: string;
    durationMs: number;
    mime: string;
    audio: { loudnessAfter: { integratedLufs: number | null }; sourceMime: string; normalization: string } | null;
  };
  created: boolean;
  normalizedText: string;
  engine: string;
}

/** A real paragraph of KH 179/KH-UBND (copied from the steering seeds, ../shared/seeds/004). */
const BULLETIN = readFileSync(new URL('./fixtures/bulletin-kh179.txt', import.meta.url), 'utf8')
  .split('\n')
  .find((l) => l.startsWith('Mục tiêu cụ thể')) ?? '';

describe('TTS API (eSpeak-NG through the audio pipeline)', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer();
  }, 60_000);
  afterAll(() => srv.close());

  it('POST /api/v1/tts stores loudness-normalised speech and answers with the media and the spoken text', async () => {
    const res = await srv.api<TtsAnswer>('POST', '/api/v1/tts', {
      text: `Ngày 07/9/2020, UBND Thành phố ban hành Kế hoạch số 179/KH-UBND. ${BULLETIN}`,
      voice: 'male',
      accent: 'north',
      speed: 1,
    });
    expect(res.status).toBe(201);
    expect(res.body.engine).toBe('espeak');
    expect(res.body.normalizedText).toMatch(
      /^ngày bảy tháng chín năm hai nghìn không trăm hai mươi, ủy ban nhân dân thành phố ban hành kế hoạch số một trăm bảy mươi chín kế hoạch ủy ban nhân dân\. mục tiêu/,
    );
    expect(res.body.media.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(res.body.media.durationMs).toBeGreaterThan(3000);
    const target = srv.server.app.get(AppConfig).audio.targetLufs;
    const lufs = res.body.media.audio?.loudnessAfter.integratedLufs;
    expect(lufs).not.toBeNull();
    process.stdout.write(`[tts] API: ${res.body.media.durationMs} ms of speech, ${lufs} LUFS (target ${target}), ${res.body.media.audio?.normalization}\n`);
    expect(Math.abs((lufs ?? 0) - target)).toBeLessThanOrEqual(1);
    expect(res.body.media.audio?.sourceMime).toMatch(/wav/);

    const stored = await fetch(`${srv.baseUrl}/api/v1/media/${res.body.media.sha256}`, { headers: { authorization: `Bearer ${srv.token}` } });
    expect(stored.status).toBe(200);
  });

  it('POST /api/v1/tts/preview-text answers the normalised text only', async () => {
    const res = await srv.api<{ normalizedText: string }>('POST', '/api/v1/tts/preview-text', { text: 'Lúc 14h30, CSGT TP. Hà Nội', accent: 'south' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ normalizedText: 'lúc mười bốn giờ ba mươi phút, cảnh sát giao thông thành phố hà nội.' });
  });

  it('refuses empty or oversized text and out-of-range options', async () => {
    expect((await srv.api('POST', '/api/v1/tts', { text: '   ' })).status).toBe(400);
    expect((await srv.api('POST', '/api/v1/tts', { text: 'a'.repeat(20_001) })).status).toBe(400);
    expect((await srv.api('POST', '/api/v1/tts', { text: 'xin chào', speed: 3 })).status).toBe(400);
    expect((await srv.api('POST', '/api/v1/tts', { text: 'xin chào', voice: 'child' })).status).toBe(400);
    expect((await srv.api('POST', '/api/v1/tts/preview-text', {})).status).toBe(400);
  });
});

describe('TTS API with a vendor engine (LOA_TTS_ENGINE=http)', () => {
  let vendor: Server;
  let srv: TestServer;
  beforeAll(async () => {
    vendor = createServer((_req, res) => res.writeHead(503, { 'content-type': 'text/plain' }).end('maintenance'));
    await new Promise<void>((r) => vendor.listen(0, '127.0.0.1', r));
    srv = await startTestServer({
      LOA_TTS_ENGINE: 'http',
      LOA_TTS_HTTP_URL: `http://127.0.0.1:${(vendor.address() as AddressInfo).port}/tts`,
      LOA_TTS_ABBREVIATIONS: '{"BQL":"ban quản lý"}',
    });
  }, 60_000);
  afterAll(async () => {
    await srv.close();
    await new Promise<void>((r) => vendor.close(() => r()));
  });

  it('answers 502 with the vendor error when the service fails', async () => {
    const res = await srv.api<{ message: string }>('POST', '/api/v1/tts', { text: 'BQL chợ thông báo.' });
    expect(res.status).toBe(502);
    expect(res.body.message).toMatch(/text-to-speech failed: the TTS service answered 503.*maintenance/i);
  });

  it('uses the operators abbreviations', async () => {
    const res = await srv.api<{ normalizedText: string }>('POST', '/api/v1/tts/preview-text', { text: 'BQL chợ thông báo' });
    expect(res.body.normalizedText).toBe('ban quản lý chợ thông báo.');
  });
});
