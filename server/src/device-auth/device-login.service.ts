import { Injectable } from '@nestjs/common';
import { Metrics } from '../common/metrics.js';
import { DeviceCredentialsService } from './device-credentials.service.js';
import { LoginRateLimiter } from './login-rate-limiter.js';

/** Outcome of a device login (MQTT CONNECT or HTTP Basic). */
export type DeviceLogin =
  | { ok: true; areaCodes: readonly string[] }
  /** invalid: unknown device or wrong secret; revoked: right secret of a revoked device; locked: too many failures. */
  | { ok: false; reason: 'invalid' | 'revoked' | 'locked'; retryAt?: number };

/**
 * The one entry point for device logins from the network (the broker's CONNECT, HTTP Basic on device routes):
 * throttled per device id and per source address by the LoginRateLimiter, then checked. A revoked device presenting
 * its right secret is refused without counting as a failure: it is not guessing, and its retries must not lock out
 * the healthy devices behind the same address.
 */
@Injectable()
export class DeviceLoginService {
  constructor(
    private readonly credentials: DeviceCredentialsService,
    private readonly limiter: LoginRateLimiter,
    private readonly metrics: Metrics,
  ) {}

  async login(deviceId: string, secret: string, address: string | undefined): Promise<DeviceLogin> {
    const retryAt = this.limiter.lockedUntil(deviceId, address);
    if (retryAt !== null) {
      this.metrics.inc('device_login_throttled');
      return { ok: false, reason: 'locked', retryAt };
    }
    const r = await this.credentials.check(deviceId, secret);
    if (r === 'invalid') this.limiter.recordFailure(deviceId, address);
    else if (r === 'revoked') this.metrics.inc('device_login_revoked');
    else this.limiter.recordSuccess(deviceId);
    return typeof r === 'string' ? { ok: false, reason: r } : { ok: true, areaCodes: r.areaCodes };
  }
}
