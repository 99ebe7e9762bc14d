import { Injectable } from '@nestjs/common';
import { DataSource, In, IsNull, LessThan, type EntityManager } from 'typeorm';
import { BoardProfileEntity } from '../board-profiles/board-profile.entity.js';
import { DeviceRevocationEntity } from '../device-auth/device-revocation.entity.js';
import { DeviceTelemetryEntity } from '../telemetry/device-telemetry.entity.js';
import { DeviceConnectionEntity } from './device-connection.entity.js';
import { DeviceEntity } from './device.entity.js';
import { updateColumns } from '../database/update-columns.js';
import { applyPresence, type PresenceState, type PresenceTransition, type PresenceUpdate } from './presence-state.js';

export type { PresenceUpdate } from './presence-state.js';

const CHUNK = 500;

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
  async writePresence(updates: readonly PresenceUpdate[]): Promise<{ written: number; transitions: PresenceTransition[] }> {
    const ids = [...new Set(updates.map((u) => u.deviceId))].sort();
    return this.db.transaction(async (tx) => {
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
      let written = 0;
      const repo = tx.getRepository(DeviceEntity);
      for (const [id, s] of after) {
        const b = before.get(id);
        if (b && b.online === s.online && b.lastSeenAt === s.lastSeenAt && b.agentVersion === s.agentVersion && b.changedAt === s.changedAt && b.reason === s.reason) continue;
        await repo.update(
          { id },
          { online: s.online, lastSeenAt: s.lastSeenAt, agentVersion: s.agentVersion, presenceChangedAt: s.changedAt, presenceReason: s.reason },
        );
        written++;
      }
      for (let i = 0; i < transitions.length; i += CHUNK) {
        await tx
          .createQueryBuilder()
          .insert()
          .into(DeviceConnectionEntity)
          .values(transitions.slice(i, i + CHUNK).map((t) => ({ deviceId: t.deviceId, at: t.at, state: t.state, reason: t.reason })))
          .updateEntity(false)
          .execute();
      }
      return { written, transitions };
    });
  }

  private async presenceStates(tx: EntityManager, ids: readonly string[]): Promise<Map<string, PresenceState>> {
    const out = new Map<string, PresenceState>();
    for (let i = 0; i < ids.length; i += CHUNK) {
      const qb = tx
        .getRepository(DeviceEntity)
        .createQueryBuilder('d')
        .select(['d.id', 'd.online', 'd.lastSeenAt', 'd.agentVersion', 'd.presenceChangedAt', 'd.presenceReason'])
        .where('d.id IN (:...ids)', { ids: ids.slice(i, i + CHUNK) })
        .orderBy('d.id', 'ASC');
      if (this.db.options.type === 'postgres') qb.setLock('pessimistic_write');
      for (const d of await qb.getMany()) {
        out.set(d.id, { online: d.online, lastSeenAt: d.lastSeenAt, agentVersion: d.agentVersion, changedAt: d.presenceChangedAt ?? null, reason: d.presenceReason ?? null });
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
  async update(id: string, patch: Partial<Pick<DeviceEntity, 'name' | 'areaCode' | 'tags' | 'profileId'>>): Promise<void> {
    await updateColumns(this.db.getRepository(DeviceEntity), { id }, patch);
  }

  async profileExists(id: string): Promise<boolean> {
    return this.db.getRepository(BoardProfileEntity).existsBy({ id });
  }

  async touch(id: string, at: number): Promise<void> {
    await this.db.getRepository(DeviceEntity).update({ id }, { lastSeenAt: at });
  }
}
