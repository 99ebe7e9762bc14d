import { Injectable } from '@nestjs/common';
import { DataSource, In } from 'typeorm';
import { DeviceEntity } from '../devices/device.entity.js';
import { DeviceRevocationEntity } from '../device-auth/device-revocation.entity.js';

/** Device credential state: the secret hash on the device row and revocations in their own table. */
@Injectable()
export class DeviceSecurityRepository {
  constructor(private readonly db: DataSource) {}

  async exists(deviceId: string): Promise<boolean> {
    return (await this.db.getRepository(DeviceEntity).count({ where: { id: deviceId } })) > 0;
  }

  /**
   * New secret hash; a revoked device is re-enabled with it. Two statements, the revocation lifted last, so a failure
   * in between leaves the device revoked, never enabled with its old secret (and SQLite's single connection does not
   * collide with other features' transactions).
   */
  async replaceSecret(deviceId: string, secretHash: string): Promise<void> {
    await this.db.getRepository(DeviceEntity).update({ id: deviceId }, { secretHash });
    await this.db.getRepository(DeviceRevocationEntity).delete({ deviceId });
  }

  /** Records the revocation unless one exists; returns the one in force. */
  async revoke(deviceId: string, at: number, by: string): Promise<DeviceRevocationEntity> {
    const repo = this.db.getRepository(DeviceRevocationEntity);
    await repo.createQueryBuilder().insert().values({ deviceId, revokedAt: at, revokedBy: by }).orIgnore().execute();
    const row = await repo.findOneBy({ deviceId });
    if (!row) throw new Error(`revocation of ${deviceId} was not stored`);
    return row;
  }

  async revocation(deviceId: string): Promise<DeviceRevocationEntity | null> {
    return this.db.getRepository(DeviceRevocationEntity).findOneBy({ deviceId });
  }

  /** Revocation instants of these devices (absent: not revoked). */
  async revokedAt(deviceIds: readonly string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    const repo = this.db.getRepository(DeviceRevocationEntity);
    for (let i = 0; i < deviceIds.length; i += 500) {
      for (const r of await repo.find({ where: { deviceId: In(deviceIds.slice(i, i + 500)) } })) out.set(r.deviceId, r.revokedAt);
    }
    return out;
  }
}
