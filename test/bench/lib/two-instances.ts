// Two Loa instances on one PostgreSQL database and one Mosquitto (dynamic security), as deploy/scale-out.md sets
// them up (`npm run bench -- --broker mosquitto`): the fleet scenarios with each instance's CPU and share of the work,
// then the leader killed (SIGKILL) while reports are in flight, then a graceful hand-over.
import { spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { createFleet, LoaApi, provision, type FleetControl, type FleetStats, type PortableFleetOptions } from '@loa/e2e/sim/dist/index.js';
import { waitBrokerAccounts } from './broker-accounts.js';
import { startLoaServer, type LoaServer } from './loa-server.js';
import { startBenchMosquitto, type BenchMosquitto } from './mosquitto.js';
import { ProcMeter, round } from './proc.js';
import { toneWav, uploadMedia } from './wav.js';

export interface TwoInstanceOptions {
  dir: string;
  devices: number;
  eventsPerDevice: number;
  processes: number;
  maxConnecting: number;
  telemetryMs: number;
  /** A PostgreSQL server on which a database of its own is created and dropped (psql as its superuser). */
  postgres: string;
  track(child: ChildProcess): void;
  log(s: string): void;
}

/** CPU seconds of each instance and of the broker over one scenario, and how many device messages each handled. */
export interface ShareOfWork {
  cpuS: [number, number];
  brokerCpuS: number;
  /** The counter that measures the scenario's device traffic on each instance (status, events, telemetry…). */
  handled: [number, number];
}

export interface TwoInstanceResult {
  devices: number;
  provisionS: number;
  connect: { allOnlineS: number; complete: boolean; work: ShareOfWork };
  fanout: { p99Ms: number; received: number; complete: boolean; work: ShareOfWork };
  timeline: { allAckedS: number; complete: boolean; work: ShareOfWork };
  events: { perSecond: number; events: number; complete: boolean; work: ShareOfWork };
  heartbeat: { perSecond: number; windowS: number; work: ShareOfWork };
  failover: {
    /** SIGKILL of the leader → the survivor says it leads. */
    leaderS: number;
    /** SIGKILL → every report in flight at the kill acknowledged (devices resend what the dead instance took). */
    reportsAckedS: number;
    reportsInFlight: number;
    /** Device sessions that dropped in the meantime (the broker keeps them: 0). */
    deviceDisconnects: number;
    complete: boolean;
  };
  handover: {
    /** SIGTERM of the leader → another instance leads. */
    leaderS: number;
    /** SIGTERM → the stopped instance has exited. */
    exitS: number;
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(timeoutMs: number, done: () => Promise<boolean>, everyMs = 50): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await done().catch(() => false)) return true;
    if (Date.now() > deadline) return false;
    await sleep(everyMs);
  }
}

function freshDatabase(serverUrl: string): { url: string; drop(): void } {
  const name = `loa_bench2_${randomBytes(4).toString('hex')}`;
  const base = serverUrl.replace(/\/+$/, '');
  const psql = (sql: string) => {
    const r = spawnSync('psql', [`${base}/postgres`, '-v', 'ON_ERROR_STOP=1', '-qc', sql], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`psql ${sql}: ${r.stderr || r.error?.message}`);
  };
  psql(`CREATE DATABASE ${name}`);
  return { url: `${base}/${name}`, drop: () => psql(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

/** Leads per its own counters (leader_elected minus leader_lost). */
async function leads(s: LoaServer): Promise<boolean> {
  const c = (await s.health()).counters;
  return (c.leader_elected ?? 0) > (c.leader_lost ?? 0);
}

export async function measureTwoInstances(o: TwoInstanceOptions): Promise<TwoInstanceResult> {
  const db = freshDatabase(o.postgres);
  let mosquitto: BenchMosquitto | null = null;
  const servers: LoaServer[] = [];
  let fleet: FleetControl | null = null;
  try {
    mosquitto = await startBenchMosquitto(o.track);
    const shared = path.join(o.dir, 'two-shared');
    mkdirSync(shared, { recursive: true });
    const adminPassword = `bench2-${randomBytes(9).toString('base64url')}`;
    const env = (id: string): Record<string, string> => ({
      ...mosquitto!.serverEnv,
      LOA_DATABASE_URL: db.url,
      LOA_INSTANCE_ID: id,
      LOA_MEDIA_DIR: path.join(shared, 'media'),
      LOA_SIGNING_KEY_FILE: path.join(shared, 'signing-key.pem'),
      LOA_APPROVAL_RULES_DEFAULT: 'permissive',
    });
    const start = async (i: number, ports?: { httpPort: number; mqttPort: number }): Promise<LoaServer> => {
      const id = `bench-${'ab'[i]}`;
      const s = await startLoaServer({ dataDir: path.join(o.dir, id), adminPassword, logLevel: 'warn', env: env(id), ...ports });
      o.track(s.proc);
      return s;
    };
    // One after the other: the first migrates the database, creates the admin and the signing key.
    servers.push(await start(0));
    servers.push(await start(1));
    const [a, b] = servers as [LoaServer, LoaServer];
    const counter = async (s: LoaServer, name: string) => (await s.health().catch(() => null))?.counters[name] ?? 0;
    const counters = async (name: string): Promise<[number, number]> => [await counter(servers[0]!, name), await counter(servers[1]!, name)];

    o.log(`two instances: provisioning ${o.devices} devices through ${a.httpUrl} (dynamic-security accounts)`);
    const t0 = Date.now();
    const creds = await provision({ serverUrl: a.httpUrl, username: 'admin', password: adminPassword, devices: o.devices, idPrefix: 'two', bulk: true });
    await waitBrokerAccounts(await LoaApi.login(a.httpUrl, 'admin', adminPassword), creds.devices.map((d) => d.id), 30 * 60_000, o.log);
    const provisionS = round((Date.now() - t0) / 1000, 1);
    const province = creds.provinceCode ?? '42';
    const N = creds.devices.length;
    const apiA = await LoaApi.login(a.httpUrl, 'admin', adminPassword);
    const apiB = await LoaApi.login(b.httpUrl, 'admin', adminPassword);

    const opts: PortableFleetOptions = {
      devices: creds.devices,
      mqttUrl: mosquitto.url,
      ...(creds.serverPublicKey ? { serverPublicKey: creds.serverPublicKey } : {}),
      maxConnecting: o.maxConnecting,
      keepaliveS: 120,
      // Short enough that reports the killed instance took come back within the failover measurement.
      resendAfterMs: 5000,
      connectTimeoutMs: 60_000,
      backoff: { baseMs: 1000, capMs: 30_000 },
      telemetryIntervalMs: o.telemetryMs,
    };
    fleet = createFleet(opts, o.processes);
    const f = fleet;
    const stats = () => f.stats();

    /** Meters both instances and the broker while `work` runs; `handled` diffs the named counter on each. */
    const metered = async <T>(counterName: string, work: (poll: () => void) => Promise<T>): Promise<{ value: T; work: ShareOfWork }> => {
      const meters = servers.map((s) => new ProcMeter(s.pid));
      const broker = new ProcMeter(mosquitto!.pid);
      const before = await counters(counterName);
      const value = await work(() => {
        for (const m of meters) m.sample();
        broker.sample();
      });
      const after = await counters(counterName);
      return {
        value,
        work: {
          cpuS: [meters[0]!.result().cpuS, meters[1]!.result().cpuS],
          brokerCpuS: broker.result().cpuS,
          handled: [after[0] - before[0], after[1] - before[1]],
        },
      };
    };
    const waitStats = async (timeoutMs: number, cond: (s: FleetStats) => boolean, poll: () => void): Promise<FleetStats> => {
      let last = await stats();
      await until(timeoutMs, async () => {
        poll();
        return cond((last = await stats()));
      });
      return last;
    };

    o.log(`two instances: connect storm, ${N} devices on Mosquitto`);
    const connect = await metered('mqtt_status_received', async (poll) => {
      const t = Date.now();
      await f.start();
      let at = 0;
      await waitStats(Math.max(60_000, N * 10), (s) => s.connected >= N && at > 0, () => {
        poll();
        if (at === 0)
          void counters('mqtt_status_received').then(([x, y]) => {
            if (at === 0 && x + y >= N) at = Date.now();
          });
      });
      const s = await waitStats(Math.max(60_000, N * 10), (x) => x.timelineAcks >= N && x.alertSubscribed >= N, poll);
      return { allOnlineS: round(((at || Date.now()) - t) / 1000, 2), complete: at > 0 && s.connected >= N };
    });

    o.log('two instances: alert saved on the second instance, to the province');
    await sleep(1000);
    const fanout = await metered('mqtt_events_received', async (poll) => {
      await f.expectAlert(null);
      const t = Date.now();
      const alert = await apiB.request<{ id: string }>('POST', '/api/v1/alerts', { areaCode: province, title: 'Bench: cảnh báo thử', text: 'Thử nghiệm', expiresInS: 3600 }, [201]);
      await f.expectAlert(alert.id);
      const s = await waitStats(Math.max(30_000, N * 3), (x) => x.alertsReceived >= N, poll);
      const lat = (await f.alertReceipts(alert.id)).map((r) => r - t).sort((x, y) => x - y);
      return { p99Ms: round(lat[Math.max(0, Math.ceil(lat.length * 0.99) - 1)] ?? 0), received: lat.length, complete: s.alertsReceived >= N };
    });

    o.log('two instances: schedule saved on the first instance, to the province');
    await sleep(1000);
    const sha = await uploadMedia(a.httpUrl, apiA.token, toneWav(2), 'bench2.wav', 'audio/wav');
    const audio = await apiA.request<{ id: string }>('POST', '/api/v1/contents', { type: 'audio', title: 'Bench: bản tin', mediaSha256: sha, approve: true }, [201]);
    const text = await apiA.request<{ id: string }>('POST', '/api/v1/contents', { type: 'text', title: 'Bench: bản tin', text: 'Thông báo lịch cắt điện', displaySeconds: 30, approve: true }, [201]);
    const timeline = await metered('mqtt_timeline_ack_received', async (poll) => {
      await f.markTimelines();
      const t = Date.now();
      // Speakers take audio and boards take text: one schedule of each touches every device (as the main run does).
      const startAt = new Date(Date.now() + 3_600_000).toISOString();
      for (const content of [audio, text]) {
        const r = await apiA.raw('POST', '/api/v1/schedules', { contentId: content.id, startAt, targets: { areas: [province] } });
        if (r.status !== 201 && !(r.status === 400 && r.text.includes('contain no'))) throw new Error(`POST /api/v1/schedules → ${r.status}: ${r.text.slice(0, 300)}`);
      }
      const s = await waitStats(Math.max(60_000, N * 10), (x) => x.ackedSinceMark >= N, poll);
      return { allAckedS: round(((s.ackedSinceMark >= N ? s.lastTimelineAckAt : Date.now()) - t) / 1000, 2), complete: s.ackedSinceMark >= N };
    });

    o.log(`two instances: event ingestion, ${o.eventsPerDevice} per device`);
    await sleep(1000);
    const events = await metered('mqtt_events_received', async (poll) => {
      await f.resetEventWindow();
      const base = (await stats()).eventsAcked;
      const injected = await f.injectEvents({ perDevice: o.eventsPerDevice });
      const s = await waitStats(Math.max(60_000, N * o.eventsPerDevice * 2), (x) => x.eventsAcked - base >= injected, poll);
      const durS = Math.max(0.001, ((s.lastEventAckAt || Date.now()) - s.firstEventSentAt) / 1000);
      return { perSecond: round((s.eventsAcked - base) / durS), events: injected, complete: s.eventsAcked - base >= injected };
    });

    const windowMs = Math.max(5000, o.telemetryMs);
    o.log(`two instances: heartbeats for ${windowMs / 1000} s`);
    const heartbeat = await metered('mqtt_telemetry_received', async (poll) => {
      const end = Date.now() + windowMs;
      while (Date.now() < end) {
        poll();
        await sleep(250);
      }
      return { windowS: windowMs / 1000 };
    });
    const heartbeatPerS = round((heartbeat.work.handled[0] + heartbeat.work.handled[1]) / (windowMs / 1000));

    // ---- failover: the leader dies with reports in flight ----
    await until(30_000, async () => (await leads(a)) || (await leads(b)));
    const leaderIndex = (await leads(a)) ? 0 : 1;
    const survivorIndex = 1 - leaderIndex;
    const survivor = servers[survivorIndex]!;
    const killed = servers[leaderIndex]!;
    o.log(`two instances: SIGKILL of the leader (${leaderIndex === 0 ? 'bench-a' : 'bench-b'}) with ${N} reports in flight`);
    const before = await stats();
    const baseAcked = before.eventsAcked;
    const inFlight = await f.injectEvents({ perDevice: 1 });
    const exited = new Promise<void>((resolve) => killed.proc.once('exit', () => resolve()));
    const tk = Date.now();
    killed.proc.kill('SIGKILL');
    await exited;
    let leaderAt = 0;
    let ackedAt = 0;
    await until(Math.max(60_000, N * 20), async () => {
      if (leaderAt === 0 && (await leads(survivor))) leaderAt = Date.now();
      const s = await stats();
      if (ackedAt === 0 && s.eventsAcked - baseAcked >= inFlight) ackedAt = Date.now();
      return leaderAt > 0 && ackedAt > 0;
    }, 25);
    const afterKill = await stats();
    const failover = {
      leaderS: round(((leaderAt || Date.now()) - tk) / 1000, 2),
      reportsAckedS: round(((ackedAt || Date.now()) - tk) / 1000, 2),
      reportsInFlight: inFlight,
      deviceDisconnects: afterKill.disconnects - before.disconnects,
      complete: leaderAt > 0 && ackedAt > 0,
    };

    // ---- hand-over: the dead instance comes back (a follower), the leader is stopped gracefully ----
    o.log('two instances: the killed instance starts again; the leader is stopped with SIGTERM');
    const back = await start(leaderIndex, { httpPort: killed.httpPort, mqttPort: killed.mqttPort });
    servers[leaderIndex] = back;
    const stopExited = new Promise<void>((resolve) => survivor.proc.once('exit', () => resolve()));
    const ts = Date.now();
    survivor.proc.kill('SIGTERM');
    let exitAt = 0;
    void stopExited.then(() => (exitAt = Date.now()));
    let handoverAt = 0;
    await until(60_000, async () => {
      if (handoverAt === 0 && (await leads(back))) handoverAt = Date.now();
      return handoverAt > 0 && exitAt > 0;
    }, 25);
    const handover = { leaderS: round(((handoverAt || Date.now()) - ts) / 1000, 2), exitS: round(((exitAt || Date.now()) - ts) / 1000, 2) };

    return {
      devices: N,
      provisionS,
      connect: { ...connect.value, work: connect.work },
      fanout: { ...fanout.value, work: fanout.work },
      timeline: { ...timeline.value, work: timeline.work },
      events: { ...events.value, work: events.work },
      heartbeat: { perSecond: heartbeatPerS, windowS: heartbeat.value.windowS, work: heartbeat.work },
      failover,
      handover,
    };
  } finally {
    await fleet?.stop();
    for (const s of servers) await s.stop().catch(() => undefined);
    await mosquitto?.stop();
    db.drop();
  }
}

type Row = { scenario: string; metric: string; loa: number | null; raw: number | null; ratio: number | null; target: string };

/**
 * Rows for the bench table: `loa` is the first instance's figure (or the whole run's), `raw` the second instance's,
 * so the table's two number columns read "loa-a | loa-b" for this scenario.
 */
export function twoInstanceRows(r: TwoInstanceResult): Row[] {
  const s = '15 two instances (Mosquitto, PostgreSQL)';
  const one = (metric: string, v: number, target = ''): Row => ({ scenario: s, metric, loa: v, raw: null, ratio: null, target });
  const pair = (metric: string, v: [number, number]): Row => ({ scenario: s, metric: `${metric} [loa-a | loa-b]`, loa: v[0], raw: v[1], ratio: null, target: '' });
  const work = (name: string, w: ShareOfWork): Row[] => [pair(`${name}: instance CPU (s)`, w.cpuS), pair(`${name}: device messages handled`, w.handled), one(`${name}: Mosquitto CPU (s)`, w.brokerCpuS)];
  return [
    one(`register ${r.devices} devices, dynamic-security accounts included (s)`, r.provisionS),
    one('connect storm: all online (s)', r.connect.allOnlineS),
    ...work('connect', r.connect.work),
    one('alert saved on loa-b: p99 at the devices (ms)', r.fanout.p99Ms),
    one('schedule saved on loa-a: all acked (s)', r.timeline.allAckedS),
    ...work('timeline', r.timeline.work),
    one('events committed+acked /s', r.events.perSecond),
    ...work('events', r.events.work),
    one('heartbeats received /s', r.heartbeat.perSecond),
    ...work(`heartbeats ${r.heartbeat.windowS} s`, r.heartbeat.work),
    one('leader SIGKILLed → survivor leads (s)', r.failover.leaderS, '≤ 2'),
    one(`leader SIGKILLed → the ${r.failover.reportsInFlight} reports in flight all acked (s)`, r.failover.reportsAckedS),
    one('device sessions dropped by the failover', r.failover.deviceDisconnects, '0'),
    one('leader SIGTERMed → another leads (s)', r.handover.leaderS, '≤ 2'),
    one('leader SIGTERMed → exited (s)', r.handover.exitS, '≤ 5'),
  ];
}
