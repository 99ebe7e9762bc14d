import { createServer, type Server, type Socket } from 'node:net';
import { Aedes } from 'aedes';
import {
  alertMessageSchema,
  areaCodeSchema,
  areaTopic,
  decodeMessage,
  deviceIdSchema,
  deviceTopic,
  encodeMessage,
  eventsBatchSchema,
  commandResultMessageSchema,
  generateSigningKey,
  signMessage,
  mayDevicePublish,
  mayDeviceSubscribe,
  parseDeviceTopic,
  statusMessageSchema,
  telemetryMessageSchema,
  timelineAckSchema,
  timelineDigest,
  type AlertMessage,
  type TimelinePatchMessage,
  type PlaybackEvent,
  type TimelineMessage,
} from '@loa/shared';
import { Fleet } from '../fleet.js';
import { sampleTree } from '../area-tree.js';
import { parseLatency, simulateMain } from '../cli.js';
import { mergeStats, emptyStats, type FleetOptions } from '../types.js';
import { sleep, waitFor } from './helpers.js';

interface Seen {
  topic: string;
  clientId: string | null;
  payload: Buffer;
  retain: boolean;
}

/** aedes with per-device credentials and the shared ACL, area alerts included (as the Loa server enforces). */
async function broker(credentials: Record<string, { secret: string; areas: string[] }>, port = 0) {
  const seen: Seen[] = [];
  const state = { refused: 0, ackEvents: true };
  const aedes = await Aedes.createBroker({
    authenticate: (client, username, password, done) => {
      const ok = username !== undefined && username === client.id && credentials[username]?.secret === password?.toString();
      if (!ok) state.refused++;
      done(ok ? null : Object.assign(new Error('bad credentials'), { returnCode: 4 as const }), ok);
    },
    authorizePublish: (client, packet, cb) => cb(client && mayDevicePublish(client.id, packet.topic) ? null : new Error('denied')),
    authorizeSubscribe: (client, sub, cb) => cb(null, mayDeviceSubscribe(client.id, sub.topic, new Set(credentials[client.id]?.areas ?? [])) ? sub : null),
  });
  const publishRaw = (topic: string, payload: Buffer, retain = false) =>
    new Promise<void>((resolve, reject) => aedes.publish({ cmd: 'publish', topic, payload, qos: 1, retain, dup: false }, (e) => (e ? reject(e) : resolve())));
  // Plays the server, so it signs what it sends.
  const publish = (topic: string, payload: unknown, retain = false) => publishRaw(topic, signMessage(SERVER_KEY, payload), retain);
  // As the server's gateway: a whole timeline retained on `timeline` and live on `timeline/patch`.
  const publishTimeline = async (t: TimelineMessage) => {
    const signed = signMessage(SERVER_KEY, t);
    await publishRaw(deviceTopic(t.deviceId, 'timeline'), signed, true);
    await publishRaw(deviceTopic(t.deviceId, 'timeline/patch'), signed);
  };
  const followed = new Set<string>();
  aedes.on('subscribe', (subs, client) => subs.forEach((x) => followed.add(`${client.id} ${x.topic}`)));
  aedes.on('unsubscribe', (topics, client) => topics.forEach((t) => followed.delete(`${client.id} ${t}`)));
  aedes.on('publish', (packet, client) => {
    if (packet.topic.startsWith('$SYS')) return;
    const payload = Buffer.from(packet.payload);
    seen.push({ topic: packet.topic, clientId: client?.id ?? null, payload, retain: packet.retain });
    // Plays the server: commit (here: nothing) and ack every batch of reports.
    const parsed = parseDeviceTopic(packet.topic);
    if (client && parsed?.channel === 'events' && state.ackEvents) {
      const batch = decodeMessage(eventsBatchSchema, payload);
      if (batch.ok) void publish(deviceTopic(parsed.deviceId, 'events/ack'), { v: 1, deviceId: parsed.deviceId, ids: batch.value.events.map((e) => e.id) });
    }
  });
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    aedes.handle(s);
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  const bound = (server.address() as { port: number }).port;
  return {
    port: bound,
    url: `mqtt://127.0.0.1:${bound}`,
    seen,
    state,
    publish,
    publishRaw,
    publishTimeline,
    /** Subscribed to exactly one of its two timeline channels. */
    followsOnly: (deviceId: string, channel: 'timeline' | 'timeline/patch') =>
      followed.has(`${deviceId} ${deviceTopic(deviceId, channel)}`) && !followed.has(`${deviceId} ${deviceTopic(deviceId, channel === 'timeline' ? 'timeline/patch' : 'timeline')}`),
    on: (deviceId: string, channel: string) => seen.filter((s) => s.clientId === deviceId && s.topic === `${deviceTopic(deviceId, 'status').slice(0, -'status'.length)}${channel}`),
    clients: () => Object.keys((aedes as unknown as { clients: Record<string, unknown> }).clients).length,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
      await new Promise<void>((r) => aedes.close(() => r()));
    },
  };
}
type TestBroker = Awaited<ReturnType<typeof broker>>;

const SERVER_KEY = generateSigningKey();
const PROVINCE = '42';
const COMMUNE = '420001';
const creds = { 'spk-a': { secret: 's-a', areas: [PROVINCE, COMMUNE] }, 'brd-b': { secret: 's-b', areas: [PROVINCE, COMMUNE] } };

const timeline = (deviceId: string, version: number, slots: { occ: string; startAt: number; durationMs: number }[] = []): TimelineMessage => ({
  v: 1,
  deviceId,
  version,
  generatedAt: Date.now(),
  areaCodes: [PROVINCE, COMMUNE],
  slots: slots.map((s) => ({
    type: 'text',
    occurrenceId: s.occ,
    scheduleId: 'sch-1',
    contentId: 'cnt-1',
    title: 'Bản tin',
    priority: 'normal',
    startAt: s.startAt,
    durationMs: s.durationMs,
    text: 'Thông báo lịch tiêm chủng',
  })),
});

const alert = (id: string): AlertMessage => ({
  v: 1,
  id,
  msgType: 'alert',
  areaCode: PROVINCE,
  priority: 'emergency',
  sentAt: Date.now(),
  effectiveAt: Date.now(),
  expiresAt: Date.now() + 60_000,
  title: 'Cảnh báo bão',
});

const eventsOf = (b: TestBroker, deviceId: string): PlaybackEvent[] =>
  b.on(deviceId, 'events').flatMap((s) => {
    const r = decodeMessage(eventsBatchSchema, s.payload);
    if (!r.ok) throw new Error(`invalid events batch: ${r.error}`);
    return r.value.events;
  });

describe('fleet simulator', () => {
  let b: TestBroker;
  const fleets: Fleet[] = [];
  const fleet = (opts: Partial<FleetOptions> = {}, devices: FleetOptions['devices'] = [
    { id: 'spk-a', secret: 's-a', kind: 'speaker' },
    { id: 'brd-b', secret: 's-b', kind: 'board' },
  ]) => {
    const f = new Fleet({ mqttUrl: b.url, serverPublicKey: SERVER_KEY.publicKeyB64, devices, tickMs: 20, telemetryIntervalMs: 0, backoff: { baseMs: 50, capMs: 200 }, ...opts }, true);
    fleets.push(f);
    return f;
  };

  beforeEach(async () => {
    b = await broker(creds);
  });
  afterEach(async () => {
    for (const f of fleets.splice(0)) await f.stop();
    await b.close();
  });

  it('logs each device in with its own credentials and announces it online (retained), with a last will', async () => {
    const f = fleet();
    await f.start();
    await waitFor(async () => (await f.stats()).connected === 2, 5000, 'both connected');
    for (const id of ['spk-a', 'brd-b']) {
      const status = b.on(id, 'status');
      expect(status).toHaveLength(1);
      expect(status[0]?.retain).toBe(true);
      const msg = decodeMessage(statusMessageSchema, status[0]!.payload);
      expect(msg.ok && msg.value.state).toBe('online');
      expect(msg.ok && msg.value.kind).toBe(id === 'brd-b' ? 'board' : 'speaker');
    }
    // An abrupt drop makes the broker publish the will (offline), and the device comes back by itself.
    f.dropConnection('spk-a');
    await waitFor(() => b.on('spk-a', 'status').length >= 2, 5000, 'will');
    const will = decodeMessage(statusMessageSchema, b.seen.filter((s) => s.topic === deviceTopic('spk-a', 'status'))[1]!.payload);
    expect(will.ok && will.value).toMatchObject({ state: 'offline', reason: 'will' });
    await waitFor(async () => (await f.stats()).connects >= 3, 5000, 'reconnect');
    expect(deviceIdSchema.safeParse('spk-a').success).toBe(true);
  });

  it('answers every signed command once, and rejects an expired one', async () => {
    const f = fleet();
    await f.start();
    await waitFor(async () => (await f.stats()).connected === 2, 5000, 'connected');
    const now = Date.now();
    await b.publish(deviceTopic('spk-a', 'req'), { v: 1, id: 'c-1', deviceId: 'spk-a', sentAt: now, expiresAt: now + 60_000, command: { type: 'setVolume', volume: 40 } });
    await b.publish(deviceTopic('spk-a', 'req'), { v: 1, id: 'c-2', deviceId: 'spk-a', sentAt: now, expiresAt: now - 1, command: { type: 'stop' } });
    await waitFor(() => b.on('spk-a', 'res').length === 2, 5000, 'two results');
    const results = b.on('spk-a', 'res').map((s) => commandResultMessageSchema.parse(JSON.parse(s.payload.toString())));
    expect(results.map((r) => [r.id, r.status])).toEqual([['c-1', 'ok'], ['c-2', 'rejected']]);
    expect(f.device('spk-a')?.volume).toBe(40);
    expect((await f.stats()).commandsAnswered).toBe(2);
  });

  it('keeps retrying with back-off, without connecting, when its secret is refused', async () => {
    const f = fleet({}, [{ id: 'spk-a', secret: 'wrong' }]);
    await f.start();
    await waitFor(async () => (await f.stats()).authRefused >= 1, 5000, 'refusal');
    const s = await f.stats();
    expect(s.connected).toBe(0);
    expect(s.everConnected).toBe(0);
    expect(b.state.refused).toBeGreaterThanOrEqual(1);
  });

  it('acks every new timeline version, re-acks the current one, ignores older ones and follows its areas\' alerts', async () => {
    const f = fleet();
    await f.start();
    await waitFor(async () => (await f.stats()).connected === 2, 5000, 'connected');
    await b.publish(deviceTopic('spk-a', 'timeline'), timeline('spk-a', 1), true);
    await waitFor(() => f.device('spk-a')?.ackedVersion === 1, 5000, 'ack v1');
    await waitFor(() => f.device('spk-a')?.alertTopics.length === 2, 5000, 'alert subscriptions');
    expect(f.device('spk-a')?.alertTopics.sort()).toEqual([areaTopic(PROVINCE, 'alert'), areaTopic(COMMUNE, 'alert')].sort());
    expect((await f.stats()).alertSubscribed).toBe(1);

    // Holding a timeline, it follows the live channel only, as the agent does.
    await waitFor(() => b.followsOnly('spk-a', 'timeline/patch'), 5000, 'live channel only');
    const live = deviceTopic('spk-a', 'timeline/patch');
    await b.publishTimeline(timeline('spk-a', 2));
    await waitFor(() => f.device('spk-a')?.ackedVersion === 2, 5000, 'ack v2');
    await b.publish(live, timeline('spk-a', 2));
    await b.publish(live, timeline('spk-a', 1));
    // The current version once more: its re-ack, after the older one on the same ordered topic, shows that older one
    // was handled (an ack of it would come between).
    await b.publish(live, timeline('spk-a', 2));
    await waitFor(() => b.on('spk-a', 'timeline/ack').length >= 4, 5000, 're-acks');
    const acks = b.on('spk-a', 'timeline/ack').map((s) => decodeMessage(timelineAckSchema, s.payload)).map((r) => (r.ok ? r.value.version : -1));
    expect(acks).toEqual([1, 2, 2, 2]);
    expect(f.device('spk-a')?.timelineVersion).toBe(2);

    // A timeline for another device (e.g. forged) is refused.
    await b.publish(live, timeline('brd-b', 9));
    await waitFor(async () => (await f.stats()).messagesRefused === 1, 5000, 'refusal');
    // Unsigned, or signed by another key: refused before it is read, as a real agent's guard does.
    await b.publishRaw(live, encodeMessage(timeline('spk-a', 3)));
    await b.publishRaw(live, signMessage(generateSigningKey(), timeline('spk-a', 4)));
    await waitFor(async () => (await f.stats()).signatureRefused === 2, 5000, 'signature refusals');
    expect(f.device('spk-a')?.timelineVersion).toBe(2);

    await f.markTimelines();
    await b.publish(deviceTopic('brd-b', 'timeline'), timeline('brd-b', 1), true);
    await waitFor(async () => (await f.stats()).ackedSinceMark === 1, 5000, 'acked since mark');

    await f.expectAlert('al-1');
    const before = Date.now();
    await b.publish(areaTopic(PROVINCE, 'alert'), alert('al-1'), true);
    await waitFor(async () => (await f.stats()).alertsReceived === 2, 5000, 'alert at both devices');
    const receipts = await f.alertReceipts('al-1');
    expect(receipts).toHaveLength(2);
    for (const t of receipts) expect(t).toBeGreaterThanOrEqual(before);
    expect(alertMessageSchema.safeParse(alert('x')).success).toBe(true);
  });

  it('applies a patch of the held version, fetches the whole timeline after one it cannot apply, and counts its socket bytes', async () => {
    // No reports: the only traffic after v1 is the timeline's.
    const f = fleet({ reportDelivered: false }, [{ id: 'spk-a', secret: 's-a' }]);
    await f.start();
    await waitFor(async () => (await f.stats()).connected === 1, 5000, 'connected');
    const soon = Date.now() + 3_600_000;
    const week = Array.from({ length: 20 }, (_, i) => ({ occ: `o-w${i}`, startAt: soon + i * 3_600_000, durationMs: 1000 }));
    const v1 = timeline('spk-a', 1, week);
    await b.publishTimeline(v1);
    await waitFor(() => f.device('spk-a')?.ackedVersion === 1 && b.followsOnly('spk-a', 'timeline/patch'), 5000, 'v1 acked, live channel only');

    const v2 = timeline('spk-a', 2, [...week, { occ: 'o-2', startAt: soon + 60_000, durationMs: 1000 }]);
    const patch = (base: TimelineMessage, next: TimelineMessage): TimelinePatchMessage => ({
      v: 1,
      deviceId: next.deviceId,
      base: base.version,
      version: next.version,
      generatedAt: next.generatedAt,
      remove: base.slots.filter((x) => !next.slots.some((n) => n.occurrenceId === x.occurrenceId)).map((x) => x.occurrenceId),
      upsert: next.slots.filter((x) => JSON.stringify(base.slots.find((o) => o.occurrenceId === x.occurrenceId)) !== JSON.stringify(x)),
      digest: timelineDigest(next),
    });
    const bytesBefore = await f.stats();
    await b.publish(deviceTopic('spk-a', 'timeline'), v2, true);
    await b.publish(deviceTopic('spk-a', 'timeline/patch'), patch(v1, v2));
    await waitFor(() => f.device('spk-a')?.ackedVersion === 2, 5000, 'v2 acked from its patch');
    const afterPatch = await f.stats();
    expect(afterPatch.timelinePatchesApplied).toBe(1);
    // The patch (one slot) came down, the whole timeline (21 slots) did not.
    expect(afterPatch.bytesIn - bytesBefore.bytesIn).toBeGreaterThan(0);
    expect(afterPatch.bytesIn - bytesBefore.bytesIn).toBeLessThan(signMessage(SERVER_KEY, v2).length / 4);
    expect(afterPatch.bytesOut).toBeGreaterThan(bytesBefore.bytesOut);

    // Version 3 never arrived: the patch of 3 into 4 is refused and the retained whole (4) fetched instead.
    const v3 = timeline('spk-a', 3, [{ occ: 'o-3', startAt: soon, durationMs: 1000 }]);
    const v4 = timeline('spk-a', 4, [{ occ: 'o-4', startAt: soon, durationMs: 1000 }]);
    await b.publish(deviceTopic('spk-a', 'timeline'), v4, true);
    await b.publish(deviceTopic('spk-a', 'timeline/patch'), patch(v3, v4));
    await waitFor(() => f.device('spk-a')?.ackedVersion === 4 && b.followsOnly('spk-a', 'timeline/patch'), 5000, 'v4 fetched whole, live channel only again');
    expect((await f.stats()).timelinePatchesRefused).toBe(1);
  });

  it('joins its alert channels from a retained timeline that arrives before its SUBACK', async () => {
    await b.publish(deviceTopic('spk-a', 'timeline'), timeline('spk-a', 1), true);
    const f = fleet({}, [{ id: 'spk-a', secret: 's-a' }]);
    await f.start();
    await waitFor(async () => (await f.stats()).alertSubscribed === 1, 5000, 'alert subscriptions');
    expect(f.device('spk-a')?.ackedVersion).toBe(1);
  });

  it('reports delivered at once, started at the slot start and finished at its end', async () => {
    const f = fleet();
    await f.start();
    await waitFor(async () => (await f.stats()).connected === 2, 5000, 'connected');
    const startAt = Date.now() + 400;
    await b.publish(deviceTopic('spk-a', 'timeline'), timeline('spk-a', 1, [{ occ: 'occ-1', startAt, durationMs: 300 }]), true);
    await waitFor(() => eventsOf(b, 'spk-a').some((e) => e.type === 'finished'), 5000, 'finished reported');
    const events = eventsOf(b, 'spk-a');
    expect(events.map((e) => e.type)).toEqual(['delivered', 'started', 'finished']);
    const [delivered, started, finished] = events;
    // Never early; how late (a tick or two when idle) depends on the machine's load, not on the simulator's logic.
    expect(delivered!.at).toBeLessThanOrEqual(started!.at);
    expect(started!.at).toBeGreaterThanOrEqual(startAt);
    // Never before the slot's end either. (started→finished may be shorter than 300 ms: a start tick delayed by load is
    // stamped late while the end tick fires on time; what a report must never be is early.)
    expect(finished!.at).toBeGreaterThanOrEqual(startAt + 300);
    expect(finished!.at).toBeGreaterThanOrEqual(started!.at);
    expect(finished!.playedMs).toBe(300);
    expect(new Set(events.map((e) => e.id)).size).toBe(3);
    await waitFor(() => f.device('spk-a')?.outbox.length === 0, 5000, 'outbox emptied by acks');
    const s = await f.stats();
    expect(s).toMatchObject({ playbackStarted: 1, playbackFinished: 1, eventsAcked: 3, eventsPending: 0 });
  });

  it('turns an area alert with audio into a start at its effectiveAt on every speaker, at once when that has passed, as the agent does', async () => {
    const creds3 = [
      { id: 'spk-a', secret: 's-a', kind: 'speaker' as const },
      { id: 'brd-b', secret: 's-b', kind: 'board' as const },
    ];
    const f = fleet({}, creds3);
    await f.start();
    await waitFor(async () => (await f.stats()).connected === 2, 5000, 'connected');
    for (const id of ['spk-a', 'brd-b']) await b.publish(deviceTopic(id, 'timeline'), timeline(id, 1), true);
    await waitFor(async () => (await f.stats()).alertSubscribed === 2, 5000, 'alert channels joined');

    const media = { sha256: 'a'.repeat(64), bytes: 32_000, durationMs: 300, mime: 'audio/mpeg' };
    const effectiveAt = Date.now() + 400;
    await f.expectAlert('al-sync');
    await b.publish(areaTopic(PROVINCE, 'alert'), { ...alert('al-sync'), effectiveAt, media }, true);
    await waitFor(async () => (await f.stats()).alertStarted === 1, 5000, 'the speaker started');
    const [start] = await f.alertStarts('al-sync');
    // Not on arrival: at the alert's time (never early), on the speaker only (a board shows the text, it plays no sound).
    expect(start).toBeGreaterThanOrEqual(effectiveAt);
    expect(await f.alertStarts('al-sync')).toHaveLength(1);
    await waitFor(() => eventsOf(b, 'spk-a').some((e) => e.type === 'finished' && e.occurrenceId === 'alert:al-sync'), 5000, 'finished reported');
    expect(eventsOf(b, 'spk-a').filter((e) => e.occurrenceId === 'alert:al-sync').map((e) => e.type)).toEqual(['delivered', 'started', 'finished']);

    // Its time already passed on arrival, its audio not yet over: the executor starts it at once, late.
    const late = Date.now() - 100;
    await f.expectAlert('al-late');
    const receivedFrom = Date.now();
    await b.publish(areaTopic(PROVINCE, 'alert'), { ...alert('al-late'), sentAt: Date.now(), effectiveAt: late, media: { ...media, durationMs: 60_000 } }, true);
    await waitFor(async () => (await f.stats()).alertStarted === 1, 5000, 'the late speaker started');
    expect((await f.alertStarts('al-late'))[0]).toBeGreaterThanOrEqual(receivedFrom);
    expect((await f.stats()).playbackStarted).toBeGreaterThanOrEqual(2);

    // A cancellation withdraws it: the speaker stops and reports it skipped.
    await b.publish(areaTopic(PROVINCE, 'alert'), { ...alert('al-late'), msgType: 'cancel', sentAt: Date.now() + 1, effectiveAt: late }, true);
    await waitFor(() => eventsOf(b, 'spk-a').some((e) => e.type === 'skipped' && e.occurrenceId === 'alert:al-late'), 5000, 'skipped reported');
    expect(f.device('spk-a')?.alertsSeen).toContain('al-late');

    // Reached after its audio was over: nothing plays, the speaker reports it expired.
    await f.expectAlert('al-over');
    await b.publish(areaTopic(PROVINCE, 'alert'), { ...alert('al-over'), sentAt: Date.now() + 2, effectiveAt: Date.now() - 5000, media }, true);
    await waitFor(async () => (await f.stats()).alertMissed === 1, 5000, 'the speaker found it over');
    await waitFor(() => eventsOf(b, 'spk-a').some((e) => e.type === 'expired' && e.occurrenceId === 'alert:al-over'), 5000, 'expired reported');
    expect(await f.alertStarts('al-over')).toEqual([]);
  });

  it('keeps reports until acknowledged, resends them after the timeout with the same ids, and stops once acked', async () => {
    b.state.ackEvents = false;
    const f = fleet({ resendAfterMs: 300 }, [{ id: 'spk-a', secret: 's-a' }]);
    await f.start();
    await waitFor(async () => (await f.stats()).connected === 1, 5000, 'connected');
    await f.injectEvents({ perDevice: 3, occurrenceId: 'occ-x' });
    await waitFor(() => eventsOf(b, 'spk-a').length >= 6, 5000, 'resend');
    const sent = eventsOf(b, 'spk-a');
    const ids = new Set(sent.map((e) => e.id));
    expect(ids.size).toBe(3);
    expect(f.device('spk-a')?.outbox).toHaveLength(3);
    expect((await f.stats()).eventsResent).toBeGreaterThanOrEqual(3);

    b.state.ackEvents = true;
    await waitFor(() => f.device('spk-a')?.outbox.length === 0, 5000, 'acked');
    const sends = (id: string) => eventsOf(b, 'spk-a').filter((e) => e.id === id).length;
    const before = [...ids].map(sends);
    // One more report, never acked: once it is resent, a resend pass has run after the ack, and it would have resent
    // the three too had they still been pending (they are older).
    b.state.ackEvents = false;
    await f.injectEvents({ perDevice: 1, occurrenceId: 'occ-later' });
    const later = await waitFor(() => eventsOf(b, 'spk-a').find((e) => e.occurrenceId === 'occ-later'), 5000, 'the later report');
    await waitFor(() => sends(later.id) >= 2, 5000, 'the later report resent');
    expect([...ids].map(sends)).toEqual(before);
    const s = await f.stats();
    expect(s.eventsAcked).toBe(3);
    expect(s.firstEventSentAt).toBeGreaterThan(0);
    expect(s.lastEventAckAt).toBeGreaterThanOrEqual(s.firstEventSentAt);
  });

  it('reconnects after the broker restarts and resends what was not acknowledged', async () => {
    const f = fleet({ resendAfterMs: 60_000 });
    await f.start();
    await waitFor(async () => (await f.stats()).connected === 2, 5000, 'connected');
    const port = b.port;
    await b.close();
    await waitFor(async () => (await f.stats()).connected === 0, 5000, 'disconnected');
    await f.injectEvents({ perDevice: 2, occurrenceId: 'occ-offline' });
    await sleep(200);
    b = await broker(creds, port);
    await waitFor(async () => (await f.stats()).connected === 2, 10_000, 'reconnected');
    await waitFor(async () => (await f.stats()).eventsPending === 0, 5000, 'offline reports acked after reconnect');
    expect(eventsOf(b, 'spk-a')).toHaveLength(2);
    expect(eventsOf(b, 'brd-b')).toHaveLength(2);
    expect((await f.stats()).disconnects).toBe(2);
  });

  it('runs a skewed device by its own clock, or by the offset it estimates from timelines when told to correct', async () => {
    const skew = 1500;
    const plain = fleet({}, [{ id: 'spk-a', secret: 's-a', skewMs: skew }]);
    const corrected = fleet({ correctSkew: true, telemetryIntervalMs: 100 }, [{ id: 'brd-b', secret: 's-b', kind: 'board', skewMs: skew }]);
    await plain.start();
    await corrected.start();
    await waitFor(async () => (await plain.stats()).connected + (await corrected.stats()).connected === 2, 5000, 'connected');
    const startAt = Date.now() + 2500;
    await b.publish(deviceTopic('spk-a', 'timeline'), timeline('spk-a', 1, [{ occ: 'occ-s', startAt, durationMs: 200 }]), true);
    await b.publish(deviceTopic('brd-b', 'timeline'), timeline('brd-b', 1, [{ occ: 'occ-s', startAt, durationMs: 200 }]), true);
    await waitFor(() => eventsOf(b, 'spk-a').some((e) => e.type === 'finished') && eventsOf(b, 'brd-b').some((e) => e.type === 'finished'), 8000, 'both finished');

    // Uncorrected and corrected differ by the whole skew; how close each lands to its target is the load's doing, so
    // the bounds are half the skew: right and wrong stay apart however slow the machine.
    const HALF = skew / 2;
    // Uncorrected: plays when its own clock says so, i.e. `skew` too early in true time, and stamps its own clock.
    const a = plain.device('spk-a')!.reported.find((r) => r.type === 'started')!;
    expect(a.at - a.trueAt).toBe(skew);
    expect(a.at).toBeGreaterThanOrEqual(startAt);
    // Corrected: the estimate is within the delivery delay of -skew, so it starts on time and stamps server time.
    const c = corrected.device('brd-b')!;
    expect(Math.abs(c.offsetEstimateMs + skew)).toBeLessThan(HALF);
    const cs = c.reported.find((r) => r.type === 'started')!;
    expect(cs.trueAt).toBeGreaterThan(startAt - HALF);
    expect(cs.trueAt).toBeGreaterThan(a.trueAt);
    expect(Math.abs(cs.at - cs.trueAt)).toBeLessThan(HALF);
    const tel = b.on('brd-b', 'telemetry').map((s) => decodeMessage(telemetryMessageSchema, s.payload));
    expect(tel.length).toBeGreaterThan(0);
    const last = tel[tel.length - 1]!;
    expect(last.ok && Math.abs((last.value.clockOffsetMs ?? 0) + skew)).toBeLessThan(HALF);
  });

  it('simulates flaky links: random disconnects with reconnects, and added latency', async () => {
    const f = fleet({ flakyDisconnectPerMin: 300, latencyMs: [50, 80], telemetryIntervalMs: 200 });
    await f.start();
    await waitFor(async () => (await f.stats()).disconnects >= 2, 10_000, 'random disconnects');
    await waitFor(async () => (await f.stats()).connects >= 4, 10_000, 'reconnects');
    // Links this flaky leave little time online; a loaded machine may reach the reconnects before any telemetry.
    await waitFor(async () => (await f.stats()).telemetrySent > 0, 10_000, 'telemetry between disconnects');
    const tel = b.seen.filter((s) => s.topic === deviceTopic('spk-a', 'telemetry'));
    for (const t of tel) expect(decodeMessage(telemetryMessageSchema, t.payload).ok).toBe(true);
  });
});

describe('sample area tree', () => {
  it('spreads devices over communes of one province with valid, unique ids and codes', () => {
    const t = sampleTree({ devices: 1000, perCommune: 40 });
    expect(t.areas.filter((a) => a.level === 'commune')).toHaveLength(25);
    expect(new Set(t.devices.map((d) => d.id)).size).toBe(1000);
    expect(new Set(t.areas.map((a) => a.name)).size).toBe(t.areas.length);
    for (const d of t.devices) {
      expect(deviceIdSchema.safeParse(d.id).success).toBe(true);
      expect(d.areaCodes[0]).toBe(t.provinceCode);
      expect(d.areaCodes[d.areaCodes.length - 1]).toBe(d.areaCode);
    }
    for (const a of t.areas) expect(areaCodeSchema.safeParse(a.code).success).toBe(true);
    expect(t.devices.filter((d) => d.kind === 'board').length).toBeGreaterThan(0);
    const three = sampleTree({ devices: 1000, tiers: 3 });
    expect(three.devices[0]?.areaCodes).toHaveLength(3);
    expect(three.areas.some((a) => a.level === 'district')).toBe(true);
  });
});

describe('simulator command line', () => {
  it('parses latency ranges and refuses bad ones', () => {
    expect(parseLatency('20-200')).toEqual([20, 200]);
    expect(parseLatency('50')).toEqual([50, 50]);
    expect(parseLatency(undefined)).toBeNull();
    expect(() => parseLatency('9-1')).toThrow();
  });

  it('exits 2 with usage on a missing devices file', async () => {
    let err = '';
    const code = await simulateMain([], {}, { stdout: () => undefined, stderr: (s) => (err += s), shutdownSignal: new Promise(() => undefined) });
    expect(code).toBe(2);
    expect(err).toContain('--devices-file');
  });

  it('merges the stats of several processes', () => {
    const a = { ...emptyStats(), connected: 2, firstEventSentAt: 50, lastEventAckAt: 90 };
    const b2 = { ...emptyStats(), connected: 3, firstEventSentAt: 40, lastEventAckAt: 70 };
    expect(mergeStats([a, b2])).toMatchObject({ connected: 5, firstEventSentAt: 40, lastEventAckAt: 90 });
    expect(mergeStats([emptyStats(), a])).toMatchObject({ firstEventSentAt: 50 });
  });
});
