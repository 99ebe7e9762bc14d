import { Aedes } from 'aedes';
import mqtt from 'mqtt';
import { createServer } from 'node:net';
import { indexedMemoryPersistence } from '../src/broker/indexed-persistence.js';

describe(indexedMemoryPersistence.name, () => {
  it('serves retained messages to exact and wildcard subscriptions, and forgets cleared ones', async () => {
    const broker = await Aedes.createBroker({ persistence: indexedMemoryPersistence() });
    const server = createServer(broker.handle);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `mqtt://127.0.0.1:${(server.address() as { port: number }).port}`;
    const pub = (topic: string, payload: string) =>
      new Promise<void>((resolve, reject) => broker.publish({ cmd: 'publish', topic, payload: Buffer.from(payload), qos: 1, retain: true, dup: false }, (e) => (e ? reject(e) : resolve())));
    // A retained sentinel outside every filter below, subscribed to after the filter's SUBACK: its retained copy
    // is streamed after the filter's, so once it is in, the filter's retained messages are in too.
    const SENTINEL = 'loa/v1/sentinel';
    const received = async (filter: string): Promise<string[]> => {
      const c = await mqtt.connectAsync(url, { reconnectPeriod: 0 });
      const got: string[] = [];
      let sentinelSeen: () => void = () => undefined;
      const sentinel = new Promise<void>((r) => (sentinelSeen = r));
      c.on('message', (topic, p) => (topic === SENTINEL ? sentinelSeen() : got.push(`${topic}=${p.toString()}`)));
      await c.subscribeAsync(filter, { qos: 1 });
      await c.subscribeAsync(SENTINEL, { qos: 1 });
      await sentinel;
      await c.endAsync();
      return got.sort();
    };
    try {
      await pub(SENTINEL, 'S');
      await pub('loa/v1/d/a/timeline', 'A1');
      await pub('loa/v1/d/a/timeline', 'A2');
      await pub('loa/v1/d/b/timeline', 'B1');
      expect(await received('loa/v1/d/a/timeline')).toEqual(['loa/v1/d/a/timeline=A2']);
      expect(await received('loa/v1/d/+/timeline')).toEqual(['loa/v1/d/a/timeline=A2', 'loa/v1/d/b/timeline=B1']);
      await pub('loa/v1/d/a/timeline', '');
      expect(await received('loa/v1/d/a/timeline')).toEqual([]);
      expect(await received('loa/v1/d/#')).toEqual(['loa/v1/d/b/timeline=B1']);
    } finally {
      await new Promise<void>((r) => broker.close(() => r()));
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
