// A real Mosquitto 2 with dynamic security for the bench (`--broker mosquitto`): Debian's package, its own
// configuration on an ephemeral port. The broker settings are the ones deploy/mosquitto ships, so the bench
// measures what an installation runs.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import { REPO } from './loa-server.js';
import { freePort } from './ports.js';

export interface BenchMosquitto {
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  readonly dir: string;
  /** The account the Loa instances log in with (role loa-server, made by deploy/mosquitto/loa-dynsec-init.sh). */
  readonly server: { username: string; password: string };
  /** The LOA_* settings that put a Loa server on this broker. */
  readonly serverEnv: Record<string, string>;
  stop(): Promise<void>;
}

const MOSQUITTO = ['/usr/sbin/mosquitto', '/usr/local/sbin/mosquitto', '/usr/bin/mosquitto'].find((p) => existsSync(p));
const SHIPPED_CONF = path.join(REPO, 'deploy/mosquitto/loa.conf');

function dynsecPlugin(): string | null {
  const candidates = ['/usr/lib/mosquitto_dynamic_security.so', '/usr/local/lib/mosquitto_dynamic_security.so'];
  for (const d of readdirSync('/usr/lib')) candidates.push(path.join('/usr/lib', d, 'mosquitto_dynamic_security.so'));
  return candidates.find((p) => existsSync(p)) ?? null;
}

/**
 * The broker settings of deploy/mosquitto/loa.conf: every line that is not a path of that installation (listeners,
 * plugin, files, logging), which the bench sets for its own directory and port.
 */
function shippedSettings(): string[] {
  if (!existsSync(SHIPPED_CONF)) return ['max_queued_messages 0', 'max_queued_bytes 268435456', 'max_inflight_messages 100', 'max_packet_size 1048576'];
  const local = /^(listener|port|bind_address|plugin|plugin_opt_config_file|acl_file|password_file|persistence|persistence_location|persistence_file|autosave_interval|log_dest|log_type|pid_file|user|cafile|certfile|keyfile|tls_version|include_dir|per_listener_settings|allow_anonymous)\b/;
  return readFileSync(SHIPPED_CONF, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#') && !local.test(l));
}

/** The shipped ACL file (devices' own topics), if the installation uses one beside dynamic security. */
function shippedAcl(): string | null {
  const file = path.join(REPO, 'deploy/mosquitto/loa.acl');
  return existsSync(file) ? readFileSync(file, 'utf8') : null;
}

export async function startBenchMosquitto(track: (c: ChildProcess) => void): Promise<BenchMosquitto> {
  if (!MOSQUITTO) throw new Error('--broker mosquitto needs Mosquitto 2: apt-get install mosquitto');
  const plugin = dynsecPlugin();
  if (!plugin) throw new Error('mosquitto_dynamic_security.so not found (it ships in the Debian mosquitto package)');
  const dir = mkdtempSync(path.join(tmpdir(), 'loa-bench-mosquitto-'));
  // The plugin's administrator (for people), and the Loa instances' own account, as deploy/mosquitto sets them up.
  const admin = { username: 'admin', password: randomBytes(18).toString('base64url') };
  const server = { username: 'loa-server', password: randomBytes(18).toString('base64url') };
  const dynsecFile = path.join(dir, 'dynsec.json');
  const init = spawnSync('mosquitto_ctrl', ['dynsec', 'init', dynsecFile, admin.username, admin.password], { encoding: 'utf8' });
  if (init.status !== 0) throw new Error(`mosquitto_ctrl dynsec init failed: ${init.stderr || init.stdout}`);
  const port = await freePort();
  const lines = ['per_listener_settings false', 'allow_anonymous false', `plugin ${plugin}`, `plugin_opt_config_file ${dynsecFile}`, 'persistence false'];
  const acl = shippedAcl();
  if (acl !== null) {
    writeFileSync(path.join(dir, 'loa.acl'), acl);
    lines.push(`acl_file ${path.join(dir, 'loa.acl')}`);
  }
  if (process.getuid?.() === 0) lines.push('user root');
  lines.push('log_dest stderr', 'log_type error', 'log_type warning', ...shippedSettings(), `listener ${port} 127.0.0.1`, '');
  const conf = path.join(dir, 'mosquitto.conf');
  writeFileSync(conf, lines.join('\n'));
  const child = spawn(MOSQUITTO, ['-c', conf], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  track(child);
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `mqtt://127.0.0.1:${port}`;
  // Ready when the admin can log in.
  const deadline = Date.now() + 15_000;
  for (;;) {
    const ok = await mqtt
      .connectAsync(url, { ...admin, clientId: `bench-probe-${randomUUID().slice(0, 8)}`, reconnectPeriod: 0, connectTimeout: 2000 })
      .then(async (c) => (await c.endAsync(true), true))
      .catch(() => false);
    if (ok) break;
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`mosquitto did not start: ${stderr.trim()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  createServerAccount(port, admin, server);
  return {
    url,
    port,
    pid: child.pid ?? 0,
    dir,
    server,
    serverEnv: { LOA_MQTT_URL: url, LOA_BROKER_ACCOUNTS: 'dynsec', LOA_MQTT_USERNAME: server.username, LOA_MQTT_PASSWORD: server.password, LOA_PUBLIC_MQTT_URL: url },
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * deploy/mosquitto's step once the broker runs: the shipped script creates, as the plugin's administrator, the role
 * `loa-server` and the account the Loa instances log in with.
 */
function createServerAccount(port: number, admin: { username: string; password: string }, server: { username: string; password: string }): void {
  const run = spawnSync('sh', [path.join(REPO, 'deploy/mosquitto/loa-dynsec-init.sh'), 'server', '-h', '127.0.0.1', '-p', String(port)], {
    encoding: 'utf8',
    env: { ...process.env, LOA_DYNSEC_ADMIN_USER: admin.username, LOA_DYNSEC_ADMIN_PASSWORD: admin.password, LOA_MQTT_USERNAME: server.username, LOA_MQTT_PASSWORD: server.password },
    timeout: 60_000,
  });
  if (run.status !== 0) throw new Error(`deploy/mosquitto/loa-dynsec-init.sh server failed: ${run.stderr || run.stdout}`);
}
