/**
 * ExternalBroker, the server as an MQTT 5 client, against a real Mosquitto (Debian's, started by the test):
 * shared subscriptions between instances, the stop's withdrawal, the Receive Maximum, a broker that goes away and
 * comes back, and start-up failures that say what to fix. Everything is awaited on events; nothing sleeps.
 */
import { jest } from '@jest/globals';
import mqtt, { type MqttClient } from 'mqtt';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { allDevicesTopic, deviceTopic } from '@loa/shared';
import { BrokerConnectError, BrokerUnavailableError } from '../src/broker/broker-errors.js';
import { EXTERNAL_BROKER_TIMING, ExternalBroker, type ExternalBrokerTiming } from '../src/broker/external-broker.js';
import { Metrics } from '../src/common/metrics.js';
import { ConfigError } from '../src/config/app-config.js';
import { silentLogger, testConfig } from './support/fixtures.js';
import { startMosquitto, type RunningMosquitto } from './support/mosquitto.js';

jest.setTimeout(60_000);

/** Fast reconnection for tests; the offline wait stays long unless a test is about it. */
const FAST: ExternalBrokerTiming = { ...EXTERNAL_BROKER_TIMING, startTimeoutMs: 10_000, reconnectMinMs: 100, reconnectMaxMs: 1_000 };

/** Polls the test's own state (no clock involved): messages arrive on their own schedule. */
async function waitUntil(what: string, cond: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`never happened: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function externalBroker(url: string, instanceId: string, timing: ExternalBrokerTiming = FAST, env: Record<string, string> = {}): { broker: ExternalBroker; metrics: Metrics } {
  const metrics = new Metrics();
  const config = testConfig({ LOA_MQTT_URL: url, LOA_BROKER_ACCOUNTS: 'none', LOA_INSTANCE_ID: instanceId, ...env });
  return { broker: new ExternalBroker(config, metrics, silentLogger, timing), metrics };
}

/** Started as Nest starts it: connected (onModuleInit), subscriptions recorded, then opened. */
async function started(broker: ExternalBroker, subscribe: (b: ExternalBroker) => Promise<void> = async () => undefined): Promise<ExternalBroker> {
  await broker.onModuleInit();
  await subscribe(broker);
  await broker.open();
  return broker;
}

async function closeBroker(broker: ExternalBroker): Promise<void> {
  await broker.onModuleDestroy();
  await broker.onApplicationShutdown();
}

/** A device (anonymous Mosquitto: its ACL is not what these tests are about). */
const device = (url: string, id: string): Promise<MqttClient> => mqtt.connectAsync(url, { clientId: id, protocolVersion: 5, reconnectPeriod: 0, clean: true });

/** A private CA, a broker certificate for 127.0.0.1 and a client certificate for the server (openssl CLI). */
function privateCa(): { dir: string; file: (name: string) => string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'loa-broker-tls-'));
  const sh = (args: string[]) => {
    const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`openssl ${args[0]}: ${r.stderr}`);
  };
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  sh(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=Loa test CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  for (const [name, usage, san] of [
    ['broker', 'serverAuth', 'subjectAltName=IP:127.0.0.1\n'],
    ['client', 'clientAuth', ''],
  ] as const) {
    sh(['req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`]);
    writeFileSync(path.join(dir, `${name}.ext`), `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=${usage}\n${san}`);
    sh(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`]);
  }
  return { dir, file: (name) => path.join(dir, name) };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

describe('ExternalBroker on Mosquitto', () => {
  let mosquitto: RunningMosquitto;
  const open: ExternalBroker[] = [];
  const clients: MqttClient[] = [];

  afterEach(async () => {
    for (const c of clients.splice(0)) c.end(true);
    for (const b of open.splice(0)) await closeBroker(b);
    await mosquitto?.stop();
  });

  it('shares the device channels between instances: each device message is handled exactly once', async () => {
    mosquitto = await startMosquitto();
    const seen: Array<Map<string, number>> = [new Map(), new Map()];
    const markers = [0, 0];
    for (const [i, id] of ['a', 'b'].entries()) {
      const { broker } = externalBroker(mosquitto.url, id);
      open.push(
        await started(broker, (b) =>
          b.subscribe(
            allDevicesTopic('events'),
            (_topic, payload) => {
              const body = payload.toString();
              if (body.startsWith('marker')) markers[i]!++;
              else seen[i]!.set(body, (seen[i]!.get(body) ?? 0) + 1);
            },
            { shared: true },
          ),
        ),
      );
    }
    const dev = await device(mosquitto.url, 'spk-1');
    clients.push(dev);
    const N = 200;
    await Promise.all(Array.from({ length: N }, (_, n) => dev.publishAsync(deviceTopic('spk-1', 'events'), `report-${n}`, { qos: 1 })));
    const handled = () => seen[0]!.size + seen[1]!.size;
    await waitUntil(`${N} reports handled`, () => handled() >= N);
    // Same publisher, same topic, QoS 1: each instance receives in publish order, so once each has its marker, any
    // second copy of a report would already be here.
    for (let m = 0; markers[0] === 0 || markers[1] === 0; m++) {
      await dev.publishAsync(deviceTopic('spk-1', 'events'), `marker-${m}`, { qos: 1 });
      await waitUntil('the marker handled', () => markers[0]! + markers[1]! > m);
    }
    const all = [...seen[0]!.keys(), ...seen[1]!.keys()];
    expect(new Set(all).size).toBe(N);
    expect(all).toHaveLength(N);
    expect([...seen[0]!.values(), ...seen[1]!.values()].every((count) => count === 1)).toBe(true);
    // Both took a share of the work.
    expect(seen[0]!.size).toBeGreaterThan(0);
    expect(seen[1]!.size).toBeGreaterThan(0);
  });

  it('stops by withdrawing its subscriptions first (the other instance takes everything), then finishes the handlers in flight', async () => {
    mosquitto = await startMosquitto();
    const order: string[] = [];
    let releaseA!: () => void;
    const gateA = new Promise<void>((resolve) => (releaseA = resolve));
    const gotA: string[] = [];
    const gotB: string[] = [];
    const { broker: a } = externalBroker(mosquitto.url, 'a');
    const { broker: b } = externalBroker(mosquitto.url, 'b');
    open.push(
      await started(a, (x) =>
        x.subscribe(
          allDevicesTopic('events'),
          async (_t, p) => {
            gotA.push(p.toString());
            if (gotA.length === 1) {
              await gateA; // the first report A takes is still being handled when the stop begins
              order.push('handled');
            }
          },
          { shared: true },
        ),
      ),
      await started(b, (x) => x.subscribe(allDevicesTopic('events'), (_t, p) => void gotB.push(p.toString()), { shared: true })),
    );
    const dev = await device(mosquitto.url, 'spk-1');
    clients.push(dev);
    for (let n = 0; gotA.length === 0; n++) {
      await dev.publishAsync(deviceTopic('spk-1', 'events'), `before-${n}`, { qos: 1 });
      await waitUntil('the report handled by either', () => gotA.length + gotB.length > n);
    }
    let stopResolved = false;
    const stopping = a.stop().then((ended) => {
      stopResolved = true;
      order.push('stopped');
      return ended;
    });
    // Once A's UNSUBACK is in, every report goes to B. Wait for the withdrawal by what it does: B gets them all.
    const aBefore = gotA.length;
    const M = 50;
    const afterStop = Array.from({ length: M }, (_, n) => `after-${n}`);
    let round = 0;
    for (;;) {
      const batch = afterStop.map((s) => `${s}-r${round}`);
      await Promise.all(batch.map((s) => dev.publishAsync(deviceTopic('spk-1', 'events'), s, { qos: 1 })));
      await waitUntil('the round handled', () => batch.every((s) => gotB.includes(s) || gotA.includes(s)));
      if (batch.every((s) => gotB.includes(s))) break; // the whole round went to B: A is out of the group
      round++;
    }
    const lastRoundA = gotA.slice(aBefore).filter((s) => s.endsWith(`-r${round}`));
    expect(lastRoundA).toEqual([]);
    expect(stopResolved).toBe(false); // A's handler still holds the stop
    releaseA();
    expect(await stopping).toEqual([]);
    expect(order).toEqual(['handled', 'stopped']);
    // Publishing still works after the stop (the last acks of a shutdown's commits).
    await a.publish(deviceTopic('spk-1', 'events/ack'), Buffer.from('ok'), { qos: 1, retain: false });
  });

  it('keeps its QoS 1 publishes within the Receive Maximum the broker grants', async () => {
    mosquitto = await startMosquitto({ config: ['max_inflight_messages 5'] });
    const { broker } = externalBroker(mosquitto.url, 'a');
    open.push(await started(broker));
    expect(broker.state().publishes?.limit).toBe(5);
    const sub = await device(mosquitto.url, 'watcher');
    clients.push(sub);
    let received = 0;
    sub.on('message', () => received++);
    await sub.subscribeAsync('loa/v1/d/+/timeline', { qos: 1 });
    const N = 500;
    let maxInFlight = 0;
    const sent = Array.from({ length: N }, (_, n) =>
      broker.publish(deviceTopic(`spk-${n}`, 'timeline'), Buffer.from(`timeline ${n}`), { qos: 1, retain: true }).then(() => {
        maxInFlight = Math.max(maxInFlight, broker.state().publishes!.inFlight);
      }),
    );
    expect(broker.state().publishes).toEqual({ limit: 5, inFlight: 5, waiting: N - 5 });
    await Promise.all(sent);
    expect(maxInFlight).toBeLessThanOrEqual(5);
    await waitUntil(`${N} timelines delivered`, () => received === N);
  });

  it('rides out a broker restart: publishes wait for it, subscriptions are sent again, retained timelines survive', async () => {
    mosquitto = await startMosquitto({ persistence: true });
    const { broker, metrics } = externalBroker(mosquitto.url, 'a');
    const got: string[] = [];
    open.push(await started(broker, (b) => b.subscribe(allDevicesTopic('events'), (_t, p) => void got.push(p.toString()), { shared: true })));
    await mosquitto.stop(true);
    await waitUntil('the loss noticed', () => !broker.state().connected);
    // Published while the broker is away: held, then delivered when it is back.
    const timeline = broker.publish(deviceTopic('spk-1', 'timeline'), Buffer.from('timeline v7'), { qos: 1, retain: true });
    await mosquitto.restart();
    await timeline;
    await waitUntil('subscriptions sent again', () => metrics.get('mqtt_broker_resubscribed') === 1);
    expect(broker.state()).toMatchObject({ kind: 'external', connected: true, reconnects: 1 });
    const dev = await device(mosquitto.url, 'spk-1');
    clients.push(dev);
    const retained = new Promise<string>((resolve) => dev.once('message', (_t, p) => resolve(p.toString())));
    await dev.subscribeAsync(deviceTopic('spk-1', 'timeline'), { qos: 1 });
    expect(await retained).toBe('timeline v7');
    await dev.publishAsync(deviceTopic('spk-1', 'events'), 'after the restart', { qos: 1 });
    await waitUntil('the report after the restart handled', () => got.includes('after the restart'));
  });

  it('gives up a publish when the broker stays away longer than a caller may wait', async () => {
    mosquitto = await startMosquitto();
    const { broker, metrics } = externalBroker(mosquitto.url, 'a', { ...FAST, offlineWaitMs: 300 });
    open.push(await started(broker));
    await mosquitto.stop(true);
    await waitUntil('the loss noticed', () => !broker.state().connected);
    await expect(broker.publish(deviceTopic('spk-1', 'timeline'), Buffer.from('x'), { qos: 1, retain: true })).rejects.toThrow(BrokerUnavailableError);
    await expect(broker.publish(deviceTopic('spk-1', 'telemetry'), Buffer.from('x'), { qos: 0, retain: false })).rejects.toThrow(/unreachable/);
    expect(metrics.get('mqtt_publish_gave_up')).toBe(2);
  });

  it('fails start-up naming LOA_MQTT_URL when the broker does not answer', async () => {
    mosquitto = await startMosquitto();
    const url = mosquitto.url;
    await mosquitto.stop(true); // nothing listens on its port any more
    const { broker } = externalBroker(url, 'a', { ...FAST, startTimeoutMs: 1_000 });
    const failure = broker.onModuleInit();
    await expect(failure).rejects.toThrow(BrokerConnectError);
    await expect(failure).rejects.toThrow(new RegExp(`LOA_MQTT_URL=${url}: the MQTT broker could not be reached within 1 s \\(.*ECONNREFUSED`));
  });

  it('fails start-up at once when the broker refuses the server\'s account', async () => {
    mosquitto = await startMosquitto({ dynsec: { username: 'loa-admin', password: 'admin-secret-123' } });
    const { broker } = externalBroker(mosquitto.url, 'a', FAST, { LOA_MQTT_USERNAME: 'loa-admin', LOA_MQTT_PASSWORD: 'wrong' });
    await expect(broker.onModuleInit()).rejects.toThrow(/LOA_MQTT_URL=mqtt:\/\/127\.0\.0\.1:\d+: the broker refused the server's connection \(.*(Bad User Name or Password|Not authorized).*\): check LOA_MQTT_USERNAME and LOA_MQTT_PASSWORD/);
  });

  it('connects over TLS with a private CA and a client certificate, and refuses a broker it does not trust', async () => {
    const ca = privateCa();
    try {
      const tlsPort = await freePort();
      mosquitto = await startMosquitto({
        config: [`listener ${tlsPort} 127.0.0.1`, `cafile ${ca.file('ca.pem')}`, `certfile ${ca.file('broker.pem')}`, `keyfile ${ca.file('broker.key')}`, 'require_certificate true'],
      });
      const url = `mqtts://127.0.0.1:${tlsPort}`;
      const withCert = { LOA_MQTT_CLIENT_CERT_FILE: ca.file('client.pem'), LOA_MQTT_CLIENT_KEY_FILE: ca.file('client.key') };
      const { broker } = externalBroker(url, 'a', FAST, { LOA_MQTT_CA_FILE: ca.file('ca.pem'), ...withCert });
      const got: string[] = [];
      open.push(await started(broker, (b) => b.subscribe(allDevicesTopic('events'), (_t, p) => void got.push(p.toString()), { shared: true })));
      expect(broker.state()).toMatchObject({ connected: true, url });
      const dev = await device(mosquitto.url, 'spk-1'); // devices may use the plain listener of this test broker
      clients.push(dev);
      await dev.publishAsync(deviceTopic('spk-1', 'events'), 'over TLS', { qos: 1 });
      await waitUntil('the report handled', () => got.includes('over TLS'));
      // Without LOA_MQTT_CA_FILE the system's CAs are trusted, and they did not sign this broker.
      const { broker: untrusting } = externalBroker(url, 'b', { ...FAST, startTimeoutMs: 1_000 }, withCert);
      await expect(untrusting.onModuleInit()).rejects.toThrow(/could not be reached within 1 s \(.*(self.signed|unable to verify|local issuer)/i);
    } finally {
      rmSync(ca.dir, { recursive: true, force: true });
    }
  });

  it('names LOA_MQTT_CA_FILE when it cannot be read', async () => {
    mosquitto = await startMosquitto();
    const { broker } = externalBroker(mosquitto.url, 'a', FAST, { LOA_MQTT_CA_FILE: '/nonexistent/ca.pem' });
    await expect(broker.onModuleInit()).rejects.toThrow(ConfigError);
    await expect(broker.onModuleInit()).rejects.toThrow(/LOA_MQTT_CA_FILE: cannot read \/nonexistent\/ca.pem/);
  });

  it('ends a device session through the registered terminator, and without one leaves it to the broker', async () => {
    mosquitto = await startMosquitto();
    const { broker, metrics } = externalBroker(mosquitto.url, 'a');
    open.push(await started(broker));
    await broker.disconnect('spk-1'); // no terminator: nothing to do here
    const ended: string[] = [];
    broker.setSessionTerminator(async (id) => void ended.push(id));
    await broker.disconnect('spk-1');
    expect(ended).toEqual(['spk-1']);
    expect(metrics.get('mqtt_disconnected_by_server')).toBe(1);
    expect(() => broker.setSessionTerminator(async () => undefined)).toThrow(/already registered/);
  });
});
