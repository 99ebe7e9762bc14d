import { Batcher } from './batcher.js';

describe(Batcher.name, () => {
  it('groups items submitted together and settles each caller with its batch', async () => {
    const batches: number[][] = [];
    const sut = new Batcher<number>(async (items) => {
      batches.push(items);
    });
    await Promise.all([1, 2, 3, 4].map((n) => sut.submit(n)));
    expect(batches).toEqual([[1, 2, 3, 4]]);
  });

  it('rejects the callers of a failed batch and keeps going with the next', async () => {
    let calls = 0;
    const sut = new Batcher<string>(async (items) => {
      calls++;
      if (items.includes('bad')) throw new Error('commit failed');
    });
    const first = Promise.allSettled([sut.submit('bad'), sut.submit('ok-1')]);
    expect((await first).map((r) => r.status)).toEqual(['rejected', 'rejected']);
    await expect(sut.submit('ok-2')).resolves.toBeUndefined();
    expect(calls).toBe(2);
  });

  it('caps the batch size', async () => {
    const sizes: number[] = [];
    const sut = new Batcher<number>(async (items) => void sizes.push(items.length), 3);
    await Promise.all(Array.from({ length: 7 }, (_, i) => sut.submit(i)));
    expect(sizes).toEqual([3, 3, 1]);
  });
});
