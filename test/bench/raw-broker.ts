// Raw baseline: a bare aedes broker (no authentication, no ACL, no Loa logic) in its own process. A broker-side
// subscriber counts status messages and answers every events batch with an events/ack listing its ids, the
// least a server can do. Driven by its parent over IPC.
import { createServer } from 'node:net';
import { Aedes } from 'aedes';
import { allDevicesTopic, decodeMessage, deviceTopic, encodeMessage, eventsBatchSchema, parseDeviceTopic } from '@loa/shared';

export type RawRequest = { id: number; cmd: 'stats' } | { id: number; cmd: 'memory' } | { id: number; cmd: 'publish'; topic: string; payload: string; retain: boolean };
export type RawReply = { type: 'listening'; port: number } | { type: 'reply'; id: number; value: unknown };

const port = Number(process.argv[2] ?? 0);
const counters = { statusReceived: 0, eventsBatches: 0, eventsAcked: 0 };
// Stock aedes except for the retained-message index Loa's embedded broker also uses: aedes' own memory store
// scans every retained message on each SUBSCRIBE and cannot finish a 10,000-client storm with retained statuses.
// Resolved from the compiled file (test/bench/dist/raw-broker.js) to the server's build.
const { indexedMemoryPersistence } = (await import(new URL('../../../server/dist/broker/indexed-persistence.js', import.meta.url).href)) as {
  indexedMemoryPersistence: () => unknown;
};
const broker = await Aedes.createBroker({ persistence: indexedMemoryPersistence() });
const server = createServer(broker.handle);

const publish = (topic: string, payload: Buffer, retain: boolean) =>
  new Promise<void>((resolve, reject) => broker.publish({ cmd: 'publish', topic, payload, qos: 1, retain, dup: false }, (err) => (err ? reject(err) : resolve())));

broker.subscribe(
  allDevicesTopic('status'),
  (_packet, done) => {
    counters.statusReceived++;
    // Completing asynchronously: a synchronous done() recurses through mqemitter once thousands of messages queue
    // up ("Maximum call stack size exceeded" at 2,000 clients).
    process.nextTick(done);
  },
  () => undefined,
);
broker.subscribe(
  allDevicesTopic('events'),
  (packet, done) => {
    process.nextTick(done);
    const parsed = parseDeviceTopic(packet.topic);
    const batch = decodeMessage(eventsBatchSchema, Buffer.from(packet.payload));
    if (!parsed || !batch.ok) return;
    counters.eventsBatches++;
    counters.eventsAcked += batch.value.events.length;
    void publish(deviceTopic(parsed.deviceId, 'events/ack'), encodeMessage({ v: 1, deviceId: parsed.deviceId, ids: batch.value.events.map((e) => e.id) }), false);
  },
  () => undefined,
);

process.on('message', (m: RawRequest) => {
  const reply = (value: unknown) => process.send?.({ type: 'reply', id: m.id, value } satisfies RawReply);
  if (m.cmd === 'stats') reply({ ...counters, clients: broker.connectedClients });
  else if (m.cmd === 'memory') reply(process.memoryUsage());
  else if (m.cmd === 'publish') void publish(m.topic, Buffer.from(m.payload), m.retain).then(() => reply(true));
});
process.on('disconnect', () => process.exit(0));

server.listen(port, '127.0.0.1', () => {
  const addr = server.address();
  process.send?.({ type: 'listening', port: typeof addr === 'object' && addr ? addr.port : port } satisfies RawReply);
});
