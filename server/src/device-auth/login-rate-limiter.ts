import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { Clock } from '../common/clock.js';
import { Metrics } from '../common/metrics.js';

interface Counter {
  failures: number;
  windowStart: number;
  lockedUntil: number;
  /** Last change; the map is kept in this order (oldest first) for eviction. */
  touchedAt: number;
}

/** Whose failures a key counts: a device id (or another credential's id) or a source address. */
export type LimitKey = `id:${string}` | `addr:${string}`;

/** Bound on tracked ids and addresses together (about 100 bytes each). */
export const MAX_TRACKED = 100_000;

/**
 * Throttles password guessing against device credentials (MQTT login, HTTP Basic, enrolment). After
 * `deviceLoginMaxFailures` failures within `deviceLoginLockoutMs`, counted separately per credential id and per
 * source address, the id or address is locked for `deviceLoginLockoutMs`: attempts are refused without checking the
 * secret. A success clears the failures of that id only, never of the address (an attacker behind the same address
 * as a healthy device keeps its count).
 *
 * Memory is bounded: counters are kept in last-touched order, expired ones are swept from the front, and beyond
 * `maxTracked` the least recently touched are dropped.
 */
@Injectable()
export class LoginRateLimiter {
  private readonly counters = new Map<LimitKey, Counter>();
  private readonly maxFailures: number;
  private readonly windowMs: number;
  private ops = 0;

  constructor(
    config: AppConfig,
    private readonly clock: Clock,
    private readonly metrics: Metrics,
  ) {
    this.maxFailures = config.deviceLoginMaxFailures;
    this.windowMs = config.deviceLoginLockoutMs;
  }

  /** Tracked ids and addresses (for tests and health). */
  get size(): number {
    return this.counters.size;
  }

  /** Limit on tracked entries; overridable for tests. */
  maxTracked = MAX_TRACKED;

  /** When the id or the address is locked: the instant the lock ends (epoch ms); else null. */
  lockedUntil(id: string, address: string | undefined): number | null {
    const now = this.clock.now();
    const a = this.lockOf(`id:${id}`, now);
    const b = address ? this.lockOf(`addr:${address}`, now) : 0;
    const until = Math.max(a, b);
    return until > now ? until : null;
  }

  /** Counts one failed attempt (wrong or unknown credentials) against the id and the address. */
  recordFailure(id: string, address: string | undefined): void {
    const now = this.clock.now();
    this.bump(`id:${id}`, now);
    if (address) this.bump(`addr:${address}`, now);
    this.metrics.inc('device_login_failed');
    if (++this.ops % 1000 === 0) this.sweep(now);
  }

  /** A correct login clears that id's failures; the address keeps its count. */
  recordSuccess(id: string): void {
    this.counters.delete(`id:${id}`);
  }

  private lockOf(key: LimitKey, now: number): number {
    const c = this.counters.get(key);
    return c && c.lockedUntil > now ? c.lockedUntil : 0;
  }

  private bump(key: LimitKey, now: number): void {
    let c = this.counters.get(key);
    if (c) this.counters.delete(key);
    if (!c || (now - c.windowStart >= this.windowMs && c.lockedUntil <= now)) c = { failures: 0, windowStart: now, lockedUntil: 0, touchedAt: now };
    c.failures++;
    c.touchedAt = now;
    if (c.failures >= this.maxFailures && c.lockedUntil <= now) {
      c.lockedUntil = now + this.windowMs;
      this.metrics.inc(key.startsWith('id:') ? 'device_login_lockouts_id' : 'device_login_lockouts_address');
    }
    this.counters.set(key, c);
    while (this.counters.size > this.maxTracked) {
      const oldest = this.counters.keys().next();
      if (oldest.done) break;
      this.counters.delete(oldest.value);
      this.metrics.inc('device_login_limiter_evicted');
    }
  }

  /**
   * Drops counters that no longer matter. A counter expires at most one window after it was last touched (its
   * window and any lock started no later), and the map is in touch order, so the sweep stops at the first live one.
   */
  sweep(now = this.clock.now()): void {
    for (const [key, c] of this.counters) {
      if (c.touchedAt + this.windowMs > now) break;
      this.counters.delete(key);
    }
  }
}
