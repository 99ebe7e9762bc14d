import { Injectable } from '@nestjs/common';
import { DataSource, In, IsNull, LessThan, type EntityManager } from 'typeorm';
import { BoardProfileEntity } from '../board-profiles/board-profile.entity.js';
import { DeviceRevocationEntity } from '../device-auth/device-revocation.entity.js';
import { DeviceTelemetryEntity } from '../telemetry/device-telemetry.entity.js';
import { DeviceConnectionEntity } from './device-connection.entity.js';
import { DeviceEntity } from './device.entity.js';
import { updateColumns } from '../database/update-columns.js';
import { placeholders, updateFromValues, type UpdateColumn } from '../database/bulk-update.js';
import { rawNumOrNull } from '../database/raw-values.js';
import { padToShape } from '../database/statement-shape.js';
import { applyPresence, type PresenceState, type PresenceTransition, type PresenceUpdate } from './presence-state.js';
import { retryOnConflict } from '../database/retry.js';

export type { PresenceUpdate } from './presence-state.js';

const CHUNK = 500;

/** What a presence write sets, in the order writePresence gives the values. */
const PRESENCE_COLUMNS: readonly UpdateColumn[] = [
  { name: 'online', pgType: 'boolean' },
  { name: 'last_seen_at', pgType: 'bigint' },
  { name: 'agent_version', pgType: 'varchar' },
  { name: 'presence_changed_at', pgType: 'bigint' },
  { name: 'presence_reason', pgType: 'varchar' },
];

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

  /**
   * One transaction for a batch of presence updates, applied in order on the devices' current state (locked on
   * PostgreSQL, so several server instances sharing device traffic do not interleave): devices whose presence changed
   * are updated and every online↔offline transition is appended to `device_connections`.
   */
  async writePresence(updates: readonly PresenceUpdate[]): Promise<{ written: number; transitions: PresenceTransition[]; seenOnline: Map<string, number> }> {
    const ids = [...new Set(updates.map((u) => u.deviceId))].sort();
    return retryOnConflict(() => this.db.transaction(async (tx) => {
      const before = await this.presenceStates(tx, ids);
      const after = new Map(before);
      const transitions: PresenceTransition[] = [];
      for (const u of updates) {
        const s = after.get(u.deviceId);
        if (!s) continue; // unknown device (removed meanwhile): nothing to record
        const r = applyPresence(s, u);
        after.set(u.deviceId, r.state);
        if (r.transition) transitions.push(r.transition);
      }
      const changed: unknown[][] = [];
      for (const [id, s] of after) {
        const b = before.get(id);
        if (b && b.online === s.online && b.lastSeenAt === s.lastSeenAt && b.agentVersion === s.agentVersion && b.changedAt === s.changedAt && b.reason === s.reason) continue;
        changed.push([id, s.online, s.lastSeenAt, s.agentVersion, s.changedAt, s.reason]);
      }
      const pg = this.db.options.type === 'postgres';
      // One statement per chunk, not one UPDATE per device: a reconnect storm changes every device's presence.
      // SQLite: in one of a few shapes (a repeated row sets the same values again), so its statement is reused.
      await updateFromValues(tx, 'devices', { name: 'id', pgType: 'varchar' }, PRESENCE_COLUMNS, !pg && changed.length <= CHUNK / 2 ? padToShape(changed) : changed);
      const written = changed.length;
      // Plain SQL, as the update above: a reconnect storm appends a transition for nearly every device. In chunks of
      // power-of-two sizes (300 = 256 + 32 + 8 + 4), so each statement is one of a few the driver keeps prepared.
      for (let i = 0; i < transitions.length; ) {
        let size = 1;
        while (size * 2 <= Math.min(transitions.length - i, 256)) size *= 2;
        const chunk = transitions.slice(i, i + size);
        i += size;
        const params: unknown[] = [];
        const tuples = chunk.map((t) => {
          params.push(t.deviceId, t.at, t.state, t.reason);
          return `(${placeholders(pg, 4, params.length - 3)})`;
        });
        await tx.query(`INSERT INTO device_connections (device_id, at, state, reason) VALUES ${tuples.join(', ')}`, params);
      }
      // What the batch committed for the devices it left online: the writer's last-seen cache (issue 14).
      const seenOnline = new Map<string, number>();
      for (const [id, s] of after) if (s.online && s.lastSeenAt !== null) seenOnline.set(id, s.lastSeenAt);
      return { written, transitions, seenOnline };
    }));
  }

  /**
   * Plain SQL (one statement per chunk, no query builder): this runs for every presence batch of a reconnect storm.
   * On PostgreSQL the rows are locked, in id order, for the batch's transaction: NO KEY UPDATE, the lock the UPDATE
   * itself takes, so the foreign-key checks of concurrent telemetry and report inserts (KEY SHARE) are not blocked
   * and cannot deadlock with it.
   */
  private async presenceStates(tx: EntityManager, ids: readonly string[]): Promise<Map<string, PresenceState>> {
    const out = new Map<string, PresenceState>();
    const pg = this.db.options.type === 'postgres';
    for (let i = 0; i < ids.length; i += CHUNK) {
      // SQLite: a few list lengths (repeats change nothing), so the statement is one the driver keeps prepared.
      const chunk = pg ? ids.slice(i, i + CHUNK) : padToShape(ids.slice(i, i + CHUNK));
      const rows = (await tx.query(
        `SELECT id, online, last_seen_at, agent_version, presence_changed_at, presence_reason FROM devices WHERE id IN (${placeholders(pg, chunk.length)}) ORDER BY id${pg ? ' FOR NO KEY UPDATE' : ''}`,
        chunk,
      )) as Array<{ id: string; online: unknown; last_seen_at: unknown; agent_version: string | null; presence_changed_at: unknown; presence_reason: string | null }>;
      for (const d of rows) {
        out.set(d.id, {
          online: d.online === true || d.online === 1,
          lastSeenAt: rawNumOrNull(d.last_seen_at),
          agentVersion: d.agent_version,
          changedAt: rawNumOrNull(d.presence_changed_at),
          reason: d.presence_reason,
        });
      }
    }
    return out;
  }

  /** Those of these devices whose committed presence is online. */
  async onlineAmong(ids: readonly string[]): Promise<string[]> {
    const out: string[] = [];
    for (let i = 0; i < ids.length; i += CHUNK) {
      const rows = await this.db.getRepository(DeviceEntity).find({ where: { id: In(ids.slice(i, i + CHUNK)), online: true }, select: { id: true } });
      out.push(...rows.map((r) => r.id));
    }
    return out;
  }

  /** Area code of each of these devices that exists (unknown ids are absent). */
  async areaCodesOf(ids: readonly string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (let i = 0; i < ids.length; i += CHUNK) {
      const rows = await this.db.getRepository(DeviceEntity).find({ where: { id: In(ids.slice(i, i + CHUNK)) }, select: { id: true, areaCode: true } });
      for (const r of rows) out.set(r.id, r.areaCode);
    }
    return out;
  }

  /** Devices marked online from which nothing has been heard since `cutoff`. */
  async silentOnline(cutoff: number): Promise<string[]> {
    const rows = await this.db.getRepository(DeviceEntity).find({
      where: [
        { online: true, lastSeenAt: LessThan(cutoff) },
        { online: true, lastSeenAt: IsNull() },
      ],
      select: { id: true },
      order: { id: 'ASC' },
    });
    return rows.map((r) => r.id);
  }

  /** The device's online↔offline transitions, newest first. */
  connections(deviceId: string, limit: number): Promise<DeviceConnectionEntity[]> {
    return this.db.getRepository(DeviceConnectionEntity).find({ where: { deviceId }, order: { at: 'DESC', id: 'DESC' }, take: limit });
  }

  /**
   * The latest telemetry sample of each device. One index probe per device (primary key (device_id, at)), so a
   * fleet-wide list stays cheap however much history is kept.
   */
  /** When each of these devices was revoked (absent: not revoked). */
  async revocations(ids: readonly string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (let i = 0; i < ids.length; i += CHUNK) {
      const rows = await this.db.getRepository(DeviceRevocationEntity).findBy({ deviceId: In(ids.slice(i, i + CHUNK)) });
      for (const r of rows) out.set(r.deviceId, r.revokedAt);
    }
    return out;
  }

  async latestTelemetry(ids: readonly string[]): Promise<Map<string, DeviceTelemetryEntity>> {
    const out = new Map<string, DeviceTelemetryEntity>();
    for (let i = 0; i < ids.length; i += CHUNK) {
      // Driven from devices, so the correlated MAX is one backward index probe per device (not per sample).
      const rows = await this.db
        .getRepository(DeviceTelemetryEntity)
        .createQueryBuilder('t')
        .innerJoin(DeviceEntity, 'd', 't.device_id = d.id AND t.at = (SELECT MAX(x.at) FROM device_telemetry x WHERE x.device_id = d.id)')
        .where('d.id IN (:...ids)', { ids: ids.slice(i, i + CHUNK) })
        .getMany();
      for (const r of rows) out.set(r.deviceId, r);
    }
    return out;
  }

  async updatePresence(id: string, patch: Pick<DeviceEntity, 'online' | 'lastSeenAt'> & Partial<Pick<DeviceEntity, 'agentVersion'>>): Promise<void> {
    await updateColumns(this.db.getRepository(DeviceEntity), { id }, patch);
  }

  /** Only the given fields; a patch that changes nothing writes nothing. */
  async update(id: string, patch: Partial<Pick<DeviceEntity, 'name' | 'areaCode' | 'tags' | 'profileId' | 'nameKey' | 'searchText'>>): Promise<void> {
    await updateColumns(this.db.getRepository(DeviceEntity), { id }, patch);
  }

  async profileExists(id: string): Promise<boolean> {
    return this.db.getRepository(BoardProfileEntity).existsBy({ id });
  }

  async touch(id: string, at: number): Promise<void> {
    await this.db.getRepository(DeviceEntity).update({ id }, { lastSeenAt: at });
  }
}
