import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { LOA_MOSQUITTO_DEFAULTS } from '../../../server/test/support/mosquitto.js';
import { REPO_ROOT } from './paths.js';

// One launcher for the whole repository: the server's tests and these share Loa's recommended broker settings.
export { startMosquitto, dynsecPluginPath, LOA_MOSQUITTO_DEFAULTS, type MosquittoOptions, type RunningMosquitto } from '../../../server/test/support/mosquitto.js';

/** What an installation copies to /etc/mosquitto (deploy/mosquitto/README.md). */
export const SHIPPED_MOSQUITTO_CONF = path.join(REPO_ROOT, 'deploy/mosquitto/loa.conf');
export const SHIPPED_MOSQUITTO_ACL = path.join(REPO_ROOT, 'deploy/mosquitto/loa.acl');

/**
 * The broker settings of the shipped deploy/mosquitto/loa.conf that startMosquitto does not already set: every line
 * but those naming that installation's listeners, files and plugin (the test broker has its own).
 */
export function shippedMosquittoSettings(): string[] {
  if (!existsSync(SHIPPED_MOSQUITTO_CONF)) return [];
  const local = /^(listener|port|bind_address|plugin|plugin_opt_config_file|acl_file|password_file|persistence|persistence_location|persistence_file|autosave_interval|log_dest|log_type|pid_file|user|cafile|certfile|keyfile|tls_version|include_dir|per_listener_settings|allow_anonymous)\b/;
  const preset = new Set(LOA_MOSQUITTO_DEFAULTS.map((l) => l.split(/\s+/)[0]));
  return readFileSync(SHIPPED_MOSQUITTO_CONF, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#') && !local.test(l) && !preset.has(l.split(/\s+/)[0]));
}

export const SHIPPED_DYNSEC_INIT = path.join(REPO_ROOT, 'deploy/mosquitto/loa-dynsec-init.sh');

/**
 * The installation's step once Mosquitto runs (deploy/mosquitto/README.md): the shipped script creates, as the
 * plugin's administrator, the role `loa-server` and the account the Loa instances log in with.
 */
export function createServerAccount(port: number, admin: { username: string; password: string }, server: { username: string; password: string }): void {
  const run = spawnSync('sh', [SHIPPED_DYNSEC_INIT, 'server', '-h', '127.0.0.1', '-p', String(port)], {
    encoding: 'utf8',
    env: { ...process.env, LOA_DYNSEC_ADMIN_USER: admin.username, LOA_DYNSEC_ADMIN_PASSWORD: admin.password, LOA_MQTT_USERNAME: server.username, LOA_MQTT_PASSWORD: server.password },
    timeout: 60_000,
  });
  if (run.status !== 0) throw new Error(`${SHIPPED_DYNSEC_INIT} server failed (${run.status ?? run.signal}): ${run.stderr || run.stdout}`);
}
