import { Injectable } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import { DataSource } from 'typeorm';
import { DeviceEntity } from '../database/entities.js';
import { randomToken } from '../common/ids.js';

/**
 * Device secrets are 192-bit random tokens minted by the server, so a fast hash is as safe as a slow KDF for
 * them (there is no dictionary to attack) and lets 10,000 devices reconnect at once without burning seconds of
 * CPU each. Human passwords use scrypt (PasswordHasher).
 */
@Injectable()
export class DeviceCredentialsService {
  /** deviceId → secret hash; devices reconnect often over flaky links, the hash rarely changes. */
  private readonly cache = new Map<string, string | null>();

  constructor(private readonly db: DataSource) {}

  mintSecret(): { secret: string; secretHash: string } {
    const secret = randomToken(24);
    return { secret, secretHash: hashDeviceSecret(secret) };
  }

  async verify(deviceId: string, secret: string): Promise<boolean> {
    let stored = this.cache.get(deviceId);
    if (stored === undefined) {
      const row = await this.db.getRepository(DeviceEntity).findOne({ where: { id: deviceId }, select: { id: true, secretHash: true } });
      stored = row?.secretHash ?? null;
      if (stored !== null) this.cache.set(deviceId, stored);
    }
    if (stored === null) return false;
    const given = Buffer.from(hashDeviceSecret(secret));
    const expected = Buffer.from(stored);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  /** Call after a secret changes or a device is removed. */
  forget(deviceId: string): void {
    this.cache.delete(deviceId);
  }
}

export const hashDeviceSecret = (secret: string): string => `sha256$${createHash('sha256').update(secret).digest('hex')}`;
