import { Injectable } from '@nestjs/common';
import { DataSource, In } from 'typeorm';
import { DeviceEntity } from '../devices/device.entity.js';
import { SecurityEventEntity } from './security-event.entity.js';

const CHUNK = 500;

@Injectable()
export class SecurityEventsRepository {
  constructor(private readonly db: DataSource) {}

  /** One transaction per batch; reports of devices that no longer exist are dropped. Returns how many were stored. */
  async insertMany(rows: readonly SecurityEventEntity[]): Promise<number> {
    if (rows.length === 0) return 0;
    return this.db.transaction(async (tx) => {
      const ids = [...new Set(rows.map((r) => r.deviceId))];
      const known = new Set<string>();
      for (let i = 0; i < ids.length; i += CHUNK) {
        for (const d of await tx.getRepository(DeviceEntity).find({ where: { id: In(ids.slice(i, i + CHUNK)) }, select: { id: true } })) known.add(d.id);
      }
      const keep = rows.filter((r) => known.has(r.deviceId));
      for (let i = 0; i < keep.length; i += CHUNK) {
        await tx.createQueryBuilder().insert().into(SecurityEventEntity).values(keep.slice(i, i + CHUNK)).updateEntity(false).execute();
      }
      return keep.length;
    });
  }

  /** Newest first. */
  list(f: { deviceId?: string | undefined; limit: number }): Promise<SecurityEventEntity[]> {
    return this.db.getRepository(SecurityEventEntity).find({
      where: f.deviceId === undefined ? {} : { deviceId: f.deviceId },
      order: { receivedAt: 'DESC', at: 'DESC', id: 'ASC' },
      take: f.limit,
    });
  }
}
