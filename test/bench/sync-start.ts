// Synchronised start: three real agent controllers in this process whose local clocks are skewed by −30 s, +7 s
// and +30 s estimate their offset from the server (GET /api/time), receive one shared slot over MQTT and start it.
// The spread of their real start instants, on this host's clock, is what neighbouring speakers would hear as echo.
import { SIGNING_KEY_PATH } from '@loa/shared';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { agentConfigSchema, Controller, SkewedClock, startSpread, type StartInfo } from '@loa/agent/dist/index.js';
import type { LoaApi } from '@loa/e2e/sim/dist/index.js';
import { toneWav, uploadMedia } from './lib/wav.js';

export const SKEWS_MS = [-30_000, 7_000, 30_000] as const;

export interface SyncStartResult {
  spreadMs: number;
  maxLateMs: number;
  offsetsMs: number[];
}

/** `leadMs`: how far ahead the shared slot is scheduled (the agents fetch its timeline and media meanwhile). */
export async function measureSyncStart(httpUrl: string, mqttUrl: string, api: LoaApi, areaCode: string, dir: string, leadMs = 10_000): Promise<SyncStartResult> {
  const tag = randomBytes(3).toString('hex');
  const ids = SKEWS_MS.map((_, i) => `bench-sync-${tag}-${i}`);
  const secrets: string[] = [];
  for (const id of ids) secrets.push((await api.request<{ secret: string }>('POST', '/api/v1/devices', { id, name: id, kind: 'speaker', areaCode }, [201])).secret);
  const sha = await uploadMedia(httpUrl, api.token, toneWav(1), `sync-${tag}.wav`, 'audio/wav');
  const content = await api.request<{ id: string }>('POST', '/api/v1/contents', { type: 'audio', title: 'Bản tin đồng bộ', mediaSha256: sha, approve: true }, [201]);

  const { publicKey: serverPublicKey } = await api.request<{ publicKey: string }>('GET', SIGNING_KEY_PATH);
  const started: StartInfo[] = [];
  const controllers = ids.map(
    (id, i) =>
      new Controller(
        agentConfigSchema.parse({
          serverUrl: httpUrl,
          mqttUrl,
          serverPublicKey,
          deviceId: id,
          secret: secrets[i],
          kind: 'speaker',
          audioOutput: 'null',
          dataDir: path.join(dir, 'sync', id),
          logLevel: 'warn',
        }),
        { clock: new SkewedClock(SKEWS_MS[i] ?? 0) },
      ),
  );
  try {
    for (const c of controllers) {
      c.bus.on('playback.started', (s) => started.push(s));
      await c.start();
    }
    const startAt = Date.now() + leadMs;
    await api.request('POST', '/api/v1/schedules', { contentId: content.id, startAt: new Date(startAt).toISOString(), targets: { devices: ids } }, [201]);
    const deadline = startAt + 15_000;
    while (started.length < ids.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    if (started.length < ids.length) throw new Error(`only ${started.length} of ${ids.length} agents started the shared slot`);
    const wall = started.map((s) => s.wallAt);
    return {
      spreadMs: startSpread(wall),
      maxLateMs: Math.max(...wall.map((w) => w - startAt)),
      offsetsMs: started.map((s) => s.startedAt - s.localStartedAt),
    };
  } finally {
    for (const c of controllers) await c.stop();
  }
}
