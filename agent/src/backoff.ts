/**
 * Exponential back-off with "full jitter" (delay drawn uniformly from [0, min(cap, base·2^n)]): thousands
 * of agents that lost the broker at the same instant spread their retries over the whole window instead of
 * reconnecting in lockstep.
 *
 * The window is also never wider than the failure is old (time since the first failed attempt after the last
 * success, at least `baseMs`). Counting attempts alone punishes the agents that tried hardest: a server restart of
 * a few seconds refuses an eager device five or six times, which widened its window to 32–60 s, so a fleet took a
 * minute to come back from a 5 s restart. Bounded by the outage's age, a device waits at most about as long again as
 * the outage has lasted, while a long outage still reaches the cap and a fleet still spreads over the window.
 */
export interface BackoffOptions {
  baseMs?: number;
  capMs?: number;
  random?: () => number;
  /** Monotonic milliseconds; the outage's age is measured on it. */
  now?: () => number;
}

const monotonicMs = (): number => performance.now();

export class Backoff {
  private attempt = 0;
  private failingSince: number | null = null;
  readonly baseMs: number;
  readonly capMs: number;
  private readonly random: () => number;
  private readonly now: () => number;

  constructor(opts: BackoffOptions = {}) {
    this.baseMs = opts.baseMs ?? 1000;
    this.capMs = opts.capMs ?? 60_000;
    this.random = opts.random ?? Math.random;
    this.now = opts.now ?? monotonicMs;
  }

  /** Delay before the next attempt; each call widens the window until the cap or the outage's age. */
  next(): number {
    const now = this.now();
    this.failingSince ??= now;
    const exponential = this.baseMs * 2 ** Math.min(this.attempt, 30);
    const age = Math.max(this.baseMs, now - this.failingSince);
    const ceiling = Math.min(this.capMs, exponential, age);
    this.attempt++;
    return Math.round(this.random() * ceiling);
  }

  /** A jittered delay at the cap, for failures that will not heal quickly (e.g. refused credentials). */
  atCap(): number {
    this.failingSince ??= this.now();
    this.attempt++;
    return Math.round(this.capMs / 2 + (this.random() * this.capMs) / 2);
  }

  reset(): void {
    this.attempt = 0;
    this.failingSince = null;
  }

  get attempts(): number {
    return this.attempt;
  }
}
