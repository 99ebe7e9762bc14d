/**
 * Someone with broker-level access (a compromised or misconfigured broker, a stolen broker admin password) can
 * publish anything on any topic, ACL or not. The agent must still obey only the server: this suite plays both the
 * genuine server (it holds the signing key the agent pinned) and the intruder (it does not), on a bare aedes broker
 * with no ACL, against a real `loa-agent` process.
 */
import { jest } from '@jest/globals';
import { Aedes } from 'aedes';
import { createServer, type Server } from 'node:net';
import {
  commandResultMessageSchema,
  deviceTopic,
  encodeMessage,
  generateSigningKey,
  securityReportSchema,
  signMessage,
  type CommandMessage,
  type CommandResultMessage,
  type SecurityReport,
  type TimelineMessage,
} from '@loa/shared';
import { spawnAgent, stopAll, waitFor, type TestAgent } from './support/index.js';

jest.setTimeout(90_000);

const SUITE = 'injection';
const DEVICE = 'brd-injection-01';

describe('agent under broker-level injection', () => {
  const server = generateSigningKey();
  const intruder = generateSigningKey();
  const seen: Array<{ topic: string; payload: Buffer }> = [];
  const subscribed = new Set<string>();
  let aedes: Aedes;
  let tcp: Server;
  let agent: TestAgent;

  const publishRaw = (topic: string, payload: Buffer, retain = false) =>
    new Promise<void>((resolve, reject) => aedes.publish({ cmd: 'publish', topic, payload, qos: 1, retain, dup: false }, (e) => (e ? reject(e) : resolve())));
  const reports = (): SecurityReport[] =>
    seen.filter((s) => s.topic === deviceTopic(DEVICE, 'security')).map((s) => securityReportSchema.parse(JSON.parse(s.payload.toString())));
  const results = (): CommandResultMessage[] =>
    seen.filter((s) => s.topic === deviceTopic(DEVICE, 'res')).map((s) => commandResultMessageSchema.parse(JSON.parse(s.payload.toString())));
  const shown = async (): Promise<string | null> => (await agent.boardState()).current?.text ?? null;
  const timeline = (version: number, text: string): TimelineMessage => ({
    v: 1,
    deviceId: DEVICE,
    version,
    generatedAt: Date.now(),
    slots: [{ type: 'text', occurrenceId: `occ-${version}`, scheduleId: 's-1', contentId: 'c-1', title: 'Thông báo', priority: 'normal', startAt: Date.now() - 1000, durationMs: 600_000, text }],
  });
  const command = (id: string, expiresAt: number): CommandMessage => ({ v: 1, id, deviceId: DEVICE, sentAt: Date.now(), expiresAt, command: { type: 'collectLogs', lines: 5 } });

  beforeAll(async () => {
    aedes = await Aedes.createBroker();
    aedes.on('publish', (packet, client) => {
      if (client) seen.push({ topic: packet.topic, payload: Buffer.from(packet.payload) });
    });
    aedes.on('subscribe', (subs) => subs.forEach((x) => subscribed.add(x.topic)));
    tcp = createServer(aedes.handle);
    await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
    const port = (tcp.address() as { port: number }).port;
    agent = await spawnAgent({
      suite: SUITE,
      // No HTTP server at all: a board needs none, and the clock falls back to its own.
      serverUrl: 'http://127.0.0.1:9',
      mqttUrl: `mqtt://127.0.0.1:${port}`,
      deviceId: DEVICE,
      secret: 'unused-by-this-broker',
      serverPublicKey: server.publicKeyB64,
      kind: 'board',
    });
    await publishRaw(deviceTopic(DEVICE, 'timeline'), signMessage(server, timeline(5, 'Lịch phát thanh thật')), true);
    await waitFor(async () => (await shown()) === 'Lịch phát thanh thật', 15_000, { what: 'the genuine timeline on the board' });
  });

  afterAll(async () => {
    await stopAll();
    await new Promise<void>((r) => aedes.close(() => r()));
    await new Promise<void>((r) => tcp.close(() => r()));
  });

  it('rejects and reports a forged and an unsigned timeline, and keeps showing the genuine one', async () => {
    // Holding a timeline, the agent takes new versions on the live channel (timeline/patch): the intruder's target.
    const live = deviceTopic(DEVICE, 'timeline/patch');
    await waitFor(() => subscribed.has(live), 10_000, { what: 'the agent on the live timeline channel' });
    await publishRaw(live, signMessage(intruder, timeline(6, 'Sơ tán ngay! (giả mạo)')));
    await publishRaw(live, encodeMessage(timeline(7, 'Tin giả không ký')));
    await waitFor(() => reports().length >= 2, 10_000, { what: 'two security reports' });
    expect(reports().map((r) => r.reason)).toEqual(['unknown-key', 'unsigned']);
    expect(reports().every((r) => r.topic === live)).toBe(true);
    expect(await shown()).toBe('Lịch phát thanh thật');
    expect(agent.proc.stdout()).not.toContain('"msg":"timeline stored","version":6');
  });

  it('runs a genuine command once, and rejects and reports its replay and an expired one', async () => {
    const genuine = signMessage(server, command('cmd-logs-1', Date.now() + 60_000));
    await publishRaw(deviceTopic(DEVICE, 'req'), genuine);
    await waitFor(() => results().some((r) => r.id === 'cmd-logs-1'), 10_000, { what: 'the result of the genuine command' });
    expect(results().find((r) => r.id === 'cmd-logs-1')).toMatchObject({ status: 'ok', data: { lines: expect.any(Array) } });

    const before = reports().length;
    // The intruder captured the signed bytes and sends them again.
    await publishRaw(deviceTopic(DEVICE, 'req'), genuine);
    // A genuinely signed command whose time has passed (e.g. held back by the intruder).
    await publishRaw(deviceTopic(DEVICE, 'req'), signMessage(server, command('cmd-logs-old', Date.now() - 1000)));
    await waitFor(() => reports().length >= before + 2, 10_000, { what: 'replay and expiry reports' });
    const fresh = reports().slice(before);
    expect(fresh.map((r) => [r.reason, r.claimed])).toEqual([
      ['replay', 'cmd-logs-1'],
      ['expired', 'cmd-logs-old'],
    ]);
    // Ran once: exactly one ok for the genuine command, and the expired one never ran.
    expect(results().filter((r) => r.id === 'cmd-logs-1' && r.status === 'ok')).toHaveLength(1);
    expect(results().filter((r) => r.id === 'cmd-logs-old').every((r) => r.status === 'rejected')).toBe(true);
  });
});
