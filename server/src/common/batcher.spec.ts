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

describe(`${Batcher.name} under load`, () => {
  it('collects what arrives while it is busy into one batch instead of one batch per item', async () => {
    const sizes: number[] = [];
    let windowAsked!: () => void;
    const asked = new Promise<void>((r) => (windowAsked = r));
    let closeWindow!: () => void;
    const windowOpen = new Promise<void>((r) => (closeWindow = r));
    const sut = new Batcher<number>(async (items) => void sizes.push(items.length), {
      lingerMs: 60_000,
      wait: () => {
        windowAsked();
        return windowOpen;
      },
    });
    await sut.submit(0);
    // The first batch ran at once; the next item finds the batcher busy and waits out the window, collecting the rest.
    const rest = [sut.submit(1)];
    await asked;
    for (let i = 2; i <= 5; i++) rest.push(sut.submit(i));
    closeWindow();
    await Promise.all(rest);
    expect(sizes).toEqual([1, 5]);
  });

  it('does not wait for the window when the queue already holds a full batch', async () => {
    const sizes: number[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let waited = 0;
    const sut = new Batcher<number>(
      async (items) => {
        sizes.push(items.length);
        if (sizes.length === 1) await gate;
      },
      { maxBatch: 3, lingerMs: 60_000, wait: () => new Promise(() => void waited++) },
    );
    const all = [sut.submit(0)];
    await new Promise<void>((r) => setImmediate(r));
    for (let i = 1; i <= 6; i++) all.push(sut.submit(i));
    release();
    // The window never closes: these resolve only because full batches skip it.
    await Promise.all(all);
    expect(sizes).toEqual([1, 3, 3]);
    expect(waited).toBe(0);
  });
});
