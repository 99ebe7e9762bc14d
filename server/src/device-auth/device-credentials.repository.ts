import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AreaEntity } from '../areas/area.entity.js';
import { DeviceEntity } from '../devices/device.entity.js';
import { DeviceRevocationEntity } from './device-revocation.entity.js';

/** A device's secret hash, area path and revocation, as one row. */
export interface CredentialsRow {
  id: string;
  secretHash: string;
  path: string;
  revokedAt: string | number | null;
}

@Injectable()
export class DeviceCredentialsRepository {
  constructor(private readonly db: DataSource) {}

  /** Every device's credentials in one query (the bootstrap load). */
  all(): Promise<CredentialsRow[]> {
    return this.query().getRawMany<CredentialsRow>();
  }

  one(deviceId: string): Promise<CredentialsRow | undefined> {
    return this.query().where('d.id = :id', { id: deviceId }).getRawOne<CredentialsRow>();
  }

  private query() {
    return this.db
      .getRepository(DeviceEntity)
      .createQueryBuilder('d')
      .select(['d.id AS "id"', 'd.secret_hash AS "secretHash"', 'a.path AS "path"', 'r.revoked_at AS "revokedAt"'])
      .innerJoin(AreaEntity, 'a', 'a.code = d.area_code')
      .leftJoin(DeviceRevocationEntity, 'r', 'r.device_id = d.id');
  }
}
