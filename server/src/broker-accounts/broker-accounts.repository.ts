import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AreaEntity, areaCodesOf } from '../areas/area.entity.js';
import { DeviceRevocationEntity } from '../device-auth/device-revocation.entity.js';
import { DeviceEntity } from '../devices/device.entity.js';
import { EnrollmentEntity } from '../provisioning/enrollment.entity.js';

/** What the broker's account of a device must reflect: its area chain (root first) and whether it is revoked. */
export interface AccountSource {
  readonly id: string;
  readonly areaCodes: readonly string[];
  readonly revoked: boolean;
}

/** What the broker's accounts must reflect, read from the database. */
export interface AccountSources {
  /** Every device. */
  devices(): Promise<AccountSource[]>;
  /** These devices' area chains, committed (unknown ids absent). */
  chains(deviceIds: readonly string[]): Promise<Map<string, readonly string[]>>;
  /** Enrolments waiting for an operator: their accounts exist (disabled) and must be kept. */
  pendingEnrollments(): Promise<string[]>;
}

/** Reads, never writes: the devices and pending enrolments whose accounts the broker should hold. */
@Injectable()
export class BrokerAccountsRepository implements AccountSources {
  constructor(private readonly db: DataSource) {}

  /** Every device (one query: about 100 bytes each, as the credentials cache loads them). */
  async devices(): Promise<AccountSource[]> {
    const rows = await this.query().getRawMany<{ id: string; path: string; revokedAt: unknown }>();
    return rows.map((r) => ({ id: r.id, areaCodes: areaCodesOf(r.path), revoked: r.revokedAt !== null && r.revokedAt !== undefined }));
  }

  /** These devices' area chains, committed (unknown ids absent), 500 per query. */
  async chains(deviceIds: readonly string[]): Promise<Map<string, readonly string[]>> {
    const out = new Map<string, readonly string[]>();
    for (let i = 0; i < deviceIds.length; i += 500) {
      const rows = await this.query()
        .where('d.id IN (:...ids)', { ids: deviceIds.slice(i, i + 500) })
        .getRawMany<{ id: string; path: string }>();
      for (const r of rows) out.set(r.id, areaCodesOf(r.path));
    }
    return out;
  }

  /** Enrolments waiting for an operator: their accounts exist (disabled) and must be kept. */
  async pendingEnrollments(): Promise<string[]> {
    const rows = await this.db
      .getRepository(EnrollmentEntity)
      .createQueryBuilder('e')
      .select('e.device_id', 'id')
      .where('e.state = :state', { state: 'pending' })
      .getRawMany<{ id: string }>();
    return rows.map((r) => r.id);
  }

  private query() {
    return this.db
      .getRepository(DeviceEntity)
      .createQueryBuilder('d')
      .select(['d.id AS "id"', 'a.path AS "path"', 'r.revoked_at AS "revokedAt"'])
      .innerJoin(AreaEntity, 'a', 'a.code = d.area_code')
      .leftJoin(DeviceRevocationEntity, 'r', 'r.device_id = d.id');
  }
}
