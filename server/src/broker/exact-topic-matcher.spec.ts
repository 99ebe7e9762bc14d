import { Aedes, type PublishPacket } from 'aedes';
import { ExactTopicMatcher, indexExactTopics, type TopicMatcher } from './exact-topic-matcher.js';

/** A stand-in for qlobber's trie holding wildcard filters: matched by the test's own rule, every call recorded. */
class FakeTrie implements TopicMatcher<string> {
  readonly entries: Array<[string, string]> = [];
  add(topic: string, value: string): void {
    this.entries.push([topic, value]);
  }
  remove(topic: string, value?: string): void {
    for (let i = this.entries.length - 1; i >= 0; i--) {
      const [t, v] = this.entries[i]!;
      if (t === topic && (value === undefined || v === value)) {
        this.entries.splice(i, 1);
        if (value !== undefined) return;
      }
    }
  }
  match(topic: string): string[] {
    return this.entries.filter(([t]) => t === topic || (t.endsWith('/#') && topic.startsWith(t.slice(0, -1)))).map(([, v]) => v);
  }
}

describe(ExactTopicMatcher.name, () => {
  it('keeps exact topics out of the trie and answers with the trie\'s matches first', () => {
    const trie = new FakeTrie();
    const m = new ExactTopicMatcher(trie);
    m.add('loa/v1/dev/d1/timeline', 'device');
    m.add('loa/v1/dev/+/status', 'server-status');
    m.add('loa/v1/dev/#', 'server-all');
    expect(trie.entries.map(([t]) => t)).toEqual(['loa/v1/dev/+/status', 'loa/v1/dev/#']);
    expect(m.match('loa/v1/dev/d1/timeline')).toEqual(['server-all', 'device']);
    expect(m.match('loa/v1/dev/d2/timeline')).toEqual(['server-all']);
    expect(m.match('loa/v1/area/42/alert')).toEqual([]);
  });

  it('keeps several listeners of one topic, removes the last registration of one, or all of them', () => {
    const m = new ExactTopicMatcher(new FakeTrie());
    for (const v of ['a', 'b', 'a', 'c']) m.add('t/x', v);
    m.remove('t/x', 'a');
    expect(m.match('t/x')).toEqual(['a', 'b', 'c']);
    m.remove('t/x', 'b');
    m.remove('t/x', 'a');
    expect(m.match('t/x')).toEqual(['c']);
    m.remove('t/x', 'nobody');
    expect(m.match('t/x')).toEqual(['c']);
    m.add('t/x', 'd');
    m.remove('t/x');
    expect(m.match('t/x')).toEqual([]);
  });

  it('removes from the trie what the trie held before the matcher was put in front of it', () => {
    const trie = new FakeTrie();
    trie.add('t/early', 'early');
    const m = new ExactTopicMatcher(trie);
    m.add('t/early', 'late');
    m.remove('t/early', 'early');
    expect(trie.entries).toEqual([]);
    expect(m.match('t/early')).toEqual(['late']);
  });

  it('is installed in aedes\' emitter, which then routes exact and wildcard subscriptions and forgets removed ones', async () => {
    const broker = await Aedes.createBroker();
    try {
      expect(indexExactTopics((broker as unknown as { mq: unknown }).mq)).toBe(true);
      const got: string[] = [];
      const on = (filter: string, name: string) => {
        const fn = (p: PublishPacket, done: () => void) => {
          got.push(`${name}:${p.topic}`);
          done();
        };
        return new Promise<typeof fn>((resolve) => broker.subscribe(filter, fn, () => resolve(fn)));
      };
      const pub = (topic: string) => new Promise<void>((resolve) => broker.publish({ cmd: 'publish', topic, payload: Buffer.from('x'), qos: 0, retain: false, dup: false }, () => resolve()));
      const exact = await on('loa/v1/dev/d1/commands', 'exact');
      await on('loa/v1/dev/+/commands', 'wild');
      await pub('loa/v1/dev/d1/commands');
      await pub('loa/v1/dev/d2/commands');
      await new Promise<void>((resolve) => broker.unsubscribe('loa/v1/dev/d1/commands', exact, () => resolve()));
      await pub('loa/v1/dev/d1/commands');
      expect(got).toEqual(['wild:loa/v1/dev/d1/commands', 'exact:loa/v1/dev/d1/commands', 'wild:loa/v1/dev/d2/commands', 'wild:loa/v1/dev/d1/commands']);
    } finally {
      await new Promise<void>((resolve) => broker.close(() => resolve()));
    }
  });

  it('changes nothing on an emitter of another shape', () => {
    const emitter = { _matcher: { add: () => undefined } };
    expect(indexExactTopics(emitter)).toBe(false);
    expect(indexExactTopics(null)).toBe(false);
  });
});
