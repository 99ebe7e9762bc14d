/**
 * Exponential back-off with "full jitter" (delay drawn uniformly from [0, min(cap, base·2^n)]): thousands
 * of agents that lost the broker at the same instant spread their retries over the whole window instead of
 * reconnecting in lockstep.
 */
export interface BackoffOptions {
  baseMs?: number;
  capMs?: number;
  random?: () => number;
}

export class Backoff {
  private attempt = 0;
  readonly baseMs: number;
  readonly capMs: number;
  private readonly random: () => number;

  constructor(opts: BackoffOptions = {}) {
    this.baseMs = opts.baseMs ?? 1000;
    this.capMs = opts.capMs ?? 60_000;
    this.random = opts.random ?? Math.random;
  }

  /** Delay before the next attempt; each call widens the window until the cap. */
  next(): number {
    const ceiling = Math.min(this.capMs, this.baseMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    return Math.round(this.random() * ceiling);
  }

  /** A jittered delay at the cap, for failures that will not heal quickly (e.g. refused credentials). */
  atCap(): number {
    this.attempt++;
    return Math.round(this.capMs / 2 + (this.random() * this.capMs) / 2);
  }

  reset(): void {
    this.attempt = 0;
  }

  get attempts(): number {
    return this.attempt;
  }
}
