import { Aedes } from 'aedes';
import mqtt from 'mqtt';
import assert from 'node:assert';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { filterMatches, indexedMemoryPersistence } from '../src/broker/indexed-persistence.js';

const require = createRequire(import.meta.url);

/** The subset of node:test's context that aedes-persistence's conformance suite uses. */
interface SuiteContext {
  assert: Pick<typeof assert, 'deepEqual' | 'equal' | 'notEqual' | 'ok'>;
  plan(count: number): void;
  diagnostic(message: string): void;
}
type ConformanceSuite = (opts: { test: (name: string, fn: (t: SuiteContext) => Promise<void>) => void; persistence: () => unknown }) => void;

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

describe('retained payloads on the indexed persistence', () => {
  it('keeps its own copy of a payload that is a view into a larger buffer (a pool slab it would otherwise pin)', async () => {
    const broker = await Aedes.createBroker({ persistence: indexedMemoryPersistence() });
    const server = createServer(broker.handle);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `mqtt://127.0.0.1:${(server.address() as { port: number }).port}`;
    try {
      const slab = Buffer.alloc(8192, 0x20);
      slab.write('{"v":1,"version":7}', 100);
      const payload = slab.subarray(100, 119);
      await new Promise<void>((resolve, reject) =>
        broker.publish({ cmd: 'publish', topic: 'loa/v1/dev/d1/timeline', payload, qos: 1, retain: true, dup: false }, (e) => (e ? reject(e) : resolve())),
      );
      // The slab is reused by whoever allocated it next.
      slab.fill(0);
      const c = await mqtt.connectAsync(url, { reconnectPeriod: 0 });
      const got = new Promise<string>((resolve) => c.on('message', (_t, p) => resolve(p.toString())));
      await c.subscribeAsync('loa/v1/dev/d1/timeline', { qos: 1 });
      expect(await got).toBe('{"v":1,"version":7}');
      await c.endAsync();
    } finally {
      await new Promise<void>((r) => broker.close(() => r()));
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});

// aedes-persistence ships the tests every persistence must pass (retained, subscriptions by client and by topic,
// offline queues, incoming packets, wills); run here through the callback adapter aedes itself uses.
describe('indexedMemoryPersistence: aedes-persistence conformance suite', () => {
  const suite = require('aedes-persistence/abstract.js') as ConformanceSuite;
  suite({
    test: (name, fn) =>
      it(name, async () => {
        let planned: number | null = null;
        let made = 0;
        const counted =
          <A extends unknown[]>(check: (...args: A) => void) =>
          (...args: A) => {
            made++;
            check(...args);
          };
        await fn({
          assert: { deepEqual: counted(assert.deepEqual), equal: counted(assert.equal), notEqual: counted(assert.notEqual), ok: counted(assert.ok) },
          plan: (count) => (planned = count),
          diagnostic: () => undefined,
        });
        if (planned !== null) expect(made).toBe(planned);
      }),
    persistence: () => indexedMemoryPersistence(),
  });
});

describe(filterMatches.name, () => {
  it('matches MQTT filters as aedes does: + is one non-empty level, # any number of levels including none', () => {
    expect(filterMatches('loa/+/status', 'loa/d1/status')).toBe(true);
    expect(filterMatches('loa/+/status', 'loa//status')).toBe(false);
    expect(filterMatches('loa/+/status', 'loa/d1/x/status')).toBe(false);
    expect(filterMatches('loa/#', 'loa')).toBe(true);
    expect(filterMatches('loa/#', 'loa/a/b/c')).toBe(true);
    expect(filterMatches('loa/#', 'loax/a')).toBe(false);
    expect(filterMatches('#', 'anything/at/all')).toBe(true);
    expect(filterMatches('loa/a', 'loa/a/b')).toBe(false);
    expect(filterMatches('loa/a/b', 'loa/a')).toBe(false);
  });
});

describe('persistent sessions on the indexed persistence', () => {
  it('queues QoS 1 messages for an offline session on its exact and shared topics, and not on a topic it left', async () => {
    const broker = await Aedes.createBroker({ persistence: indexedMemoryPersistence() });
    const server = createServer(broker.handle);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `mqtt://127.0.0.1:${(server.address() as { port: number }).port}`;
    const pub = (topic: string, payload: string) =>
      new Promise<void>((resolve, reject) => broker.publish({ cmd: 'publish', topic, payload: Buffer.from(payload), qos: 1, retain: false, dup: false }, (e) => (e ? reject(e) : resolve())));
    const session = { clientId: 'dev-1', clean: false, reconnectPeriod: 0 } as const;
    try {
      // Two sessions share an area topic; dev-1 also follows its own topics and then leaves one of them.
      const other = await mqtt.connectAsync(url, { clientId: 'dev-2', clean: false, reconnectPeriod: 0 });
      await other.subscribeAsync('loa/v1/area/42/alert', { qos: 1 });
      await other.endAsync();
      const first = await mqtt.connectAsync(url, session);
      await first.subscribeAsync(['loa/v1/dev/dev-1/commands', 'loa/v1/dev/dev-1/timeline', 'loa/v1/area/42/alert'], { qos: 1 });
      await first.unsubscribeAsync('loa/v1/dev/dev-1/timeline');
      await first.endAsync();

      await pub('loa/v1/dev/dev-1/timeline', 'T');
      await pub('loa/v1/dev/dev-1/commands', 'C');
      await pub('loa/v1/area/42/alert', 'A');
      // Sent last: once it arrives, everything queued before it has arrived too.
      await pub('loa/v1/dev/dev-1/commands', 'END');

      const got: string[] = [];
      let ended: () => void = () => undefined;
      const end = new Promise<void>((r) => (ended = r));
      const back = mqtt.connect(url, session);
      back.on('message', (topic, p) => (p.toString() === 'END' ? ended() : got.push(`${topic}=${p.toString()}`)));
      await end;
      await back.endAsync();
      expect(got.sort()).toEqual(['loa/v1/area/42/alert=A', 'loa/v1/dev/dev-1/commands=C']);
    } finally {
      await new Promise<void>((r) => broker.close(() => r()));
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
