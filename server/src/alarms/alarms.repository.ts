import { Injectable } from '@nestjs/common';
import { DataSource, In, IsNull } from 'typeorm';
import { DeviceEventEntity } from '../deliveries/device-event.entity.js';
import { DeviceEntity } from '../devices/device.entity.js';
import { padToShape } from '../database/statement-shape.js';
import { AlarmEntity, type AlarmKind } from './alarm.entity.js';

const CHUNK = 500;

const ALARM_COLUMNS = 'id, device_id, kind, detail, raised_at, cleared_at, cleared_detail, acked_at, acked_by, acked_by_name';

interface AlarmRow {
  id: string;
  device_id: string;
  kind: AlarmKind;
  detail: string;
  raised_at: string | number;
  cleared_at: string | number | null;
  cleared_detail: string | null;
  acked_at: string | number | null;
  acked_by: string | null;
  acked_by_name: string | null;
}

/** A raw row as the entity TypeORM would have built (bigints arrive as strings from PostgreSQL). */
function alarmOf(r: AlarmRow): AlarmEntity {
  const num = (v: string | number | null): number | null => (v === null ? null : Number(v));
  return Object.assign(new AlarmEntity(), {
    id: r.id,
    deviceId: r.device_id,
    kind: r.kind,
    detail: r.detail,
    raisedAt: Number(r.raised_at),
    clearedAt: num(r.cleared_at),
    clearedDetail: r.cleared_detail,
    ackedAt: num(r.acked_at),
    ackedBy: r.acked_by,
    ackedByName: r.acked_by_name,
  });
}

export interface AlarmFilter {
  active?: boolean | undefined;
  deviceId?: string | undefined;
  areaPath?: string | undefined;
  limit: number;
}

export interface OfflineCandidate {
  deviceId: string;
  since: number;
  reason: string | null;
}

@Injectable()
export class AlarmsRepository {
  constructor(private readonly db: DataSource) {}

  /**
   * Active alarms of these devices (and kinds). Every presence batch of a connect storm asks it (devices back online
   * clear their offline alarm), so in plain SQL whose text does not depend on the batch size: one array parameter
   * on PostgreSQL, id lists padded to a few lengths on SQLite (`padToShape`), so the statement stays prepared.
   */
  async active(deviceIds: readonly string[], kinds?: readonly AlarmKind[]): Promise<AlarmEntity[]> {
    const ids = [...new Set(deviceIds)];
    if (ids.length === 0 || kinds?.length === 0) return [];
    const pg = this.db.options.type === 'postgres';
    const out: AlarmEntity[] = [];
    for (let i = 0; i < ids.length; i += pg ? ids.length : CHUNK) {
      const chunk = pg ? ids : padToShape(ids.slice(i, i + CHUNK));
      const params: unknown[] = pg ? [chunk] : [...chunk];
      let where = pg ? 'device_id = ANY($1::varchar[])' : `device_id IN (${chunk.map(() => '?').join(', ')})`;
      if (kinds) {
        where += pg ? ' AND kind = ANY($2::varchar[])' : ` AND kind IN (${kinds.map(() => '?').join(', ')})`;
        if (pg) params.push([...kinds]);
        else params.push(...kinds);
      }
      const rows = (await this.db.query(`SELECT ${ALARM_COLUMNS} FROM alarms WHERE ${where} AND cleared_at IS NULL`, params)) as AlarmRow[];
      out.push(...rows.map(alarmOf));
    }
    return out;
  }

  /** Inserts new active alarms; one already active for the same device and kind (another instance) wins. */
  async insertRaised(rows: readonly AlarmEntity[]): Promise<void> {
    for (let i = 0; i < rows.length; i += CHUNK) {
      await this.db.createQueryBuilder().insert().into(AlarmEntity).values(rows.slice(i, i + CHUNK)).orIgnore().updateEntity(false).execute();
    }
  }

  async clear(id: string, at: number, detail: string): Promise<boolean> {
    const r = await this.db.getRepository(AlarmEntity).update({ id, clearedAt: IsNull() }, { clearedAt: at, clearedDetail: detail });
    return (r.affected ?? 0) > 0;
  }

  /** The device's latest failed or finished playback reports, newest first. */
  recentOutcomes(deviceId: string, n: number): Promise<Array<Pick<DeviceEventEntity, 'type' | 'reason' | 'occurrenceId'>>> {
    return this.db.getRepository(DeviceEventEntity).find({
      where: { deviceId, type: In(['failed', 'finished']) },
      select: { type: true, reason: true, occurrenceId: true },
      order: { at: 'DESC' },
      take: n,
    });
  }

  /**
   * Devices offline since before `cutoff` without an active offline alarm: only devices seen at least once (one
   * still being installed is not "offline") and not revoked (taken out of service on purpose).
   */
  async offlineCandidates(cutoff: number): Promise<OfflineCandidate[]> {
    const rows = await this.db
      .getRepository(DeviceEntity)
      .createQueryBuilder('d')
      .select(['d.id AS "deviceId"', 'COALESCE(d.presence_changed_at, d.last_seen_at) AS "since"', 'd.presence_reason AS "reason"'])
      .where('d.online = FALSE')
      .andWhere('d.last_seen_at IS NOT NULL')
      .andWhere("(d.presence_reason IS NULL OR d.presence_reason <> 'revoked')")
      .andWhere('COALESCE(d.presence_changed_at, d.last_seen_at) <= :cutoff', { cutoff })
      .andWhere("NOT EXISTS (SELECT 1 FROM alarms a WHERE a.device_id = d.id AND a.kind = 'offline' AND a.cleared_at IS NULL)")
      .orderBy('d.id', 'ASC')
      .getRawMany<{ deviceId: string; since: string | number; reason: string | null }>();
    return rows.map((r) => ({ deviceId: r.deviceId, since: Number(r.since), reason: r.reason }));
  }

  /** Active offline alarms of devices that are back online or were revoked. */
  staleOffline(): Promise<AlarmEntity[]> {
    return this.db
      .getRepository(AlarmEntity)
      .createQueryBuilder('a')
      .innerJoin(DeviceEntity, 'd', 'd.id = a.device_id')
      .where("a.kind = 'offline'")
      .andWhere('a.cleared_at IS NULL')
      .andWhere("(d.online = TRUE OR d.presence_reason = 'revoked')")
      .getMany();
  }

  list(f: AlarmFilter): Promise<AlarmEntity[]> {
    const qb = this.db.getRepository(AlarmEntity).createQueryBuilder('a').orderBy('a.raised_at', 'DESC').addOrderBy('a.id', 'ASC').limit(f.limit);
    if (f.active !== undefined) qb.andWhere(f.active ? 'a.cleared_at IS NULL' : 'a.cleared_at IS NOT NULL');
    if (f.deviceId !== undefined) qb.andWhere('a.device_id = :deviceId', { deviceId: f.deviceId });
    if (f.areaPath !== undefined) {
      qb.innerJoin(DeviceEntity, 'd', 'd.id = a.device_id').innerJoin('areas', 'ar', 'ar.code = d.area_code').andWhere('ar.path LIKE :p', { p: `${f.areaPath}%` });
    }
    return qb.getMany();
  }

  find(id: string): Promise<AlarmEntity | null> {
    return this.db.getRepository(AlarmEntity).findOneBy({ id });
  }

  /** The alarm and the area its device is in (null if the device row is gone), in one query. */
  async findWithArea(id: string): Promise<{ alarm: AlarmEntity; areaCode: string | null } | null> {
    const { entities, raw } = await this.db
      .getRepository(AlarmEntity)
      .createQueryBuilder('a')
      .leftJoin(DeviceEntity, 'd', 'd.id = a.device_id')
      .addSelect('d.area_code', 'areaCode')
      .where('a.id = :id', { id })
      .getRawAndEntities<{ areaCode: string | null }>();
    const alarm = entities[0];
    return alarm ? { alarm, areaCode: raw[0]?.areaCode ?? null } : null;
  }

  /** Records the first acknowledgement only; false if the alarm already had one. */
  async ack(id: string, at: number, userId: string, username: string): Promise<boolean> {
    const r = await this.db.getRepository(AlarmEntity).update({ id, ackedAt: IsNull() }, { ackedAt: at, ackedBy: userId, ackedByName: username });
    return (r.affected ?? 0) > 0;
  }
}
