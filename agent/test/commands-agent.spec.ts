/** Remote commands end to end inside one process: a real aedes broker with the ACL, a real Controller. */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { commandResultMessageSchema, deviceTopic, securityReportSchema, signMessage, telemetryMessageSchema, type CommandMessage, type TimelineMessage } from '@loa/shared';
import { Backoff } from '../src/backoff.js';
import { agentConfigSchema } from '../src/config.js';
import { Controller } from '../src/controller.js';
import { makeTone } from './audio.js';
import { startBroker, type TestBroker } from './broker.js';
import { silentLogger, tempDir, waitFor } from './helpers.js';
import { startMediaServer, type MediaServer } from './media-server.js';

const DEVICE = 'spk-cmd-it-01';
const SECRET = 'pw-cmd';

describe(`${Controller.name} with remote commands`, () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let broker: TestBroker;
  let media: MediaServer;
  let sha: string;
  let bytes: number;
  let controller: Controller;
  let restarts: number;

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
    const tone = join(dir, 'tone.wav');
    await makeTone(tone, 1);
    const data = await readFile(tone);
    bytes = data.length;
    media = await startMediaServer({ user: DEVICE, pass: SECRET });
    sha = media.add(data);
  });
  beforeEach(async () => {
    broker = await startBroker({ [DEVICE]: SECRET });
    restarts = 0;
    const dataDir = join(dir, `agent-${Date.now()}`);
    const config = agentConfigSchema.parse({
      serverUrl: media.url,
      mqttUrl: broker.url,
      serverPublicKey: broker.publicKey,
      deviceId: DEVICE,
      secret: SECRET,
      kind: 'speaker',
      dataDir,
      audioOutput: `file:${join(dataDir, 'out', '{occurrenceId}.wav')}`,
    });
    controller = new Controller(config, {
      logger: silentLogger(),
      clockSync: false,
      reconnectBackoff: new Backoff({ baseMs: 100, capMs: 400 }),
      telemetryIntervalMs: 300,
      restart: () => void restarts++,
    });
    await controller.start();
    await waitFor(() => controller.isConnected, 5000, 'connected');
  });
  afterEach(async () => {
    await controller.stop();
    await broker.close();
  });
  afterAll(async () => {
    await media.close();
    await cleanup();
  });

  let seq = 0;
  const command = (c: CommandMessage['command'], over: Partial<CommandMessage> = {}): CommandMessage => ({
    v: 1,
    id: `cmd-${++seq}`,
    deviceId: DEVICE,
    sentAt: Date.now(),
    expiresAt: Date.now() + 60_000,
    command: c,
    ...over,
  });
  const answersFor = (id: string) =>
    broker.published.filter((p) => p.topic === deviceTopic(DEVICE, 'res')).map((p) => commandResultMessageSchema.parse(JSON.parse(p.payload.toString()))).filter((r) => r.id === id);
  const answerOf = (id: string, n = 1) => waitFor(() => (answersFor(id).length >= n ? answersFor(id)[n - 1] : null), 8000, `answer ${n} to ${id}`);

  it('answers a setVolume, stores it, and reports it in telemetry', async () => {
    const c = command({ type: 'setVolume', volume: 35, muted: false });
    await broker.publish(deviceTopic(DEVICE, 'req'), c);
    expect(await answerOf(c.id)).toMatchObject({ status: 'ok', data: { volume: 35, muted: false } });
    expect(JSON.parse(await readFile(join(controller.dataDir, 'output.json'), 'utf8'))).toEqual({ volume: 35, muted: false });
    const since = broker.published.length;
    const tele = await waitFor(
      () => broker.published.slice(since).find((p) => p.topic === deviceTopic(DEVICE, 'telemetry')),
      3000,
      'telemetry',
    );
    expect(telemetryMessageSchema.parse(JSON.parse(tele.payload.toString()))).toMatchObject({ volume: 35, muted: false });
  });

  it('refuses an exact copy (replay) and reports it on the security channel, but answers a resend from the journal', async () => {
    const c = command({ type: 'setVolume', volume: 20 });
    const signed = signMessage(broker.key, c);
    await broker.publishRaw(deviceTopic(DEVICE, 'req'), signed);
    await answerOf(c.id);
    await broker.publishRaw(deviceTopic(DEVICE, 'req'), signed);
    expect(await answerOf(c.id, 2)).toMatchObject({ status: 'rejected', data: { reason: 'replay' } });
    const report = await waitFor(() => broker.published.find((p) => p.topic === deviceTopic(DEVICE, 'security')), 3000, 'security report');
    expect(securityReportSchema.parse(JSON.parse(report.payload.toString()))).toMatchObject({ reason: 'replay', claimed: c.id });
    await broker.publish(deviceTopic(DEVICE, 'req'), { ...c, sentAt: c.sentAt + 1 });
    expect(await answerOf(c.id, 3)).toMatchObject({ status: 'ok', data: { volume: 20 } });
  });

  it('resync has the retained timeline delivered again and re-acked, and answers with the version held', async () => {
    const timeline: TimelineMessage = { v: 1, deviceId: DEVICE, version: 3, generatedAt: Date.now(), slots: [] };
    await broker.publish(deviceTopic(DEVICE, 'timeline'), timeline, { retain: true });
    await waitFor(() => controller.timelineVersion === 3, 5000, 'timeline stored');
    const acks = () => broker.published.filter((p) => p.topic === deviceTopic(DEVICE, 'timeline/ack')).map((p) => (JSON.parse(p.payload.toString()) as { version: number }).version);
    // Counted once the ack of version 3 is in, not after a guessed pause.
    await waitFor(() => acks().includes(3), 5000, 'the ack of version 3');
    const before = acks().length;
    const c = command({ type: 'resync' });
    await broker.publish(deviceTopic(DEVICE, 'req'), c);
    expect(await answerOf(c.id)).toMatchObject({ status: 'ok', data: { timelineVersion: 3 } });
    await waitFor(() => acks().length > before, 5000, 'the re-ack');
    expect(acks().slice(before)).toEqual([3]);
  });

  it('plays a playNow slot at once, downloading its media first', async () => {
    const c = command({
      type: 'playNow',
      slot: { type: 'audio', occurrenceId: 'cmd-play-1', scheduleId: 'cmd-play-1', contentId: 'c1', title: 'Thông báo khẩn', priority: 'priority', startAt: Date.now() - 3_600_000, durationMs: 1000, media: { sha256: sha, bytes, durationMs: 1000, mime: 'audio/wav' } },
    });
    await broker.publish(deviceTopic(DEVICE, 'req'), c);
    expect(await answerOf(c.id)).toMatchObject({ status: 'ok', data: { occurrenceId: 'cmd-play-1' } });
    await waitFor(() => existsSync(join(controller.dataDir, 'out', 'cmd-play-1.wav')), 5000, 'the one-off played');
    const finished = await waitFor(() => controller.outboxEvents.find((e) => e.occurrenceId === 'cmd-play-1' && e.type === 'finished'), 8000, 'finished report');
    expect(finished.outputLevelLufs).toBeGreaterThan(-30);
  });

  it('restart answers ok first, then restarts', async () => {
    const c = command({ type: 'restart' });
    await broker.publish(deviceTopic(DEVICE, 'req'), c);
    expect(await answerOf(c.id)).toMatchObject({ status: 'ok' });
    await waitFor(() => restarts === 1, 3000, 'restart');
  });

  it('collectLogs and selfTest answer with their output', async () => {
    const logs = command({ type: 'collectLogs', lines: 10 });
    await broker.publish(deviceTopic(DEVICE, 'req'), logs);
    const l = await answerOf(logs.id);
    expect(l.status).toBe('ok');
    expect(Array.isArray(l.data?.lines)).toBe(true);
    const test = command({ type: 'selfTest', durationMs: 800 });
    await broker.publish(deviceTopic(DEVICE, 'req'), test);
    const t = await answerOf(test.id);
    expect(t).toMatchObject({ status: 'ok', data: { toneDbfs: -20 } });
    expect(t.data?.levelLufs).toBeGreaterThan(-26);
    expect(t.data?.levelLufs).toBeLessThan(-20);
  });
});
