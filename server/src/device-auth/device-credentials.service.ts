import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import { DataSource } from 'typeorm';
import { AreaEntity, DeviceEntity } from '../database/entities.js';
import { randomToken } from '../common/ids.js';
import { areaCodesOf } from '../areas/area-path.js';

/**
 * Device secrets are 192-bit random tokens minted by the server, so a fast hash is as safe as a slow KDF for
 * them (there is no dictionary to attack) and lets 10,000 devices reconnect at once without burning seconds of
 * CPU each. Human passwords use scrypt (PasswordHasher).
 */
@Injectable()
export class DeviceCredentialsService implements OnApplicationBootstrap {
  /** Devices reconnect often over flaky links; their secret and area rarely change. */
  private readonly cache = new Map<string, CachedDevice | null>();

  constructor(private readonly db: DataSource) {}

  /**
   * Loads every device's credentials in one query, so the connect storm after a restart costs a hash per device
   * rather than a database round trip each (about 200 bytes a device: 60 MB at 300,000).
   */
  async onApplicationBootstrap(): Promise<void> {
    const rows = await this.db
      .getRepository(DeviceEntity)
      .createQueryBuilder('d')
      .select(['d.id AS "id"', 'd.secret_hash AS "secretHash"', 'a.path AS "path"'])
      .innerJoin(AreaEntity, 'a', 'a.code = d.area_code')
      .getRawMany<{ id: string; secretHash: string; path: string }>();
    for (const r of rows) if (!this.cache.has(r.id)) this.cache.set(r.id, { secretHash: r.secretHash, areaCodes: areaCodesOf(r.path) });
  }

  mintSecret(): { secret: string; secretHash: string } {
    // A secret starting with "-" would be read as a flag by command lines (`--secret -abc`).
    let secret = randomToken(24);
    while (!/^[A-Za-z0-9]/.test(secret)) secret = randomToken(24);
    return { secret, secretHash: hashDeviceSecret(secret) };
  }

  async verify(deviceId: string, secret: string): Promise<boolean> {
    return (await this.authenticate(deviceId, secret)) !== null;
  }

  /** The device's area codes (root first) when the secret is right, else null. */
  async authenticate(deviceId: string, secret: string): Promise<{ areaCodes: readonly string[] } | null> {
    const stored = await this.lookup(deviceId);
    if (stored === null) return null;
    const given = Buffer.from(hashDeviceSecret(secret));
    const expected = Buffer.from(stored.secretHash);
    return given.length === expected.length && timingSafeEqual(given, expected) ? { areaCodes: stored.areaCodes } : null;
  }

  /** The device's current area and ancestors (empty for an unknown device); follows moves once forget() is called. */
  async areaCodes(deviceId: string): Promise<readonly string[]> {
    return (await this.lookup(deviceId))?.areaCodes ?? [];
  }

  private async lookup(deviceId: string): Promise<CachedDevice | null> {
    let stored = this.cache.get(deviceId);
    if (stored === undefined) {
      const row = await this.db
        .getRepository(DeviceEntity)
        .createQueryBuilder('d')
        .select(['d.secret_hash AS "secretHash"', 'a.path AS "path"'])
        .innerJoin(AreaEntity, 'a', 'a.code = d.area_code')
        .where('d.id = :id', { id: deviceId })
        .getRawOne<{ secretHash: string; path: string }>();
      stored = row ? { secretHash: row.secretHash, areaCodes: areaCodesOf(row.path) } : null;
      if (stored !== null) this.cache.set(deviceId, stored);
    }
    return stored;
  }

  /** Call after a secret changes or a device is removed. */
  forget(deviceId: string): void {
    this.cache.delete(deviceId);
  }
}

interface CachedDevice {
  secretHash: string;
  areaCodes: readonly string[];
}

export const hashDeviceSecret = (secret: string): string => `sha256$${createHash('sha256').update(secret).digest('hex')}`;
