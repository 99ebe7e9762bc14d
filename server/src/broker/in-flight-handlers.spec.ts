import { InFlightHandlers } from './in-flight-handlers.js';

describe(InFlightHandlers.name, () => {
  it('reports a handler\'s failure, synchronous or not, instead of letting it escape', async () => {
    const failures: string[] = [];
    const h = new InFlightHandlers((topic, err) => failures.push(`${topic}: ${err.message}`));
    h.run(() => {
      throw new Error('sync');
    }, 't/1', Buffer.alloc(0));
    h.run(async () => Promise.reject(new Error('async')), 't/2', Buffer.alloc(0));
    await h.settle();
    expect(failures.sort()).toEqual(['t/1: sync', 't/2: async']);
    expect(h.size).toBe(0);
  });

  it('settles only when no handler runs, including one started while it waits', async () => {
    const h = new InFlightHandlers(() => undefined);
    const order: string[] = [];
    let releaseFirst!: () => void;
    h.run(async () => {
      await new Promise<void>((resolve) => (releaseFirst = resolve));
      order.push('first');
      h.run(async () => void order.push('second'), 't', Buffer.alloc(0));
    }, 't', Buffer.alloc(0));
    const settled = h.settle().then(() => order.push('settled'));
    await new Promise((resolve) => setImmediate(resolve));
    releaseFirst();
    await settled;
    expect(order).toEqual(['first', 'second', 'settled']);
  });
});
