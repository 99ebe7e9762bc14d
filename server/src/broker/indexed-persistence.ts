import { createRequire } from 'node:module';
import { Readable } from 'node:stream';

const require = createRequire(import.meta.url);

interface RetainedPacket {
  topic: string;
  payload: Buffer | Uint8Array | string;
}

/** A subscription as aedes hands it to the persistence (MQTT 5 options included). */
interface SubscriptionIn {
  topic: string;
  qos: number;
  rh?: number;
  rap?: boolean;
  nl?: boolean;
  subscriptionIdentifier?: number;
}

interface ClientRef {
  id: string;
}

/** One stored subscription, shared by the per-client list and the topic index. */
interface StoredSubscription {
  readonly clientId: string;
  readonly topic: string;
  readonly qos: number;
  readonly rh: number | undefined;
  readonly rap: boolean | undefined;
  readonly nl: boolean | undefined;
  readonly subscriptionIdentifier?: number;
}

interface AsyncMemoryPersistence {
  destroy(): Promise<void>;
}

type AsyncMemoryPersistenceClass = new (opts?: object) => AsyncMemoryPersistence;
type CallBackPersistenceClass = new (factory: (opts: object) => AsyncMemoryPersistence, opts?: object) => unknown;

// aedes-persistence is CommonJS without an exports map; its memory store and the callback adapter aedes expects
// are loaded from their modules directly.
const MemoryPersistence = require('aedes-persistence/asyncPersistence.js') as AsyncMemoryPersistenceClass;
const { CallBackPersistence } = require('aedes-persistence/callBackPersistence.js') as { CallBackPersistence: CallBackPersistenceClass };

const isExact = (pattern: string): boolean => !pattern.includes('+') && !pattern.includes('#');

/**
 * The payload as a buffer of its own. A small Buffer is usually a view into a shared 8 KB pool slab (Buffer.from of a
 * string, as the server's encoders make) or into a socket read holding other packets; kept retained for days, it
 * would pin all of that memory.
 */
function ownBytes(payload: Buffer | Uint8Array | string): Buffer | Uint8Array | string {
  if (typeof payload === 'string' || (payload.byteOffset === 0 && payload.byteLength === payload.buffer.byteLength)) return payload;
  const copy = Buffer.allocUnsafeSlow(payload.byteLength);
  copy.set(payload);
  return copy;
}

/**
 * MQTT filter matching as aedes-persistence's qlobber is configured: `+` is exactly one non-empty level, `#` zero or
 * more levels (aedes refuses a `#` anywhere but last).
 */
export function filterMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    const level = f[i];
    if (level === '#') return true;
    if (i >= t.length) return false;
    if (level === '+') {
      if (t[i] === '') return false;
    } else if (level !== t[i]) return false;
  }
  return f.length === t.length;
}

/**
 * aedes' in-memory persistence with indexes sized for a fleet of devices that each subscribe to a few exact
 * topics (the ACL refuses wildcards to devices), with persistent sessions.
 *
 * Retained messages: aedes' store answers every SUBSCRIBE by testing the filter against every retained message;
 * each device keeps a retained status and a retained timeline, so at 10,000 devices a connect storm costs
 * 10,000 × 20,000 pattern tests and never finishes. Exact filters are answered from the topic map in O(1);
 * wildcard filters (rare: server-side tooling) scan it. One copy of each retained packet is kept, its payload in a
 * buffer of its own.
 *
 * Subscriptions: aedes' store keeps every persistent-session subscription twice, in a per-client map of maps and
 * in a topic trie whose nodes are maps, so each device's own topics cost a trie branch of their own (about 3.4 KB
 * per device, a third of the broker's memory per device). Here one record per subscription is shared by a
 * per-client list and a map from exact topic to its QoS > 0 subscribers (the trie's role: finding the sessions a
 * message must be queued for); the few wildcard subscriptions are kept in a list and matched by scanning it.
 * Outgoing queues, incoming QoS 2 packets and wills stay in aedes' store.
 */
class IndexedPersistence extends MemoryPersistence {
  private readonly retained = new Map<string, RetainedPacket>();
  private readonly byClient = new Map<string, StoredSubscription[]>();
  /** QoS > 0 subscriptions to exact topics: one record, or by client id for a topic many sessions follow (area alerts). */
  private readonly byTopic = new Map<string, StoredSubscription | Map<string, StoredSubscription>>();
  /** QoS > 0 wildcard subscriptions. */
  private readonly wildcards = new Set<StoredSubscription>();
  /** QoS > 0 subscriptions (what aedes reports as offline subscriptions), and sessions holding any subscription. */
  private indexedCount = 0;

  // ---- retained ----------------------------------------------------------------------------------------------

  async storeRetained(packet: RetainedPacket): Promise<void> {
    if (packet.payload.length === 0) this.retained.delete(packet.topic);
    // A copy, as aedes' store keeps: aedes goes on using the packet it handed in.
    else this.retained.set(packet.topic, { ...packet, payload: ownBytes(packet.payload) });
  }

  createRetainedStream(pattern: string): Readable {
    return packetStream([...this.retainedMatching([pattern])]);
  }

  createRetainedStreamCombi(patterns: string[]): Readable {
    return packetStream([...this.retainedMatching(patterns)]);
  }

  private *retainedMatching(patterns: readonly string[]): Iterable<RetainedPacket> {
    for (const pattern of patterns) {
      if (isExact(pattern)) {
        const p = this.retained.get(pattern);
        if (p) yield p;
      } else {
        for (const [topic, p] of this.retained) if (filterMatches(pattern, topic)) yield p;
      }
    }
  }

  // ---- subscriptions -----------------------------------------------------------------------------------------

  async addSubscriptions(client: ClientRef, subs: readonly SubscriptionIn[]): Promise<void> {
    let stored = this.byClient.get(client.id);
    if (!stored) {
      stored = [];
      this.byClient.set(client.id, stored);
    }
    for (const sub of subs) {
      const record: StoredSubscription = {
        clientId: client.id,
        topic: sub.topic,
        qos: sub.qos,
        rh: sub.rh,
        rap: sub.rap,
        nl: sub.nl,
        // MQTT 5 subscription identifier: kept only when present, as aedes' store does.
        ...(sub.subscriptionIdentifier !== undefined ? { subscriptionIdentifier: sub.subscriptionIdentifier } : {}),
      };
      const at = stored.findIndex((s) => s.topic === sub.topic);
      const previous = at >= 0 ? stored[at] : undefined;
      if (previous && previous.qos > 0) this.unindex(previous);
      if (record.qos > 0) this.index(record);
      if (at >= 0) stored[at] = record;
      else stored.push(record);
    }
  }

  async removeSubscriptions(client: ClientRef, topics: readonly string[]): Promise<void> {
    const stored = this.byClient.get(client.id);
    if (!stored) return;
    for (const topic of topics) {
      const at = stored.findIndex((s) => s.topic === topic);
      if (at < 0) continue;
      const [removed] = stored.splice(at, 1);
      if (removed && removed.qos > 0) this.unindex(removed);
    }
    if (stored.length === 0) this.byClient.delete(client.id);
  }

  async cleanSubscriptions(client: ClientRef): Promise<void> {
    const stored = this.byClient.get(client.id);
    if (!stored) return;
    for (const s of stored) if (s.qos > 0) this.unindex(s);
    this.byClient.delete(client.id);
  }

  async subscriptionsByClient(client: ClientRef): Promise<Array<Omit<StoredSubscription, 'clientId'>>> {
    return (this.byClient.get(client.id) ?? []).map(({ clientId: _, ...sub }) => sub);
  }

  async subscriptionsByTopic(topic: string): Promise<Array<{ clientId: string; topic: string; qos: number; rh: number | undefined; rap: boolean | undefined; nl: boolean | undefined }>> {
    const out: Array<{ clientId: string; topic: string; qos: number; rh: number | undefined; rap: boolean | undefined; nl: boolean | undefined }> = [];
    const add = (s: StoredSubscription) => out.push({ clientId: s.clientId, topic: s.topic, qos: s.qos, rh: s.rh, rap: s.rap, nl: s.nl });
    // Wildcard matches first, as aedes' trie lists them.
    for (const s of this.wildcards) if (filterMatches(s.topic, topic)) add(s);
    const exact = this.byTopic.get(topic);
    if (exact instanceof Map) exact.forEach(add);
    else if (exact) add(exact);
    return out;
  }

  async countOffline(): Promise<{ subsCount: number; clientsCount: number }> {
    return { subsCount: this.indexedCount, clientsCount: this.byClient.size };
  }

  getClientList(topic: string): Readable {
    const ids = function* (byClient: Map<string, StoredSubscription[]>) {
      for (const [clientId, subs] of byClient) if (subs.some((s) => s.topic === topic)) yield clientId;
    };
    return Readable.from(ids(this.byClient));
  }

  override async destroy(): Promise<void> {
    await super.destroy();
    this.retained.clear();
    this.byClient.clear();
    this.byTopic.clear();
    this.wildcards.clear();
  }

  private index(s: StoredSubscription): void {
    this.indexedCount++;
    if (!isExact(s.topic)) {
      this.wildcards.add(s);
      return;
    }
    const existing = this.byTopic.get(s.topic);
    if (existing === undefined) this.byTopic.set(s.topic, s);
    else if (existing instanceof Map) existing.set(s.clientId, s);
    else this.byTopic.set(s.topic, new Map([[existing.clientId, existing], [s.clientId, s]]));
  }

  private unindex(s: StoredSubscription): void {
    if (!isExact(s.topic)) {
      if (this.wildcards.delete(s)) this.indexedCount--;
      return;
    }
    const existing = this.byTopic.get(s.topic);
    if (existing === s) {
      this.byTopic.delete(s.topic);
      this.indexedCount--;
    } else if (existing instanceof Map && existing.get(s.clientId) === s) {
      existing.delete(s.clientId);
      this.indexedCount--;
      if (existing.size === 0) this.byTopic.delete(s.topic);
    }
  }
}

/**
 * The retained packets a SUBSCRIBE brings, as the object stream aedes pipes. Read from an array (matches are found at
 * once in the topic map), not through an async generator: every device subscribes two or three times per connect.
 */
function packetStream(packets: readonly RetainedPacket[]): Readable {
  let next = 0;
  return new Readable({
    objectMode: true,
    read() {
      this.push(next < packets.length ? packets[next++] : null);
    },
  });
}

/** The persistence to hand to `Aedes.createBroker({ persistence })`. */
export function indexedMemoryPersistence(): unknown {
  const store = new IndexedPersistence();
  const persistence = new CallBackPersistence(() => store) as { createRetainedStream?: unknown; createRetainedStreamCombi?: unknown };
  // aedes-persistence's callback adapter wraps the store's stream in a second one (Readable.from of a Readable), an
  // async iteration per retained lookup: the store's own stream is handed to aedes instead.
  persistence.createRetainedStream = (pattern: string) => store.createRetainedStream(pattern);
  persistence.createRetainedStreamCombi = (patterns: string[]) => store.createRetainedStreamCombi(patterns);
  return persistence;
}
