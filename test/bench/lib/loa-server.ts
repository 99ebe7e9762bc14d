import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePorts } from './ports.js';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
export const SERVER_MAIN = path.join(REPO, 'server/dist/main.js');
export const AGENT_CLI = path.join(REPO, 'agent/dist/cli.js');
export const SERVER_UNIT = path.join(REPO, 'deploy/systemd/loa-server.service');

/**
 * The environment the deployed systemd unit gives the server (its `Environment=` lines, e.g. glibc's malloc
 * settings): the bench measures the server as it runs in production, and a setting is measured only if it ships.
 */
export function unitEnvironment(file = SERVER_UNIT): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^Environment=([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line.trim());
    if (m?.[1] !== undefined && m[2] !== undefined) env[m[1]] = m[2];
  }
  return env;
}

export interface LoaServerOptions {
  dataDir: string;
  adminPassword: string;
  httpPort?: number;
  mqttPort?: number;
  logLevel?: string;
  /** Where the server's stdout/stderr go (default dataDir/server.log). */
  logFile?: string;
  /** Extra node flags, e.g. --cpu-prof. */
  nodeArgs?: string[];
  env?: Record<string, string>;
}

/** What /api/health answers (the fields the bench reads). */
export interface LoaHealth {
  status: string;
  mqttPort: number | null;
  memory: { rssBytes: number; heapTotalBytes: number; heapUsedBytes: number; externalBytes: number; arrayBuffersBytes: number };
  counters: Record<string, number>;
}

export interface LoaServer {
  proc: ChildProcess;
  pid: number;
  httpUrl: string;
  mqttUrl: string;
  httpPort: number;
  mqttPort: number;
  logFile: string;
  health(): Promise<LoaHealth>;
  stop(): Promise<number | null>;
}

/** Starts `node server/dist/main.js` on loopback and waits for /api/health. */
export async function startLoaServer(opts: LoaServerOptions): Promise<LoaServer> {
  const free = opts.httpPort !== undefined && opts.mqttPort !== undefined ? [] : await freePorts(2);
  const httpPort = opts.httpPort ?? free[0] ?? 0;
  const mqttPort = opts.mqttPort ?? free[1] ?? 0;
  mkdirSync(opts.dataDir, { recursive: true });
  const logFile = opts.logFile ?? path.join(opts.dataDir, 'server.log');
  const log = createWriteStream(logFile, { flags: 'a' });
  const proc = spawn(process.execPath, [...(opts.nodeArgs ?? []), SERVER_MAIN], {
    cwd: REPO,
    env: {
      ...process.env,
      ...unitEnvironment(),
      LOA_HTTP_HOST: '127.0.0.1',
      LOA_HTTP_PORT: String(httpPort),
      LOA_MQTT_HOST: '127.0.0.1',
      LOA_MQTT_PORT: String(mqttPort),
      LOA_DATA_DIR: opts.dataDir,
      LOA_ADMIN_PASSWORD: opts.adminPassword,
      LOA_LOG_LEVEL: opts.logLevel ?? 'warn',
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout?.pipe(log);
  proc.stderr?.pipe(log);
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const httpUrl = `http://127.0.0.1:${httpPort}`;
  const health = async () => {
    const res = await fetch(`${httpUrl}/api/health`, { signal: AbortSignal.timeout(30_000) });
    if (res.status !== 200) throw new Error(`health answered ${res.status}`);
    return (await res.json()) as LoaHealth;
  };
  const deadline = Date.now() + 60_000;
  let exitCode: number | null | undefined;
  void exited.then((c) => (exitCode = c));
  for (;;) {
    if (exitCode !== undefined) throw new Error(`server exited with ${exitCode} before it was ready; see ${logFile}`);
    try {
      await health();
      break;
    } catch {
      if (Date.now() > deadline) {
        proc.kill('SIGKILL');
        throw new Error(`server not healthy within 60 s; see ${logFile}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return {
    proc,
    pid: proc.pid ?? 0,
    httpUrl,
    mqttUrl: `mqtt://127.0.0.1:${mqttPort}`,
    httpPort,
    mqttPort,
    logFile,
    health,
    stop: async () => {
      if (exitCode !== undefined) return exitCode;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 20_000);
      const code = await exited;
      clearTimeout(timer);
      log.end();
      return code;
    },
  };
}
