import { join } from 'node:path';
import { deviceTopic, timelineDigest, type Slot, type TimelineMessage, type TimelinePatchMessage } from '@loa/shared';
import { Backoff } from '../src/backoff.js';
import { agentConfigSchema } from '../src/config.js';
import { Controller } from '../src/controller.js';
import { startBroker, type TestBroker } from './broker.js';
import { silentLogger, tempDir, waitFor } from './helpers.js';

const DEVICE = 'brd-patch-01';
const FULL = deviceTopic(DEVICE, 'timeline');
const LIVE = deviceTopic(DEVICE, 'timeline/patch');

const slot = (id: string, text: string): Slot => ({
  type: 'text',
  occurrenceId: id,
  scheduleId: 's',
  contentId: 'c',
  title: 'Thông báo',
  priority: 'normal',
  startAt: Date.now() - 1000,
  durationMs: 600_000,
  onPreempt: 'resume',
  text,
});
const timeline = (version: number, slots: Slot[]): TimelineMessage => ({ v: 1, deviceId: DEVICE, version, generatedAt: 1_700_000_000_000 + version, areaCodes: ['01'], slots });
const patchOf = (base: TimelineMessage, next: TimelineMessage): TimelinePatchMessage => ({
  v: 1,
  deviceId: DEVICE,
  base: base.version,
  version: next.version,
  generatedAt: next.generatedAt,
  remove: base.slots.filter((s) => !next.slots.some((n) => n.occurrenceId === s.occurrenceId)).map((s) => s.occurrenceId),
  upsert: next.slots.filter((s) => JSON.stringify(base.slots.find((b) => b.occurrenceId === s.occurrenceId)) !== JSON.stringify(s)),
  digest: timelineDigest(next),
});

/**
 * The timeline channels over a real broker with the shared ACL: which of `timeline` and `timeline/patch` the agent
 * follows when, and that each way a new version can reach it (patch, whole, queued in its session, after a broker
 * restart) ends with it stored, acked and shown.
 */
describe('agent timeline patches over MQTT', () => {
  let broker: TestBroker;
  let agent: Controller;
  let cleanup: () => Promise<void>;
  /** Every subscribe and unsubscribe of the device, in order. */
  let log: string[];

  const acks = () => broker.published.filter((p) => p.topic === deviceTopic(DEVICE, 'timeline/ack')).map((p) => (JSON.parse(p.payload.toString()) as { version: number }).version);
  const shown = async (): Promise<string | null> =>
    ((await (await fetch(`${agent.boardServer!.url}/state`)).json()) as { current: { text: string } | null }).current?.text ?? null;
  const watch = (b: TestBroker) => {
    b.broker.on('subscribe', (subs, client) => client?.id === DEVICE && log.push(...subs.map((s) => `+${s.topic}`)));
    b.broker.on('unsubscribe', (topics, client) => client?.id === DEVICE && log.push(...topics.map((t) => `-${t}`)));
  };
  const followsOnly = (topic: string) => broker.follows(DEVICE, topic) && !broker.follows(DEVICE, topic === FULL ? LIVE : FULL);

  beforeEach(async () => {
    log = [];
    broker = await startBroker({ [DEVICE]: 'pw' }, 0, { [DEVICE]: ['01'] });
    watch(broker);
    const t = await tempDir();
    cleanup = t.cleanup;
    agent = new Controller(
      agentConfigSchema.parse({ serverUrl: 'http://127.0.0.1:9', mqttUrl: broker.url, serverPublicKey: broker.publicKey, deviceId: DEVICE, secret: 'pw', kind: 'board', boardPort: 0, dataDir: join(t.dir, 'd') }),
      { logger: silentLogger(), reconnectBackoff: new Backoff({ baseMs: 100, capMs: 400 }), clockSync: false },
    );
  });
  afterEach(async () => {
    await agent.stop();
    await broker.close();
    await cleanup();
  });

  it('follows the retained channel until it holds a timeline, then takes patches on the live one, and fetches the whole after a patch it cannot apply', async () => {
    await agent.start();
    await waitFor(() => agent.isConnected && followsOnly(FULL), 15_000, 'only the retained channel followed');

    const v1 = timeline(1, [slot('a', 'Lịch 1')]);
    await broker.publishTimeline(v1);
    await waitFor(() => acks().includes(1) && followsOnly(LIVE), 15_000, 'v1 acked, then only the live channel followed');
    // The live channel was joined before the retained one was left: no instant without either.
    expect(log.indexOf(`+${LIVE}`)).toBeLessThan(log.indexOf(`-${FULL}`));

    // As the server sends a change: the whole timeline retained (nobody listening), the patch live.
    const v2 = timeline(2, [slot('b', 'Lịch 2: họp thôn')]);
    await broker.publish(FULL, v2, { retain: true });
    await broker.publish(LIVE, patchOf(v1, v2));
    await waitFor(() => acks().includes(2), 15_000, 'v2 acked from its patch');
    expect(agent.timelineVersion).toBe(2);
    await waitFor(async () => (await shown()) === 'Lịch 2: họp thôn', 15_000, 'the patched slot shown');

    // Version 3 was missed: the patch of 3 into 4 cannot apply, so the agent fetches the retained copy (4).
    const v3 = timeline(3, [slot('b', 'Lịch 2: họp thôn'), slot('c', 'Lịch 3')]);
    const v4 = timeline(4, [slot('c', 'Lịch 4: tiêm chủng')]);
    const before = log.length;
    await broker.publish(FULL, v4, { retain: true });
    await broker.publish(LIVE, patchOf(v3, v4));
    await waitFor(() => acks().includes(4) && followsOnly(LIVE), 15_000, 'v4 fetched whole, acked, and the retained channel left again');
    expect(log.slice(before)).toEqual([`+${FULL}`, `-${FULL}`]);
    await waitFor(async () => (await shown()) === 'Lịch 4: tiêm chủng', 15_000, 'v4 shown');
    expect(acks()).not.toContain(3);
  });

  it('gets the patches queued in its kept session on reconnect, and checks the retained copy after a broker restart', async () => {
    await agent.start();
    const v1 = timeline(1, [slot('a', 'Lịch 1')]);
    await broker.publishTimeline(v1);
    await waitFor(() => acks().includes(1) && followsOnly(LIVE), 15_000, 'v1 acked, live channel followed');

    // The link drops; the broker keeps the session (clean: false) and queues what is published meanwhile.
    const client = (broker.broker as unknown as { clients: Record<string, { close(): void } | undefined> }).clients[DEVICE];
    if (!client) throw new Error('agent not connected');
    const reconnects = () => broker.published.filter((p) => p.topic === deviceTopic(DEVICE, 'status') && p.payload.toString().includes('"connect"')).length;
    const connectsBefore = reconnects();
    client.close();
    const v2 = timeline(2, [slot('a', 'Lịch 1'), slot('b', 'Lịch 2')]);
    await broker.publish(FULL, v2, { retain: true });
    await broker.publish(LIVE, patchOf(v1, v2));
    const before = log.length;
    await waitFor(() => acks().includes(2) && reconnects() > connectsBefore, 10_000, 'the queued patch applied after reconnecting');
    // With the session kept, nothing was missed: the retained channel was not asked for.
    await waitFor(() => agent.isConnected, 15_000, 'connected');
    expect(log.slice(before).filter((l) => l.endsWith(FULL) && l.startsWith('+'))).toEqual([]);

    // The broker restarts (no session, nothing retained): the agent holds 2 and follows both until a whole copy arrives.
    const port = broker.port;
    const key = broker.key;
    await broker.close();
    broker = await startBroker({ [DEVICE]: 'pw' }, port, { [DEVICE]: ['01'] }, key);
    watch(broker);
    await waitFor(() => agent.isConnected && broker.follows(DEVICE, FULL) && broker.follows(DEVICE, LIVE), 10_000, 'both channels followed after the restart');
    // The server's resync of a device behind: the whole timeline, retained and live.
    const v3 = timeline(3, [slot('c', 'Lịch 3 sau khởi động lại')]);
    await broker.publishTimeline(v3);
    await waitFor(() => acks().includes(3) && followsOnly(LIVE), 15_000, 'v3 acked, live channel only again');
    await waitFor(async () => (await shown()) === 'Lịch 3 sau khởi động lại', 15_000, 'v3 shown');
  });
});
