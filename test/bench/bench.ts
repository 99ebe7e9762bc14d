// `npm run bench -- [--devices N] [--json FILE] [--scenarios connect,fanout,alert,timeline,events,resources,live] ...`
// Loa at provincial scale against a real server process, each of connect/fan-out/events side by side with a bare
// aedes broker doing the same work with the same simulated clients in the same run.
import { fork, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { areaTopic, type AlertMessage } from '@loa/shared';
import { createFleet, LoaApi, provision, type FleetControl, type FleetStats, type PortableFleetOptions } from '@loa/e2e/sim/dist/index.js';
import { waitBrokerAccounts } from './lib/broker-accounts.js';
import { AGENT_CLI, REPO, startLoaServer, unitEnvironment, type LoaServer } from './lib/loa-server.js';
import { freePort } from './lib/ports.js';
import { percentile, ProcMeter, round, sampleProc } from './lib/proc.js';
import { summariseProfile, type ProfileSummary } from './lib/profile.js';
import { toneWav, uploadMedia } from './lib/wav.js';
import { measureSyncStart, type SyncStartResult } from './sync-start.js';
import { measureMediaPipeline, type MediaBenchResult } from './lib/media-bench.js';
import { measureRestart, restartRows, type RestartResult } from './lib/restart.js';
import { measureSoak, soakRows, type SoakResult } from './lib/soak.js';
import { measureSteady, steadyRows, type SteadyResult } from './lib/steady.js';
import { edgeRows, measureEdge, type EdgeResult } from './lib/edge.js';
import type { RawReply, RawRequest } from './raw-broker.js';
import { TimedRequests } from './lib/timed-requests.js';
import { startBenchMosquitto } from './lib/mosquitto.js';
import { measureTwoInstances, twoInstanceRows, type TwoInstanceResult } from './lib/two-instances.js';
import { measureReports, reportRows, type ReportBenchResult } from './lib/report-bench.js';
import { liveRows, measureLive, type LiveResult } from './lib/live.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ALL_SCENARIOS = ['connect', 'fanout', 'alert', 'timeline', 'events', 'heartbeat', 'commands', 'dashboard', 'resources', 'sync', 'media', 'restart', 'soak', 'edge', 'steady', 'reports', 'live'] as const;
type Scenario = (typeof ALL_SCENARIOS)[number];

const { values: args } = parseArgs({
  args: process.argv.slice(2),
  strict: true,
  options: {
    devices: { type: 'string', default: '1000' },
    json: { type: 'string' },
    scenarios: { type: 'string', default: ALL_SCENARIOS.join(',') },
    processes: { type: 'string' },
    'events-per-device': { type: 'string', default: '10' },
    'max-connecting': { type: 'string', default: '1000' },
    'no-raw': { type: 'boolean', default: false },
    'cpu-prof': { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    'no-bulk': { type: 'boolean', default: false },
    'telemetry-s': { type: 'string', default: '60' },
    'soak-rounds': { type: 'string', default: '300' },
    'soak-idle-s': { type: 'string', default: '60' },
    'steady-min': { type: 'string', default: '30' },
    postgres: { type: 'string' },
    'edge-idle-s': { type: 'string', default: '300' },
    broker: { type: 'string', default: 'embedded' },
    'no-two-instances': { type: 'boolean', default: false },
    smoke: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});

if (args.help) {
  process.stdout.write(`Usage: npm run bench -- [options]
  --devices N              simulated devices (default 1000)
  --json FILE              also write the results as JSON (default bench-results/bench-N-<time>.json)
  --scenarios LIST         any of ${ALL_SCENARIOS.join(',')} (default all; connect always runs as setup)
  --processes K            simulator processes (default 1 below 5,000 devices, else 2)
  --events-per-device E    reports per device in the ingestion scenario (default 10)
  --max-connecting M       connection attempts in flight at once, same for Loa and raw (default 1000)
  --no-raw                 skip the raw aedes baseline
  --cpu-prof               profile the server (node --cpu-prof) and print its top frames
  --keep                   keep the temporary data directory
  --no-bulk                register one device per request instead of POST /api/v1/devices/bulk
  --telemetry-s S          heartbeat (telemetry) period of every simulated device (default 60, as in the field)
  --soak-rounds R          rounds of malformed MQTT and HTTP input in the soak scenario (default 300)
  --soak-idle-s S          idle time after the soak input before the last memory reading (default 60)
  --postgres URL           run the server on a fresh PostgreSQL database created (and dropped) on this server,
                           e.g. postgres://postgres@127.0.0.1:5432 (default: SQLite in the data directory)
  --steady-min M           length of the steady scenario: fleet connected, a schedule and a command a minute (default 30)
  --edge-idle-s S          idle window of the real agent whose bytes on the wire are counted (default 300)
  (scenario reports: a fresh server with a year of synthetic history for --devices devices; --scenarios reports runs
                           it alone, without the fleet)
  --broker mosquitto       also run the fleet scenarios (connect, fan-out, timeline, events, heartbeats, command) on a
                           Loa server whose devices connect to an external Mosquitto with dynamic security, beside the
                           embedded broker's figures; then two Loa instances on that broker and one PostgreSQL
                           (--postgres, default postgres://postgres@127.0.0.1:5432): each instance's CPU, the leader
                           killed with reports in flight (failover time), a graceful hand-over
  --no-two-instances       with --broker mosquitto: skip the two-instance run
  --smoke                  prove that every scenario runs, not measure it: the pauses between scenarios, the idle and
                           heartbeat windows, the agent's memory readings, the synchronised start's lead and the media
                           pipeline's file are cut to the least that still exercises each path (the e2e smoke test)
  (scenario live: one real agent speaker, a microphone session streaming PCM in real time over the mic WebSocket;
                           per-burst latency to the agent's output and the click to first sound)
`);
  process.exit(0);
}

const N = Math.max(1, Math.floor(Number(args.devices)));
const E = Math.max(1, Math.floor(Number(args['events-per-device'])));
const PROCESSES = args.processes !== undefined ? Math.max(1, Math.floor(Number(args.processes))) : N > 5000 ? 2 : 1;
const MAX_CONNECTING = Math.max(1, Math.floor(Number(args['max-connecting'])));
const scenarios = new Set(args.scenarios.split(',').map((s) => s.trim()).filter(Boolean) as Scenario[]);
for (const s of scenarios) if (!ALL_SCENARIOS.includes(s)) throw new Error(`unknown scenario "${s}" (known: ${ALL_SCENARIOS.join(', ')})`);
const RAW = !args['no-raw'];
const TELEMETRY_MS = Math.max(1, Number(args['telemetry-s'])) * 1000;
const SOAK_ROUNDS = Math.max(1, Math.floor(Number(args['soak-rounds'])));
const SOAK_IDLE_S = Math.max(1, Number(args['soak-idle-s']));
// Fractions are for the smoke test (half a minute proves the scenario runs); a real soak is 30 minutes.
const SMOKE = args.smoke;
const STEADY_MIN = Math.max(SMOKE ? 0.05 : 0.25, Number(args['steady-min']));
const EDGE_IDLE_S = Math.max(SMOKE ? 2 : 10, Number(args['edge-idle-s']));
/** Between scenarios, so one's tail (acks, GC) is not billed to the next; and the idle window at the end. */
const PAUSE_MS = SMOKE ? 100 : 1000;
const IDLE_MS = SMOKE ? 300 : 2000;
const BROKER = args.broker;
if (BROKER !== 'embedded' && BROKER !== 'mosquitto') throw new Error(`unknown --broker "${BROKER}" (known: embedded, mosquitto)`);
/** What the run on Mosquitto measures: the device traffic, not the server's other work (media, soak, restarts…). */
const FLEET_SCENARIOS: ReadonlySet<Scenario> = new Set<Scenario>(['connect', 'fanout', 'timeline', 'events', 'heartbeat', 'commands', 'resources']);

// Every wait is bounded in time; the bound grows with N so a slow machine reports a slow figure, not a hang.
const T_CONNECT = Math.max(60_000, N * 10);
const T_FANOUT = Math.max(30_000, N * 3);
const T_TIMELINE = Math.max(60_000, N * 10);
const T_EVENTS = Math.max(60_000, N * E * 2);
/** Audio of the alert scenario (s). */
const ALERT_TONE_S = SMOKE ? 2 : 6;

// Children to kill if the bench is interrupted (Ctrl-C) or fails, so no server or broker outlives it.
const children = new Set<ChildProcess>();
for (const sig of ['SIGINT', 'SIGTERM'] as const)
  process.once(sig, () => {
    for (const c of children) c.kill('SIGKILL');
    process.exit(130);
  });

const log = (s: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${s}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until `done` says so or the time is up; never loops unbounded. */
async function until(what: string, timeoutMs: number, done: () => Promise<boolean>, everyMs = 50, onPoll?: () => void): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    onPoll?.();
    if (await done()) return true;
    if (Date.now() > deadline) {
      log(`timed out after ${timeoutMs} ms waiting for ${what}`);
      return false;
    }
    await sleep(everyMs);
  }
}

type Resources = { cpuS: number; cpuPct: number; rssMB: number; peakRssMB: number };

/** The server's memory the moment a scenario ends, every device still connected (issue 14: ≤ 800 MB after every scenario). */
interface MemoryAfter {
  scenario: string;
  rssMB: number;
  heapUsedMB: number | null;
  externalMB: number | null;
}

type MemoryUsage = { rss: number; heapUsed: number; external: number };

const toMB = (bytes: number) => round(bytes / 1048576);

/** RSS from /proc (what the machine pays), with the JS heap and external memory the process reports about itself. */
async function memoryAfter(scenario: string, pid: number, usage: () => Promise<MemoryUsage>): Promise<MemoryAfter> {
  const u = await usage().catch(() => null);
  const rss = sampleProc(pid)?.rssBytes ?? u?.rss ?? 0;
  return { scenario, rssMB: toMB(rss), heapUsedMB: u ? toMB(u.heapUsed) : null, externalMB: u ? toMB(u.external) : null };
}

interface ConnectResult {
  /** Until the broker side (Loa: the server's status handler; raw: a broker-side subscriber) saw every device online. */
  allOnlineS: number;
  /** Until every simulated client had its CONNACK and SUBACK. */
  clientsSubscribedS: number;
  connected: number;
  complete: boolean;
  resources: Resources;
}
interface FanoutResult {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  received: number;
  /** POST /alerts answered (the alert is accepted; its publish is a background job, issue 14). */
  apiMs: number;
  /** From the request until the alert's fan-out job said done. */
  jobDoneMs?: number;
  complete: boolean;
  resources: Resources;
}
/** Issue 18: the operator's click to synchronised sound, on every simulated speaker (scenario `alert`). */
interface AlertStartResult {
  /** Speakers among the simulated devices, and how many started the alert's audio. */
  speakers: number;
  started: number;
  /** Speakers the alert reached after its audio was over (nothing to play). */
  missed: number;
  /** POST /alerts answered (from its send). */
  apiMs: number;
  /** The alert's effectiveAt as the server set it, from the POST's send (the start lead, LOA_ALERT_LEAD_MS). */
  leadMs: number;
  /** From the POST's send to the alert's arrival at the last speaker. */
  lastReceivedMs: number;
  /** From the POST's send to the first, median and last speaker start. */
  firstStartMs: number;
  p50StartMs: number;
  p99StartMs: number;
  lastStartMs: number;
  /** Last start − first start. */
  spreadMs: number;
  /** Latest start after the alert's effectiveAt (a receiver later than the lead starts at once, late). */
  maxLateMs: number;
  complete: boolean;
  resources: Resources;
}
interface TimelineResult {
  allAckedS: number;
  /** The slower of the two POST /schedules (each is accepted at once and fanned out in the background, issue 14). */
  apiMs: number;
  apiMsEach?: number[];
  /** From the first request until both fan-out jobs (materialise, compile, publish) said done. */
  jobsDoneS?: number;
  acked: number;
  deviceCount: number;
  complete: boolean;
  resources: Resources;
  /** Socket bytes per simulated device from the save to the last ack (the timeline, its ack, the `delivered` report, telemetry). */
  downBytesPerDevice?: number;
  upBytesPerDevice?: number;
}
interface EventsResult {
  events: number;
  acked: number;
  perSecond: number;
  durationS: number;
  committedByServer: number | null;
  complete: boolean;
  resources: Resources;
}
interface HeartbeatResult {
  /** Heartbeats the server received in the window, and per second. */
  received: number;
  perSecond: number;
  windowS: number;
  resources: Resources;
}
interface CommandsResult {
  /** POST /api/v1/commands to the whole province → every device's result recorded as ok. */
  allOkS: number;
  /** POST /commands answered (rows queued; sending is a background job, issue 14). */
  apiMs: number;
  /** From the request until its fan-out job had sent it to every device online. */
  jobDoneS?: number;
  ok: number;
  complete: boolean;
  resources: Resources;
}
interface SideResults {
  heartbeat?: HeartbeatResult;
  commands?: CommandsResult;
  dashboard?: DashboardResult;
  connect?: ConnectResult;
  initialTimelineS?: number;
  fanout?: FanoutResult;
  alert?: AlertStartResult;
  timeline?: TimelineResult;
  events?: EventsResult;
  idle?: Resources;
  fleetRssMB?: number;
  memory?: MemoryAfter[];
  /** Loa only: the server's work counters after each scenario (e.g. presence rows written, heartbeats held), cumulative. */
  counters?: Array<{ scenario: string; values: Record<string, number> }>;
  steady?: SteadyResult;
}

/** Counters worth keeping per scenario: what the database was asked to write. */
const KEPT_COUNTERS = ['presence_written', 'presence_transitions', 'presence_heartbeats_held', 'events_committed', 'mqtt_status_received', 'mqtt_telemetry_received'];

const fleetOptions = (devices: PortableFleetOptions['devices'], mqttUrl: string, raw: boolean): PortableFleetOptions => ({
  devices,
  mqttUrl,
  maxConnecting: MAX_CONNECTING,
  // A long keepalive and resend window keep background chatter out of the measurements; telemetry stays on
  // (once a minute per device, as in the field).
  keepaliveS: 120,
  resendAfterMs: 60_000,
  connectTimeoutMs: 60_000,
  backoff: { baseMs: 1000, capMs: 30_000 },
  subscribeAreasAtConnect: raw,
  telemetryIntervalMs: TELEMETRY_MS,
});

async function waitStats(fleet: FleetControl, what: string, timeoutMs: number, cond: (s: FleetStats) => boolean, onPoll?: () => void): Promise<FleetStats> {
  let last = await fleet.stats();
  await until(what, timeoutMs, async () => cond((last = await fleet.stats())), 50, onPoll);
  return last;
}

/**
 * Resolves with the time at which every one of these fan-out jobs (GET /api/v1/fanouts/:id) said done: what an
 * operator's progress bar shows. Polled every 200 ms beside the fleet's own measurements.
 */
/**
 * A save timed from a process of its own (TimedRequests: the in-process fleet would read the answer late), after a
 * request on the same connection so that the timed one never goes out on a connection the server is closing for
 * idleness ("other side closed"). Throws unless the status is one of `ok`.
 */
async function timedSave<T>(timer: TimedRequests, api: LoaApi, method: string, path: string, body: unknown, ok: number[]): Promise<{ body: T; ms: number; status: number; text: string }> {
  await timer.request(api.baseUrl, api.token, 'GET', '/api/health').catch(() => undefined);
  const r = await timer.request(api.baseUrl, api.token, method, path, body);
  if (!ok.includes(r.status)) return { body: undefined as T, ms: r.ms, status: r.status, text: r.text };
  return { body: JSON.parse(r.text) as T, ms: r.ms, status: r.status, text: r.text };
}

function fanoutsDoneAt(api: LoaApi, ids: readonly string[], timeoutMs: number): Promise<number> {
  const done = waitFanouts(api, ids, timeoutMs);
  done.catch(() => undefined); // awaited (and thrown) by the scenario once its own measurement is over
  return done;
}

/** fetch's "fetch failed" (a TypeError: the connection, not an HTTP answer) as null; anything else is thrown. */
const lostConnection = (err: unknown): null => {
  if (err instanceof TypeError) return null;
  throw err;
};

async function waitFanouts(api: LoaApi, ids: readonly string[], timeoutMs: number): Promise<number> {
  let open = [...ids];
  await until('fan-out jobs done', timeoutMs, async () => {
    // A poll that finds its pooled connection closed by the server for idleness ("other side closed": the busy
    // in-process fleet read the FIN late) is not an answer; the next poll asks again.
    const polled = await Promise.all(open.map((id) => api.request<{ id: string; state: string }>('GET', `/api/v1/fanouts/${id}`).catch(lostConnection)));
    if (polled.includes(null)) return false;
    const states = polled.filter((j): j is { id: string; state: string } => j !== null);
    const failed = states.find((j) => j.state === 'failed');
    if (failed) throw new Error(`fan-out ${failed.id} failed`);
    open = states.filter((j) => j.state !== 'done').map((j) => j.id);
    return open.length === 0;
  }, 200);
  return Date.now();
}

function fanoutFigures(receipts: number[], t0: number) {
  const lat = receipts.map((t) => t - t0).sort((a, b) => a - b);
  return { p50Ms: round(percentile(lat, 50)), p99Ms: round(percentile(lat, 99)), maxMs: round(lat[lat.length - 1] ?? 0), received: lat.length };
}

// ---- raw baseline --------------------------------------------------------------------------------------------

class RawBroker {
  private nextId = 1;
  private readonly waiting = new Map<number, (v: unknown) => void>();
  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
  ) {
    child.on('message', (m: RawReply) => {
      if (m.type === 'reply') {
        this.waiting.get(m.id)?.(m.value);
        this.waiting.delete(m.id);
      }
    });
  }

  static async start(): Promise<RawBroker> {
    const port = await freePort();
    // The same process settings as the server (the unit's malloc tuning), so the ratio compares the code, not glibc.
    const child = fork(path.join(HERE, 'raw-broker.js'), [String(port)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env: { ...process.env, ...unitEnvironment() } });
    children.add(child);
    child.once('exit', () => children.delete(child));
    await new Promise<void>((resolve, reject) => {
      child.once('exit', (c) => reject(new Error(`raw broker exited with ${c}`)));
      child.on('message', (m: RawReply) => m.type === 'listening' && resolve());
    });
    return new RawBroker(child, port);
  }

  private call<T>(req: { cmd: 'stats' } | { cmd: 'memory' } | { cmd: 'publish'; topic: string; payload: string; retain: boolean }): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve) => {
      this.waiting.set(id, resolve as (v: unknown) => void);
      this.child.send({ ...req, id } as RawRequest);
    });
  }

  stats() {
    return this.call<{ statusReceived: number; eventsBatches: number; eventsAcked: number; clients: number }>({ cmd: 'stats' });
  }

  memory() {
    return this.call<MemoryUsage>({ cmd: 'memory' });
  }

  publish(topic: string, payload: string, retain: boolean) {
    return this.call<boolean>({ cmd: 'publish', topic, payload, retain });
  }

  async stop(): Promise<void> {
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGTERM');
    await exited;
  }
}

async function runRaw(devices: PortableFleetOptions['devices'], provinceCode: string): Promise<SideResults> {
  const out: SideResults = {};
  const broker = await RawBroker.start();
  const pid = broker.child.pid ?? 0;
  const fleet = createFleet(fleetOptions(devices, `mqtt://127.0.0.1:${broker.port}`, true), PROCESSES);
  const memory: MemoryAfter[] = (out.memory = []);
  const after = async (scenario: string) => void memory.push(await memoryAfter(scenario, pid, () => broker.memory()));
  try {
    log(`raw: connect storm, ${N} clients`);
    let meter = new ProcMeter(pid);
    const t0 = Date.now();
    await fleet.start();
    let brokerAt = 0;
    let polledAt = 0;
    const s = await waitStats(fleet, 'raw clients connected', T_CONNECT, (st) => st.connected >= N && brokerAt > 0, () => {
      meter.sample();
      if (brokerAt !== 0 || Date.now() - polledAt < 100) return;
      polledAt = Date.now();
      void broker.stats().then((b) => (brokerAt = brokerAt === 0 && b.statusReceived >= N ? Date.now() : brokerAt));
    });
    out.connect = {
      allOnlineS: round(((brokerAt || Date.now()) - t0) / 1000, 2),
      clientsSubscribedS: round(((s.lastConnectAt || Date.now()) - t0) / 1000, 2),
      connected: s.connected,
      complete: s.connected >= N && brokerAt > 0,
      resources: meter.result(),
    };
    // Alert subscriptions were part of the connect; wait for every grant.
    await waitStats(fleet, 'raw alert subscriptions', T_CONNECT, (st) => st.alertSubscribed >= N);
    await after('connect');

    if (scenarios.has('fanout')) {
      log('raw: fan-out, one retained QoS 1 publish');
      await sleep(PAUSE_MS);
      meter = new ProcMeter(pid);
      const id = `raw-${randomBytes(4).toString('hex')}`;
      await fleet.expectAlert(id);
      const now = Date.now();
      const alert: AlertMessage = { v: 1, id, msgType: 'alert', areaCode: provinceCode, priority: 'emergency', sentAt: now, effectiveAt: now, expiresAt: now + 3_600_000, title: 'Bench' };
      const t1 = Date.now();
      await broker.publish(areaTopic(provinceCode, 'alert'), JSON.stringify(alert), true);
      const apiMs = Date.now() - t1;
      const st = await waitStats(fleet, 'raw alert at every client', T_FANOUT, (x) => x.alertsReceived >= N, () => meter.sample());
      out.fanout = { ...fanoutFigures(await fleet.alertReceipts(id), t1), apiMs, complete: st.alertsReceived >= N, resources: meter.result() };
      await after('fan-out');
    }

    if (scenarios.has('events')) {
      log(`raw: event ingestion, ${E} per client`);
      await sleep(PAUSE_MS);
      meter = new ProcMeter(pid);
      await fleet.resetEventWindow();
      const base = (await fleet.stats()).eventsAcked;
      const injected = await fleet.injectEvents({ perDevice: E });
      const st = await waitStats(fleet, 'raw event acks', T_EVENTS, (x) => x.eventsAcked - base >= injected, () => meter.sample());
      const durS = Math.max(0.001, ((st.lastEventAckAt || Date.now()) - st.firstEventSentAt) / 1000);
      out.events = {
        events: injected,
        acked: st.eventsAcked - base,
        perSecond: round((st.eventsAcked - base) / durS),
        durationS: round(durS, 2),
        committedByServer: null,
        complete: st.eventsAcked - base >= injected,
        resources: meter.result(),
      };
      await after('events');
    }
    out.fleetRssMB = round((await fleet.stats()).rssBytes / 1048576);
    const idle = new ProcMeter(pid);
    await sleep(IDLE_MS);
    out.idle = idle.result();
    await after('idle');
  } finally {
    await fleet.stop();
    await broker.stop();
  }
  return out;
}

// ---- Loa ----------------------------------------------------------------------------------------------------

/** `only`: the scenarios of this run among those asked (the run on Mosquitto takes the fleet scenarios only). */
async function runLoa(
  server: LoaServer,
  api: LoaApi,
  devices: PortableFleetOptions['devices'],
  provinceCode: string,
  serverPublicKey: string | undefined,
  only: ReadonlySet<Scenario> | null = null,
): Promise<SideResults> {
  const out: SideResults = {};
  const has = (s: Scenario) => scenarios.has(s) && (only === null || only.has(s));
  const counter = async (name: string) => (await server.health()).counters[name] ?? 0;
  // Simulated devices verify every signature, as real agents do.
  const fleet = createFleet({ ...fleetOptions(devices, server.mqttUrl, false), ...(serverPublicKey ? { serverPublicKey } : {}) }, PROCESSES);
  const timer = TimedRequests.start((c) => {
    children.add(c);
    c.once('exit', () => children.delete(c));
  });
  const memory: MemoryAfter[] = (out.memory = []);
  const counters: NonNullable<SideResults['counters']> = (out.counters = []);
  const after = async (scenario: string) => {
    memory.push(
      await memoryAfter(scenario, server.pid, async () => {
        const h = await server.health();
        counters.push({ scenario, values: Object.fromEntries(KEPT_COUNTERS.map((k) => [k, h.counters[k] ?? 0])) });
        const m = h.memory;
        return { rss: m.rssBytes, heapUsed: m.heapUsedBytes, external: m.externalBytes };
      }),
    );
  };
  try {
    log(`loa: connect storm, ${N} devices`);
    const baseStatus = await counter('mqtt_status_received');
    let meter = new ProcMeter(server.pid);
    const t0 = Date.now();
    await fleet.start();
    let serverAt = 0;
    let polling = false;
    let polledAt = 0;
    const s = await waitStats(fleet, 'server sees every device online', T_CONNECT, (st) => st.connected >= N && serverAt > 0, () => {
      meter.sample();
      // /api/health is not free (a database round trip, process.memoryUsage(), every counter as JSON): asked every
      // 50 ms it would bill the server for the measurement itself. Every 100 ms, as the raw side is asked.
      if (serverAt !== 0 || polling || Date.now() - polledAt < 100) return;
      polling = true;
      polledAt = Date.now();
      void counter('mqtt_status_received')
        .then((c) => {
          if (serverAt === 0 && c - baseStatus >= N) serverAt = Date.now();
        })
        .catch(() => undefined)
        .finally(() => (polling = false));
    });
    out.connect = {
      allOnlineS: round(((serverAt || Date.now()) - t0) / 1000, 2),
      clientsSubscribedS: round(((s.lastConnectAt || Date.now()) - t0) / 1000, 2),
      connected: s.connected,
      complete: s.connected >= N && serverAt > 0,
      resources: meter.result(),
    };
    // The registration timeline (v1, with the area chain) arrives retained; devices ack it and join their alert channels.
    const ready = await waitStats(fleet, 'initial timelines acked and alert channels joined', T_TIMELINE, (st) => st.alertSubscribed >= N && st.timelineAcks >= N);
    out.initialTimelineS = round(((ready.lastTimelineAckAt || Date.now()) - t0) / 1000, 2);
    await after('connect');

    if (has('fanout')) {
      log('loa: fan-out, POST /api/v1/alerts to the province');
      await sleep(PAUSE_MS);
      meter = new ProcMeter(server.pid);
      await fleet.expectAlert(null);
      const t1 = Date.now();
      const saved = await timedSave<{ id: string; fanout: { id: string } }>(timer, api, 'POST', '/api/v1/alerts', { areaCode: provinceCode, title: 'Bench: cảnh báo thử', text: 'Bản tin thử nghiệm', expiresInS: 3600 }, [201]);
      if (saved.status !== 201) throw new Error(`POST /api/v1/alerts → ${saved.status}: ${saved.text.slice(0, 300)}`);
      const created = saved.body;
      const apiMs = saved.ms;
      const jobDone = fanoutsDoneAt(api, [created.fanout.id], T_FANOUT);
      await fleet.expectAlert(created.id);
      const st = await waitStats(fleet, 'alert at every device', T_FANOUT, (x) => x.alertsReceived >= N, () => meter.sample());
      const jobDoneMs = (await jobDone) - t1;
      out.fanout = { ...fanoutFigures(await fleet.alertReceipts(created.id), t1), apiMs, jobDoneMs, complete: st.alertsReceived >= N, resources: meter.result() };
      await after('fan-out');
    }

    if (has('alert')) {
      const speakers = devices.filter((d) => (d.kind ?? 'speaker') === 'speaker').length;
      log(`loa: alert click to synchronised sound, POST /api/v1/alerts with audio to the province (${speakers} speakers)`);
      // Long enough that a speaker the alert reaches late still starts it (late) rather than finding it over.
      const sha = await uploadMedia(api.baseUrl, api.token, toneWav(ALERT_TONE_S), 'bench-alert.wav', 'audio/wav');
      await sleep(PAUSE_MS);
      meter = new ProcMeter(server.pid);
      await fleet.expectAlert(null);
      // A request on the same connection first (see timedSave), then the timed one: t1 is as close to its send as
      // this process can tell (the timer is a process of its own, one IPC message away).
      await timer.request(api.baseUrl, api.token, 'GET', '/api/health').catch(() => undefined);
      const t1 = Date.now();
      const r = await timer.request(api.baseUrl, api.token, 'POST', '/api/v1/alerts', { areaCode: provinceCode, title: 'Bench: cảnh báo khẩn', mediaSha256: sha, priority: 'emergency', expiresInS: 600 });
      if (r.status !== 201) throw new Error(`POST /api/v1/alerts → ${r.status}: ${r.text.slice(0, 300)}`);
      const created = JSON.parse(r.text) as { id: string; effectiveAt: string; fanout: { id: string } | null };
      await fleet.expectAlert(created.id);
      const st = await waitStats(fleet, 'alert started on every speaker', T_FANOUT, (x) => x.alertStarted + x.alertMissed >= speakers, () => meter.sample());
      const starts = (await fleet.alertStarts(created.id)).sort((a, b) => a - b);
      const receipts = (await fleet.alertReceipts(created.id)).sort((a, b) => a - b);
      const effectiveAt = Date.parse(created.effectiveAt);
      const first = starts[0] ?? Date.now();
      const last = starts[starts.length - 1] ?? Date.now();
      out.alert = {
        speakers,
        started: starts.length,
        missed: st.alertMissed,
        apiMs: r.ms,
        leadMs: effectiveAt - t1,
        lastReceivedMs: (receipts[receipts.length - 1] ?? Date.now()) - t1,
        firstStartMs: first - t1,
        p50StartMs: round(percentile(starts.map((x) => x - t1), 50)),
        p99StartMs: round(percentile(starts.map((x) => x - t1), 99)),
        lastStartMs: last - t1,
        spreadMs: last - first,
        maxLateMs: last - effectiveAt,
        complete: st.alertStarted >= speakers,
        resources: meter.result(),
      };
      // The 2 s tone plays out and the speakers' reports (delivered, started, finished) are acked before the next
      // scenario (boards show the alert's text until it expires: their `finished` comes later).
      await sleep(Math.max(0, last + ALERT_TONE_S * 1000 + 500 - Date.now()));
      await waitStats(fleet, 'alert reports acked', T_FANOUT, (x) => x.eventsPending === 0);
      await after('alert');
    }

    if (has('timeline') || has('events')) {
      log('loa: timeline push, one schedule onto the whole province');
      await sleep(PAUSE_MS);
      meter = new ProcMeter(server.pid);
      // Speakers take audio and boards take text, so "touch every device" is one schedule of each onto the province.
      const sha = await uploadMedia(api.baseUrl, api.token, toneWav(2), 'bench-tone.wav', 'audio/wav');
      const audio = await api.request<{ id: string }>('POST', '/api/v1/contents', { type: 'audio', title: 'Bench: bản tin phát thanh', mediaSha256: sha, approve: true }, [201]);
      const text = await api.request<{ id: string }>('POST', '/api/v1/contents', { type: 'text', title: 'Bench: bản tin', text: 'Thông báo lịch cắt điện', displaySeconds: 30, approve: true }, [201]);
      await fleet.markTimelines();
      // An hour ahead: nothing plays during the run, every device gets a new version carrying the slot.
      const startAt = new Date(Date.now() + 3_600_000).toISOString();
      const jobs: string[] = [];
      const apiMsEach: number[] = [];
      const schedule = async (contentId: string) => {
        const r = await timedSave<{ deviceCount: number; fanout: { id: string } | null }>(timer, api, 'POST', '/api/v1/schedules', { contentId, startAt, targets: { areas: [provinceCode] } }, [201]);
        apiMsEach.push(r.ms);
        if (r.status === 400 && r.text.includes('contain no')) return 0; // no device of that kind in the sample
        if (r.status !== 201) throw new Error(`POST /api/v1/schedules → ${r.status}: ${r.text.slice(0, 300)}`);
        if (r.body.fanout) jobs.push(r.body.fanout.id);
        return r.body.deviceCount;
      };
      const wire = await fleet.stats();
      const t1 = Date.now();
      const deviceCount = (await schedule(audio.id)) + (await schedule(text.id));
      const apiMs = Math.max(...apiMsEach);
      const jobsDone = fanoutsDoneAt(api, jobs, T_TIMELINE);
      const st = await waitStats(fleet, 'new timeline acked by every device', T_TIMELINE, (x) => x.ackedSinceMark >= N, () => meter.sample());
      const jobsDoneS = round(((await jobsDone) - t1) / 1000, 2);
      if (has('timeline'))
        out.timeline = {
          allAckedS: round(((st.ackedSinceMark >= N ? st.lastTimelineAckAt : Date.now()) - t1) / 1000, 2),
          apiMs,
          apiMsEach,
          jobsDoneS,
          acked: st.ackedSinceMark,
          deviceCount,
          complete: st.ackedSinceMark >= N,
          resources: meter.result(),
          downBytesPerDevice: round((st.bytesIn - wire.bytesIn) / N),
          upBytesPerDevice: round((st.bytesOut - wire.bytesOut) / N),
        };
      await after('timeline');
    }

    if (has('events')) {
      log(`loa: event ingestion, ${E} per device`);
      await sleep(PAUSE_MS);
      meter = new ProcMeter(server.pid);
      await fleet.resetEventWindow();
      const base = (await fleet.stats()).eventsAcked;
      const committedBase = await counter('events_committed');
      const injected = await fleet.injectEvents({ perDevice: E });
      const st = await waitStats(fleet, 'event acks', T_EVENTS, (x) => x.eventsAcked - base >= injected, () => meter.sample());
      const durS = Math.max(0.001, ((st.lastEventAckAt || Date.now()) - st.firstEventSentAt) / 1000);
      out.events = {
        events: injected,
        acked: st.eventsAcked - base,
        perSecond: round((st.eventsAcked - base) / durS),
        durationS: round(durS, 2),
        committedByServer: (await counter('events_committed')) - committedBase,
        complete: st.eventsAcked - base >= injected,
        resources: meter.result(),
      };
      await after('events');
    }
    if (has('heartbeat')) {
      // Steady state with everyone connected: one telemetry period of heartbeats, each stored as a time-series row.
      const windowMs = Math.max(SMOKE ? 1000 : 5000, TELEMETRY_MS);
      log(`loa: heartbeats, ${N} devices every ${TELEMETRY_MS / 1000} s, ${windowMs / 1000} s window`);
      const base = await counter('mqtt_telemetry_received');
      meter = new ProcMeter(server.pid);
      const end = Date.now() + windowMs;
      while (Date.now() < end) {
        meter.sample();
        await sleep(250);
      }
      const received = (await counter('mqtt_telemetry_received')) - base;
      out.heartbeat = { received, perSecond: round(received / (windowMs / 1000)), windowS: windowMs / 1000, resources: meter.result() };
      await after('heartbeats');
    }

    if (has('commands')) {
      log('loa: one command to the whole province, every result collected');
      await sleep(PAUSE_MS);
      meter = new ProcMeter(server.pid);
      const t1 = Date.now();
      const saved = await timedSave<{ id: string; fanout: { id: string } }>(timer, api, 'POST', '/api/v1/commands', { command: { type: 'setVolume', volume: 70 }, target: { areaCode: provinceCode }, ttlS: 3600 }, [201]);
      if (saved.status !== 201) throw new Error(`POST /api/v1/commands → ${saved.status}: ${saved.text.slice(0, 300)}`);
      const created = saved.body;
      const apiMs = saved.ms;
      const jobDone = fanoutsDoneAt(api, [created.fanout.id], T_TIMELINE);
      let ok = 0;
      let okAt = 0;
      await until('every command result', T_TIMELINE, async () => {
        meter.sample();
        const v = await api.request<{ counts: Record<string, number> }>('GET', `/api/v1/commands/${created.id}?limit=1`);
        ok = v.counts.ok ?? 0;
        if (ok >= N && okAt === 0) okAt = Date.now();
        return ok >= N;
      }, 200);
      const jobDoneS = round(((await jobDone) - t1) / 1000, 2);
      out.commands = { allOkS: round(((okAt || Date.now()) - t1) / 1000, 2), apiMs, jobDoneS, ok, complete: ok >= N, resources: meter.result() };
      await after('command');
    }

    if (has('steady')) {
      log(`loa: steady state for ${STEADY_MIN} min — heartbeats every ${TELEMETRY_MS / 1000} s, a schedule and a command every minute`);
      const sha = await uploadMedia(api.baseUrl, api.token, toneWav(2), 'steady-tone.wav', 'audio/wav');
      const audio = await api.request<{ id: string }>('POST', '/api/v1/contents', { type: 'audio', title: 'Bench: bản tin định kỳ', mediaSha256: sha, approve: true }, [201]);
      const areaCodes = [...new Set(devices.flatMap((d) => (d.areaCode ? [d.areaCode] : [])))];
      out.steady = await measureSteady({ server, api, areaCodes, contentId: audio.id, minutes: STEADY_MIN, warmupS: Math.min(120, STEADY_MIN * 15), periodS: 60, log });
      await after('steady');
    }

    if (has('dashboard')) {
      log('loa: dashboard reads with the whole fleet online');
      out.dashboard = await dashboardReads(api);
      await after('dashboard reads');
    }

    out.fleetRssMB = round((await fleet.stats()).rssBytes / 1048576);
    const idle = new ProcMeter(server.pid);
    await sleep(IDLE_MS);
    out.idle = idle.result();
    await after('idle');
  } finally {
    timer.stop();
    await fleet.stop();
  }
  return out;
}

interface DashboardRead {
  medianMs: number;
  maxMs: number;
  bytes: number;
}
type DashboardResult = Record<string, DashboardRead>;

/**
 * What the dashboard asks for when an operator opens its pages, timed as the browser would see it (whole body read):
 * five calls each, median and max. The schedule is the largest one the earlier scenarios made.
 */
async function dashboardReads(api: LoaApi): Promise<DashboardResult> {
  const schedules = await api.request<Array<{ id: string; deviceCount: number }>>('GET', '/api/v1/schedules');
  const biggest = [...schedules].sort((a, b) => b.deviceCount - a.deviceCount)[0];
  const now = Date.now();
  const week = `from=${new Date(now - 3 * 86_400_000).toISOString()}&to=${new Date(now + 4 * 86_400_000).toISOString()}`;
  // The device page on a phone (issue 14): its first page by name, the next one by cursor, a status chip and a search.
  const firstPage = '/api/v1/devices?limit=50';
  const { nextCursor } = await api.request<{ nextCursor: string | null }>('GET', firstPage);
  const reads: Array<[string, string]> = [
    ['GET /overview', '/api/v1/overview'],
    ['GET /devices (all)', '/api/v1/devices'],
    ['GET /devices?limit=50 (page)', firstPage],
    ...(nextCursor ? ([['GET /devices?limit=50&cursor (next page)', `${firstPage}&cursor=${encodeURIComponent(nextCursor)}`]] as Array<[string, string]>) : []),
    ['GET /devices?status=offline&sort=lastSeenAt (page)', '/api/v1/devices?limit=50&status=offline&sort=lastSeenAt&order=desc'],
    ['GET /devices?q=cum loa 12 (page)', '/api/v1/devices?limit=50&q=cum%20loa%2012'],
    ['GET /schedules/occurrences (week)', `/api/v1/schedules/occurrences?${week}`],
    ['GET /alarms?active=true', '/api/v1/alarms?active=true&limit=5000'],
  ];
  if (biggest) {
    reads.push(['GET /schedules/:id/deliveries (matrix)', `/api/v1/schedules/${biggest.id}/deliveries?limit=10000`]);
    reads.push(['GET /schedules/:id/deliveries.csv', `/api/v1/schedules/${biggest.id}/deliveries.csv`]);
  }
  const out: DashboardResult = {};
  for (const [name, url] of reads) {
    const times: number[] = [];
    let bytes = 0;
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      const r = await api.raw('GET', url);
      if (r.status !== 200) throw new Error(`${name}: HTTP ${r.status} ${r.text.slice(0, 200)}`);
      times.push(performance.now() - t0);
      bytes = Buffer.byteLength(r.text);
    }
    times.sort((a, b) => a - b);
    out[name] = { medianMs: round(times[2]!, 1), maxMs: round(times[4]!, 1), bytes };
  }
  return out;
}

/** One real `loa-agent` process (speaker, null audio output), connected and idle. */
interface IdleAgentRss {
  /** The largest of the readings: the figure held against the budget. */
  rssMB: number;
  /** One reading a second, from 5 s to 15 s after "connected to broker". */
  readingsMB: number[];
  /** VmHWM: the most it was resident at any time, start-up included. */
  peakMB: number;
  /** How the agent was loaded (its start log): `bundle` (dist/loa-agent.mjs, what `npm run build` makes) or `modules`. */
  build: string;
  connected: boolean;
}

/**
 * RSS of one real `loa-agent` process connected and idle, started as deploy/ starts it (`node agent/dist/cli.js`).
 * Several readings, not one: V8 returns memory some seconds after start-up, so a single early reading depends on
 * when it falls; the largest is reported.
 */
async function idleAgentRss(server: LoaServer, api: LoaApi, areaCode: string, dir: string): Promise<IdleAgentRss> {
  const id = `bench-agent-${randomBytes(3).toString('hex')}`;
  const { secret } = await api.request<{ secret: string }>('POST', '/api/v1/devices', { id, name: 'Bench agent', kind: 'speaker', areaCode }, [201]);
  const { publicKey } = await api.request<{ publicKey: string }>('GET', '/api/v1/signing-key');
  const child = spawn(
    process.execPath,
    [AGENT_CLI, `--server-url=${server.httpUrl}`, `--mqtt-url=${server.mqttUrl}`, `--device-id=${id}`, `--secret=${secret}`, `--server-public-key=${publicKey}`, '--kind=speaker', '--audio-output=null', `--data-dir=${path.join(dir, 'agent')}`, '--log-level=info'],
    { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.add(child);
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise((r) => child.once('exit', r));
  const connected = await until('agent connected', 30_000, async () => out.includes('"msg":"connected to broker"'), 100);
  await sleep(SMOKE ? 500 : 5000);
  const readings: number[] = [];
  let peak = 0;
  for (let i = 0; i <= (SMOKE ? 1 : 10); i++) {
    if (i > 0) await sleep(1000);
    const s = sampleProc(child.pid ?? 0);
    if (!s) break;
    readings.push(round(s.rssBytes / 1048576, 1));
    peak = s.hwmBytes;
  }
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
  const startLine = out.split('\n').find((l) => l.includes('"msg":"starting loa agent"')) ?? '';
  const build = /"build":"(\w+)"/.exec(startLine)?.[1] ?? 'unknown';
  return { rssMB: readings.length > 0 ? Math.max(...readings) : 0, readingsMB: readings, peakMB: round(peak / 1048576, 1), build, connected };
}

// ---- report --------------------------------------------------------------------------------------------------

const fmt = (v: number | null | undefined, digits = 2) => (v === null || v === undefined || !Number.isFinite(v) ? '–' : String(round(v, digits)));
const ratio = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined || b === 0 ? null : round(a / b, 2));

interface Row {
  scenario: string;
  metric: string;
  loa: number | null;
  raw: number | null;
  ratio: number | null;
  target: string;
}

function rows(loa: SideResults, raw: SideResults | null, agent: IdleAgentRss | null, sync: SyncStartResult | null, media: MediaBenchResult | null = null): Row[] {
  const r: Row[] = [];
  const add = (scenario: string, metric: string, l: number | undefined, w: number | undefined, target: string) =>
    r.push({ scenario, metric, loa: l ?? null, raw: w ?? null, ratio: ratio(l, w), target });
  if (scenarios.has('connect') && loa.connect) {
    add('1 connect storm', 'all online at broker side (s)', loa.connect.allOnlineS, raw?.connect?.allOnlineS, '≤ 15');
    add('1 connect storm', 'all clients subscribed (s)', loa.connect.clientsSubscribedS, raw?.connect?.clientsSubscribedS, '');
    add('1 connect storm', 'initial timeline acked by all (s)', loa.initialTimelineS, undefined, '');
  }
  if (loa.fanout) {
    add('2 fan-out', 'p50 (ms)', loa.fanout.p50Ms, raw?.fanout?.p50Ms, '');
    add('2 fan-out', 'p99 (ms)', loa.fanout.p99Ms, raw?.fanout?.p99Ms, '≤ 1000, ≤ 1.5× raw');
    add('2 fan-out', 'max (ms)', loa.fanout.maxMs, raw?.fanout?.maxMs, '');
    add('2 fan-out', 'devices reached', loa.fanout.received, raw?.fanout?.received, `${N}`);
    add('2 fan-out', 'POST /alerts answered (ms)', loa.fanout.apiMs, raw?.fanout?.apiMs, '≤ 500');
    add('2 fan-out', 'its fan-out job done (ms)', loa.fanout.jobDoneMs, undefined, '');
  }
  if (loa.alert) {
    const a = loa.alert;
    add('17 alert to sound', `speakers that started the alert (of ${a.speakers})`, a.started, undefined, `${a.speakers}`);
    add('17 alert to sound', 'speakers it reached after its audio was over', a.missed, undefined, '0');
    add('17 alert to sound', 'POST /alerts answered (ms)', a.apiMs, undefined, '≤ 500');
    add('17 alert to sound', 'start lead: effectiveAt − POST sent (ms)', a.leadMs, undefined, '');
    add('17 alert to sound', 'alert at the last speaker, from POST sent (ms)', a.lastReceivedMs, undefined, '');
    add('17 alert to sound', 'first speaker started, from POST sent (ms)', a.firstStartMs, undefined, '');
    add('17 alert to sound', 'median start, from POST sent (ms)', a.p50StartMs, undefined, '');
    add('17 alert to sound', 'p99 start, from POST sent (ms)', a.p99StartMs, undefined, '');
    add('17 alert to sound', 'last speaker started, from POST sent (ms)', a.lastStartMs, undefined, '≤ 2000');
    add('17 alert to sound', 'start spread, last − first (ms)', a.spreadMs, undefined, '≤ 50');
    add('17 alert to sound', 'latest start after effectiveAt (ms)', a.maxLateMs, undefined, '');
  }
  if (loa.timeline) {
    add('3 timeline push', 'all acked new version (s)', loa.timeline.allAckedS, undefined, '≤ 5');
    add('3 timeline push', 'POST /schedules answered, slower of 2 (ms)', loa.timeline.apiMs, undefined, '≤ 500');
    add('3 timeline push', 'both fan-out jobs done (s)', loa.timeline.jobsDoneS, undefined, '');
    add('3 timeline push', 'socket bytes down per device (timeline or patch, acks, telemetry)', loa.timeline.downBytesPerDevice, undefined, '');
    add('3 timeline push', 'socket bytes up per device', loa.timeline.upBytesPerDevice, undefined, '');
  }
  if (loa.events) {
    add('4 event ingestion', 'events committed+acked /s', loa.events.perSecond, raw?.events?.perSecond, '≥ 5000');
    add('4 event ingestion', 'first send → last ack (s)', loa.events.durationS, raw?.events?.durationS, '');
  }
  if (loa.heartbeat) {
    add('7 heartbeats', `received /s (${N} devices, every ${TELEMETRY_MS / 1000} s)`, loa.heartbeat.perSecond, undefined, '');
    add('7 heartbeats', `server CPU over ${loa.heartbeat.windowS} s (s)`, loa.heartbeat.resources.cpuS, undefined, '');
    add('7 heartbeats', 'server CPU (% of one core)', loa.heartbeat.resources.cpuPct, undefined, '');
    add('7 heartbeats', 'server peak RSS (MB)', loa.heartbeat.resources.peakRssMB, undefined, '≤ 800');
  }
  if (loa.dashboard) {
    for (const [name, d] of Object.entries(loa.dashboard)) {
      add('10 dashboard reads', `${name}: median (ms), ${Math.round(d.bytes / 1024)} KB`, d.medianMs, undefined, '');
      add('10 dashboard reads', `${name}: max of 5 (ms)`, d.maxMs, undefined, '');
    }
  }
  if (loa.commands) {
    add('8 command to all', 'every result ok (s)', loa.commands.allOkS, undefined, '');
    add('8 command to all', 'POST /commands answered (ms)', loa.commands.apiMs, undefined, '≤ 500');
    add('8 command to all', 'its fan-out job done: sent to all online (s)', loa.commands.jobDoneS, undefined, '');
    add('8 command to all', 'results ok', loa.commands.ok, undefined, `${N}`);
    add('8 command to all', 'server peak RSS (MB)', loa.commands.resources.peakRssMB, undefined, '≤ 800');
  }
  if (scenarios.has('resources')) {
    const res = (name: string, l?: Resources, w?: Resources) => {
      if (!l) return;
      add('5 resources', `${name}: server CPU (s)`, l.cpuS, w?.cpuS, '');
      add('5 resources', `${name}: server peak RSS (MB)`, l.peakRssMB, w?.peakRssMB, '≤ 800');
    };
    res('connect', loa.connect?.resources, raw?.connect?.resources);
    res('fan-out', loa.fanout?.resources, raw?.fanout?.resources);
    res('timeline', loa.timeline?.resources, undefined);
    res('events', loa.events?.resources, raw?.events?.resources);
    res('idle, all connected', loa.idle, raw?.idle);
    // After every scenario with the whole fleet still connected; the raw broker's after the same scenario where it ran one.
    const rawAfter = new Map((raw?.memory ?? []).map((m) => [m.scenario, m]));
    for (const m of loa.memory ?? []) {
      const w = rawAfter.get(m.scenario);
      const idle = m.scenario === 'idle';
      add('5 resources', `server RSS after ${idle ? 'all scenarios, idle' : m.scenario}, all connected (MB)`, m.rssMB, w?.rssMB, idle ? '≤ 800, ≤ 1.5× raw' : '≤ 800');
      if (idle) {
        add('5 resources', 'JS heap used, idle, all connected (MB)', m.heapUsedMB ?? undefined, w?.heapUsedMB ?? undefined, '');
        add('5 resources', 'external (Buffers), idle, all connected (MB)', m.externalMB ?? undefined, w?.externalMB ?? undefined, '');
      }
    }
    if (agent) {
      const build = agent.build === 'bundle' ? '' : `, ${agent.build} build: run npm run build`;
      add('5 resources', `one real loa-agent idle RSS, largest of ${agent.readingsMB.length} readings (MB${build})`, agent.rssMB, undefined, '≤ 60');
      add('5 resources', 'one real loa-agent peak RSS, start-up included (MB)', agent.peakMB, undefined, '');
    }
    add('5 resources', 'simulator RSS (MB)', loa.fleetRssMB, raw?.fleetRssMB, '');
  }
  if (sync) {
    add('6 synchronised start', 'start spread, clocks skewed −30/+7/+30 s (ms)', sync.spreadMs, undefined, '≤ 50');
    add('6 synchronised start', 'latest start after the slot time (ms)', sync.maxLateMs, undefined, '');
  }
  if (media) {
    // "raw" here is bare ffmpeg doing the same transcode + two-pass loudnorm on the same file.
    add('9 media pipeline', `${media.audioS / 60} min WAV: upload → processed (s) [raw: bare ffmpeg]`, media.loaWallS, media.bareWallS, '≤ 1.2× bare ffmpeg');
    add('9 media pipeline', 'realtime factor (audio s / wall s) [raw: bare ffmpeg]', media.loaRealtime, media.bareRealtime, '');
  }
  return r;
}

function table(r: Row[], columns: [string, string, string] = ['Loa', 'raw aedes', 'Loa/raw']): string {
  const head = ['scenario', 'metric', ...columns, 'target'];
  const body = r.map((x) => [x.scenario, x.metric, fmt(x.loa), fmt(x.raw), fmt(x.ratio), x.target]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i >= 2 && i <= 4 ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0))).join(' | ')} |`;
  return [line(head), `|${widths.map((w, i) => (i >= 2 && i <= 4 ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`, ...body.map(line)].join('\n');
}

// ---- external broker (--broker mosquitto) ----------------------------------------------------------------------

interface MosquittoRun {
  provisionS: number;
  loa: SideResults;
  /** CPU over the fleet scenarios: the Loa server's, and the broker's (the embedded broker's is in the server's). */
  serverCpuS: number;
  brokerCpuS: number;
  rows: Row[];
}

/**
 * The fleet scenarios again, on a fresh Loa server (same database kind as the main run) whose devices connect to
 * Mosquitto with dynamic security: registration provisions their broker accounts, the server is an MQTT 5 client
 * with shared subscriptions.
 */
async function runOnMosquitto(dir: string, password: string): Promise<Omit<MosquittoRun, 'rows'>> {
  const mosquitto = await startBenchMosquitto((c) => children.add(c));
  const pg = args.postgres === undefined ? null : freshPostgres(args.postgres);
  try {
    const server = await startLoaServer({
      dataDir: path.join(dir, 'loa-mosquitto'),
      adminPassword: password,
      logLevel: 'warn',
      env: { LOA_APPROVAL_RULES_DEFAULT: 'permissive', ...mosquitto.serverEnv, ...(pg ? { LOA_DATABASE_URL: pg.url } : {}) },
    });
    children.add(server.proc);
    try {
      log(`mosquitto: server pid ${server.pid}, broker pid ${mosquitto.pid} at ${mosquitto.url}; provisioning (dynamic-security accounts)`);
      const t = Date.now();
      const creds = await provision({ serverUrl: server.httpUrl, username: 'admin', password, devices: N, idPrefix: 'bench', bulk: !args['no-bulk'] });
      const api = await LoaApi.login(server.httpUrl, 'admin', password);
      const answeredS = round((Date.now() - t) / 1000, 1);
      await waitBrokerAccounts(api, creds.devices.map((d) => d.id), 30 * 60_000, log);
      const provisionS = round((Date.now() - t) / 1000, 1);
      log(`mosquitto: provisioned ${creds.devices.length} devices in ${provisionS} s (registration answered after ${answeredS} s; the rest is the broker's accounts)`);
      const serverMeter = new ProcMeter(server.pid);
      const brokerMeter = new ProcMeter(mosquitto.pid);
      // The fleet connects to the broker, not to the server (which listens for no device).
      const loa = await runLoa({ ...server, mqttUrl: mosquitto.url }, api, creds.devices, creds.provinceCode ?? '42', creds.serverPublicKey, FLEET_SCENARIOS);
      return { provisionS, loa, serverCpuS: serverMeter.result().cpuS, brokerCpuS: brokerMeter.result().cpuS };
    } finally {
      const code = await server.stop();
      if (code !== 0 && code !== null) log(`mosquitto: server exited with ${code}; see ${server.logFile}`);
    }
  } finally {
    await mosquitto.stop();
    pg?.drop();
  }
}

/** The same figures side by side: `loa` = on the embedded broker, `raw` = on Mosquitto. */
function mosquittoRows(embedded: Row[], embeddedSide: SideResults, embeddedProvisionS: number, run: Omit<MosquittoRun, 'rows'>): Row[] {
  const onMosquitto = new Map(rows(run.loa, null, null, null, null).map((x) => [`${x.scenario}\u0000${x.metric}`, x]));
  const out: Row[] = [];
  const add = (scenario: string, metric: string, e: number | null, m: number | null, target = '') => out.push({ scenario, metric, loa: e, raw: m, ratio: e !== null && m !== null && e !== 0 ? round(m / e, 2) : null, target });
  add('0 registration', `register ${N} devices (s), dynamic-security accounts on Mosquitto`, embeddedProvisionS, run.provisionS);
  for (const x of embedded) {
    const m = onMosquitto.get(`${x.scenario}\u0000${x.metric}`);
    if (m?.loa === null || m?.loa === undefined || x.loa === null) continue;
    add(x.scenario, x.metric, x.loa, m.loa, x.target);
  }
  // The embedded broker's work is inside the server's CPU; on Mosquitto it is split between the two processes.
  const fleetCpu = (side: SideResults) => round([side.connect, side.fanout, side.timeline, side.events].reduce((a, x) => a + (x?.resources.cpuS ?? 0), 0), 2);
  add('5 resources', 'connect + fan-out + timeline + events: Loa server CPU (s)', fleetCpu(embeddedSide), fleetCpu(run.loa));
  add('5 resources', 'every scenario on Mosquitto: Loa server CPU (s) [Mosquitto column: broker CPU]', run.serverCpuS, run.brokerCpuS);
  return out;
}

// ---- main ----------------------------------------------------------------------------------------------------

/** A database of its own on a PostgreSQL server (psql, as its superuser), dropped at the end of the run. */
function freshPostgres(serverUrl: string): { url: string; drop(): void } {
  const name = `loa_bench_${randomBytes(4).toString('hex')}`;
  const psql = (sql: string) => {
    const r = spawnSync('psql', [serverUrl.replace(/\/+$/, '') + '/postgres', '-v', 'ON_ERROR_STOP=1', '-qc', sql], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`psql ${sql}: ${r.stderr || r.error?.message}`);
  };
  psql(`CREATE DATABASE ${name}`);
  return { url: `${serverUrl.replace(/\/+$/, '')}/${name}`, drop: () => psql(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

async function main(): Promise<void> {
  const started = Date.now();
  const dir = mkdtempSync(path.join(tmpdir(), 'loa-bench-'));
  const profDir = path.join(dir, 'prof');
  const password = `bench-${randomBytes(9).toString('base64url')}`;
  log(`devices=${N} processes=${PROCESSES} events/device=${E} scenarios=${[...scenarios].join(',')} raw=${RAW} dir=${dir}`);
  if (scenarios.size === 1 && scenarios.has('reports')) {
    // Scenario 16 alone needs no fleet: it runs its own server on a year of synthetic history.
    const rep = await measureReports({ dir, devices: N, postgres: args.postgres, log, track: (c) => children.add(c) });
    process.stdout.write(`\nLoa bench: ${N} devices, ${cpus().length} CPUs (${cpus()[0]?.model ?? ''}), node ${process.version}, ${rep.database === 'postgres' ? 'PostgreSQL' : 'SQLite'}\n\n${table(reportRows(rep))}\n`);
    const jsonFile = args.json ?? path.join(REPO, 'bench-results', `bench-reports-${N}-${new Date(started).toISOString().replace(/[:.]/g, '-')}.json`);
    mkdirSync(path.dirname(path.resolve(jsonFile)), { recursive: true });
    writeFileSync(jsonFile, `${JSON.stringify({ devices: N, reports: rep }, null, 2)}\n`);
    process.stdout.write(`\nJSON: ${jsonFile}\n`);
    if (!args.keep) rmSync(dir, { recursive: true, force: true });
    return;
  }
  const pg = args.postgres === undefined ? null : freshPostgres(args.postgres);
  if (pg) log(`database: PostgreSQL ${pg.url}`);
  const server = await startLoaServer({
    dataDir: path.join(dir, 'loa'),
    adminPassword: password,
    logLevel: 'warn',
    // Fan-out is measured from the alert request: the two-person rule (issue 7) would hold it for a confirmation.
    env: { LOA_APPROVAL_RULES_DEFAULT: 'permissive', ...(pg ? { LOA_DATABASE_URL: pg.url } : {}) },
    ...(args['cpu-prof'] ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profDir}`] } : {}),
  });
  children.add(server.proc);
  let loa: SideResults = {};
  let raw: SideResults | null = null;
  let agent: IdleAgentRss | null = null;
  let profile: ProfileSummary | null = null;
  let sync: SyncStartResult | null = null;
  let media: MediaBenchResult | null = null;
  let restart: RestartResult | null = null;
  let soak: SoakResult | null = null;
  let edge: EdgeResult | null = null;
  let provisionS = 0;
  let onMosquitto: MosquittoRun | null = null;
  let two: (TwoInstanceResult & { rows: Row[] }) | null = null;
  let reports: ReportBenchResult | null = null;
  let live: LiveResult | null = null;
  try {
    log(`server pid ${server.pid} http ${server.httpUrl} mqtt ${server.mqttUrl}; provisioning`);
    const t = Date.now();
    const creds = await provision({ serverUrl: server.httpUrl, username: 'admin', password, devices: N, idPrefix: 'bench', bulk: !args['no-bulk'] });
    provisionS = round((Date.now() - t) / 1000, 1);
    const provinceCode = creds.provinceCode ?? '42';
    log(`provisioned ${creds.devices.length} devices in ${provisionS} s`);
    const api = await LoaApi.login(server.httpUrl, 'admin', password);
    if (RAW) raw = await runRaw(creds.devices, provinceCode);
    loa = await runLoa(server, api, creds.devices, provinceCode, creds.serverPublicKey);
    if (scenarios.has('resources')) {
      log('resources: one real loa-agent, idle');
      agent = await idleAgentRss(server, api, creds.devices[0]?.areaCode ?? provinceCode, dir);
    }
    if (scenarios.has('sync')) {
      log('sync: three agents with skewed clocks start one shared slot');
      sync = await measureSyncStart(server.httpUrl, server.mqttUrl, api, creds.devices[0]?.areaCode ?? provinceCode, dir, SMOKE ? 5000 : 10_000);
    }
    if (scenarios.has('edge')) {
      log(`edge: bytes on the wire of one real agent: ${EDGE_IDLE_S} s idle, one schedule change, one full timeline`);
      edge = await measureEdge(server, api, creds.devices[0]?.areaCode ?? provinceCode, dir, EDGE_IDLE_S * 1000, log, (c) => children.add(c));
    }
    if (scenarios.has('live')) {
      log('live: one real agent speaker; a microphone session streams PCM in real time (opening words, then tone bursts)');
      // The opening words outlast the alert's start lead (LOA_ALERT_LEAD_MS) and the agent's player start.
      live = await measureLive(server, api, creds.devices[0]?.areaCode ?? provinceCode, dir, SMOKE ? { openingS: 3.5, bursts: 3, everyS: 1 } : { openingS: 5, bursts: 8, everyS: 1.5 }, log, (c) => children.add(c));
    }
    if (scenarios.has('media')) {
      log(`media: a ${SMOKE ? '20-second' : '5-minute'} speech-like WAV through upload, transcode and two-pass loudnorm, against bare ffmpeg`);
      media = await measureMediaPipeline(server.httpUrl, api.token, dir, SMOKE ? 20 : 300);
    }
    if (scenarios.has('restart')) {
      log('restart: SIGTERM and SIGKILL of a server with every device connected; time to exit and to have every device back');
      restart = await measureRestart({ dir, devices: N, processes: PROCESSES, maxConnecting: MAX_CONNECTING, track: (c) => children.add(c), log, ...(SMOKE ? { rounds: 1, settleMs: 300 } : {}) });
    }
    if (scenarios.has('soak')) {
      log(`soak: a fresh server takes ${SOAK_ROUNDS} rounds of malformed MQTT and HTTP input, then idles ${SOAK_IDLE_S} s`);
      soak = await measureSoak({ dir, rounds: SOAK_ROUNDS, concurrency: 4, idleMs: SOAK_IDLE_S * 1000, track: (c) => children.add(c), log, ...(SMOKE ? { settleMs: 300 } : {}) });
    }
  } finally {
    const code = await server.stop();
    if (code !== 0 && code !== null) log(`server exited with ${code}; see ${server.logFile}`);
    pg?.drop();
  }
  if (scenarios.has('reports')) {
    log('reports: a fresh server with a year of synthetic history; the rollup job and the report queries timed');
    reports = await measureReports({ dir, devices: N, postgres: args.postgres, log, track: (c) => children.add(c), ...(SMOKE ? { days: 30 } : {}) });
  }
  if (args['cpu-prof']) {
    const files = (() => {
      try {
        return readdirSync(profDir).filter((f) => f.endsWith('.cpuprofile'));
      } catch {
        return [];
      }
    })();
    if (files[0]) profile = summariseProfile(path.join(profDir, files[0]));
  }

  const r = rows(loa, raw, agent, sync, media);
  if (BROKER === 'mosquitto') {
    log('mosquitto: the fleet scenarios on a Loa server whose devices connect to Mosquitto (dynamic security)');
    const run = await runOnMosquitto(dir, password);
    onMosquitto = { ...run, rows: mosquittoRows(r, loa, provisionS, run) };
    if (!args['no-two-instances']) {
      const postgres = args.postgres ?? 'postgres://postgres@127.0.0.1:5432';
      log(`two instances: Mosquitto, PostgreSQL at ${postgres}`);
      const t = await measureTwoInstances({ dir, devices: N, eventsPerDevice: E, processes: PROCESSES, maxConnecting: MAX_CONNECTING, telemetryMs: TELEMETRY_MS, postgres, track: (c) => children.add(c), log });
      two = { ...t, rows: twoInstanceRows(t) };
    }
  }
  if (restart) r.push(...restartRows(restart));
  if (soak) r.push(...soakRows(soak));
  if (edge) r.push(...edgeRows(edge));
  if (loa.steady) r.push(...steadyRows(loa.steady));
  if (reports) r.push(...reportRows(reports));
  if (live) r.push(...liveRows(live));
  const machine = { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? '', memGB: round(totalmem() / 2 ** 30, 1), node: process.version };
  const header = `Loa bench: ${N} devices, ${PROCESSES} simulator process(es), ${machine.cpus} CPUs (${machine.cpuModel}), node ${machine.node}, ${pg ? 'PostgreSQL' : 'SQLite'}`;
  process.stdout.write(`\n${header}\n\n${table(r)}\n`);
  if (onMosquitto) process.stdout.write(`\nThe fleet scenarios on an external Mosquitto with dynamic security (same run, same database kind):\n\n${table(onMosquitto.rows, ['embedded', 'Mosquitto', 'Mosq/emb'])}\n`);
  if (two) process.stdout.write(`\nTwo Loa instances on Mosquitto and PostgreSQL:\n\n${table(two.rows, ['loa-a / run', 'loa-b', ''])}\n`);
  if (profile) {
    process.stdout.write(`\nServer CPU profile (${profile.totalS} s, idle ${profile.idlePct}%, GC ${profile.gcPct}%) — self time by module:\n`);
    for (const m of profile.byModule.slice(0, 15)) process.stdout.write(`  ${String(m.pct).padStart(5)}%  ${m.module}\n`);
    process.stdout.write('Top functions (self time):\n');
    for (const f of profile.topFunctions) process.stdout.write(`  ${String(f.pct).padStart(5)}%  ${f.fn}  ${f.where}\n`);
  }
  const result = {
    devices: N,
    database: pg ? 'postgres' : 'sqlite',
    processes: PROCESSES,
    eventsPerDevice: E,
    scenarios: [...scenarios],
    machine,
    startedAt: new Date(started).toISOString(),
    durationS: round((Date.now() - started) / 1000, 1),
    provisionS,
    loa,
    raw,
    agent,
    sync,
    media,
    restart,
    soak,
    edge,
    mosquitto: onMosquitto,
    twoInstances: two,
    reports,
    live,
    rows: r,
    profile,
  };
  const jsonFile = args.json ?? path.join(REPO, 'bench-results', `bench-${N}-${new Date(started).toISOString().replace(/[:.]/g, '-')}.json`);
  mkdirSync(path.dirname(path.resolve(jsonFile)), { recursive: true });
  writeFileSync(jsonFile, `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`\nJSON: ${jsonFile}  (total ${result.durationS} s)\n`);
  if (!args.keep) rmSync(dir, { recursive: true, force: true });
  else log(`kept ${dir}`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    for (const c of children) c.kill('SIGKILL');
    const cause = err instanceof Error && err.cause !== undefined ? `\ncaused by: ${err.cause instanceof Error ? (err.cause.stack ?? err.cause.message) : String(err.cause)}` : '';
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}${cause}\n`);
    process.exit(1);
  },
);
