import { Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { Clock } from '../common/clock.js';
import { Metrics } from '../common/metrics.js';

interface PairState {
  /** Failures in a row of this id from this address, forgotten one window after the last. */
  failures: number;
  /** Last change; the map is kept in this order (oldest first) for eviction and sweeping. */
  touchedAt: number;
}

interface AddressState {
  /** Unknown ids this address may still try at full cost; refills to the budget over one window. */
  tokens: number;
  refilledAt: number;
  touchedAt: number;
}

/** The first delayed answer waits this long; each further failure doubles it, up to the configured cap. */
export const BASE_DELAY_MS = 1000;
/** Bound on pair and address entries each (about 100 bytes an entry). */
export const MAX_TRACKED = 100_000;
/**
 * Bounds on answers held back at once. Each held answer keeps a paused connection open; past these bounds a failed
 * login is answered at once as throttled, so delays can never grow into a memory or socket exhaustion.
 */
export const MAX_PENDING = 2000;
/** Longest pause between sweeps of expired entries. */
export const SWEEP_EVERY_MS = 60_000;
export const MAX_PENDING_PER_ADDRESS = 50;

/**
 * Decides how much to slow down failed device credentials (MQTT login, HTTP Basic, enrolment). It never refuses a
 * login: callers check the secret first and ask only about failures, so a correct secret always passes whatever
 * others did from the same address or with the same id.
 *
 * - Per (id, address): the first `deviceLoginMaxFailures` failures in a row are answered at once, each further one
 *   after a delay that doubles from BASE_DELAY_MS up to `deviceLoginMaxDelayMs`. A success clears the pair; so does
 *   one window (`deviceLoginWindowMs`) without failure. Failures from one address never slow down another address,
 *   nor another id from the same address.
 * - Per address, a budget of unknown ids (`deviceLoginUnknownPerAddress` per window, a token bucket): a carrier NAT
 *   shows hundreds of devices as one address, and only a scan burns through it. Past the budget, ids not known in
 *   memory cost no database lookup, and every failed login from that address is answered after the longest delay,
 *   so an unknown id looks no different from a known one with a wrong secret.
 *
 * State is in memory, per server process: with several instances each throttles what it sees. Memory is bounded:
 * entries are kept in last-touched order, expired ones are swept from the front, beyond `maxTracked` the least
 * recently touched are dropped.
 */
@Injectable()
export class LoginRateLimiter implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly pairs = new Map<string, PairState>();
  private readonly addresses = new Map<string, AddressState>();
  /** Pairs on record per device id, so a correct login can tell without its address that it has nothing to clear. */
  private readonly pairsPerId = new Map<string, number>();
  private readonly pendingByAddress = new Map<string, number>();
  private pendingTotal = 0;
  private readonly freeFailures: number;
  private readonly maxDelayMs: number;
  private readonly windowMs: number;
  private readonly unknownBudget: number;
  private ops = 0;
  private sweeper: NodeJS.Timeout | null = null;

  /** Limits; overridable for tests. */
  maxTracked = MAX_TRACKED;
  maxPending = MAX_PENDING;
  maxPendingPerAddress = MAX_PENDING_PER_ADDRESS;

  constructor(
    config: AppConfig,
    private readonly clock: Clock,
    private readonly metrics: Metrics,
  ) {
    this.freeFailures = config.deviceLoginMaxFailures;
    this.maxDelayMs = config.deviceLoginMaxDelayMs;
    this.windowMs = config.deviceLoginWindowMs;
    this.unknownBudget = config.deviceLoginUnknownPerAddress;
  }

  /** Tracked pairs and addresses (for tests and health). */
  get size(): number {
    return this.pairs.size + this.addresses.size;
  }

  /** Answers held back right now. */
  get pending(): number {
    return this.pendingTotal;
  }

  /**
   * Whether any address has spent part of its budget of unknown ids. While none has, every address has its whole
   * budget, so a login need not read its socket's address (a system call per login in a connect storm) to ask.
   */
  get tracksAddresses(): boolean {
    return this.addresses.size > 0;
  }

  /** Whether failures of this id (from any address) are on record: only then has a correct login something to clear. */
  hasFailures(id: string): boolean {
    return this.pairsPerId.has(id);
  }

  /** False once the address has spent its budget of unknown ids: then only ids known in memory are looked up. */
  hasUnknownBudget(address: string | undefined): boolean {
    const a = this.addresses.get(addressKey(address));
    return a === undefined || this.refill(a, this.clock.now()) >= 1;
  }

  /**
   * Counts a failed login (`unknown`: no such id, or not looked up because the address is past its budget) and
   * returns how long to hold its answer back (ms, 0 for at once).
   */
  recordFailure(id: string, address: string | undefined, unknown: boolean): number {
    const now = this.clock.now();
    const addr = addressKey(address);
    this.metrics.inc('device_login_failed');
    if (++this.ops % 1000 === 0) this.sweep(now);
    const scanning = this.isScanning(addr, now);
    if (unknown && scanning) {
      // Past the budget: the pair is not tracked, or a scan of random ids would flush real pairs from memory.
      this.metrics.inc('device_login_unknown_limited');
      return this.maxDelayMs;
    }
    if (unknown) this.touchAddress(addr, now).tokens -= 1;
    const failures = this.bumpPair(`${id}\n${addr}`, now);
    const extra = failures - this.freeFailures;
    const pairDelay = extra <= 0 ? 0 : Math.min(BASE_DELAY_MS * 2 ** Math.min(extra - 1, 30), this.maxDelayMs);
    return scanning ? this.maxDelayMs : pairDelay;
  }

  /** A correct login clears the failures of its own (id, address) pair only. */
  recordSuccess(id: string, address: string | undefined): void {
    this.dropPair(`${id}\n${addressKey(address)}`);
  }

  /** Takes a slot to hold an answer back; false when too many are held (in all, or for this address). */
  hold(address: string | undefined): boolean {
    const addr = addressKey(address);
    const mine = this.pendingByAddress.get(addr) ?? 0;
    if (this.pendingTotal >= this.maxPending || mine >= this.maxPendingPerAddress) return false;
    this.pendingByAddress.set(addr, mine + 1);
    this.pendingTotal++;
    return true;
  }

  release(address: string | undefined): void {
    const addr = addressKey(address);
    const mine = (this.pendingByAddress.get(addr) ?? 1) - 1;
    if (mine > 0) this.pendingByAddress.set(addr, mine);
    else this.pendingByAddress.delete(addr);
    this.pendingTotal = Math.max(0, this.pendingTotal - 1);
  }

  /**
   * Sweeps on a timer too: a sweep every 1,000th failure stops with the attack, leaving up to MAX_TRACKED entries per
   * map held for good. Per process on purpose (the state is this process's own), so not behind the leader gate.
   */
  onApplicationBootstrap(): void {
    this.sweeper = setInterval(() => this.sweep(), Math.min(this.windowMs, SWEEP_EVERY_MS));
    this.sweeper.unref();
  }

  onModuleDestroy(): void {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = null;
  }

  /**
   * Drops entries that no longer matter. A pair is forgotten one window after its last failure; an address has
   * refilled its whole budget one window after its last unknown id. Both maps are in touch order, so the sweep
   * stops at the first live entry.
   */
  sweep(now = this.clock.now()): void {
    for (const map of [this.pairs, this.addresses] as Array<Map<string, { touchedAt: number }>>) {
      for (const [key, s] of map) {
        if (s.touchedAt + this.windowMs > now) break;
        if (map === this.pairs) this.dropPair(key);
        else map.delete(key);
      }
    }
  }

  private isScanning(addr: string, now: number): boolean {
    const a = this.addresses.get(addr);
    return a !== undefined && this.refill(a, now) < 1;
  }

  /** Brings the address's tokens up to now and returns them. */
  private refill(a: AddressState, now: number): number {
    const elapsed = now - a.refilledAt;
    if (elapsed > 0) {
      a.tokens = Math.min(this.unknownBudget, a.tokens + (elapsed * this.unknownBudget) / this.windowMs);
      a.refilledAt = now;
    }
    return a.tokens;
  }

  private touchAddress(addr: string, now: number): AddressState {
    let a = this.addresses.get(addr);
    if (a) this.addresses.delete(addr);
    else a = { tokens: this.unknownBudget, refilledAt: now, touchedAt: now };
    a.touchedAt = now;
    this.addresses.set(addr, a);
    this.evict(this.addresses);
    return a;
  }

  private bumpPair(key: string, now: number): number {
    let p = this.pairs.get(key);
    if (p) this.pairs.delete(key);
    else this.pairsPerId.set(pairId(key), (this.pairsPerId.get(pairId(key)) ?? 0) + 1);
    if (!p || now - p.touchedAt >= this.windowMs) p = { failures: 0, touchedAt: now };
    p.failures++;
    p.touchedAt = now;
    this.pairs.set(key, p);
    this.evict(this.pairs);
    return p.failures;
  }

  private dropPair(key: string): void {
    if (!this.pairs.delete(key)) return;
    const id = pairId(key);
    const n = (this.pairsPerId.get(id) ?? 1) - 1;
    if (n > 0) this.pairsPerId.set(id, n);
    else this.pairsPerId.delete(id);
  }

  private evict(map: Map<string, unknown>): void {
    while (map.size > this.maxTracked) {
      const oldest = map.keys().next();
      if (oldest.done) break;
      if (map === this.pairs) this.dropPair(oldest.value);
      else map.delete(oldest.value);
      this.metrics.inc('device_login_limiter_evicted');
    }
  }
}

/** The device id of a pair key (`id\naddress`; ids never hold a newline). */
const pairId = (key: string): string => key.slice(0, key.indexOf('\n'));

/** Logins without a known source address (rare: a socket already gone) share one key. */
const addressKey = (address: string | undefined): string => address ?? '?';
