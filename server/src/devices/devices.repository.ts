import { Injectable } from '@nestjs/common';
import { DataSource, In } from 'typeorm';
import { DeviceEntity } from '../database/entities.js';

export interface PresenceUpdate {
  deviceId: string;
  at: number;
  online?: boolean | undefined;
  agentVersion?: string | undefined;
}

@Injectable()
export class DevicesRepository {
  constructor(private readonly db: DataSource) {}

  find(id: string): Promise<DeviceEntity | null> {
    return this.db.getRepository(DeviceEntity).findOneBy({ id });
  }

  list(filter: { areaPath?: string | undefined }): Promise<DeviceEntity[]> {
    const qb = this.db.getRepository(DeviceEntity).createQueryBuilder('d').orderBy('d.id', 'ASC');
    if (filter.areaPath) qb.innerJoin('areas', 'a', 'a.code = d.area_code').where('a.path LIKE :p', { p: `${filter.areaPath}%` });
    return qb.getMany();
  }

  async insert(device: DeviceEntity): Promise<void> {
    await this.db.getRepository(DeviceEntity).insert(device);
  }

  /** All or nothing: a batch with one bad row registers no device. */
  async insertMany(devices: readonly DeviceEntity[]): Promise<void> {
    await this.db.transaction(async (tx) => {
      for (let i = 0; i < devices.length; i += 500) await tx.getRepository(DeviceEntity).insert(devices.slice(i, i + 500));
    });
  }

  async existingIds(ids: readonly string[]): Promise<string[]> {
    const out: string[] = [];
    for (let i = 0; i < ids.length; i += 500) {
      const rows = await this.db.getRepository(DeviceEntity).find({ where: { id: In(ids.slice(i, i + 500)) }, select: { id: true } });
      out.push(...rows.map((r) => r.id));
    }
    return out;
  }

  /** One transaction for a batch of presence updates; `online` absent means "seen" only (telemetry). */
  async writePresence(updates: readonly PresenceUpdate[]): Promise<void> {
    await this.db.transaction(async (tx) => {
      const repo = tx.getRepository(DeviceEntity);
      for (const u of updates) {
        await repo.update(
          { id: u.deviceId },
          { lastSeenAt: u.at, ...(u.online === undefined ? {} : { online: u.online }), ...(u.agentVersion ? { agentVersion: u.agentVersion } : {}) },
        );
      }
    });
  }

  async updatePresence(id: string, patch: Pick<DeviceEntity, 'online' | 'lastSeenAt'> & Partial<Pick<DeviceEntity, 'agentVersion'>>): Promise<void> {
    await this.db.getRepository(DeviceEntity).update({ id }, patch);
  }

  async update(id: string, patch: Partial<Pick<DeviceEntity, 'name' | 'areaCode' | 'tags'>>): Promise<void> {
    await this.db.getRepository(DeviceEntity).update({ id }, patch);
  }

  async touch(id: string, at: number): Promise<void> {
    await this.db.getRepository(DeviceEntity).update({ id }, { lastSeenAt: at });
  }
}
