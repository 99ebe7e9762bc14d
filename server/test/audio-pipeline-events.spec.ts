import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { WebSocket } from 'ws';
import { EventsGateway } from '../src/events/events.gateway.js';
import type { MediaJobView } from '../src/media/media-jobs.service.js';
import { makeSpeechWav } from './support/audio-fixtures.js';
import { startTestServer, type TestServer } from './support/server.js';

// A real server in-process: upload over HTTP, watch the job over the WebSocket event stream.
describe(EventsGateway.name, () => {
  let root: string;
  let srv: TestServer;
  let wav: Buffer;

  beforeAll(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'loa-events-'));
    wav = readFileSync(await makeSpeechWav(path.join(root, 'bulletin.wav'), 40));
    srv = await startTestServer();
  }, 60_000);

  afterAll(async () => {
    await srv?.close();
    rmSync(root, { recursive: true, force: true });
  });

  const wsUrl = (query = '') => `ws://127.0.0.1:${srv.server.httpPort}/api/v1/events${query}`;

  function connect(url: string, protocols?: string[]): Promise<{ ws: WebSocket; messages: Array<Record<string, unknown>> }> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, protocols);
      const messages: Array<Record<string, unknown>> = [];
      ws.on('message', (data: Buffer) => messages.push(JSON.parse(data.toString()) as Record<string, unknown>));
      ws.once('open', () => resolve({ ws, messages }));
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
  }

  function upload(query = ''): Promise<Response> {
    const form = new FormData();
    form.append('file', new Blob([wav]), 'Bản tin.wav');
    return fetch(`${srv.baseUrl}/api/v1/media${query}`, { method: 'POST', body: form, headers: { authorization: `Bearer ${srv.token}` } });
  }

  it('refuses a connection without a valid operator token (401)', async () => {
    await expect(connect(wsUrl())).rejects.toThrow('HTTP 401');
    await expect(connect(wsUrl('?token=not-a-token'))).rejects.toThrow('HTTP 401');
  });

  it('streams media.job events for an async upload, progress rising to 1, and the job API agrees', async () => {
    const { ws, messages } = await connect(wsUrl(`?token=${encodeURIComponent(srv.token)}`));
    try {
      const res = await upload('?async=true');
      expect(res.status).toBe(202);
      const job = (await res.json()) as MediaJobView;
      expect(job).toMatchObject({ state: 'queued', originalName: 'Bản tin.wav', bytes: wav.length });

      await waitFor(() => messages.some((m) => m.type === 'media.job' && (m.job as MediaJobView).id === job.id && (m.job as MediaJobView).state === 'done'), 'the done event');
      const events = messages.filter((m) => m.type === 'media.job').map((m) => m.job as MediaJobView).filter((j) => j.id === job.id);
      const states = [...new Set(events.map((e) => e.state))];
      expect(states).toEqual(['receiving', 'queued', 'processing', 'done']);
      const processing = events.filter((e) => e.state === 'processing').map((e) => e.progress);
      expect(processing.length).toBeGreaterThanOrEqual(3);
      for (let i = 1; i < processing.length; i++) expect(processing[i]!).toBeGreaterThanOrEqual(processing[i - 1]!);
      expect(processing.at(-1)).toBe(1);
      const done = events.at(-1)!;
      expect(done).toMatchObject({ state: 'done', progress: 1, created: true });

      const viaApi = await srv.api<MediaJobView>('GET', `/api/v1/media/jobs/${job.id}`);
      expect(viaApi).toMatchObject({ status: 200, body: { id: job.id, state: 'done', mediaSha256: done.mediaSha256 } });
      const list = await srv.api<MediaJobView[]>('GET', '/api/v1/media/jobs');
      expect(list.body.map((j) => j.id)).toContain(job.id);
      const media = await srv.api<{ sha256: string; mime: string }>('GET', `/api/v1/media/${done.mediaSha256}/info`);
      expect(media.body).toMatchObject({ sha256: done.mediaSha256, mime: 'audio/mpeg' });
      expect((await srv.api('GET', '/api/v1/media/jobs/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    } finally {
      ws.close();
    }
  }, 60_000);

  it('accepts the token as a subprotocol (browsers) and answers the same upload synchronously with 200 and the media', async () => {
    const { ws, messages } = await connect(wsUrl(), ['loa.events', `bearer.${srv.token}`]);
    try {
      expect(ws.protocol).toBe('loa.events');
      const res = await upload();
      expect(res.status).toBe(200); // the same source was processed by the previous test
      const body = (await res.json()) as { created: boolean; mime: string; jobId: string };
      expect(body).toMatchObject({ created: false, mime: 'audio/mpeg' });
      await waitFor(() => messages.some((m) => m.type === 'media.job' && (m.job as MediaJobView).id === body.jobId && (m.job as MediaJobView).state === 'done'), 'the done event');
    } finally {
      ws.close();
    }
  });
});

async function waitFor(condition: () => boolean, what: string, timeoutMs = 45_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
