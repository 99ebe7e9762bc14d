/**
 * Issue 18, alerts people can trust, with real `loa-agent` speakers writing their output to WAV files:
 * (c) proof of play — the alert's summary goes delivered → finished as a speaker plays a short alert;
 * (b) a long alert playing on an online speaker stops when cancelled, the agent reports it and the record shows it;
 * (a) a speaker offline when the alert and its cancellation were sent connects afterwards and plays nothing.
 * One server for the file; the three run in this order on one commune's channel.
 */
import { jest } from '@jest/globals';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { AlertDeliveryPage, AlertSummary, AlertView } from '@loa/shared/rest';
import { loa, makeTone, spawnAgent, spawnServer, stopAll, tempDir, waitFor, type TestAgent, type TestServer } from './support/index.js';

jest.setTimeout(180_000);

const SUITE = 'alerts-trust';
const COMMUNE = '00004';

/**
 * Seconds of sound in a WAV the agent wrote, from its size and its header's byte rate: a player stopped mid-way
 * leaves no final data length in the header, but every sample it output is in the file.
 */
function wavSeconds(file: string): number {
  const header = readFileSync(file).subarray(0, 44);
  const byteRate = header.readUInt32LE(28);
  return (statSync(file).size - 44) / byteRate;
}

describe('alerts people can trust, with real agents', () => {
  let server: TestServer;
  let online: TestAgent;
  let offlineSecret: string;
  const outOnline = tempDir('alerts-out-online');
  const outOffline = tempDir('alerts-out-offline');
  let short: string;
  let long: string;
  let firstAlert: string;
  let cancelled: string;

  const summary = (id: string) => server.api.get<AlertSummary>(`/api/v1/alerts/${id}/summary`);
  const record = async (id: string, deviceId: string) => (await server.api.get<AlertDeliveryPage>(`/api/v1/alerts/${id}/deliveries?limit=500`)).items.find((d) => d.deviceId === deviceId);
  const send = async (body: Record<string, unknown>): Promise<AlertView> => {
    const a = await server.api.post<AlertView & { fanout: { id: string } | null }>('/api/v1/alerts', { areaCode: COMMUNE, priority: 'emergency', expiresInS: 600, ...body });
    if (a.fanout) await loa.fanoutDone(server.api, a.fanout.id);
    return a;
  };

  beforeAll(async () => {
    server = await spawnServer({ suite: SUITE });
    await loa.createArea(server.api, { code: '01', name: 'Tỉnh Một', level: 'province' });
    await loa.createArea(server.api, { code: COMMUNE, name: 'Xã Yên Thịnh', level: 'commune', parentCode: '01' });
    const a = await loa.createDevice(server.api, { id: 'spk-online', name: 'Loa chợ', kind: 'speaker', areaCode: COMMUNE });
    offlineSecret = (await loa.createDevice(server.api, { id: 'spk-offline', name: 'Loa bến đò', kind: 'speaker', areaCode: COMMUNE })).secret;
    const media = tempDir('alerts-media');
    short = (await loa.uploadAudio(server.api, await makeTone(path.join(media, 'short.mp3'), 3, 660))).sha256;
    long = (await loa.uploadAudio(server.api, await makeTone(path.join(media, 'long.mp3'), 90, 440))).sha256;
    online = await spawnAgent({ suite: SUITE, serverUrl: server.baseUrl, mqttUrl: server.mqttUrl, deviceId: 'spk-online', secret: a.secret, kind: 'speaker', audioOutput: `file:${outOnline}/{occurrenceId}-{seq}.wav` });
  });

  afterAll(async () => {
    await stopAll();
  });

  it('(c) proof of play: the summary goes delivered → finished as the speaker plays a short alert', async () => {
    const alert = await send({ title: 'Thử còi báo động', text: 'Kiểm tra hệ thống', mediaSha256: short });
    firstAlert = alert.id;
    expect(alert.deviceCount).toBe(2);
    const seen = new Set<string>();
    const done = await waitFor(
      async () => {
        const s = await summary(alert.id);
        for (const [state, n] of Object.entries(s.byState)) if (n > 0) seen.add(state);
        return s.byState.finished === 1 ? s : undefined;
      },
      60_000,
      { what: 'the short alert finished on spk-online', intervalMs: 100 },
    );
    // Before it finished, the speaker had it (delivered) or was playing it (started): the counts moved with the reports.
    expect(seen.has('delivered') || seen.has('started')).toBe(true);
    expect(done).toMatchObject({ total: 2, byState: { finished: 1, expected: 1 } });
    expect(done.areas[0]).toMatchObject({ areaCode: COMMUNE, name: 'Xã Yên Thịnh', total: 2, played: 1, failed: 0 });
    const r = (await record(alert.id, 'spk-online'))!;
    expect(r).toMatchObject({ state: 'finished', online: true });
    expect(online.proc.exit).toBeFalsy();
    expect(Date.parse(r.deliveredAt!)).toBeLessThanOrEqual(Date.parse(r.startedAt!));
    expect(Date.parse(r.startedAt!)).toBeLessThan(Date.parse(r.endedAt!));
    const out = readdirSync(outOnline).filter((f) => f.includes(alert.id));
    expect(out).toHaveLength(1);
    expect(wavSeconds(path.join(outOnline, out[0]!))).toBeGreaterThan(2.5);
  });

  it('(b) a long alert playing stops when cancelled: the agent reports it and the record shows it', async () => {
    const alert = await send({ title: 'Lũ quét', text: 'Sơ tán ngay', mediaSha256: long });
    cancelled = alert.id;
    expect(alert.replaces).toBe(firstAlert);
    // The update withdrew what the first alert had not played (the offline speaker).
    expect(await record(firstAlert, 'spk-offline')).toMatchObject({ state: 'withdrawn', reason: `replaced by alert ${alert.id}` });
    await waitFor(async () => (await record(alert.id, 'spk-online'))?.state === 'started', 60_000, { what: 'the long alert playing', intervalMs: 100 });
    const c = await server.api.post<AlertView & { fanout: { id: string } | null }>(`/api/v1/alerts/${alert.id}/cancel`, {}, 200);
    if (c.fanout) await loa.fanoutDone(server.api, c.fanout.id);
    const stopped = await waitFor(
      async () => {
        const r = await record(alert.id, 'spk-online');
        return r?.state === 'withdrawn' ? r : undefined;
      },
      30_000,
      { what: 'spk-online reporting the stop', intervalMs: 100 },
    );
    expect(stopped.reason).toBe('removed from the timeline while playing');
    expect(stopped.startedAt).not.toBeNull();
    expect(Date.parse(stopped.endedAt!)).toBeGreaterThan(Date.parse(stopped.startedAt!));
    // The agent reports once its player has stopped: the output (written at playing pace) ends far before the 90 s.
    const out = readdirSync(outOnline).filter((f) => f.includes(alert.id));
    expect(out.length).toBeGreaterThan(0);
    expect(wavSeconds(path.join(outOnline, out[0]!))).toBeLessThan(60);
    const s = await summary(alert.id);
    expect(s.byState).toMatchObject({ withdrawn: 2, started: 0, finished: 0, expected: 0 });
    expect(s.areas[0]).toMatchObject({ total: 2, played: 1 });
  });

  it('(a) a speaker offline when the alert and its cancellation were sent connects afterwards and plays nothing', async () => {
    const agent = await spawnAgent({ suite: SUITE, serverUrl: server.baseUrl, mqttUrl: server.mqttUrl, deviceId: 'spk-offline', secret: offlineSecret, kind: 'speaker', audioOutput: `file:${outOffline}/{occurrenceId}-{seq}.wav` });
    // What proves the agent has processed the channel: the retained cancellation is in its alert book, and it said so.
    const book = path.join(agent.dataDir, 'alerts.json');
    await waitFor(
      () => existsSync(book) && readFileSync(book, 'utf8').includes(`"references":"${cancelled}"`) && agent.proc.stdout().includes('"msgType":"cancel"'),
      30_000,
      { what: 'spk-offline holding the cancellation' },
    );
    const held = JSON.parse(readFileSync(book, 'utf8')) as Record<string, { msgType: string; id: string }>;
    expect(held[COMMUNE]).toMatchObject({ msgType: 'cancel', id: `${cancelled}:cancel` });
    // It never had the alert: no occurrence of it, no report, no sound.
    const ledger = path.join(agent.dataDir, 'occurrences.json');
    expect(existsSync(ledger) ? readFileSync(ledger, 'utf8') : '').not.toContain(cancelled);
    expect(agent.proc.stdout()).not.toContain(`alert:${cancelled}`);
    expect(readdirSync(outOffline)).toEqual([]);
    expect(await record(cancelled, 'spk-offline')).toMatchObject({ state: 'withdrawn', reason: 'cancelled', deliveredAt: null, startedAt: null });
  });
});
