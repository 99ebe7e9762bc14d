import { randomBytes } from 'node:crypto';
import { copyFileSync } from 'node:fs';
import path from 'node:path';
import { startBalancer, type TestBalancer } from './balancer.js';
import { createServerAccount, shippedMosquittoSettings, SHIPPED_MOSQUITTO_ACL, startMosquitto, type RunningMosquitto } from './mosquitto.js';
import { tempDir } from './paths.js';
import { freePorts } from './ports.js';
import { freshPostgres, type TestPostgres } from './postgres.js';
import { spawnServer, type TestServer } from './server.js';

export interface ScaleOutOptions {
  /** Folder under test-artifacts/ for the logs. */
  suite: string;
  /** Server instances on the one database and broker (default 2). */
  instances?: number;
  /** More LOA_* settings for every instance. */
  env?: Record<string, string>;
  /** Extra mosquitto.conf lines. */
  mosquittoConfig?: readonly string[];
}

export interface ScaleOut {
  readonly mosquitto: RunningMosquitto;
  /** The plugin's administrator (for people; Loa does not use it). */
  readonly brokerAdmin: { username: string; password: string };
  /** The account the instances log in with (role `loa-server`: Loa's topics, shared subscriptions, the plugin's commands). */
  readonly serverAccount: { username: string; password: string };
  /** Where devices connect: the broker, not a Loa instance. */
  readonly brokerUrl: string;
  readonly db: TestPostgres;
  /** LOA_MEDIA_DIR, shared by every instance. */
  readonly mediaDir: string;
  /** LOA_SIGNING_KEY_FILE, the same key for every instance (devices pin one). */
  readonly signingKeyFile: string;
  /** In front of every instance's HTTP port: what agents and operators use. */
  readonly balancer: TestBalancer;
  readonly instanceIds: readonly string[];
  /** The running instances by index (a killed one stays here until restarted: check `proc.exit`). */
  readonly instances: TestServer[];
  /** Index of the instance that says it leads (its health counters), or null when none does (yet). */
  leader(): Promise<number | null>;
  /** Starts instance `i` again with its data directory and ports (after a stop or a kill). */
  restart(i: number): Promise<TestServer>;
  /** Stops the instances, the balancer and the broker, and drops the database. */
  stop(): Promise<void>;
}

/**
 * Loa scaled out on one machine, as deploy/scale-out.md describes it: Mosquitto with dynamic security (the shipped
 * deploy/mosquitto settings, ACL file and account script; an ephemeral port), a fresh PostgreSQL database, N server processes (LOA_INSTANCE_ID loa-a, loa-b, …)
 * sharing the database, the broker, the media directory and the signing key, each with its own data directory, and
 * a load balancer in front of their HTTP ports.
 *
 * The instances start one after the other: the first migrates the empty database, creates the first admin and the
 * signing key, which the next ones then find.
 */
export async function startScaleOut(opts: ScaleOutOptions): Promise<ScaleOut> {
  const count = opts.instances ?? 2;
  const brokerAdmin = { username: 'admin', password: randomBytes(18).toString('base64url') };
  const serverAccount = { username: 'loa-server', password: randomBytes(18).toString('base64url') };
  const shared = tempDir('scale-out-shared');
  const mediaDir = path.join(shared, 'media');
  const signingKeyFile = path.join(shared, 'signing-key.pem');
  const instanceIds = Array.from({ length: count }, (_, i) => `loa-${String.fromCharCode(97 + i)}`);
  const started: { mosquitto?: RunningMosquitto; db?: TestPostgres; balancer?: TestBalancer } = {};
  const instances: TestServer[] = [];
  try {
    // The shipped configuration: its settings, and its ACL file (each device's own topics).
    const acl = path.join(shared, 'loa.acl');
    copyFileSync(SHIPPED_MOSQUITTO_ACL, acl);
    const config = [...shippedMosquittoSettings(), `acl_file ${acl}`, ...(opts.mosquittoConfig ?? [])];
    const mosquitto = (started.mosquitto = await startMosquitto({ dynsec: brokerAdmin, config }));
    createServerAccount(mosquitto.port, brokerAdmin, serverAccount);
    const db = (started.db = await freshPostgres('loa_e2e_scale'));
    const ports = await freePorts(count * 2);
    const httpPorts = ports.slice(0, count);
    const balancer = (started.balancer = await startBalancer(httpPorts));
    const envFor = (i: number): Record<string, string> => ({
      LOA_MQTT_URL: mosquitto.url,
      LOA_BROKER_ACCOUNTS: 'dynsec',
      LOA_MQTT_USERNAME: serverAccount.username,
      LOA_MQTT_PASSWORD: serverAccount.password,
      LOA_DATABASE_URL: db.url,
      LOA_INSTANCE_ID: instanceIds[i]!,
      LOA_MEDIA_DIR: mediaDir,
      LOA_SIGNING_KEY_FILE: signingKeyFile,
      // What devices are told at enrolment: the broker, and the balancer rather than one instance.
      LOA_PUBLIC_MQTT_URL: mosquitto.url,
      LOA_PUBLIC_HTTP_URL: balancer.url,
      ...opts.env,
    });
    for (let i = 0; i < count; i++) {
      instances.push(await spawnServer({ suite: opts.suite, name: `server-${instanceIds[i]}`, httpPort: httpPorts[i]!, mqttPort: ports[count + i]!, env: envFor(i) }));
    }
    const leader = async (): Promise<number | null> => {
      for (let i = 0; i < instances.length; i++) {
        const s = instances[i]!;
        if (s.proc.exit) continue;
        const h = await s.health().catch(() => null);
        const c = h?.counters ?? {};
        if ((c.leader_elected ?? 0) > (c.leader_lost ?? 0)) return i;
      }
      return null;
    };
    let restarts = 0;
    return {
      mosquitto,
      brokerAdmin,
      serverAccount,
      brokerUrl: mosquitto.url,
      db,
      mediaDir,
      signingKeyFile,
      balancer,
      instanceIds,
      instances,
      leader,
      restart: async (i) => {
        const old = instances[i]!;
        if (!old.proc.exit) await old.stop();
        const again = await spawnServer({ ...old.options, name: `server-${instanceIds[i]}-restart${++restarts}` });
        instances[i] = again;
        return again;
      },
      stop: async () => {
        for (const s of [...instances].reverse()) await s.stop();
        await balancer.close();
        await mosquitto.stop();
        await db.drop();
      },
    };
  } catch (err) {
    for (const s of instances.reverse()) await s.stop().catch(() => undefined);
    await started.balancer?.close().catch(() => undefined);
    await started.mosquitto?.stop().catch(() => undefined);
    await started.db?.drop().catch(() => undefined);
    throw err;
  }
}
