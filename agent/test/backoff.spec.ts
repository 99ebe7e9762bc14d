import { Backoff } from '../src/backoff.js';

/** A clock the test moves: the window depends on how old the failure is. */
function manualClock(start = 0): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms) };
}

describe('Backoff', () => {
  it('widens the full-jitter window exponentially up to the cap while the outage is older than the window', () => {
    const clock = manualClock();
    const maxed = new Backoff({ baseMs: 1000, capMs: 60_000, random: () => 1, now: clock.now });
    const windows: number[] = [];
    for (let i = 0; i < 8; i++) {
      const d = maxed.next();
      windows.push(d);
      clock.advance(d);
    }
    expect(windows).toEqual([1000, 1000, 2000, 4000, 8000, 16000, 32000, 60000]);
    maxed.reset();
    expect(maxed.next()).toBe(1000);
  });

  it('never waits longer than the outage has lasted: eager retries during a short restart keep the window small', () => {
    // A server restart of 5 s; the device retries every 500 ms (attempt count 10) and each retry is refused.
    const clock = manualClock();
    const b = new Backoff({ baseMs: 1000, capMs: 60_000, random: () => 1, now: clock.now });
    for (let i = 0; i < 10; i++) {
      b.next();
      clock.advance(500);
    }
    // Counting attempts alone would give a 60 s window here; the outage is 5 s old.
    expect(b.attempts).toBe(10);
    expect(b.next()).toBe(5000);
    // Once it reconnects, the next outage starts small again.
    b.reset();
    clock.advance(3_600_000);
    expect(b.next()).toBe(1000);
  });

  it('reaches the cap when the outage is long', () => {
    const clock = manualClock();
    const b = new Backoff({ baseMs: 1000, capMs: 60_000, random: () => 1, now: clock.now });
    b.next();
    clock.advance(10 * 60_000);
    for (let i = 0; i < 10; i++) b.next();
    expect(b.next()).toBe(60_000);
  });

  it('spreads a fleet across the window instead of lockstep', () => {
    const delays = Array.from({ length: 1000 }, () => {
      const clock = manualClock();
      const b = new Backoff({ baseMs: 1000, capMs: 60_000, now: clock.now });
      for (let i = 0; i < 5; i++) b.next();
      clock.advance(40_000);
      return b.next(); // 6th attempt, 40 s into the outage: window [0, 32 s]
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
