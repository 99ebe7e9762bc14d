import { Injectable } from '@nestjs/common';
import { DataSource, In, LessThan } from 'typeorm';
import { DeviceEntity } from '../devices/device.entity.js';
import { insertIgnoringReturningTyped } from '../database/bulk-insert.js';
import { placeholders, type UpdateColumn } from '../database/bulk-update.js';
import { padToShape } from '../database/statement-shape.js';
import { DeviceTelemetryEntity } from './device-telemetry.entity.js';
import { retryOnConflict } from '../database/retry.js';

/** Ids per device look-up on SQLite (under its bound-parameter limit). */
const INSERT_CHUNK = 1000;

/** The columns of `device_telemetry`, in the order of `telemetryValues`, with their PostgreSQL types. */
const TELEMETRY_COLUMNS: readonly UpdateColumn[] = [
  { name: 'device_id', pgType: 'varchar' },
  { name: 'at', pgType: 'bigint' },
  { name: 'received_at', pgType: 'bigint' },
  { name: 'uptime_s', pgType: 'bigint' },
  { name: 'timeline_version', pgType: 'integer' },
  { name: 'playing', pgType: 'varchar' },
  { name: 'volume', pgType: 'integer' },
  { name: 'muted', pgType: 'boolean' },
  { name: 'free_disk_bytes', pgType: 'bigint' },
  { name: 'rss_bytes', pgType: 'bigint' },
  { name: 'clock_offset_ms', pgType: 'bigint' },
  { name: 'outbox_size', pgType: 'bigint' },
  { name: 'agent_version', pgType: 'varchar' },
  { name: 'output_level_lufs', pgType: 'real' },
  { name: 'signal_dbm', pgType: 'real' },
  { name: 'temperature_c', pgType: 'real' },
];

// Absent values are NULL (TypeORM wrote DEFAULT, which is NULL for these nullable columns).
const telemetryValues = (r: DeviceTelemetryEntity): unknown[] =>
  [r.deviceId, r.at, r.receivedAt, r.uptimeS, r.timelineVersion, r.playing, r.volume, r.muted, r.freeDiskBytes, r.rssBytes, r.clockOffsetMs,
    r.outboxSize, r.agentVersion, r.outputLevelLufs, r.signalDbm, r.temperatureC].map((v) => v ?? null);

@Injectable()
export class TelemetryRepository {
  constructor(private readonly db: DataSource) {}

  /**
   * Stores a batch of samples (devices send one on every connect, so this runs for every batch of a connect storm);
   * a redelivered sample (same device and instant) is ignored, and samples of devices that no longer exist are
   * dropped instead of failing the batch. Plain SQL whose text does not depend on the batch size: arrays on
   * PostgreSQL (`unnest`), id lists and the insert's last chunk padded to a few lengths on SQLite (a repeated id
   * matches nothing more, a repeated row conflicts with its first copy), so the driver's statement cache answers
   * instead of SQLite compiling a statement per batch.
   */
  async insertMany(rows: readonly DeviceTelemetryEntity[]): Promise<number> {
    if (rows.length === 0) return 0;
    return retryOnConflict(() => this.db.transaction(async (tx) => {
      const ids = [...new Set(rows.map((r) => r.deviceId))];
      const known = new Set<string>();
      if (this.db.options.type === 'postgres') {
        const found = (await tx.query('SELECT id FROM devices WHERE id = ANY($1::varchar[])', [ids])) as Array<{ id: string }>;
        for (const d of found) known.add(d.id);
      } else {
        for (let i = 0; i < ids.length; i += INSERT_CHUNK) {
          const chunk = padToShape(ids.slice(i, i + INSERT_CHUNK));
          const found = (await tx.query(`SELECT id FROM devices WHERE id IN (${placeholders(false, chunk.length)})`, chunk)) as Array<{ id: string }>;
          for (const d of found) known.add(d.id);
        }
      }
      const keep = rows.filter((r) => known.has(r.deviceId));
      await insertIgnoringReturningTyped(tx, 'device_telemetry', TELEMETRY_COLUMNS, keep.map(telemetryValues), ['device_id']);
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
