import mqtt, { type MqttClient } from 'mqtt';
import { allDevicesTopic, areaTopic, DEVICE_CHANNELS, deviceTopic, mayDevicePublish, mayDeviceSubscribe, type DeviceChannel } from '@loa/shared';
import { Clock } from '../src/common/clock.js';
import { Metrics } from '../src/common/metrics.js';
import type { AccountSources } from '../src/broker-accounts/broker-accounts.repository.js';
import { DynsecBrokerAccounts } from '../src/broker-accounts/dynsec-accounts.js';
import { DynsecControl } from '../src/broker-accounts/dynsec-control.js';
import { DynsecReconciler } from '../src/broker-accounts/dynsec-reconciler.js';
import { closed, connectDevice, mqttTransport, startDynsecBroker, type DynsecBroker } from './support/dynsec-broker.js';
import { silentLogger } from './support/fixtures.js';

/**
 * The broker itself (Mosquitto 2.0 + dynamic security + deploy/mosquitto/loa.acl, accounts written by
 * DynsecBrokerAccounts) against the embedded broker's rules in @loa/shared: every topic a device may use is let
 * through, every other one refused at PUBLISH (PUBACK 0x87) or SUBSCRIBE (SUBACK 0x87), except the one documented
 * difference (dynsec-acl.ts): another device's downstream channel may be subscribed to, and nothing arrives on it.
 */

const A = { id: 'dev-a1', secret: 'secret-a1-0123456789abcdef', areas: ['01', '0101'] };
const B = { id: 'dev-b1', secret: 'secret-b1-0123456789abcdef', areas: ['02'] };

/** The database's answer for the devices' area chains, as the test moves them. */
class Sources implements AccountSources {
  readonly chainsOf = new Map<string, readonly string[]>([
    [A.id, A.areas],
    [B.id, B.areas],
  ]);
  revoked = new Set<string>();
  pending: string[] = [];
  async devices() {
    return [...this.chainsOf].map(([id, areaCodes]) => ({ id, areaCodes, revoked: this.revoked.has(id) }));
  }
  async chains(ids: readonly string[]) {
    return new Map(ids.filter((id) => this.chainsOf.has(id)).map((id) => [id, this.chainsOf.get(id)!]));
  }
  async pendingEnrollments() {
    return this.pending;
  }
}

const NOT_AUTHORIZED = 135;

/** The reason code the broker answered a QoS 1 publish with (0: accepted); Mosquitto 2.0 then closes the session. */
async function publishCode(client: MqttClient, topic: string): Promise<number> {
  try {
    await client.publishAsync(topic, 'x', { qos: 1 });
    return 0;
  } catch (err) {
    return (err as { code?: number }).code ?? -1;
  }
}

/** The SUBACK's reason code for this filter (1: granted at QoS 1; 0x87: not authorized). */
function subscribeCode(client: MqttClient, filter: string): Promise<number> {
  return new Promise((resolve, reject) =>
    client.subscribe(filter, { qos: 1 }, (err, granted, packet) => {
      const code = (packet as { granted?: Array<number | object> } | undefined)?.granted?.[0] ?? granted?.[0]?.qos;
      if (typeof code === 'number') resolve(code);
      else reject(err ?? new Error('no SUBACK'));
    }),
  );
}

describe('device ACL at Mosquitto with dynamic security (deploy/mosquitto)', () => {
  let broker: DynsecBroker;
  let server: MqttClient;
  let control: DynsecControl;
  let accounts: DynsecBrokerAccounts;
  const sources = new Sources();
  const devices: MqttClient[] = [];

  const device = async (d: typeof A): Promise<MqttClient> => {
    const c = await connectDevice(broker.url, d.id, d.secret);
    devices.push(c);
    return c;
  };

  beforeAll(async () => {
    broker = await startDynsecBroker();
    server = await mqtt.connectAsync(broker.url, { username: broker.loa.username, password: broker.loa.password, clientId: 'loa-server-test', protocolVersion: 5, reconnectPeriod: 0 });
    control = new DynsecControl(mqttTransport(server), 'test', new Clock(), new Metrics(), silentLogger);
    accounts = new DynsecBrokerAccounts(control, sources, new Clock(), new Metrics(), silentLogger);
    // Start-up reconciliation first: the plugin's defaults and the shared device role.
    await new DynsecReconciler(control, sources, new Clock(), new Metrics(), silentLogger).run();
    await accounts.issued([
      { deviceId: A.id, secret: A.secret, areaCodes: A.areas },
      { deviceId: B.id, secret: B.secret, areaCodes: B.areas },
    ]);
  });

  afterEach(async () => {
    await Promise.all(devices.splice(0).map((c) => c.endAsync(true)));
  });

  afterAll(async () => {
    control?.close();
    await server?.endAsync(true);
    await broker?.stop();
  });

  it('lets a device in with its own id and secret only', async () => {
    const a = await device(A);
    expect(a.connected).toBe(true);
    await expect(connectDevice(broker.url, A.id, 'not-the-secret')).rejects.toThrow(/Bad User Name or Password|Not authorized/i);
    // Its credentials under another client id: dynsec pins the client id to the device id.
    await expect(connectDevice(broker.url, A.id, A.secret, { clientId: 'someone-else' })).rejects.toThrow(/Bad User Name or Password|Not authorized/i);
    await expect(connectDevice(broker.url, 'dev-unknown', A.secret)).rejects.toThrow(/Bad User Name or Password|Not authorized/i);
  });

  it('publishes exactly what mayDevicePublish allows', async () => {
    const channels = Object.keys(DEVICE_CHANNELS) as DeviceChannel[];
    const topics = [...channels.flatMap((c) => [deviceTopic(A.id, c), deviceTopic(B.id, c)]), areaTopic('01', 'alert'), 'loa/v1/other', '$SYS/broker/x'];
    for (const topic of topics) {
      const a = await device(A);
      const code = await publishCode(a, topic);
      expect({ topic, allowed: code === 0 }).toEqual({ topic, allowed: mayDevicePublish(A.id, topic) });
      if (code !== 0) expect({ topic, code }).toEqual({ topic, code: NOT_AUTHORIZED });
      // A fresh session for each: Mosquitto 2.0 closes the one it refused a publish on.
      await a.endAsync(true);
    }
  });

  it('refuses at SUBSCRIBE what mayDeviceSubscribe refuses, except other devices\' downstream channels, on which nothing arrives', async () => {
    const mine = new Set(A.areas);
    const channels = Object.keys(DEVICE_CHANNELS) as DeviceChannel[];
    const downstream = channels.filter((c) => DEVICE_CHANNELS[c].direction === 'down');
    const grantedButSilent = [...downstream.map((c) => deviceTopic(B.id, c)), ...downstream.map((c) => allDevicesTopic(c))];
    const filters = [
      ...channels.map((c) => deviceTopic(A.id, c)),
      ...channels.filter((c) => DEVICE_CHANNELS[c].direction === 'up').map((c) => deviceTopic(B.id, c)),
      `loa/v1/d/${A.id}/#`,
      'loa/v1/d/#',
      '#',
      '$SYS/#',
      '$CONTROL/dynamic-security/v1/response',
      ...['01', '0101', '02', '0102'].map((code) => areaTopic(code, 'alert')),
      'loa/v1/a/+/alert',
      'loa/v1/a/#',
    ];
    const a = await device(A);
    for (const filter of filters) {
      const code = await subscribeCode(a, filter);
      expect({ filter, granted: code < 0x80 }).toEqual({ filter, granted: mayDeviceSubscribe(A.id, filter, mine) });
      if (code >= 0x80) expect({ filter, code }).toEqual({ filter, code: NOT_AUTHORIZED });
    }
    for (const filter of grantedButSilent) {
      expect(mayDeviceSubscribe(A.id, filter, mine)).toBe(false);
      expect({ filter, code: await subscribeCode(a, filter) }).toEqual({ filter, code: 1 });
    }
    // The server publishes on B's downstream channels, then on A's own: A receives its own and nothing of B's.
    const received: string[] = [];
    const marker = new Promise<void>((resolve) =>
      a.on('message', (topic) => {
        received.push(topic);
        if (topic === deviceTopic(A.id, 'req')) resolve();
      }),
    );
    for (const c of downstream) await server.publishAsync(deviceTopic(B.id, c), 'for B', { qos: 1 });
    await server.publishAsync(areaTopic('02', 'alert'), 'not A\'s area', { qos: 1 });
    await server.publishAsync(areaTopic('01', 'alert'), 'A\'s province', { qos: 1 });
    await server.publishAsync(deviceTopic(A.id, 'req'), 'for A', { qos: 1 });
    await marker;
    // (A's own request comes once per matching subscription: its own filter and loa/v1/d/+/req.)
    expect([...new Set(received)]).toEqual([areaTopic('01', 'alert'), deviceTopic(A.id, 'req')]);
  });

  it('moves a device\'s alert channels with it (its session ends; it reconnects)', async () => {
    const a = await device(A);
    const kicked = closed(a);
    sources.chainsOf.set(A.id, ['02', '0201']);
    await accounts.moved([A.id]);
    await kicked;
    const again = await device(A);
    expect(await subscribeCode(again, areaTopic('01', 'alert'))).toBe(NOT_AUTHORIZED);
    expect(await subscribeCode(again, areaTopic('0201', 'alert'))).toBe(1);
    expect(await subscribeCode(again, areaTopic('02', 'alert'))).toBe(1);
  });

  it('follows a re-parented area in the area role, without ending sessions', async () => {
    sources.chainsOf.set(A.id, ['02', '0201']);
    await accounts.moved([A.id]);
    const a = await device(A);
    expect(await subscribeCode(a, areaTopic('03', 'alert'))).toBe(NOT_AUTHORIZED);
    // 0201 now sits under 03: the role of 0201 is rewritten; A's session stays and its next SUBSCRIBE is judged anew.
    sources.chainsOf.set(A.id, ['03', '0201']);
    await accounts.reparented([A.id]);
    expect(a.connected).toBe(true);
    expect(await subscribeCode(a, areaTopic('03', 'alert'))).toBe(1);
    expect(await subscribeCode(a, areaTopic('02', 'alert'))).toBe(NOT_AUTHORIZED);
    sources.chainsOf.set(A.id, A.areas);
    await accounts.moved([A.id]);
  });
});
