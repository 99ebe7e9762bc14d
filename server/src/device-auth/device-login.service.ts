import { Injectable } from '@nestjs/common';
import { Metrics } from '../common/metrics.js';
import { DeviceCredentialsService } from './device-credentials.service.js';
import { LoginDelay } from './login-delay.js';
import { LoginRateLimiter } from './login-rate-limiter.js';

/**
 * Outcome of a device login (MQTT CONNECT or HTTP Basic). invalid: unknown device or wrong secret (perhaps answered
 * late); revoked: right secret of a revoked device; throttled: wrong, and too many failed answers are already held
 * back, so this one goes out at once.
 */
export type DeviceLogin = { ok: true; areaCodes: readonly string[] } | { ok: false; reason: 'invalid' | 'revoked' | 'throttled' };

/** A login's source address, or a getter that reads it (called at most once, and only when needed). */
export type PeerAddress = string | undefined | (() => string | undefined);

/**
 * The one entry point for device logins from the network (the broker's CONNECT, HTTP Basic on device routes). The
 * secret is checked first, always: a correct one passes at once whatever other clients did, from any address. Only
 * failures are slowed down, by holding their answer back as long as the LoginRateLimiter says (per device id and
 * address, and per address for unknown ids). A revoked device presenting its right secret is refused at once without
 * counting as a failure: it is not guessing.
 */
@Injectable()
export class DeviceLoginService {
  constructor(
    private readonly credentials: DeviceCredentialsService,
    private readonly limiter: LoginRateLimiter,
    private readonly delay: LoginDelay,
    private readonly metrics: Metrics,
  ) {}

  /**
   * `hold: false` is for the HTTP auth endpoint external brokers call: there a failure that would be held back is
   * answered at once as throttled, because a held HTTP answer stalls every other login queued behind it on the
   * broker's small, pipelined connection pool to the server.
   */
  async login(deviceId: string, secret: string, address: PeerAddress, hold = true): Promise<DeviceLogin> {
    // The address (a getter: reading a socket's peer address is a system call) is read only when the limiter has
    // something to say about it: an address past part of its unknown-id budget, failures of this id to clear, or a
    // failure to count. A connect storm of correct logins never reads it.
    let read = false;
    let resolved: string | undefined;
    const addr = (): string | undefined => {
      if (typeof address !== 'function') return address;
      if (!read) [resolved, read] = [address(), true];
      return resolved;
    };
    const r = await this.credentials.checkLogin(deviceId, secret, this.limiter.tracksAddresses && !this.limiter.hasUnknownBudget(addr()));
    if (r === 'revoked') {
      this.metrics.inc('device_login_revoked');
      return { ok: false, reason: 'revoked' };
    }
    if (typeof r !== 'string') {
      if (this.limiter.hasFailures(deviceId)) this.succeeded(deviceId, addr());
      return { ok: true, areaCodes: r.areaCodes };
    }
    return { ok: false, reason: await this.failed(deviceId, addr(), r === 'unknown', hold) };
  }

  /** A correct credential (also used by enrolment): clears that id's failures from that address. */
  succeeded(id: string, address: string | undefined): void {
    this.limiter.recordSuccess(id, address);
  }

  /**
   * Counts a failed credential (also used by enrolment, with the key as id) and resolves when its answer may go out:
   * 'invalid' after the delay, or 'throttled' at once when too many answers are held already.
   */
  async failed(id: string, address: string | undefined, unknown: boolean, hold = true): Promise<'invalid' | 'throttled'> {
    const ms = this.limiter.recordFailure(id, address, unknown);
    if (ms <= 0) return 'invalid';
    if (!hold || !this.limiter.hold(address)) {
      this.metrics.inc('device_login_throttled');
      return 'throttled';
    }
    this.metrics.inc('device_login_delayed');
    this.metrics.inc('device_login_pending');
    try {
      await this.delay.wait(ms);
    } finally {
      this.limiter.release(address);
      this.metrics.inc('device_login_pending', -1);
    }
    return 'invalid';
  }
}
