/**
 * ExternalBroker's retained read against a real Mosquitto: a shared subscription marked `retained` hands its
 * handlers what the broker holds retained once per open (through a temporary non-shared subscription that it then
 * withdraws), and live messages once, through the share; never a message twice. Waits are on events.
 */
import { jest } from '@jest/globals';
import mqtt, { type MqttClient } from 'mqtt';
import { allDevicesTopic, deviceTopic } from '@loa/shared';
import { EXTERNAL_BROKER_TIMING, ExternalBroker } from '../src/broker/external-broker.js';
import { Metrics } from '../src/common/metrics.js';
import { silentLogger, testConfig } from './support/fixtures.js';
import { startMosquitto, type RunningMosquitto } from './support/mosquitto.js';

jest.setTimeout(60_000);

async function waitUntil(what: string, cond: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`never happened: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('reading retained messages at open (ExternalBroker, Mosquitto)', () => {
  let mosquitto: RunningMosquitto;
  let publisher: MqttClient;
  const brokers: ExternalBroker[] = [];

  /** One server instance: its handler records each message it is handed. */
  const instance = async (id: string) => {
    const metrics = new Metrics();
    const broker = new ExternalBroker(testConfig({ LOA_MQTT_URL: mosquitto.url, LOA_BROKER_ACCOUNTS: 'none', LOA_INSTANCE_ID: id }), metrics, silentLogger, { ...EXTERNAL_BROKER_TIMING, reconnectMinMs: 100 });
    brokers.push(broker);
    const handled: string[] = [];
    await broker.onModuleInit();
    await broker.subscribe(allDevicesTopic('status'), (topic, payload) => void handled.push(`${topic} ${payload.toString()}`), { shared: true, retained: true });
    await broker.open();
    return { broker, metrics, handled };
  };
  const status = (id: string, text: string) => publisher.publishAsync(deviceTopic(id, 'status'), text, { qos: 1, retain: true });

  beforeAll(async () => {
    mosquitto = await startMosquitto();
    publisher = await mqtt.connectAsync(mosquitto.url, { protocolVersion: 5, clientId: 'publisher', reconnectPeriod: 0 });
  });

  afterAll(async () => {
    for (const b of brokers) {
      await b.onModuleDestroy();
      await b.onApplicationShutdown();
    }
    publisher?.end(true);
    await mosquitto?.stop();
  });

  it('hands each retained status over once per open, then each live one once', async () => {
    await status('spk-1', 'offline-will');
    await status('spk-2', 'online');
    await status('spk-3', 'online');
    const a = await instance('read-a');
    await waitUntil('the retained read ended', () => a.metrics.get('mqtt_retained_read') === 3);
    expect(a.handled.sort()).toEqual([`${deviceTopic('spk-1', 'status')} offline-will`, `${deviceTopic('spk-2', 'status')} online`, `${deviceTopic('spk-3', 'status')} online`]);

    // Live: the first copy of each arrives through the share; a second copy (from a subscription left behind) would
    // arrive before the next message on the same topic, so the last one arriving proves none did.
    a.handled.length = 0;
    await status('spk-1', 'online');
    await status('spk-1', 'last');
    await waitUntil('the live statuses', () => a.handled.includes(`${deviceTopic('spk-1', 'status')} last`));
    expect(a.handled).toEqual([`${deviceTopic('spk-1', 'status')} online`, `${deviceTopic('spk-1', 'status')} last`]);

    // A second instance starting now reads the retained statuses for itself; live ones still go to one of the two.
    const b = await instance('read-b');
    await waitUntil('b read them', () => b.metrics.get('mqtt_retained_read') === 3);
    expect(b.handled).toHaveLength(3);
    a.handled.length = 0;
    b.handled.length = 0;
    for (let i = 0; i < 10; i++) await status('spk-2', `live-${i}`);
    await waitUntil('ten live statuses handled', () => a.handled.length + b.handled.length >= 10);
    await status('spk-2', 'end');
    await waitUntil('the last one', () => [...a.handled, ...b.handled].some((h) => h.endsWith(' end')));
    expect([...a.handled, ...b.handled].filter((h) => h.includes('live-')).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `${deviceTopic('spk-2', 'status')} live-${i}`).sort());
  });

  it('after a reconnection, tells the reconnect listeners (not at the first connection) and still hands statuses over', async () => {
    // Alone in the share group, so that live statuses come to it.
    for (const b of brokers.splice(0)) {
      await b.onModuleDestroy();
      await b.onApplicationShutdown();
    }
    const c = await instance('read-c');
    await waitUntil('the first read', () => c.metrics.get('mqtt_retained_read') === 3);
    let told = 0;
    c.broker.onReconnect(() => told++);
    await mosquitto.stop(true);
    await waitUntil('the connection lost', () => !c.broker.state().connected);
    await mosquitto.restart();
    await waitUntil('told of the reconnection', () => told === 1);
    publisher.end(true);
    publisher = await mqtt.connectAsync(mosquitto.url, { protocolVersion: 5, clientId: 'publisher', reconnectPeriod: 0 });
    // Published while it may still be subscribing again: live through the share, or retained through the new read.
    await status('spk-4', 'after-restart');
    await waitUntil('the new retained status read, or handed live', () => c.handled.some((h) => h.endsWith(' after-restart')));
    expect(told).toBe(1);
  });
});
