import { Injectable } from '@nestjs/common';
import { DataSource, In } from 'typeorm';
import type { ReportedLocation } from '@loa/shared';
import type { DeviceLocation, LocationSource } from '@loa/shared/rest';
import { DeviceEntity } from './device.entity.js';

/** Where devices stand (issue 19): the writes of the device page, the CSV import and the agents' reports. */
@Injectable()
export class DeviceLocationsRepository {
  constructor(private readonly db: DataSource) {}

  /** Areas of the devices that exist, by id (for the import's scope and "no such device" checks). */
  async areasOf(ids: readonly string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (let i = 0; i < ids.length; i += 500) {
      const rows = await this.db.getRepository(DeviceEntity).find({ select: { id: true, areaCode: true }, where: { id: In(ids.slice(i, i + 500)) } });
      for (const r of rows) out.set(r.id, r.areaCode);
    }
    return out;
  }

  async areaPath(code: string): Promise<string | null> {
    const row = await this.db.createQueryBuilder().select('a.path', 'path').from('areas', 'a').where('a.code = :code', { code }).getRawOne<{ path: string }>();
    return row?.path ?? null;
  }

  /** One device's location by hand (null clears it and its source). */
  async set(id: string, location: DeviceLocation | null, source: LocationSource): Promise<number> {
    const res = await this.db.getRepository(DeviceEntity).update({ id }, columns(location, location ? source : null));
    return res.affected ?? 0;
  }

  /** An import: every row or none. */
  async setMany(rows: ReadonlyArray<{ id: string; location: DeviceLocation }>, source: LocationSource): Promise<void> {
    await this.db.transaction(async (tx) => {
      for (const r of rows) await tx.getRepository(DeviceEntity).update({ id: r.id }, columns(r.location, source));
    });
  }

  /**
   * Devices under these area paths (null: no bound) for the map: the located ones with their state, and how many
   * are not located. Two queries whatever the count (the alarmed and revoked ones are few: `IN (…)` subqueries).
   */
  async mapRows(scopePath: string | null, areaPath: string | null): Promise<{ rows: MapRow[]; unlocated: number }> {
    const base = () => {
      const qb = this.db.getRepository(DeviceEntity).createQueryBuilder('d');
      if (scopePath !== null || areaPath !== null) {
        qb.innerJoin('areas', 'a', 'a.code = d.area_code');
        if (scopePath !== null) qb.andWhere(`a.path LIKE :scopePath ESCAPE '\\'`, { scopePath: `${likeLiteral(scopePath)}%` });
        if (areaPath !== null) qb.andWhere(`a.path LIKE :areaPath ESCAPE '\\'`, { areaPath: `${likeLiteral(areaPath)}%` });
      }
      return qb;
    };
    const raw = await base()
      .select(['d.id AS id', 'd.name AS name', 'd.area_code AS "areaCode"', 'd.latitude AS latitude', 'd.longitude AS longitude', 'd.village AS village', 'd.online AS online', 'd.last_seen_at AS "lastSeenAt"'])
      .addSelect('CASE WHEN d.id IN (SELECT al.device_id FROM alarms al WHERE al.cleared_at IS NULL) THEN 1 ELSE 0 END', 'alarm')
      .addSelect('CASE WHEN d.id IN (SELECT r.device_id FROM device_revocations r) THEN 1 ELSE 0 END', 'revoked')
      .andWhere('d.latitude IS NOT NULL AND d.longitude IS NOT NULL')
      .orderBy('d.id', 'ASC')
      .getRawMany<Record<string, unknown>>();
    const unlocated = Number((await base().select('COUNT(*)', 'n').andWhere('(d.latitude IS NULL OR d.longitude IS NULL)').getRawOne<{ n: string | number }>())?.n ?? 0);
    const rows = raw.map((r) => ({
      id: String(r.id),
      name: String(r.name),
      areaCode: String(r.areaCode),
      latitude: Number(r.latitude),
      longitude: Number(r.longitude),
      village: r.village === null || r.village === undefined ? null : String(r.village),
      // SQLite answers booleans as 0/1, PostgreSQL as true/false; bigints come as text from PostgreSQL.
      online: r.online === true || r.online === 1 || r.online === '1',
      lastSeenAt: r.lastSeenAt === null || r.lastSeenAt === undefined ? null : Number(r.lastSeenAt),
      alarm: Number(r.alarm) === 1,
      revoked: Number(r.revoked) === 1,
    }));
    return { rows, unlocated };
  }

  /**
   * An agent's report, in one statement: stored unless an operator set the location by hand (the condition is in
   * the UPDATE, so a hand edit racing a report is never overwritten). Village and address are kept: the agent
   * knows coordinates only. Returns whether it was stored.
   */
  async reportFromAgent(id: string, loc: ReportedLocation): Promise<boolean> {
    const res = await this.db
      .getRepository(DeviceEntity)
      .createQueryBuilder()
      .update()
      .set({ latitude: loc.latitude, longitude: loc.longitude, locationSource: 'agent' })
      .where('id = :id', { id })
      .andWhere("(location_source IS NULL OR location_source <> 'operator')")
      .execute();
    return (res.affected ?? 0) > 0;
  }
}

/** A located device with what its marker needs; `alarm`: it has an active alarm. */
export interface MapRow {
  id: string;
  name: string;
  areaCode: string;
  latitude: number;
  longitude: number;
  village: string | null;
  online: boolean;
  lastSeenAt: number | null;
  alarm: boolean;
  revoked: boolean;
}

const likeLiteral = (s: string): string => s.replace(/[\\%_]/g, (c) => `\\${c}`);

const columns = (location: DeviceLocation | null, source: LocationSource | null): Partial<DeviceEntity> => ({
  latitude: location?.latitude ?? null,
  longitude: location?.longitude ?? null,
  village: location?.village || null,
  address: location?.address || null,
  locationSource: source,
});
