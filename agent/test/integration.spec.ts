import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { deviceTopic, telemetryMessageSchema, type PlaybackEvent, type TimelineMessage } from '@loa/shared';
import { Backoff } from '../src/backoff.js';
import { agentConfigSchema } from '../src/config.js';
import { Controller } from '../src/controller.js';
import { makeTone, probeDuration } from './audio.js';
import { startBroker, type TestBroker } from './broker.js';
import { silentLogger, tempDir, waitFor } from './helpers.js';
import { sha256, startMediaServer, type MediaServer } from './media-server.js';

const DEVICE = 'spk-it-01';
const SECRET = 'pw-1';

describe('agent against a real broker and media server', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let broker: TestBroker;
  let media: MediaServer;
  let sha: string;
  let bytes: number;
  const controllers: Controller[] = [];

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
    const tone = join(dir, 'tone.wav');
    await makeTone(tone, 1);
    const data = await readFile(tone);
    bytes = data.length;
    media = await startMediaServer({ user: DEVICE, pass: SECRET });
    sha = media.add(data);
    expect(sha).toBe(sha256(data));
  });
  beforeEach(async () => {
    broker = await startBroker({ [DEVICE]: SECRET });
  });
  afterEach(async () => {
    for (const c of controllers.splice(0)) await c.stop();
    await broker.close();
  });
  afterAll(async () => {
    await media.close();
    await cleanup();
  });

  const makeController = (dataDir: string, secret = SECRET, kind: 'speaker' | 'board' = 'speaker') => {
    const config = agentConfigSchema.parse({
      serverUrl: media.url,
      mqttUrl: broker.url,
      serverPublicKey: broker.publicKey,
      deviceId: DEVICE,
      secret,
      kind,
      boardPort: 0,
      dataDir,
      audioOutput: `file:${join(dataDir, 'out', '{occurrenceId}.wav')}`,
    });
    const c = new Controller(config, {
      logger: silentLogger(),
      reconnectBackoff: new Backoff({ baseMs: 100, capMs: 400 }),
      resendAfterMs: 1000,
      telemetryIntervalMs: 500,
    });
    controllers.push(c);
    return c;
  };

  const timeline = (version: number, startAt: number): TimelineMessage => ({
    v: 1,
    deviceId: DEVICE,
    version,
    generatedAt: Date.now(),
    slots: [
      {
        type: 'audio',
        occurrenceId: `occ-${version}`,
        scheduleId: 'sch-1',
        contentId: 'cnt-1',
        title: 'Bản tin sáng',
        priority: 'normal',
        startAt,
        durationMs: 1500,
        volume: 80,
        media: { sha256: sha, bytes, durationMs: 1000, mime: 'audio/wav' },
      },
    ],
  });

  const from = (topic: string) => broker.published.filter((p) => p.topic === topic).map((p) => JSON.parse(p.payload.toString()) as Record<string, unknown>);
  const sentEvents = (b: TestBroker = broker) =>
    b.published.filter((p) => p.topic === deviceTopic(DEVICE, 'events')).flatMap((p) => (JSON.parse(p.payload.toString()) as { events: PlaybackEvent[] }).events);

  it('connects, acks the timeline, downloads, plays on time, and keeps events until acked', async () => {
    const dataDir = join(dir, 'a');
    const agent = makeController(dataDir);
    await agent.start();

    const online = await waitFor(() => broker.published.find((p) => p.topic === deviceTopic(DEVICE, 'status')), 5000, 'online status');
    expect(online.retain).toBe(true);
    expect(JSON.parse(online.payload.toString())).toMatchObject({ v: 1, state: 'online', reason: 'connect', kind: 'speaker', agentVersion: expect.any(String) });

    const startAt = Date.now() + 2500;
    await broker.publish(deviceTopic(DEVICE, 'timeline'), timeline(7, startAt), { retain: true });
    await waitFor(() => from(deviceTopic(DEVICE, 'timeline/ack')).length > 0, 5000, 'timeline ack');
    expect(from(deviceTopic(DEVICE, 'timeline/ack'))[0]).toEqual({ v: 1, version: 7 });
    expect(agent.timelineVersion).toBe(7);

    await waitFor(() => media.requests.some((r) => r.status === 200), 5000, 'media download');
    const finished = await waitFor(() => sentEvents().find((e) => e.type === 'finished'), 10_000, 'finished event');
    const started = sentEvents().find((e) => e.type === 'started');
    expect(started?.occurrenceId).toBe('occ-7');
    // On time as the slot defines it: never early, started inside its window (how late is the bench's business).
    expect(started!.at).toBeGreaterThanOrEqual(startAt - 100);
    expect(started!.at).toBeLessThan(startAt + 1500);
    expect(finished.playedMs).toBeGreaterThan(900);
    expect(sentEvents().map((e) => e.type)).toEqual(expect.arrayContaining(['delivered', 'started', 'finished']));
    expect(await probeDuration(join(dataDir, 'out', 'occ-7.wav'))).toBeCloseTo(1, 1);

    // Sent is not acknowledged: everything stays in the outbox until the server says so.
    const ids = [...new Set(sentEvents().map((e) => e.id))];
    expect(agent.outboxEvents.map((e) => e.id).sort()).toEqual(ids.sort());
    await broker.publish(deviceTopic(DEVICE, 'events/ack'), { v: 1, deviceId: DEVICE, ids: ids.slice(0, 1) });
    await waitFor(() => agent.outboxEvents.length === ids.length - 1, 3000, 'partial ack');
    await broker.publish(deviceTopic(DEVICE, 'events/ack'), { v: 1, deviceId: DEVICE, ids });
    await waitFor(() => agent.outboxEvents.length === 0, 3000, 'outbox drained');

    const telemetry = await waitFor(() => from(deviceTopic(DEVICE, 'telemetry')).at(-1), 3000, 'telemetry');
    expect(telemetryMessageSchema.parse(telemetry)).toMatchObject({ timelineVersion: 7, outboxSize: expect.any(Number) });

    // An older or foreign timeline is ignored; a malformed one does not crash anything. Sentinel: the held version
    // sent again after them on the same topic (timelines are handled one at a time, in order) is acknowledged
    // again; once that ack is out, the two before it have been handled.
    // Holding a timeline, the agent follows the live channel (timeline/patch) instead of the retained one.
    await waitFor(() => broker.follows(DEVICE, deviceTopic(DEVICE, 'timeline/patch')) && !broker.follows(DEVICE, deviceTopic(DEVICE, 'timeline')), 5000, 'live timeline channel followed');
    const acksBefore = from(deviceTopic(DEVICE, 'timeline/ack')).length;
    await broker.publish(deviceTopic(DEVICE, 'timeline/patch'), { v: 1, garbage: true });
    await broker.publish(deviceTopic(DEVICE, 'timeline/patch'), timeline(3, Date.now() + 1000));
    await broker.publish(deviceTopic(DEVICE, 'timeline/patch'), timeline(7, startAt));
    await waitFor(() => from(deviceTopic(DEVICE, 'timeline/ack')).length > acksBefore, 5000, 'the sentinel timeline ack');
    expect(from(deviceTopic(DEVICE, 'timeline/ack')).slice(acksBefore)).toEqual([{ v: 1, version: 7 }]);
    expect(agent.timelineVersion).toBe(7);

    await agent.stop();
    const statuses = from(deviceTopic(DEVICE, 'status'));
    expect(statuses.at(-1)).toMatchObject({ state: 'offline', reason: 'shutdown' });
  });

  it('plays a stored timeline on time with the broker down and delivers the events after reconnecting', async () => {
    const dataDir = join(dir, 'b');
    const first = makeController(dataDir);
    await first.start();
    const startAt = Date.now() + 4000;
    await broker.publish(deviceTopic(DEVICE, 'timeline'), timeline(9, startAt), { retain: true });
    await waitFor(() => from(deviceTopic(DEVICE, 'timeline/ack')).length > 0, 5000, 'timeline ack');
    await waitFor(() => media.requests.filter((r) => r.status === 200).length >= 2, 5000, 'media download');
    await first.stop();

    // Network gone; the agent restarts and has only its data dir.
    const port = broker.port;
    const key = broker.key;
    await broker.close();
    const agent = makeController(dataDir);
    await agent.start();
    expect(agent.timelineVersion).toBe(9);
    expect(agent.isConnected).toBe(false);

    const finished = await waitFor(() => agent.outboxEvents.find((e) => e.type === 'finished' && e.occurrenceId === 'occ-9'), 10_000, 'offline playback');
    const started = agent.outboxEvents.find((e) => e.type === 'started' && e.occurrenceId === 'occ-9');
    expect(started!.at).toBeGreaterThanOrEqual(startAt - 100);
    expect(started!.at).toBeLessThan(startAt + 1500);
    expect(finished.playedMs).toBeGreaterThan(900);
    expect(await probeDuration(join(dataDir, 'out', 'occ-9.wav'))).toBeCloseTo(1, 1);

    // Broker back on the same address: the agent reconnects by itself and sends what it kept.
    broker = await startBroker({ [DEVICE]: SECRET }, port, {}, key);
    await waitFor(() => sentEvents().some((e) => e.id === finished.id), 10_000, 'events resent after reconnect');
    expect(agent.outboxEvents.some((e) => e.id === finished.id)).toBe(true);
    const ids = agent.outboxEvents.map((e) => e.id);
    await broker.publish(deviceTopic(DEVICE, 'events/ack'), { v: 1, deviceId: DEVICE, ids });
    await waitFor(() => agent.outboxEvents.length === 0, 3000, 'outbox drained after ack');
  });

  it('keeps retrying when the broker refuses its credentials', async () => {
    const agent = makeController(join(dir, 'c'), 'wrong');
    await agent.start();
    await waitFor(() => broker.refusedLogins >= 2, 5000, 'repeated refused logins');
    expect(agent.isConnected).toBe(false);
  });

  it('shows a text slot on the board page and reports it', async () => {
    const agent = makeController(join(dir, 'd'), SECRET, 'board');
    await agent.start();
    const board = agent.boardServer;
    if (!board) throw new Error('board not started');
    await waitFor(() => agent.isConnected, 5000, 'connected');
    const text = 'Thông báo: Ủy ban nhân dân xã Hòa Bình mời bà con dự họp';
    await broker.publish(
      deviceTopic(DEVICE, 'timeline'),
      {
        v: 1,
        deviceId: DEVICE,
        version: 1,
        generatedAt: Date.now(),
        slots: [{ type: 'text', occurrenceId: 'txt-1', scheduleId: 's', contentId: 'c', title: 'Họp dân', priority: 'priority', startAt: Date.now() + 800, durationMs: 1000, text }],
      },
      { retain: true },
    );
    const shown = await waitFor(async () => ((await (await fetch(`${board.url}/state`)).json()) as { current: { text: string; title: string } | null }).current, 5000, 'text shown');
    expect(shown).toMatchObject({ text, title: 'Họp dân' });
    await waitFor(() => sentEvents().some((e) => e.occurrenceId === 'txt-1' && e.type === 'finished'), 5000, 'finished');
    expect(await (await fetch(`${board.url}/state`)).json()).toEqual({ current: null });
  });
});
