// Restart: how long a stop takes and how long the fleet is away, for a planned restart (SIGTERM, then start) against
// a crash (SIGKILL, then start) of a server with every device connected (issue 12, item 2). The server is its own
// (fresh data directory, same ports across the restarts, so devices find it again) and the simulated devices
// reconnect with the real agent's policy: jittered back-off from 1 s to 60 s, never wider than the outage is old, 15 s connect timeout.
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createFleet, provision, type FleetStats } from '@loa/e2e/sim/dist/index.js';
import { startLoaServer, type LoaServer } from './loa-server.js';
import { round, sampleProc } from './proc.js';

export interface RestartOptions {
  dir: string;
  devices: number;
  processes: number;
  maxConnecting: number;
  /** Every child process started (so the caller can kill it on Ctrl-C). */
  track(child: ChildProcess): void;
  log(s: string): void;
  /** Rounds of (SIGTERM, SIGKILL), default 2; and the settling pause before each restart, default 2000 ms (the bench's --smoke: 1 and 300). */
  rounds?: number;
  settleMs?: number;
}

export interface RestartRun {
  /** Signal sent → the old process exited. */
  exitS: number;
  /** Signal sent → the new process answered /api/health. */
  upS: number;
  /** Signal sent → every device connected again and the new server received every `online` status. */
  allBackS: number;
  complete: boolean;
  /** Connection attempts that failed (refused, reset, timed out) between the signal and the last device back. */
  failedAttempts: number;
  /** CONNACKs refusing the credentials in that time (each sends the device to its maximum back-off). */
  authRefused: number;
  /** CPU seconds the new server spent from its start until every device was back. */
  serverCpuS: number;
}

export interface RestartResult {
  devices: number;
  /** SIGTERM → exit with no device connected. */
  idleExitS: number;
  /** Means over the rounds; each round is in `runs`. */
  graceful: RestartRun;
  crash: RestartRun;
  runs: { graceful: RestartRun[]; crash: RestartRun[] };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Planned restarts and crashes measured per run of the scenario, alternately. */
const ROUNDS = 2;

function meanRun(runs: readonly RestartRun[]): RestartRun {
  const mean = (f: (r: RestartRun) => number, digits: number) => round(runs.reduce((a, r) => a + f(r), 0) / runs.length, digits);
  return {
    exitS: mean((r) => r.exitS, 2),
    upS: mean((r) => r.upS, 2),
    allBackS: mean((r) => r.allBackS, 2),
    complete: runs.every((r) => r.complete),
    failedAttempts: mean((r) => r.failedAttempts, 0),
    authRefused: mean((r) => r.authRefused, 0),
    serverCpuS: mean((r) => r.serverCpuS, 2),
  };
}

export async function measureRestart(o: RestartOptions): Promise<RestartResult> {
  const dataDir = path.join(o.dir, 'restart');
  const adminPassword = `restart-${Math.random().toString(36).slice(2)}`;
  const start = async (ports?: { httpPort: number; mqttPort: number }): Promise<LoaServer> => {
    const s = await startLoaServer({ dataDir, adminPassword, logLevel: 'warn', ...ports });
    o.track(s.proc);
    return s;
  };
  let server = await start();
  const creds = await provision({ serverUrl: server.httpUrl, username: 'admin', password: adminPassword, devices: o.devices, idPrefix: 'restart', bulk: true });
  const N = creds.devices.length;
  const fleet = createFleet(
    {
      devices: creds.devices,
      mqttUrl: server.mqttUrl,
      ...(creds.serverPublicKey ? { serverPublicKey: creds.serverPublicKey } : {}),
      maxConnecting: o.maxConnecting,
      keepaliveS: 30,
      connectTimeoutMs: 15_000,
      backoff: { baseMs: 1000, capMs: 60_000 },
      resendAfterMs: 60_000,
      telemetryIntervalMs: 60_000,
    },
    o.processes,
  );
  const bound = Math.max(180_000, N * 60);
  const statusSeen = async (s: LoaServer) => (await s.health().catch(() => null))?.counters.mqtt_status_received ?? 0;
  /** Waits until every device is connected and the server counted at least `statuses` status messages. */
  const allOnline = async (s: LoaServer, since: FleetStats, t0: number): Promise<{ at: number; last: FleetStats }> => {
    for (;;) {
      const st = await fleet.stats();
      if (st.connected >= N && st.connects - since.connects >= N && (await statusSeen(s)) >= N) return { at: Date.now(), last: st };
      if (Date.now() - t0 > bound) {
        o.log(`restart: timed out: ${st.connected}/${N} connected`);
        return { at: 0, last: st };
      }
      await sleep(100);
    }
  };
  const restart = async (signal: 'SIGTERM' | 'SIGKILL'): Promise<RestartRun> => {
    // Settled first: every device online with its back-off reset, no connect storm left over.
    await allOnline(server, { connects: 0 } as FleetStats, Date.now());
    await sleep(o.settleMs ?? 2000);
    const before = await fleet.stats();
    const exited = new Promise<void>((resolve) => server.proc.once('exit', () => resolve()));
    const t0 = Date.now();
    server.proc.kill(signal);
    const cutoff = setTimeout(() => server.proc.kill('SIGKILL'), bound);
    await exited;
    clearTimeout(cutoff);
    const exitS = (Date.now() - t0) / 1000;
    server = await start({ httpPort: server.httpPort, mqttPort: server.mqttPort });
    const upS = (Date.now() - t0) / 1000;
    const back = await allOnline(server, before, t0);
    const serverCpuS = sampleProc(server.proc.pid ?? 0)?.cpuS ?? 0;
    return {
      serverCpuS: round(serverCpuS, 2),
      exitS: round(exitS, 2),
      upS: round(upS, 2),
      allBackS: round(((back.at || Date.now()) - t0) / 1000, 2),
      complete: back.at > 0,
      failedAttempts: back.last.connectErrors - before.connectErrors,
      authRefused: back.last.authRefused - before.authRefused,
    };
  };
  try {
    o.log(`restart: ${N} devices connecting`);
    await fleet.start();
    // Alternated and averaged: one run of each is mostly the back-off's dice and the order they ran in.
    const gracefulRuns: RestartRun[] = [];
    const crashRuns: RestartRun[] = [];
    const rounds = o.rounds ?? ROUNDS;
    for (let i = 1; i <= rounds; i++) {
      o.log(`restart: round ${i}/${rounds}: SIGTERM with every device connected, then start again`);
      const g = await restart('SIGTERM');
      gracefulRuns.push(g);
      o.log(`restart: graceful: exit ${g.exitS} s, up ${g.upS} s, all back ${g.allBackS} s, server CPU ${g.serverCpuS} s; now SIGKILL, then start again`);
      const c = await restart('SIGKILL');
      crashRuns.push(c);
      o.log(`restart: crash: up ${c.upS} s, all back ${c.allBackS} s, server CPU ${c.serverCpuS} s`);
    }
    const graceful = meanRun(gracefulRuns);
    const crash = meanRun(crashRuns);
    o.log('restart: now SIGTERM with no device connected');
    await fleet.stop({ graceful: true });
    const idle = new Promise<void>((resolve) => server.proc.once('exit', () => resolve()));
    const t0 = Date.now();
    server.proc.kill('SIGTERM');
    await idle;
    const idleExitS = round((Date.now() - t0) / 1000, 2);
    return { devices: N, idleExitS, graceful, crash, runs: { graceful: gracefulRuns, crash: crashRuns } };
  } finally {
    await fleet.stop();
    await server.stop();
  }
}

/** Rows for the bench table (the raw-aedes columns stay empty: a bare broker has nothing to flush). */
export function restartRows(r: RestartResult): Array<{ scenario: string; metric: string; loa: number | null; raw: number | null; ratio: number | null; target: string }> {
  const s = '11 restart';
  const row = (metric: string, loa: number, target = '') => ({ scenario: s, metric, loa, raw: null, ratio: null, target });
  return [
    row('SIGTERM → exit, no device connected (s)', r.idleExitS, '≤ 5'),
    row(`SIGTERM → exit, ${r.devices} devices connected (s)`, r.graceful.exitS, '≤ 5'),
    row(`planned restart (SIGTERM): all back online, mean of ${r.runs.graceful.length} (s)`, r.graceful.allBackS, '≤ crash'),
    row(`crash (SIGKILL): all back online, mean of ${r.runs.crash.length} (s)`, r.crash.allBackS, ''),
    row('planned restart: server up again (s)', r.graceful.upS, ''),
    row('crash: server up again (s)', r.crash.upS, ''),
    row('planned restart: new server CPU until all back (s)', r.graceful.serverCpuS, ''),
    row('crash: new server CPU until all back (s)', r.crash.serverCpuS, ''),
    row('planned restart: failed connection attempts', r.graceful.failedAttempts, ''),
    row('crash: failed connection attempts', r.crash.failedAttempts, ''),
    row('planned restart: logins refused (CONNACK 4/5)', r.graceful.authRefused, '0'),
  ];
}
