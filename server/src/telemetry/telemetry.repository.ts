import { Injectable } from '@nestjs/common';
import { DataSource, In, LessThan } from 'typeorm';
import { DeviceEntity } from '../devices/device.entity.js';
import { placeholders } from '../database/bulk-update.js';
import { DeviceTelemetryEntity } from './device-telemetry.entity.js';
import { retryOnConflict } from '../database/retry.js';

/** Rows per INSERT: 16 columns × 1000 stays under SQLite's and PostgreSQL's bound-parameter limits. */
const INSERT_CHUNK = 1000;

@Injectable()
export class TelemetryRepository {
  constructor(private readonly db: DataSource) {}

  /**
   * Stores a batch of samples with one multi-row insert (per 1000 rows); a redelivered sample (same device and
   * instant) is ignored, and samples of devices that no longer exist are dropped instead of failing the batch.
   */
  async insertMany(rows: readonly DeviceTelemetryEntity[]): Promise<number> {
    if (rows.length === 0) return 0;
    return retryOnConflict(() => this.db.transaction(async (tx) => {
      const ids = [...new Set(rows.map((r) => r.deviceId))];
      const known = new Set<string>();
      const pg = this.db.options.type === 'postgres';
      for (let i = 0; i < ids.length; i += INSERT_CHUNK) {
        const chunk = ids.slice(i, i + INSERT_CHUNK);
        const found = (await tx.query(`SELECT id FROM devices WHERE id IN (${placeholders(pg, chunk.length)})`, chunk)) as Array<{ id: string }>;
        for (const d of found) known.add(d.id);
      }
      const keep = rows.filter((r) => known.has(r.deviceId));
      for (let i = 0; i < keep.length; i += INSERT_CHUNK) {
        await tx
          .createQueryBuilder()
          .insert()
          .into(DeviceTelemetryEntity)
          .values(keep.slice(i, i + INSERT_CHUNK))
          .orIgnore()
          .updateEntity(false)
          .execute();
      }
      return keep.length;
    }));
  }

  /**
   * Samples of one device in [from, to), oldest first. With `from`, the first `limit` after it (page forward from
   * the last one); without, the latest `limit` before `to`.
   */
  async range(deviceId: string, q: { from?: number | undefined; to: number; limit: number }): Promise<DeviceTelemetryEntity[]> {
    const qb = this.db
      .getRepository(DeviceTelemetryEntity)
      .createQueryBuilder('t')
      .where('t.device_id = :deviceId', { deviceId })
      .andWhere('t.at < :to', { to: q.to })
      .limit(q.limit);
    if (q.from !== undefined) return qb.andWhere('t.at >= :from', { from: q.from }).orderBy('t.at', 'ASC').getMany();
    return (await qb.orderBy('t.at', 'DESC').getMany()).reverse();
  }

  async deviceExists(id: string): Promise<boolean> {
    return (await this.db.getRepository(DeviceEntity).count({ where: { id } })) > 0;
  }

  /** Deletes samples taken before `cutoff`; returns how many. */
  async deleteBefore(cutoff: number): Promise<number> {
    const r = await this.db.getRepository(DeviceTelemetryEntity).delete({ at: LessThan(cutoff) });
    return r.affected ?? 0;
  }
}
