import { createServer, connect as netConnect, type Server, type Socket } from 'node:net';
import mqtt, { type MqttClient } from 'mqtt';
import { allDevicesTopic, deviceTopic } from '@loa/shared';
import { startMosquitto, type RunningMosquitto } from './support/mosquitto.js';

/**
 * Why deploy/mosquitto/loa.conf sets the queue limits it does: a subscriber that stops reading for a while (a Loa
 * instance in a long GC pause, a slow commit, a saturated link) while devices keep publishing. With Mosquitto's
 * defaults the broker keeps 20 QoS 1 messages in flight and 1,000 queued for it and silently drops the rest, though
 * every publisher got its PUBACK; with Loa's settings (LOA_MOSQUITTO_DEFAULTS, equal to loa.conf) nothing is lost.
 */

/** A TCP relay whose broker → client direction can be held: the client then reads nothing and acknowledges nothing. */
class HoldableRelay {
  private readonly server: Server;
  private readonly upstreams = new Set<Socket>();
  port = 0;

  constructor(private readonly brokerPort: number) {
    this.server = createServer((client) => {
      const upstream = netConnect(this.brokerPort, '127.0.0.1');
      this.upstreams.add(upstream);
      client.on('data', (b) => upstream.write(b));
      upstream.on('data', (b) => client.write(b));
      const end = () => {
        client.destroy();
        upstream.destroy();
        this.upstreams.delete(upstream);
      };
      client.on('close', end);
      upstream.on('close', end);
      client.on('error', end);
      upstream.on('error', end);
    });
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
  }

  /** Stops reading what the broker sends: its socket buffers fill, no PUBACK goes back. */
  hold(): void {
    for (const u of this.upstreams) u.pause();
  }

  release(): void {
    for (const u of this.upstreams) u.resume();
  }

  async close(): Promise<void> {
    for (const u of this.upstreams) u.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

const N = 3000;
const MARKER = deviceTopic('marker', 'events');

/**
 * Publishes N QoS 1 reports (each PUBACKed) while the subscriber is held, releases it, then markers; resolves with
 * how many reports the subscriber got when the first marker arrived. The broker delivers in order, and every report
 * was queued (or dropped) before any marker was published, so by then every report it kept has arrived. A marker
 * may itself be dropped while the subscriber's queue is still full: one more follows each report received.
 */
async function reportsDelivered(broker: RunningMosquitto): Promise<number> {
  const relay = new HoldableRelay(broker.port);
  await relay.listen();
  let subscriber: MqttClient | null = null;
  let publisher: MqttClient | null = null;
  try {
    // As a Loa instance: clean start, a shared subscription to every device's reports at QoS 1.
    subscriber = await mqtt.connectAsync(`mqtt://127.0.0.1:${relay.port}`, { clientId: 'loa-server-q', protocolVersion: 5, clean: true, reconnectPeriod: 0 });
    await subscriber.subscribeAsync(`$share/loa/${allDevicesTopic('events')}`, { qos: 1 });
    let reports = 0;
    let released = false;
    let done = false;
    const sendMarker = () => void publisher?.publishAsync(MARKER, 'last', { qos: 1 }).catch(() => undefined);
    const marker = new Promise<void>((resolve) =>
      subscriber!.on('message', (topic) => {
        if (done) return;
        if (topic === MARKER) {
          done = true;
          return resolve();
        }
        reports++;
        if (released) sendMarker();
      }),
    );
    relay.hold();
    publisher = await mqtt.connectAsync(broker.url, { clientId: 'fleet', protocolVersion: 5, reconnectPeriod: 0 });
    const payload = Buffer.alloc(200, 'r');
    await Promise.all(Array.from({ length: N }, (_, i) => publisher!.publishAsync(deviceTopic(`dev-${i % 50}`, 'events'), payload, { qos: 1 })));
    released = true;
    relay.release();
    sendMarker();
    await marker;
    return reports;
  } finally {
    await Promise.all([subscriber?.endAsync(true), publisher?.endAsync(true)]);
    await relay.close();
  }
}

describe('QoS 1 messages to a subscriber that stops reading (deploy/mosquitto/loa.conf)', () => {
  let broker: RunningMosquitto | undefined;
  afterEach(async () => {
    await broker?.stop();
    broker = undefined;
  });

  it('are dropped silently with Mosquitto\'s defaults (20 in flight, 1,000 queued)', async () => {
    // Appended after Loa's settings: the later value wins.
    broker = await startMosquitto({ config: ['max_inflight_messages 20', 'max_queued_messages 1000', 'max_queued_bytes 0'] });
    const delivered = await reportsDelivered(broker);
    expect(delivered).toBeLessThan(N);
    expect(delivered).toBeLessThanOrEqual(1000 + 20);
  });

  it('all arrive with Loa\'s settings', async () => {
    broker = await startMosquitto();
    expect(await reportsDelivered(broker)).toBe(N);
  });
});
