import { createServer, type Server, type Socket } from 'node:net';
import { Aedes } from 'aedes';
import { deviceTopic, generateSigningKey, mayDevicePublish, mayDeviceSubscribe, signMessage, type SigningKey, type TimelineMessage } from '@loa/shared';

export interface Published {
  topic: string;
  payload: Buffer;
  retain: boolean;
  qos: number;
  clientId: string | null;
  /** Date.now() when the broker got it: a reference for timestamps the sender wrote. */
  receivedAt: number;
}

export interface TestBroker {
  broker: Aedes;
  port: number;
  url: string;
  published: Published[];
  refusedLogins: number;
  /** The key this broker's "server" signs with; agents under test pin `publicKey`. */
  key: SigningKey;
  publicKey: string;
  /** Server-side publish, signed, as the Loa server would. */
  publish(topic: string, payload: unknown, opts?: { retain?: boolean }): Promise<void>;
  /** Publish exact bytes (unsigned, forged or replayed messages), as someone with broker access could. */
  publishRaw(topic: string, payload: Buffer, opts?: { retain?: boolean }): Promise<void>;
  /** A whole timeline as the Loa server sends it: retained on `timeline` and live on `timeline/patch`. */
  publishTimeline(t: TimelineMessage): Promise<void>;
  /** Whether this client is subscribed to this exact topic now (from the broker's subscribe and unsubscribe events). */
  follows(clientId: string, topic: string): boolean;
  close(): Promise<void>;
}

/** A real aedes broker with per-device credentials and the shared ACL, on an ephemeral (or given) port. */
export async function startBroker(
  credentials: Record<string, string>,
  port = 0,
  areas: Record<string, string[]> = {},
  /** Pass the previous broker's key to "restart the server" without re-provisioning agents. */
  key: SigningKey = generateSigningKey(),
): Promise<TestBroker> {
  const published: Published[] = [];
  const state = { refusedLogins: 0 };
  const broker = await Aedes.createBroker({
    authenticate: (client, username, password, done) => {
      const ok = username === client.id && username !== undefined && credentials[username] === password?.toString();
      if (!ok) {
        state.refusedLogins++;
        const err = Object.assign(new Error('bad credentials'), { returnCode: 4 as const });
        done(err, false);
        return;
      }
      done(null, true);
    },
    authorizePublish: (client, packet, cb) => cb(client && mayDevicePublish(client.id, packet.topic) ? null : new Error('denied')),
    authorizeSubscribe: (client, sub, cb) => cb(null, mayDeviceSubscribe(client.id, sub.topic, new Set(areas[client.id] ?? [])) ? sub : null),
  });
  const followed = new Set<string>();
  broker.on('subscribe', (subs, client) => {
    for (const s of subs) followed.add(`${client.id} ${s.topic}`);
  });
  broker.on('unsubscribe', (topics, client) => {
    for (const t of topics) followed.delete(`${client.id} ${t}`);
  });
  broker.on('publish', (packet, client) => {
    if (packet.topic.startsWith('$SYS')) return;
    published.push({ topic: packet.topic, payload: Buffer.from(packet.payload), retain: packet.retain, qos: packet.qos, clientId: client?.id ?? null, receivedAt: Date.now() });
  });
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    broker.handle(s);
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  const bound = (server.address() as { port: number }).port;
  const publishRaw = (topic: string, payload: Buffer, opts: { retain?: boolean } = {}) =>
    new Promise<void>((resolve, reject) =>
      broker.publish({ cmd: 'publish', topic, payload, qos: 1, retain: opts.retain ?? false, dup: false }, (err) => (err ? reject(err) : resolve())),
    );
  return {
    key,
    publicKey: key.publicKeyB64,
    publishRaw,
    broker,
    port: bound,
    url: `mqtt://127.0.0.1:${bound}`,
    published,
    get refusedLogins() {
      return state.refusedLogins;
    },
    publish: (topic, payload, opts = {}) => publishRaw(topic, signMessage(key, payload), opts),
    publishTimeline: async (t) => {
      const signed = signMessage(key, t);
      await publishRaw(deviceTopic(t.deviceId, 'timeline'), signed, { retain: true });
      await publishRaw(deviceTopic(t.deviceId, 'timeline/patch'), signed);
    },
    follows: (clientId, topic) => followed.has(`${clientId} ${topic}`),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
      await new Promise<void>((r) => broker.close(() => r()));
    },
  };
}
