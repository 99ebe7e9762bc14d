import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt, { type MqttClient } from 'mqtt';
import { DYNSEC_RESPONSE_TOPIC, DYNSEC_TOPIC, type ControlTransport } from '../../src/broker-accounts/dynsec-control.js';
import { startMosquitto, type RunningMosquitto } from './mosquitto.js';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const DEPLOY_DIR = path.join(REPO, 'deploy/mosquitto');

const ADMIN = { username: 'admin', password: 'admin-secret-123' };
const LOA = { username: 'loa-server', password: 'loa-server-secret-456' };

/** A test Mosquitto set up as deploy/mosquitto says: the plugin, loa.acl, and Loa's account from loa-dynsec-init.sh. */
export interface DynsecBroker {
  readonly mosquitto: RunningMosquitto;
  readonly url: string;
  readonly loa: { readonly username: string; readonly password: string };
  /** Settings that run a Loa server on it (startTestServer). */
  readonly env: Record<string, string>;
  /** Sends plugin commands as the administrator (a person tampering with the broker's state). */
  admin(commands: ReadonlyArray<Record<string, unknown>>): Promise<Array<{ command: string; error?: string; data?: unknown }>>;
  stop(): Promise<void>;
}

export async function startDynsecBroker(options: { config?: readonly string[] } = {}): Promise<DynsecBroker> {
  const mosquitto = await startMosquitto({ dynsec: ADMIN, config: [`acl_file ${path.join(DEPLOY_DIR, 'loa.acl')}`, ...(options.config ?? [])] });
  try {
    const init = spawnSync('sh', [path.join(DEPLOY_DIR, 'loa-dynsec-init.sh'), 'server', '-h', '127.0.0.1', '-p', String(mosquitto.port)], {
      encoding: 'utf8',
      env: { ...process.env, LOA_DYNSEC_ADMIN_USER: ADMIN.username, LOA_DYNSEC_ADMIN_PASSWORD: ADMIN.password, LOA_MQTT_USERNAME: LOA.username, LOA_MQTT_PASSWORD: LOA.password },
    });
    if (init.status !== 0) throw new Error(`loa-dynsec-init.sh server failed: ${init.stderr || init.stdout}`);
  } catch (err) {
    await mosquitto.stop();
    throw err;
  }
  const adminClient = await mqtt.connectAsync(mosquitto.url, { ...ADMIN, clientId: 'test-admin', protocolVersion: 5, reconnectPeriod: 0 });
  await adminClient.subscribeAsync(DYNSEC_RESPONSE_TOPIC);
  const waiting = new Map<string, (r: { command: string; error?: string; data?: unknown }) => void>();
  adminClient.on('message', (_topic, payload) => {
    const { responses } = JSON.parse(payload.toString()) as { responses: Array<{ command: string; error?: string; data?: unknown; correlationData?: string }> };
    for (const r of responses) if (r.correlationData && waiting.has(r.correlationData)) waiting.get(r.correlationData)!(r);
  });
  let seq = 0;
  return {
    mosquitto,
    url: mosquitto.url,
    loa: LOA,
    env: { LOA_MQTT_URL: mosquitto.url, LOA_BROKER_ACCOUNTS: 'dynsec', LOA_MQTT_USERNAME: LOA.username, LOA_MQTT_PASSWORD: LOA.password },
    admin: async (commands) => {
      const tagged = commands.map((c) => ({ ...c, correlationData: `test-admin:${++seq}` }));
      const answers = tagged.map((c) => new Promise<{ command: string; error?: string; data?: unknown }>((resolve) => waiting.set(c.correlationData, resolve)));
      await adminClient.publishAsync(DYNSEC_TOPIC, JSON.stringify({ commands: tagged }), { qos: 1 });
      return Promise.all(answers);
    },
    stop: async () => {
      await adminClient.endAsync(true);
      await mosquitto.stop();
    },
  };
}

/** The plugin's command channel over a plain mqtt.js client (DynsecControl without a whole server). */
export function mqttTransport(client: MqttClient): ControlTransport {
  let epoch = 0;
  client.on('close', () => epoch++);
  return {
    publish: async (payload) => {
      await client.publishAsync(DYNSEC_TOPIC, payload, { qos: 1 });
    },
    listen: async (handler) => {
      client.on('message', (topic, payload) => {
        if (topic === DYNSEC_RESPONSE_TOPIC) handler(payload);
      });
      await client.subscribeAsync(DYNSEC_RESPONSE_TOPIC, { qos: 0 });
    },
    connectionEpoch: () => epoch,
  };
}

/** A device's MQTT 5 session (reason codes visible), as the agent logs in: client id = username = device id. */
export function connectDevice(url: string, deviceId: string, secret: string, options: mqtt.IClientOptions = {}): Promise<MqttClient> {
  return mqtt.connectAsync(url, { clientId: deviceId, username: deviceId, password: secret, protocolVersion: 5, reconnectPeriod: 0, connectTimeout: 10_000, ...options });
}

/** Resolves when the broker closes this client's connection (kicked), whatever the reason. */
export function closed(client: MqttClient): Promise<void> {
  return new Promise((resolve) => {
    if (!client.connected) return resolve();
    client.once('close', () => resolve());
  });
}
