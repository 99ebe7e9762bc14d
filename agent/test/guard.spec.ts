import { join } from 'node:path';
import {
  areaTopic,
  deviceTopic,
  encodeMessage,
  generateSigningKey,
  securityReportSchema,
  signMessage,
  type AlertMessage,
  type SecurityReport,
  type TimelineMessage,
} from '@loa/shared';
import { Backoff } from '../src/backoff.js';
import { agentConfigSchema } from '../src/config.js';
import { Controller } from '../src/controller.js';
import { startBroker, type TestBroker } from './broker.js';
import { silentLogger, tempDir, waitFor } from './helpers.js';

const DEVICE = 'brd-guard-01';
const OTHER = 'brd-guard-02';

/**
 * The test holds the broker, which is exactly the access an intruder inside the broker would have: it can publish
 * anything on any topic. Only messages signed with the key the agent pinned may change what the device does.
 */
describe('agent message guard (broker-level injection)', () => {
  let broker: TestBroker;
  let agent: Controller;
  let cleanup: () => Promise<void>;

  const timeline = (version: number, text: string, deviceId = DEVICE): TimelineMessage => ({
    v: 1,
    deviceId,
    version,
    generatedAt: Date.now(),
    areaCodes: ['01'],
    slots: [{ type: 'text', occurrenceId: `occ-${version}`, scheduleId: 's', contentId: 'c', title: 'Thông báo', priority: 'normal', startAt: Date.now(), durationMs: 60_000, text }],
  });
  const reports = (): SecurityReport[] =>
    broker.published.filter((p) => p.topic === deviceTopic(DEVICE, 'security')).map((p) => securityReportSchema.parse(JSON.parse(p.payload.toString())));
  const shown = async (): Promise<string | null> =>
    ((await (await fetch(`${agent.boardServer!.url}/state`)).json()) as { current: { text: string } | null }).current?.text ?? null;

  beforeEach(async () => {
    broker = await startBroker({ [DEVICE]: 'pw' }, 0, { [DEVICE]: ['01'] });
    const t = await tempDir();
    cleanup = t.cleanup;
    agent = new Controller(
      agentConfigSchema.parse({ serverUrl: 'http://127.0.0.1:9', mqttUrl: broker.url, serverPublicKey: broker.publicKey, deviceId: DEVICE, secret: 'pw', kind: 'board', boardPort: 0, dataDir: join(t.dir, 'd') }),
      { logger: silentLogger(), reconnectBackoff: new Backoff({ baseMs: 100, capMs: 400 }), clockSync: false },
    );
    await agent.start();
    await waitFor(() => agent.isConnected, 5000, 'connected');
    await broker.publish(deviceTopic(DEVICE, 'timeline'), timeline(5, 'Lịch thật'), { retain: true });
    await waitFor(async () => (await shown()) === 'Lịch thật', 5000, 'genuine timeline shown');
  });
  afterEach(async () => {
    await agent.stop();
    await broker.close();
    await cleanup();
  });

  it('refuses unsigned, forged, misaddressed and replayed timelines, and reports each', async () => {
    // Holding a timeline, the agent listens for new versions on the live channel: that is where an intruder aims.
    const topic = deviceTopic(DEVICE, 'timeline/patch');
    await waitFor(() => broker.follows(DEVICE, topic), 5000, 'live timeline channel followed');
    await broker.publishRaw(topic, encodeMessage(timeline(6, 'giả: không ký')));
    await broker.publishRaw(topic, signMessage(generateSigningKey(), timeline(7, 'giả: khóa lạ')));
    const forged = JSON.parse(signMessage(generateSigningKey(), timeline(8, 'giả: chữ ký sai')).toString()) as { kid: string };
    forged.kid = broker.key.kid;
    await broker.publishRaw(topic, Buffer.from(JSON.stringify(forged)));
    await broker.publish(topic, timeline(9, 'thiết bị khác', OTHER));
    await broker.publish(topic, timeline(4, 'bản cũ'));

    await waitFor(() => reports().length >= 5, 5000, 'five security reports');
    expect(reports().map((r) => r.reason)).toEqual(['unsigned', 'unknown-key', 'bad-signature', 'wrong-device', 'replay']);
    expect(reports().every((r) => r.topic === topic)).toBe(true);
    expect(reports().at(-1)?.claimed).toBe('4');
    expect(agent.timelineVersion).toBe(5);
    expect(await shown()).toBe('Lịch thật');
    // The genuine retained copy coming back is no attack: it is not reported. Proof: an unsigned copy sent after it on
    // the same topic is handled (messages of one topic arrive in order) and its report comes straight after the five.
    await broker.publish(topic, timeline(5, 'Lịch thật'));
    await broker.publishRaw(topic, encodeMessage(timeline(10, 'giả: sau bản thật')));
    await waitFor(() => reports().length >= 6, 5000, 'the report of the unsigned copy sent after the genuine one');
    expect(reports().map((r) => r.reason)).toEqual(['unsigned', 'unknown-key', 'bad-signature', 'wrong-device', 'replay', 'unsigned']);
    expect(agent.timelineVersion).toBe(5);
  });

  it('keeps its reports when an events/ack is forged', async () => {
    await waitFor(() => agent.outboxEvents.length > 0, 5000, 'reports in the outbox');
    const ids = agent.outboxEvents.map((e) => e.id);
    await broker.publishRaw(deviceTopic(DEVICE, 'events/ack'), encodeMessage({ v: 1, deviceId: DEVICE, ids }));
    await broker.publish(deviceTopic(DEVICE, 'events/ack'), { v: 1, deviceId: OTHER, ids });
    await waitFor(() => reports().length >= 2, 5000, 'reports');
    expect(reports().map((r) => r.reason)).toEqual(['unsigned', 'wrong-device']);
    expect(agent.outboxEvents.map((e) => e.id)).toEqual(expect.arrayContaining(ids));
    await broker.publish(deviceTopic(DEVICE, 'events/ack'), { v: 1, deviceId: DEVICE, ids });
    await waitFor(() => !agent.outboxEvents.some((e) => ids.includes(e.id)), 5000, 'genuine ack drains the outbox');
  });

  it('ignores a forged alert and a replayed superseded one', async () => {
    const now = Date.now();
    const alert = (over: Partial<AlertMessage>): AlertMessage => ({
      v: 1, id: 'a-1', msgType: 'alert', areaCode: '01', priority: 'emergency', sentAt: now, effectiveAt: now, expiresAt: now + 60_000, title: 'Bão', text: 'Bão số 3', ...over,
    });
    await broker.publishRaw(areaTopic('01', 'alert'), signMessage(generateSigningKey(), alert({ id: 'fake', text: 'Sơ tán ngay (giả)' })), { retain: true });
    await waitFor(() => reports().some((r) => r.reason === 'unknown-key'), 5000, 'forged alert reported');
    expect(await shown()).toBe('Lịch thật');

    await broker.publish(areaTopic('01', 'alert'), alert({}), { retain: true });
    await waitFor(async () => (await shown()) === 'Bão số 3', 5000, 'genuine alert shown');
    await broker.publish(areaTopic('01', 'alert'), alert({ id: 'a-1:cancel', msgType: 'cancel', references: 'a-1', sentAt: now + 10 }), { retain: true });
    await waitFor(async () => (await shown()) === 'Lịch thật', 5000, 'alert cancelled');
    // An intruder replays the original (validly signed) alert to bring it back.
    await broker.publish(areaTopic('01', 'alert'), alert({}), { retain: true });
    await waitFor(() => reports().some((r) => r.reason === 'replay' && r.claimed === 'a-1'), 5000, 'replay reported');
    expect(await shown()).toBe('Lịch thật');
  });
});
