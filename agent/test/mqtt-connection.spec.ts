import { EventEmitter } from 'node:events';
import type { IClientOptions, MqttClient } from 'mqtt';
import { deviceTopic, type TimelineChannel } from '@loa/shared';
import { SystemClock } from '../src/clock.js';
import { Connection } from '../src/features/mqtt/connection.js';
import { silentLogger, waitFor } from './helpers.js';

const DEVICE = 'spk-conn-01';

/** Just what Connection uses of an mqtt.js client; a QoS 1 publish is answered only when the test says so. */
class FakeClient extends EventEmitter {
  connected = true;
  readonly subscribed: string[][] = [];
  readonly unsubscribed: string[] = [];
  readonly pending: Array<() => void> = [];
  async subscribeAsync(topics: string | string[]) {
    const list = Array.isArray(topics) ? topics : [topics];
    this.subscribed.push(list);
    return list.map((topic) => ({ topic, qos: 1 }));
  }
  async unsubscribeAsync(topic: string) {
    this.unsubscribed.push(topic);
  }
  publishAsync(topic: string, _payload: Buffer, opts: { qos: number }): Promise<void> {
    // The online status is acknowledged at once; anything else waits for a PUBACK that may never come.
    if (opts.qos === 0 || topic.endsWith('/status')) return Promise.resolve();
    return new Promise((resolve) => this.pending.push(resolve));
  }
  end() {
    this.connected = false;
  }
  async endAsync() {
    this.connected = false;
  }
}

describe('MQTT connection', () => {
  let clients: FakeClient[];
  let connection: Connection;
  let channels: (sessionPresent?: boolean) => readonly TimelineChannel[];

  beforeEach(() => {
    clients = [];
    channels = () => ['timeline/patch'];
    connection = new Connection({
      url: 'mqtt://unused',
      deviceId: DEVICE,
      secret: 's',
      kind: 'speaker',
      agentVersion: 'test',
      clock: new SystemClock(),
      logger: silentLogger(),
      timelineVersion: () => 3,
      onMessage: () => undefined,
      timelineChannels: (sessionPresent) => channels(sessionPresent),
      connect: (_url: string, _opts: IClientOptions) => {
        const c = new FakeClient();
        clients.push(c);
        return c as unknown as MqttClient;
      },
    });
  });
  afterEach(async () => {
    await connection.stop();
  });

  const connect = async (sessionPresent: boolean) => {
    connection.start();
    const client = clients.at(-1)!;
    client.emit('connect', { sessionPresent });
    await waitFor(() => connection.connected, 5000, 'connected');
    return client;
  };

  it('answers false, instead of never, for a QoS 1 publish whose connection closed before its PUBACK', async () => {
    const client = await connect(true);
    const ack = connection.publish('timeline/ack', { v: 1, version: 3 });
    await waitFor(() => client.pending.length === 1, 5000, 'the publish on the wire');
    client.connected = false;
    client.emit('close');
    expect(await ack).toBe(false);
  });

  it('subscribes only to the timeline channels it is told, and leaves the ones a kept session may still hold', async () => {
    const client = await connect(true);
    expect(client.subscribed[0]).toEqual([deviceTopic(DEVICE, 'timeline/patch'), deviceTopic(DEVICE, 'events/ack'), deviceTopic(DEVICE, 'req')]);
    // A kept session may hold `timeline` from before (an older agent, a fetch cut by the drop): it is dropped.
    await waitFor(() => client.unsubscribed.length === 1, 5000, 'the retained channel left');
    expect(client.unsubscribed).toEqual([deviceTopic(DEVICE, 'timeline')]);

    // Asked to fetch the whole timeline: the retained channel is joined, and left once the wish is gone.
    channels = () => ['timeline', 'timeline/patch'];
    await connection.refreshTimelineChannels();
    expect(client.subscribed.at(-1)).toEqual([deviceTopic(DEVICE, 'timeline')]);
    channels = () => ['timeline/patch'];
    await connection.refreshTimelineChannels();
    expect(client.unsubscribed.at(-1)).toEqual(deviceTopic(DEVICE, 'timeline'));
    expect(client.unsubscribed).toHaveLength(2);
  });

  it('tells the chooser whether the broker kept the session', async () => {
    const asked: (boolean | undefined)[] = [];
    channels = (sessionPresent) => {
      asked.push(sessionPresent);
      return sessionPresent === false ? ['timeline', 'timeline/patch'] : ['timeline/patch'];
    };
    const client = await connect(false);
    expect(asked[0]).toBe(false);
    expect(client.subscribed[0]).toEqual([deviceTopic(DEVICE, 'timeline'), deviceTopic(DEVICE, 'timeline/patch'), deviceTopic(DEVICE, 'events/ack'), deviceTopic(DEVICE, 'req')]);
  });
});
