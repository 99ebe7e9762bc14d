import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

interface RetainedPacket {
  topic: string;
  payload: Buffer | Uint8Array;
}

interface AsyncMemoryPersistence {
  storeRetained(packet: RetainedPacket): Promise<void>;
  createRetainedStream(pattern: string): Iterable<RetainedPacket>;
  createRetainedStreamCombi(patterns: string[]): Iterable<RetainedPacket>;
}

type AsyncMemoryPersistenceClass = new (opts?: object) => AsyncMemoryPersistence;
type CallBackPersistenceClass = new (factory: (opts: object) => AsyncMemoryPersistence, opts?: object) => unknown;

// aedes-persistence is CommonJS without an exports map; its memory store and the callback adapter aedes expects
// are loaded from their modules directly.
const MemoryPersistence = require('aedes-persistence/asyncPersistence.js') as AsyncMemoryPersistenceClass;
const { CallBackPersistence } = require('aedes-persistence/callBackPersistence.js') as { CallBackPersistence: CallBackPersistenceClass };

const isExact = (pattern: string): boolean => !pattern.includes('+') && !pattern.includes('#');

/**
 * aedes' memory persistence answers every SUBSCRIBE by testing the filter against every retained message. Each
 * device keeps a retained status and a retained timeline, so at 10,000 devices a connect storm costs
 * 10,000 × 20,000 pattern tests and never finishes. Devices may only subscribe to exact topics (the ACL refuses
 * wildcards), so exact filters are answered from a topic index in O(1); wildcard filters (server-side
 * subscriptions) keep the original scan.
 */
class IndexedRetainedPersistence extends MemoryPersistence {
  private readonly byTopic = new Map<string, RetainedPacket>();

  override async storeRetained(packet: RetainedPacket): Promise<void> {
    await super.storeRetained(packet);
    if (packet.payload.length === 0) this.byTopic.delete(packet.topic);
    else this.byTopic.set(packet.topic, { ...packet });
  }

  override createRetainedStream(pattern: string): Iterable<RetainedPacket> {
    return isExact(pattern) ? this.exact([pattern]) : super.createRetainedStream(pattern);
  }

  override createRetainedStreamCombi(patterns: string[]): Iterable<RetainedPacket> {
    if (!patterns.every(isExact)) return super.createRetainedStreamCombi(patterns);
    return this.exact(patterns);
  }

  private *exact(topics: string[]): Iterable<RetainedPacket> {
    for (const t of new Set(topics)) {
      const p = this.byTopic.get(t);
      if (p) yield p;
    }
  }
}

/** The persistence to hand to `Aedes.createBroker({ persistence })`. */
export function indexedMemoryPersistence(): unknown {
  return new CallBackPersistence((opts) => new IndexedRetainedPersistence(opts));
}
