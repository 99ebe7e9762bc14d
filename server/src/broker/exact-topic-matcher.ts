/** What mqemitter asks of its matcher (a qlobber `Qlobber`). */
export interface TopicMatcher<V> {
  add(topic: string, value: V): unknown;
  remove(topic: string, value?: V): unknown;
  match(topic: string): V[];
}

const isExact = (topic: string): boolean => !topic.includes('+') && !topic.includes('#');

/** Several listeners on one exact topic (a plain array would be ambiguous with a single listener value). */
class Several<V> {
  constructor(readonly items: V[]) {}
}

/**
 * aedes routes every message through mqemitter's qlobber trie, one map per topic level: each device's own exact
 * topics cost a trie branch of their own (about 1.4 KB per device). Exact topics, which is every device
 * subscription (the ACL refuses wildcards to devices), are kept here in one map from topic to its listeners;
 * filters with wildcards (the server's own subscriptions) stay in the trie. A message's listeners are the trie's
 * matches followed by the exact topic's.
 */
export class ExactTopicMatcher<V> implements TopicMatcher<V> {
  private readonly exact = new Map<string, V | Several<V>>();

  constructor(private readonly wildcards: TopicMatcher<V>) {}

  add(topic: string, value: V): void {
    if (!isExact(topic)) {
      this.wildcards.add(topic, value);
      return;
    }
    const current = this.exact.get(topic);
    if (current === undefined) this.exact.set(topic, value);
    else if (current instanceof Several) current.items.push(value);
    else this.exact.set(topic, new Several([current, value]));
  }

  /** Removes one registration of `value` (the last one, as qlobber does), or every listener of the topic without one. */
  remove(topic: string, value?: V): void {
    const current = isExact(topic) ? this.exact.get(topic) : undefined;
    if (current === undefined) {
      this.wildcards.remove(topic, value);
      return;
    }
    if (value === undefined || current === value) {
      this.exact.delete(topic);
      return;
    }
    const at = current instanceof Several ? current.items.lastIndexOf(value) : -1;
    if (!(current instanceof Several) || at < 0) {
      // Not registered here: it may have been added to the trie before this matcher was put in front of it.
      this.wildcards.remove(topic, value);
      return;
    }
    current.items.splice(at, 1);
    if (current.items.length === 1) this.exact.set(topic, current.items[0]!);
  }

  match(topic: string): V[] {
    const matched = this.wildcards.match(topic);
    const current = this.exact.get(topic);
    if (current === undefined) return matched;
    return current instanceof Several ? [...matched, ...current.items] : [...matched, current];
  }
}

/**
 * Puts ExactTopicMatcher in front of an mqemitter's trie (aedes' `mq`; the trie keeps what it already holds).
 * Returns false, changing nothing, if the emitter is not shaped as expected (another mqemitter version).
 */
export function indexExactTopics(mq: unknown): boolean {
  const emitter = mq as { _matcher?: Partial<TopicMatcher<unknown>> } | null;
  const trie = emitter?._matcher;
  if (!emitter || !trie || typeof trie.add !== 'function' || typeof trie.remove !== 'function' || typeof trie.match !== 'function') return false;
  emitter._matcher = new ExactTopicMatcher(trie as TopicMatcher<unknown>);
  return true;
}
