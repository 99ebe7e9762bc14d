import { lockRowsInOrder, placeholders } from '../database/bulk-update.js';
import { Injectable } from '@nestjs/common';
import { rawNum as num, rawNumOrNull as numOrNull, rawStrOrNull as strOrNull } from '../database/raw-values.js';
import { DataSource, In } from 'typeorm';
import { AreaEntity } from '../areas/area.entity.js';
import { DeliveryEntity } from '../deliveries/delivery.entity.js';
import { DeviceEntity } from '../devices/device.entity.js';
import { TimelineEntity } from './timeline.entity.js';
import type { SlotRow } from './timeline-compiler.js';
import { retryOnConflict } from '../database/retry.js';
import { padToShape } from '../database/statement-shape.js';

const CHUNK = 500;

@Injectable()
export class TimelinesRepository {
  constructor(private readonly db: DataSource) {}

  /** Every active occurrence overlapping [from, to) for these devices, one query per chunk of devices. */
  async slotRows(deviceIds: readonly string[], from: number, to: number): Promise<SlotRow[]> {
    const rows: SlotRow[] = [];
    for (let i = 0; i < deviceIds.length; i += CHUNK) {
      const chunk = deviceIds.slice(i, i + CHUNK);
      const raw = await this.db
        .createQueryBuilder()
        .select([
          'del.device_id AS "deviceId"',
          'del.occurrence_id AS "occurrenceId"',
          's.id AS "scheduleId"',
          'o.start_at AS "startAt"',
          'o.duration_ms AS "durationMs"',
          's.priority AS "priority"',
          's.volume AS "volume"',
          's.on_preempt AS "onPreempt"',
          's.repeat_count AS "repeat"',
          's.gap_ms AS "gapMs"',
          'c.url AS "url"',
          'c.id AS "contentId"',
          'c.type AS "contentType"',
          'c.title AS "title"',
          'c.text AS "text"',
          'c.media_sha256 AS "mediaSha256"',
          'm.bytes AS "mediaBytes"',
          'm.mime AS "mediaMime"',
          'm.duration_ms AS "mediaDurationMs"',
          'c.style AS "style"',
          'COALESCE(iv.sha256, iv0.sha256) AS "imageSha256"',
          'COALESCE(iv.bytes, iv0.bytes) AS "imageBytes"',
          'COALESCE(iv.mime, iv0.mime) AS "imageMime"',
          'dk.kind AS "deviceKind"',
        ])
        .from('deliveries', 'del')
        .innerJoin('occurrences', 'o', 'o.id = del.occurrence_id')
        .innerJoin('schedules', 's', 's.id = o.schedule_id')
        .innerJoin('contents', 'c', 'c.id = s.content_id')
        .leftJoin('media', 'm', 'm.sha256 = c.media_sha256')
        // Image content: the variant for the device's board profile, else the default-size one.
        .leftJoin('devices', 'dv', "dv.id = del.device_id AND c.type = 'image'")
        .leftJoin('content_image_variants', 'iv', 'iv.content_id = c.id AND iv.profile_id = dv.profile_id')
        .leftJoin('content_image_variants', 'iv0', "iv0.content_id = c.id AND iv0.profile_id = '-'")
        // Issue 18: audio carrying a board text reaches boards too; the device's kind picks its slot type.
        .leftJoin('devices', 'dk', "dk.id = del.device_id AND c.type = 'audio' AND c.text IS NOT NULL")
        .where('del.device_id IN (:...ids)', { ids: chunk })
        .andWhere("s.status = 'active'")
        .andWhere('o.start_at + o.duration_ms > :from', { from })
        .andWhere('o.start_at < :to', { to })
        .getRawMany<Record<string, unknown>>();
      for (const r of raw) rows.push(toSlotRow(r));
    }
    return rows;
  }

  /** Current timeline version and area path of each existing device. */
  async deviceInfo(deviceIds: readonly string[]): Promise<Map<string, { version: number; areaPath: string }>> {
    const out = new Map<string, { version: number; areaPath: string }>();
    for (let i = 0; i < deviceIds.length; i += CHUNK) {
      const found = await this.db
        .getRepository(DeviceEntity)
        .createQueryBuilder('d')
        .select(['d.id AS "id"', 'd.timeline_version AS "version"', 'a.path AS "path"'])
        .innerJoin(AreaEntity, 'a', 'a.code = d.area_code')
        .where({ id: In(deviceIds.slice(i, i + CHUNK)) })
        .getRawMany<{ id: string; version: number | string; path: string }>();
      for (const d of found) out.set(d.id, { version: Number(d.version), areaPath: d.path });
    }
    return out;
  }

  /**
   * Stores new timelines and sets each device's version in one transaction. Versions are set with one statement
   * per distinct version (after a fleet-wide change nearly every device shares one), not one per device. Plain SQL:
   * a province's fan-out stores 10,000 payloads, and TypeORM's upsert builds its statement value by value.
   */
  async saveTimelines(timelines: readonly TimelineEntity[]): Promise<void> {
    const pg = this.db.options.type === 'postgres';
    await this.db.transaction(async (tx) => {
      for (let i = 0; i < timelines.length; i += CHUNK) {
        const chunk = timelines.slice(i, i + CHUNK);
        const params: unknown[] = [];
        const tuples = chunk.map((t) => {
          params.push(t.deviceId, t.version, t.generatedAt, t.payload);
          const n = params.length;
          return `(${placeholders(pg, 4, n - 3)})`;
        });
        await tx.query(
          `INSERT INTO timelines (device_id, version, generated_at, payload) VALUES ${tuples.join(', ')} ` +
            'ON CONFLICT (device_id) DO UPDATE SET version = excluded.version, generated_at = excluded.generated_at, payload = excluded.payload',
          params,
        );
        const byVersion = new Map<number, string[]>();
        for (const t of chunk) {
          const ids = byVersion.get(t.version);
          if (ids) ids.push(t.deviceId);
          else byVersion.set(t.version, [t.deviceId]);
        }
        for (const [version, ids] of byVersion) {
          await tx.query(`UPDATE devices SET timeline_version = ${pg ? '$1' : '?'} WHERE id IN (${placeholders(pg, ids.length, 2)})`, [version, ...ids]);
        }
      }
    });
  }

  findTimeline(deviceId: string): Promise<TimelineEntity | null> {
    return this.db.getRepository(TimelineEntity).findOneBy({ deviceId });
  }

  /** Plain SQL: a fan-out reads 10,000 stored payloads (the versions replaced) and every ack batch reads its devices'. */
  async findTimelines(deviceIds: readonly string[]): Promise<TimelineEntity[]> {
    const out: TimelineEntity[] = [];
    const pg = this.db.options.type === 'postgres';
    for (let i = 0; i < deviceIds.length; i += CHUNK) {
      // SQLite: a few list lengths (see padToShape), so the statement stays prepared across a storm's batches.
      const chunk = pg ? deviceIds.slice(i, i + CHUNK) : padToShape(deviceIds.slice(i, i + CHUNK));
      const rows = (await this.db.query(`SELECT device_id, version, generated_at, payload FROM timelines WHERE device_id IN (${placeholders(pg, chunk.length)})`, chunk)) as Array<{
        device_id: string;
        version: unknown;
        generated_at: unknown;
        payload: string;
      }>;
      for (const r of rows) out.push({ deviceId: r.device_id, version: num(r.version), generatedAt: num(r.generated_at), payload: r.payload });
    }
    return out;
  }

  /** Plain SQL: every status batch of a reconnect storm asks it. */
  async deviceVersions(deviceIds: readonly string[]): Promise<Array<Pick<DeviceEntity, 'id' | 'timelineVersion' | 'ackedTimelineVersion'>>> {
    const out: Array<Pick<DeviceEntity, 'id' | 'timelineVersion' | 'ackedTimelineVersion'>> = [];
    const pg = this.db.options.type === 'postgres';
    for (let i = 0; i < deviceIds.length; i += CHUNK) {
      const chunk = pg ? deviceIds.slice(i, i + CHUNK) : padToShape(deviceIds.slice(i, i + CHUNK));
      const rows = (await this.db.query(`SELECT id, timeline_version, acked_timeline_version FROM devices WHERE id IN (${placeholders(pg, chunk.length)})`, chunk)) as Array<{
        id: string;
        timeline_version: unknown;
        acked_timeline_version: unknown;
      }>;
      for (const r of rows) out.push({ id: r.id, timelineVersion: Number(r.timeline_version), ackedTimelineVersion: Number(r.acked_timeline_version) });
    }
    return out;
  }

  findDevice(deviceId: string): Promise<DeviceEntity | null> {
    return this.db.getRepository(DeviceEntity).findOneBy({ id: deviceId });
  }

  /**
   * Records many acks in one transaction (group commit). Each ack moves the device's acked version forward and
   * marks the occurrences carried by that version delivered; devices that acked the same version with the same
   * occurrences (the usual case after a fleet-wide change) share one statement. Returns the deliveries it moved to
   * `delivered`, for the live dashboard.
   */
  async recordAcks(
    acks: ReadonlyArray<{ deviceId: string; version: number; occurrenceIds: readonly string[] }>,
    at: number,
  ): Promise<Array<{ deviceId: string; occurrenceId: string; scheduleId: string }>> {
    const moved: Array<{ deviceId: string; occurrenceId: string; scheduleId: string }> = [];
    const byVersion = new Map<number, string[]>();
    const byOccurrences = new Map<string, { occ: readonly string[]; devices: string[] }>();
    for (const a of acks) {
      const v = byVersion.get(a.version);
      if (v) v.push(a.deviceId);
      else byVersion.set(a.version, [a.deviceId]);
      if (a.occurrenceIds.length === 0) continue;
      const key = a.occurrenceIds.join('|');
      const g = byOccurrences.get(key);
      if (g) g.devices.push(a.deviceId);
      else byOccurrences.set(key, { occ: a.occurrenceIds, devices: [a.deviceId] });
    }
    await retryOnConflict(() => this.db.transaction(async (tx) => {
      // PostgreSQL: devices, then deliveries, each in key order, as presence and report commits lock them.
      await lockRowsInOrder(tx, 'devices', 'id', [...byVersion.values()].flat());
      if (this.db.options.type === 'postgres' && byOccurrences.size > 0) {
        // A superset (every acking device × every occurrence acked) locked in one order; over-locking a few rows of
        // this batch's own devices costs nothing, a deadlock costs the batch.
        const devices = [...new Set([...byOccurrences.values()].flatMap((g) => g.devices))].sort();
        const occ = [...new Set([...byOccurrences.values()].flatMap((g) => g.occ))];
        for (let i = 0; i < devices.length; i += CHUNK) {
          for (let j = 0; j < occ.length; j += CHUNK) {
            const d = devices.slice(i, i + CHUNK);
            const o = occ.slice(j, j + CHUNK);
            await tx.query(
              `SELECT 1 FROM deliveries WHERE state = 'queued' AND device_id IN (${placeholders(true, d.length)}) AND occurrence_id IN (${placeholders(true, o.length, d.length + 1)}) ORDER BY device_id, occurrence_id FOR NO KEY UPDATE`,
              [...d, ...o],
            );
          }
        }
      }
      // Plain SQL: these statements run for every ack batch of a province-wide change.
      const pg = this.db.options.type === 'postgres';
      for (const [version, ids] of byVersion) {
        for (let i = 0; i < ids.length; i += CHUNK) {
          const chunk = pg ? ids.slice(i, i + CHUNK) : padToShape(ids.slice(i, i + CHUNK));
          const v = pg ? '$1' : '?';
          await tx.query(
            `UPDATE devices SET acked_timeline_version = ${v} WHERE id IN (${placeholders(pg, chunk.length, 2)}) AND acked_timeline_version < ${v} AND timeline_version >= ${v}`,
            pg ? [version, ...chunk] : [version, ...chunk, version, version],
          );
        }
      }
      const keys = 'device_id AS "deviceId", occurrence_id AS "occurrenceId", schedule_id AS "scheduleId"';
      for (const { occ, devices } of byOccurrences.values()) {
        for (let i = 0; i < devices.length; i += CHUNK) {
          for (let j = 0; j < occ.length; j += CHUNK) {
            const d = pg ? devices.slice(i, i + CHUNK) : padToShape(devices.slice(i, i + CHUNK));
            const o = occ.slice(j, j + CHUNK);
            if (pg) {
              const where = `state = 'queued' AND device_id IN (${placeholders(true, d.length, 2)}) AND occurrence_id IN (${placeholders(true, o.length, d.length + 2)})`;
              // TypeORM answers a PostgreSQL UPDATE as [rows, count].
              const [rows] = (await tx.query(`UPDATE deliveries SET state = 'delivered', delivered_at = $1, updated_at = $1 WHERE ${where} RETURNING ${keys}`, [at, ...d, ...o])) as [typeof moved, number];
              moved.push(...rows);
            } else {
              const where = `state = 'queued' AND device_id IN (${placeholders(false, d.length)}) AND occurrence_id IN (${placeholders(false, o.length)})`;
              // SQLite has one writer: the rows read inside this transaction are exactly the ones the update changes.
              moved.push(...((await tx.query(`SELECT ${keys} FROM deliveries WHERE ${where}`, [...d, ...o])) as typeof moved));
              await tx.query(`UPDATE deliveries SET state = 'delivered', delivered_at = ?, updated_at = ? WHERE ${where}`, [at, at, ...d, ...o]);
            }
          }
        }
      }
    }));
    return moved;
  }

  /** Devices whose confirmed version is below the compiled one, oldest acknowledgement first. */
  async behind(limit: number, offset: number, scopePath: string | null = null): Promise<{ total: number; devices: DeviceEntity[] }> {
    const qb = this.db.getRepository(DeviceEntity).createQueryBuilder('d').where('d.acked_timeline_version < d.timeline_version');
    if (scopePath !== null) qb.innerJoin('areas', 'a', 'a.code = d.area_code').andWhere('a.path LIKE :scopePath', { scopePath });
    const [devices, total] = await qb.orderBy('d.id', 'ASC').skip(offset).take(limit).getManyAndCount();
    return { total, devices };
  }
}


function toSlotRow(r: Record<string, unknown>): SlotRow {
  return {
    deviceId: String(r.deviceId),
    occurrenceId: String(r.occurrenceId),
    scheduleId: String(r.scheduleId),
    startAt: num(r.startAt),
    durationMs: num(r.durationMs),
    priority: r.priority as SlotRow['priority'],
    volume: numOrNull(r.volume),
    onPreempt: (r.onPreempt ?? null) as SlotRow['onPreempt'],
    repeat: Number(r.repeat ?? 1),
    gapMs: Number(r.gapMs ?? 0),
    url: strOrNull(r.url),
    contentId: String(r.contentId),
    contentType: r.contentType as SlotRow['contentType'],
    title: String(r.title),
    text: strOrNull(r.text),
    mediaSha256: strOrNull(r.mediaSha256),
    mediaBytes: numOrNull(r.mediaBytes),
    mediaMime: strOrNull(r.mediaMime),
    mediaDurationMs: numOrNull(r.mediaDurationMs),
    style: typeof r.style === 'string' && r.style !== '' ? (JSON.parse(r.style) as Record<string, unknown>) : null,
    imageSha256: strOrNull(r.imageSha256),
    imageBytes: numOrNull(r.imageBytes),
    imageMime: strOrNull(r.imageMime),
    deviceKind: (strOrNull(r.deviceKind) ?? null) as SlotRow['deviceKind'],
  };
}
