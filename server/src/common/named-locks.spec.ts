import { InProcessNamedLocks } from './named-locks.js';

function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

describe(InProcessNamedLocks.name, () => {
  it('runs holders of one name one at a time, in call order', async () => {
    const sut = new InProcessNamedLocks();
    const log: string[] = [];
    const first = gate();
    const a = sut.run('device:1', async () => {
      log.push('a start');
      await first.promise;
      log.push('a end');
      return 'a';
    });
    const b = sut.run('device:1', async () => {
      log.push('b start');
      return 'b';
    });
    // Let every pending microtask run: b must still be waiting behind a.
    await new Promise((resolve) => setImmediate(resolve));
    expect(log).toEqual(['a start']);
    first.open();
    await expect(Promise.all([a, b])).resolves.toEqual(['a', 'b']);
    expect(log).toEqual(['a start', 'a end', 'b start']);
  });

  it('lets different names run at the same time', async () => {
    const sut = new InProcessNamedLocks();
    const held = gate();
    const a = sut.run('one', () => held.promise);
    // Would never settle if 'two' waited behind 'one'.
    await expect(sut.run('two', async () => 2)).resolves.toBe(2);
    held.open();
    await a;
  });

  it('gives a throwing holder its own error and still runs the next holder', async () => {
    const sut = new InProcessNamedLocks();
    const failing = sut.run('x', async () => {
      throw new Error('boom');
    });
    const next = sut.run('x', async () => 'next ran');
    await expect(failing).rejects.toThrow('boom');
    await expect(next).resolves.toBe('next ran');
    await expect(sut.run('x', async () => 'and after')).resolves.toBe('and after');
  });

  it('forgets a name once nobody holds or awaits it', async () => {
    const sut = new InProcessNamedLocks();
    const held = gate();
    const a = sut.run('a', () => held.promise);
    const b = sut.run('b', async () => {
      throw new Error('fails');
    });
    expect(sut.size).toBe(2);
    await b.catch(() => undefined);
    held.open();
    await a;
    await new Promise((resolve) => setImmediate(resolve));
    expect(sut.size).toBe(0);
  });
});
