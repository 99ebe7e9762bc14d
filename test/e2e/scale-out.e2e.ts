/**
 * Issue 15, end to end: Loa scaled out as deploy/scale-out.md describes it — Mosquitto with dynamic security, one
 * PostgreSQL database, two server processes (loa-a, loa-b) behind a load balancer, real agent processes and ~1,000
 * simulated devices, all connected to the broker rather than to a Loa process.
 *
 * - Work made through either instance reaches every device: a schedule, an alert, a command.
 * - The broker, not Loa, keeps each device to its own topics.
 * - `kill -9` of the leading instance while the devices are sending reports: every report a device had seen
 *   acknowledged is in the database exactly once, nothing is recorded twice, the survivor takes the lead and runs the
 *   periodic jobs, and the devices never notice (no disconnect, reports keep being acknowledged, agents keep playing).
 *
 * Every wait is for an event (an ack, a row, a counter); none is a sleep standing in for an assertion.
 */
import { jest } from '@jest/globals';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { areaTopic, deviceTopic } from '@loa/shared';
import { Fleet } from '../sim/fleet.js';
import { provision } from '../sim/provision.js';
import type { SimDeviceSpec } from '../sim/types.js';
import { Api, ADMIN_PASSWORD, ADMIN_USERNAME, loa, makeTone, spawnAgent, stopAll, tempDir, waitFor, within, type DeliveryView, type TestAgent } from './support/index.js';
import { startScaleOut, type ScaleOut } from './support/scale-out.js';

jest.setTimeout(240_000);

const SUITE = 'scale-out';
/** Simulated devices (the issue's ~1,000); smaller on a machine that cannot take it: LOA_E2E_SCALE_DEVICES. */
const N = Number(process.env.LOA_E2E_SCALE_DEVICES ?? 1000);
const PROVINCE = '42';
/** The agents' own commune, so the schedules they play reach them alone. */
const AGENT_COMMUNE = '429901';
const AGENT_IDS = ['spk-scale-1', 'spk-scale-2'];
const FINAL = ['finished', 'failed', 'preempted', 'skipped', 'expired'];
const iso = (ms: number) => new Date(ms).toISOString();
/** An MQTT answer that must come (a broker that drops the session instead never answers): fails after 10 s. */
const bounded = async <T>(p: Promise<T>, what: string): Promise<T> => {
  const r = await within(p, 10_000);
  if (r === null) throw new Error(`no ${what} within 10 s`);
  return r;
};

type CommandState = 'queued' | 'sent' | 'ok' | 'error' | 'rejected' | 'expired';
interface CommandDetail {
  id: string;
  devices: number;
  counts: Record<CommandState, number>;
}

describe('scale-out: two instances on Mosquitto (dynamic security) and PostgreSQL', () => {
  let cluster: ScaleOut;
  /** An operator's client on each instance. */
  let apis: Api[];
  let devices: SimDeviceSpec[];
  let publicKey: string;
  let fleet: Fleet;
  let agents: TestAgent[];
  let tone: string;
  const work = tempDir(SUITE);
  /** `${deviceId}/${eventId}` of every report a simulated device saw acknowledged. */
  const acked = new Set<string>();

  beforeAll(async () => {
    cluster = await startScaleOut({ suite: SUITE });
    apis = await Promise.all(cluster.instances.map((s) => Api.login(s.baseUrl, ADMIN_USERNAME, ADMIN_PASSWORD)));
    const [a] = apis as [Api, Api];

    // Registered through instance A; every device gets its account at the broker (dynamic security).
    const creds = await provision({ serverUrl: cluster.instances[0]!.baseUrl, username: ADMIN_USERNAME, password: ADMIN_PASSWORD, devices: N, perCommune: 50, boardEvery: 1_000_000, provinceCode: PROVINCE, idPrefix: 'scale' });
    devices = creds.devices;
    publicKey = creds.serverPublicKey!;

    await loa.createArea(a, { code: AGENT_COMMUNE, name: 'Xã Thạch Kim', level: 'commune', parentCode: PROVINCE });
    tone = (await loa.uploadAudio(a, await makeTone(path.join(work, 'ban-tin.mp3'), 2, 440))).sha256;

    fleet = new Fleet({
      devices,
      mqttUrl: cluster.brokerUrl,
      serverPublicKey: publicKey,
      // A report a killed instance took without acknowledging comes back soon (the agent waits longer).
      resendAfterMs: 3000,
      telemetryIntervalMs: 30_000,
      keepaliveS: 30,
      backoff: { baseMs: 500, capMs: 5000 },
    });
    fleet.on('eventsAcked', (deviceId, ids) => {
      for (const id of ids) acked.add(`${deviceId}/${id}`);
    });
    await fleet.start();
    await waitFor(async () => {
      const s = await fleet.stats();
      return s.connected === N && s.timelineAcks >= N && s.alertSubscribed === N;
    }, 90_000, { what: `${N} simulated devices connected to Mosquitto, their first timeline acked and alert channels joined`, intervalMs: 500 });

    // Real agents, HTTP through the balancer (media downloads), MQTT straight to the broker.
    agents = [];
    for (const id of AGENT_IDS) {
      const d = await loa.createDevice(a, { id, name: `Cụm loa ${id}`, kind: 'speaker', areaCode: AGENT_COMMUNE });
      agents.push(await spawnAgent({ suite: SUITE, serverUrl: cluster.balancer.url, mqttUrl: cluster.brokerUrl, deviceId: id, secret: d.secret, kind: 'speaker', audioOutput: 'null', serverPublicKey: publicKey, logLevel: 'info' }));
    }
  }, 240_000);

  afterAll(async () => {
    await fleet?.stop();
    await stopAll();
    await cluster?.stop();
  });

  const finalDeliveries = (api: Api, scheduleId: string, count: number) =>
    waitFor(
      async () => {
        const all = await loa.deliveries(api, scheduleId);
        return all.filter((d) => FINAL.includes(d.state)).length >= count ? all : undefined;
      },
      60_000,
      { what: `${count} final deliveries of ${scheduleId}`, intervalMs: 500 },
    );

  const commandDone = (api: Api, id: string, state: CommandState, count: number) =>
    waitFor(async () => {
      const c = await api.get<CommandDetail>(`/api/v1/commands/${id}`);
      return (c.counts[state] ?? 0) >= count ? c : undefined;
    }, 60_000, { what: `${count} results ${state} of command ${id}`, intervalMs: 500 });

  it('takes schedules, alerts and commands through either instance to every device', async () => {
    const [a, b] = apis as [Api, Api];
    const content = await loa.createAudioContent(a, 'Bản tin chiều', tone);

    // A schedule saved on B: every simulated device acks the timeline that carries it, and the agents play it.
    await fleet.markTimelines();
    const province = await loa.createSchedule(b, { contentId: content.id, startAt: iso(Date.now() + 3_600_000), targets: { areas: [PROVINCE] } });
    expect(province.deviceCount).toBe(N + AGENT_IDS.length);
    await waitFor(async () => (await fleet.stats()).ackedSinceMark >= N, 60_000, { what: `${N} devices to ack the timeline of a schedule saved on loa-b`, intervalMs: 250 });
    const played = await loa.createSchedule(b, { contentId: content.id, startAt: iso(Date.now() + 15_000), targets: { areas: [AGENT_COMMUNE] } });

    // An alert raised on A reaches every simulated device (the broker's retained alert channel of the province).
    await fleet.expectAlert(null);
    const alert = await a.post<{ id: string; fanout: { id: string } | null }>('/api/v1/alerts', { areaCode: PROVINCE, title: 'Cảnh báo mưa lớn', text: 'Người dân chú ý', expiresInS: 3600 });
    if (alert.fanout) await loa.fanoutDone(a, alert.fanout.id);
    await fleet.expectAlert(alert.id);
    await waitFor(async () => (await fleet.stats()).alertsReceived >= N, 60_000, { what: `alert ${alert.id} at ${N} devices`, intervalMs: 250 });

    // A command made on B, its results read on A: every device, the agents included, answers ok.
    const command = await b.post<CommandDetail>('/api/v1/commands', { command: { type: 'setVolume', volume: 70 }, target: { areaCode: PROVINCE }, ttlS: 600 });
    expect(command.devices).toBe(N + AGENT_IDS.length);
    const answered = await commandDone(a, command.id, 'ok', N + AGENT_IDS.length);
    // Each device's result once, whichever instance took it.
    expect(answered.counts.ok).toBe(N + AGENT_IDS.length);

    // The agents played the slot saved on B; A reads their reports.
    const done = await finalDeliveries(a, played.id, AGENT_IDS.length);
    expect(done.map((d) => [d.deviceId, d.state]).sort()).toEqual(AGENT_IDS.map((id) => [id, 'finished']));
  });

  it('keeps each device to its own topics at the broker', async () => {
    // Devices of their own (the simulated ones keep their sessions), registered on B: the probe, and a peer whose
    // topics it must not reach.
    const [, b] = apis as [Api, Api];
    const areaCode = devices[0]!.areaCode!;
    const mine = await loa.createDevice(b, { id: 'spk-acl-probe', name: 'Cụm loa thử quyền', kind: 'speaker', areaCode });
    const peer = await loa.createDevice(b, { id: 'spk-acl-peer', name: 'Cụm loa bên cạnh', kind: 'speaker', areaCode });
    const id = mine.device.id;
    const connect = (password: string) => mqtt.connectAsync(cluster.brokerUrl, { clientId: id, username: id, password, protocolVersion: 5, reconnectPeriod: 0, connectTimeout: 10_000 });

    // A wrong secret is refused at CONNACK (MQTT 5: 134 bad user name or password, 135 not authorised).
    const refused = await connect('not-the-secret').then(
      async (c) => {
        await c.endAsync(true);
        return null;
      },
      (err: { code?: number }) => err.code,
    );
    expect([134, 135]).toContain(refused);

    // Reading and subscribing, on one session.
    const client: MqttClient = await connect(mine.secret);
    const received: string[] = [];
    client.on('message', (topic, payload) => received.push(`${topic} ${payload.toString()}`));
    try {
      // The SUBACK's reason code: granted QoS (0–2) or a refusal (MQTT 5: 135 not authorised).
      const grant = async (topic: string) =>
        bounded(
          client.subscribeAsync(topic, { qos: 1 }).then(
            (granted) => granted[0]?.qos,
            (err: { packet?: { granted?: number[] } }) => err.packet?.granted?.[0],
          ),
          `SUBACK for ${topic}`,
        );
      // Its own channels and its areas' alerts: granted.
      expect(await grant(deviceTopic(id, 'req'))).toBe(1);
      expect(await grant(areaTopic(PROVINCE, 'alert'))).toBe(1);
      // Another area's alerts, wildcards over Loa's tree, another device's upstream channel: refused at SUBSCRIBE.
      expect(await grant(areaTopic(AGENT_COMMUNE, 'alert'))).toBe(135);
      expect(await grant('loa/#')).toBe(135);
      expect(await grant(deviceTopic(peer.device.id, 'events'))).toBe(135);
      // The peer's downstream channel: Mosquitto 2.0 may grant the SUBSCRIBE (deploy/mosquitto: dynamic security
      // cannot name "the client's own topic"), but the ACL file never delivers it a message there.
      expect([1, 135]).toContain(await grant(deviceTopic(peer.device.id, 'req')));

      // The server's account publishes to the peer, then to the probe, in that order on one session: the probe's copy
      // of the second arriving proves the first would have arrived before it, had the broker delivered it.
      const admin = await mqtt.connectAsync(cluster.brokerUrl, { ...cluster.serverAccount, clientId: 'e2e-acl-admin', protocolVersion: 5, reconnectPeriod: 0 });
      try {
        await admin.publishAsync(deviceTopic(peer.device.id, 'req'), 'for-the-peer', { qos: 1 });
        await admin.publishAsync(deviceTopic(id, 'req'), 'for-the-probe', { qos: 1 });
      } finally {
        await admin.endAsync();
      }
      await waitFor(() => received.some((m) => m.endsWith('for-the-probe')), 10_000, { what: 'the probe to receive its own message', intervalMs: 20 });
      // (The province's alert raised earlier may arrive too: it is retained on a channel the probe may follow.)
      expect(received.filter((m) => m.includes('/req '))).toEqual([`${deviceTopic(id, 'req')} for-the-probe`]);
    } finally {
      await client.endAsync(true);
    }

    // Publishing, one session per attempt: Mosquitto answers a refused QoS 1 publish with PUBACK 135 or ends the
    // session. A watcher (on the server's account) subscribed to every target sees what the broker lets through.
    const watcher = await mqtt.connectAsync(cluster.brokerUrl, { ...cluster.serverAccount, clientId: 'e2e-acl-watcher', protocolVersion: 5, reconnectPeriod: 0 });
    const seen: string[] = [];
    watcher.on('message', (topic, payload, packet) => {
      if (!packet.retain) seen.push(`${topic} ${payload.toString()}`);
    });
    try {
      const forbidden = [deviceTopic(peer.device.id, 'events'), deviceTopic(id, 'timeline'), deviceTopic(peer.device.id, 'req'), areaTopic(PROVINCE, 'alert')];
      await watcher.subscribeAsync([...forbidden, deviceTopic(id, 'events')], { qos: 1 });
      const attempt = async (topic: string, payload: string): Promise<number | 'closed'> => {
        const c = await connect(mine.secret);
        const closed = new Promise<'closed'>((resolve) => c.once('close', () => resolve('closed')));
        const acked = c.publishAsync(topic, payload, { qos: 1 }).then(
          () => 0,
          (err: { code?: number }) => err.code ?? -1,
        );
        try {
          return await bounded(Promise.race([acked, closed]), `an answer to a publish on ${topic}`);
        } finally {
          await c.endAsync(true);
        }
      };
      const outcomes: Array<[string, number | 'closed']> = [];
      for (const [i, topic] of forbidden.entries()) outcomes.push([topic, await attempt(topic, `forged-${i}`)]);
      expect(outcomes.filter(([, o]) => o !== 135 && o !== 'closed')).toEqual([]);
      // Its own upstream channel is open to it; once that message is through, every forged one would have been too.
      expect(await attempt(deviceTopic(id, 'events'), 'marker')).toBe(0);
      await waitFor(() => seen.some((m) => m.endsWith('marker')), 10_000, { what: 'the watcher to see the allowed publish', intervalMs: 20 });
      expect(seen.filter((m) => m.includes('forged'))).toEqual([]);
    } finally {
      await watcher.endAsync(true);
    }
  });

  it('survives kill -9 of the leader mid-traffic: no acknowledged report lost or doubled, the survivor leads, devices never notice', async () => {
    const leader = await waitFor(() => cluster.leader(), 30_000, { what: 'an instance to lead' });
    const survivor = 1 - leader;
    const api = apis[survivor]!;
    const before = await fleet.stats();
    expect(before.connected).toBe(N);
    const survivorCommitted = async () => (await cluster.instances[survivor]!.health()).counters.events_committed ?? 0;
    const committedBefore = await survivorCommitted();

    // Reports in waves, one per device each; the leader dies while the third is in flight.
    let waves = 0;
    const wave = async () => {
      waves++;
      return fleet.injectEvents({ perDevice: 1 });
    };
    await wave();
    await waitFor(async () => (await fleet.stats()).eventsPending === 0, 60_000, { what: 'the first wave acknowledged by the two instances', intervalMs: 100 });
    await wave();
    await wave();
    const inFlight = (await fleet.stats()).eventsPending;
    expect(inFlight).toBeGreaterThan(0);
    cluster.instances[leader]!.proc.child.kill('SIGKILL');
    await cluster.instances[leader]!.proc.exited;
    await wave();

    // The survivor takes the lead and runs the periodic jobs: the command sweep expires a command nobody answered.
    await waitFor(async () => (await cluster.leader()) === survivor, 30_000, { what: `${cluster.instanceIds[survivor]} to lead` });
    const probe = await loa.createDevice(api, { id: 'spk-never-online', name: 'Cụm loa chưa lắp', kind: 'speaker', areaCode: AGENT_COMMUNE });
    expect(probe.secret).toBeTruthy();
    const expiring = await api.post<CommandDetail>('/api/v1/commands', { command: { type: 'setVolume', volume: 50 }, target: { deviceId: 'spk-never-online' }, ttlS: 2 });
    await commandDone(api, expiring.id, 'expired', 1);

    // More reports after the kill; then every report ever made is acknowledged.
    await wave();
    await waitFor(async () => (await fleet.stats()).eventsPending === 0, 90_000, { what: 'every report acknowledged after the kill', intervalMs: 250 });
    const after = await fleet.stats();
    expect(waves).toBe(5);
    expect(await survivorCommitted()).toBeGreaterThan(committedBefore);

    // Every acknowledged report is stored; every report the devices made is stored once (resends absorbed by id).
    const simIds = devices.map((d) => d.id);
    const rows = await cluster.db.query<{ device_id: string; event_id: string }>('SELECT device_id, event_id FROM device_events WHERE device_id = ANY($1)', [simIds]);
    const stored = new Set(rows.map((r) => `${r.device_id}/${r.event_id}`));
    expect([...acked].filter((k) => !stored.has(k))).toEqual([]);
    expect(rows.length).toBe(after.eventsCreated);
    // Presence recorded once per device (its connection), not again for the kill or the survivor's take-over.
    const transitions = await cluster.db.query<{ device_id: string; n: string }>(
      'SELECT device_id, count(*) AS n FROM device_connections WHERE device_id = ANY($1) GROUP BY device_id',
      [simIds],
    );
    expect(transitions.length).toBe(N);
    expect(transitions.filter((t) => Number(t.n) !== 1)).toEqual([]);

    // The devices never noticed: no session dropped, all still connected to the broker.
    expect(after.disconnects).toBe(before.disconnects);
    expect(after.connected).toBe(N);
    expect(after.authRefused).toBe(before.authRefused);

    // The agents keep playing: a slot saved on the survivor after the kill is played and reported.
    const content = await loa.createAudioContent(api, 'Bản tin tối', tone);
    const s = await loa.createSchedule(api, { contentId: content.id, startAt: iso(Date.now() + 12_000), targets: { areas: [AGENT_COMMUNE] } });
    const done: DeliveryView[] = await finalDeliveries(api, s.id, AGENT_IDS.length);
    expect(done.filter((d) => AGENT_IDS.includes(d.deviceId)).map((d) => d.state)).toEqual(['finished', 'finished']);
    for (const agent of agents) {
      expect(agent.proc.exit).toBeNull();
      // One broker session for the whole test: the kill of a Loa instance is nothing to a device.
      expect(agent.proc.stdout().split('"msg":"connected to broker"')).toHaveLength(2);
    }
  });
});
