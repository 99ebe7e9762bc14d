import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * A real Mosquitto 2 (Debian's package) for tests of the external-broker path: its own generated configuration, an
 * ephemeral port on 127.0.0.1, optionally the dynamic-security plugin with an admin account (what the server logs in
 * as). `.ci/run` installs the package; a machine without it fails here with what to install.
 */
export interface MosquittoOptions {
  /** Load the dynamic-security plugin, initialised with this admin account (`mosquitto_ctrl dynsec init`). */
  dynsec?: { username: string; password: string };
  /** Extra mosquitto.conf lines (e.g. `max_queued_messages 1000`), appended after Loa's defaults. */
  config?: readonly string[];
  /** Keep retained messages and persistent sessions across restarts of this broker (a `persistence_location`). */
  persistence?: boolean;
}

export interface RunningMosquitto {
  readonly port: number;
  readonly url: string;
  /** Its working directory (configuration, dynsec JSON, persistence, log). */
  readonly dir: string;
  /** The dynamic-security JSON file the plugin rewrites; null without dynsec. */
  readonly dynsecFile: string | null;
  /** Everything the broker logged so far. */
  log(): string;
  /** Stops it (SIGTERM, then SIGKILL after 5 s) and removes its directory unless `keep`. */
  stop(keep?: boolean): Promise<void>;
  /** Starts it again on the same port and directory (after stop(true)): retained messages survive with persistence. */
  restart(): Promise<void>;
}

const MOSQUITTO = ['/usr/sbin/mosquitto', '/usr/local/sbin/mosquitto', '/usr/bin/mosquitto'].find((p) => existsSync(p));

/** Where Debian (any architecture) puts the plugin. */
export function dynsecPluginPath(): string | null {
  const candidates = ['/usr/lib/mosquitto_dynamic_security.so', '/usr/local/lib/mosquitto_dynamic_security.so'];
  try {
    for (const d of readdirSync('/usr/lib')) candidates.push(path.join('/usr/lib', d, 'mosquitto_dynamic_security.so'));
  } catch {
    // no /usr/lib: nothing more to look at
  }
  return candidates.find((p) => existsSync(p)) ?? null;
}

/** Loa's recommended broker settings (deploy/mosquitto/loa.conf says why); the tests run on the same ones. */
export const LOA_MOSQUITTO_DEFAULTS: readonly string[] = [
  // The server instances are single subscribers of the whole fleet's upstream traffic: the default cap of 1,000
  // queued QoS 1 messages silently drops reports to a server that is briefly busy. Bounded by bytes instead.
  'max_queued_messages 0',
  'max_queued_bytes 268435456',
  'max_inflight_messages 100',
  'max_packet_size 1048576',
  // PUBACKs and the dynamic-security plugin's answers leave at once, not ~40 ms later (Nagle's algorithm).
  'set_tcp_nodelay true',
];

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export async function startMosquitto(options: MosquittoOptions = {}): Promise<RunningMosquitto> {
  if (!MOSQUITTO) throw new Error('mosquitto is not installed: apt-get install mosquitto (the Debian package, 2.0 or later)');
  const dir = mkdtempSync(path.join(tmpdir(), 'loa-mosquitto-'));
  let dynsecFile: string | null = null;
  const lines = [`per_listener_settings false`, `allow_anonymous ${options.dynsec ? 'false' : 'true'}`];
  if (options.dynsec) {
    const plugin = dynsecPluginPath();
    if (!plugin) throw new Error('mosquitto_dynamic_security.so not found: it ships in the Debian mosquitto package');
    dynsecFile = path.join(dir, 'dynsec.json');
    const init = spawnSync('mosquitto_ctrl', ['dynsec', 'init', dynsecFile, options.dynsec.username, options.dynsec.password], { encoding: 'utf8' });
    if (init.status !== 0) throw new Error(`mosquitto_ctrl dynsec init failed: ${init.stderr || init.stdout}`);
    lines.push(`plugin ${plugin}`, `plugin_opt_config_file ${dynsecFile}`);
  }
  if (options.persistence) lines.push('persistence true', `persistence_location ${dir}/`, 'autosave_interval 1');
  else lines.push('persistence false');
  // As root, Mosquitto would switch to the `mosquitto` user, which cannot read this private directory.
  if (process.getuid?.() === 0) lines.push('user root');
  lines.push('log_dest stderr', 'log_type error', 'log_type warning', 'log_type notice', 'log_type information', 'connection_messages true', 'log_timestamp_format %H:%M:%S');
  lines.push(...LOA_MOSQUITTO_DEFAULTS, ...(options.config ?? []));

  let port = 0;
  let child: ChildProcess | null = null;
  let output = '';
  const launch = async (): Promise<void> => {
    const conf = path.join(dir, 'mosquitto.conf');
    writeFileSync(conf, [...lines, `listener ${port} 127.0.0.1`, ''].join('\n'));
    const proc = spawn(MOSQUITTO, ['-c', conf], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    await new Promise<void>((resolve, reject) => {
      const onData = (b: Buffer) => {
        output += b.toString();
        if (/Opening ipv4 listen socket on port \d+|mosquitto version [\d.]+ running/.test(output)) {
          if (/mosquitto version [\d.]+ running/.test(output)) resolve();
        }
        if (/Address already in use|Error: /.test(output)) reject(new Error(`mosquitto did not start: ${output.trim()}`));
      };
      proc.stdout!.on('data', onData);
      proc.stderr!.on('data', onData);
      proc.once('exit', (code) => reject(new Error(`mosquitto exited (${String(code)}) before it was ready: ${output.trim()}`)));
    });
  };
  // An ephemeral port found free may be taken before Mosquitto binds it: try a few.
  for (let attempt = 0; ; attempt++) {
    port = await freePort();
    try {
      await launch();
      break;
    } catch (err) {
      (child as ChildProcess | null)?.kill('SIGKILL');
      if (attempt >= 3 || !/Address already in use/.test((err as Error).message)) {
        rmSync(dir, { recursive: true, force: true });
        throw err;
      }
    }
  }

  const stopChild = async (): Promise<void> => {
    const proc = child as ChildProcess | null;
    child = null;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
      proc.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      proc.kill('SIGTERM');
    });
  };

  return {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    dir,
    dynsecFile,
    log: () => output,
    stop: async (keep = false) => {
      await stopChild();
      if (!keep) rmSync(dir, { recursive: true, force: true });
    },
    restart: async () => {
      await stopChild();
      await launch();
    },
  };
}
