import { Backoff } from '../src/backoff.js';

describe('Backoff', () => {
  it('widens the full-jitter window exponentially up to the cap', () => {
    const maxed = new Backoff({ baseMs: 1000, capMs: 60_000, random: () => 1 });
    expect(Array.from({ length: 8 }, () => maxed.next())).toEqual([1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000]);
    maxed.reset();
    expect(maxed.next()).toBe(1000);
  });

  it('spreads a fleet across the window instead of lockstep', () => {
    const delays = Array.from({ length: 1000 }, () => {
      const b = new Backoff({ baseMs: 1000, capMs: 60_000 });
      for (let i = 0; i < 5; i++) b.next();
      return b.next(); // 6th attempt: window [0, 32 s]
    });
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...delays)).toBeLessThanOrEqual(32_000);
    expect(new Set(delays.map((d) => Math.floor(d / 4000))).size).toBe(8); // every 4 s bucket used
  });

  it('keeps refused-credential retries near the cap', () => {
    const b = new Backoff({ capMs: 60_000 });
    for (let i = 0; i < 100; i++) expect(b.atCap()).toBeGreaterThanOrEqual(30_000);
  });
});
