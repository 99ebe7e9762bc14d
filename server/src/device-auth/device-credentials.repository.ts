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

  /** These devices' credentials (unknown ids are absent), in chunks well under the parameter limits. */
  async many(deviceIds: readonly string[]): Promise<CredentialsRow[]> {
    const out: CredentialsRow[] = [];
    for (let i = 0; i < deviceIds.length; i += 500) out.push(...(await this.query().where('d.id IN (:...ids)', { ids: deviceIds.slice(i, i + 500) }).getRawMany<CredentialsRow>()));
    return out;
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
