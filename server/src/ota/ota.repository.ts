import { Injectable } from '@nestjs/common';
import type { DeviceKind } from '@loa/shared';
import type { OtaRolloutDeviceState, OtaRolloutState } from '@loa/shared/rest';
import { DataSource, In, LessThanOrEqual, Not } from 'typeorm';
import { AgentReleaseEntity, OtaDeviceUpdateEntity, OtaRolloutEntity } from './ota.entities.js';

const INSERT_CHUNK = 200;
const IN_CHUNK = 500;

export interface EligibleDevice {
  id: string;
  kind: DeviceKind;
  agentVersion: string | null;
}

/** The OTA tables, plus the few reads of other features' tables the rollout engine needs (devices, alerts, timelines). */
@Injectable()
export class OtaRepository {
  constructor(private readonly db: DataSource) {}

  private get releases() {
    return this.db.getRepository(AgentReleaseEntity);
  }
  private get rollouts() {
    return this.db.getRepository(OtaRolloutEntity);
  }
  private get updates() {
    return this.db.getRepository(OtaDeviceUpdateEntity);
  }

  // ---- releases ---------------------------------------------------------------------------------------------------

  listReleases(): Promise<AgentReleaseEntity[]> {
    return this.releases.find({ order: { uploadedAt: 'DESC' } });
  }
  release(id: string): Promise<AgentReleaseEntity | null> {
    return this.releases.findOneBy({ id });
  }
  releaseByVersion(version: string): Promise<AgentReleaseEntity | null> {
    return this.releases.findOneBy({ version });
  }
  async insertRelease(r: AgentReleaseEntity): Promise<void> {
    await this.releases.insert(r);
  }
  async deleteRelease(id: string): Promise<void> {
    await this.releases.delete({ id });
  }
  /** Another release with the same package bytes (the file is shared). */
  async sha256InUse(sha256: string): Promise<boolean> {
    return this.releases.exists({ where: { sha256 } });
  }
  async rolloutCounts(releaseIds: readonly string[]): Promise<Map<string, number>> {
    if (releaseIds.length === 0) return new Map();
    const rows = await this.rollouts
      .createQueryBuilder('r')
      .select('r.release_id', 'releaseId')
      .addSelect('COUNT(*)', 'n')
      .where('r.release_id IN (:...ids)', { ids: [...releaseIds] })
      .groupBy('r.release_id')
      .getRawMany<{ releaseId: string; n: string | number }>();
    return new Map(rows.map((r) => [r.releaseId, Number(r.n)]));
  }

  // ---- rollouts ---------------------------------------------------------------------------------------------------

  rollout(id: string): Promise<OtaRolloutEntity | null> {
    return this.rollouts.findOneBy({ id });
  }
  running(): Promise<OtaRolloutEntity[]> {
    return this.rollouts.find({ where: { state: 'running' }, order: { createdAt: 'ASC' } });
  }
  async listRollouts(limit: number, offset: number, state: OtaRolloutState | undefined, areaPrefix: string | null): Promise<{ items: OtaRolloutEntity[]; total: number }> {
    const qb = this.rollouts.createQueryBuilder('r').orderBy('r.created_at', 'DESC').skip(offset).take(limit);
    if (state) qb.andWhere('r.state = :state', { state });
    if (areaPrefix !== null) qb.andWhere('r.area_code IN (SELECT a.code FROM areas a WHERE a.path LIKE :p)', { p: areaPrefix });
    const [items, total] = await qb.getManyAndCount();
    return { items, total };
  }

  /** Inserts the rollout and one pending row per device, in one transaction. */
  async insertRollout(r: OtaRolloutEntity, rows: readonly OtaDeviceUpdateEntity[]): Promise<void> {
    await this.db.transaction(async (m) => {
      await m.getRepository(OtaRolloutEntity).insert(r);
      for (let i = 0; i < rows.length; i += INSERT_CHUNK) await m.getRepository(OtaDeviceUpdateEntity).insert(rows.slice(i, i + INSERT_CHUNK) as OtaDeviceUpdateEntity[]);
    });
  }

  /** Moves a rollout from one of `from` to `to`; false when it was not in one of them (a concurrent change). */
  async setState(id: string, from: readonly OtaRolloutState[], fields: Partial<Pick<OtaRolloutEntity, 'state' | 'stopReason' | 'stopDetail' | 'endedAt' | 'updatedAt'>>): Promise<boolean> {
    const r = await this.rollouts.update({ id, state: In([...from]) }, fields);
    return (r.affected ?? 0) > 0;
  }
  async setStage(id: string, stage: number, now: number): Promise<void> {
    await this.rollouts.update({ id, state: 'running' }, { currentStage: stage, updatedAt: now });
  }

  // ---- device rows ------------------------------------------------------------------------------------------------

  async counts(rolloutIds: readonly string[]): Promise<Map<string, Map<string, number>>> {
    const out = new Map<string, Map<string, number>>();
    if (rolloutIds.length === 0) return out;
    const rows = await this.updates
      .createQueryBuilder('u')
      .select('u.rollout_id', 'rolloutId')
      .addSelect('u.state', 'state')
      .addSelect('COUNT(*)', 'n')
      .where('u.rollout_id IN (:...ids)', { ids: [...rolloutIds] })
      .groupBy('u.rollout_id')
      .addGroupBy('u.state')
      .getRawMany<{ rolloutId: string; state: string; n: string | number }>();
    for (const r of rows) {
      const m = out.get(r.rolloutId) ?? new Map<string, number>();
      m.set(r.state, Number(r.n));
      out.set(r.rolloutId, m);
    }
    return out;
  }

  /** Counts by stage and state of one rollout. */
  async stageCounts(rolloutId: string): Promise<Array<{ stage: number; state: OtaRolloutDeviceState; n: number }>> {
    const rows = await this.updates
      .createQueryBuilder('u')
      .select('u.stage', 'stage')
      .addSelect('u.state', 'state')
      .addSelect('COUNT(*)', 'n')
      .where('u.rollout_id = :id', { id: rolloutId })
      .groupBy('u.stage')
      .addGroupBy('u.state')
      .getRawMany<{ stage: string | number; state: OtaRolloutDeviceState; n: string | number }>();
    return rows.map((r) => ({ stage: Number(r.stage), state: r.state, n: Number(r.n) }));
  }

  async devicePage(rolloutId: string, state: OtaRolloutDeviceState | undefined, limit: number, offset: number): Promise<{ items: Array<OtaDeviceUpdateEntity & { deviceName: string | null; areaCode: string | null }>; total: number }> {
    const where = { rolloutId, ...(state ? { state } : {}) };
    const [items, total] = await this.updates.findAndCount({ where, order: { ord: 'ASC' }, skip: offset, take: limit });
    const names = new Map<string, { name: string; areaCode: string }>();
    if (items.length > 0) {
      const rows = await this.db
        .createQueryBuilder()
        .select('d.id', 'id')
        .addSelect('d.name', 'name')
        .addSelect('d.area_code', 'areaCode')
        .from('devices', 'd')
        .where('d.id IN (:...ids)', { ids: items.map((i) => i.deviceId) })
        .getRawMany<{ id: string; name: string; areaCode: string }>();
      for (const r of rows) names.set(r.id, { name: r.name, areaCode: r.areaCode });
    }
    return { items: items.map((i) => ({ ...i, deviceName: names.get(i.deviceId)?.name ?? null, areaCode: names.get(i.deviceId)?.areaCode ?? null })), total };
  }

  row(rolloutId: string, deviceId: string): Promise<OtaDeviceUpdateEntity | null> {
    return this.updates.findOneBy({ rolloutId, deviceId });
  }
  rowsByCommand(commandIds: readonly string[]): Promise<OtaDeviceUpdateEntity[]> {
    if (commandIds.length === 0) return Promise.resolve([]);
    return this.updates.findBy({ commandId: In([...commandIds]) });
  }

  /** Pending rows of stages up to `stage`, in stage order. */
  pendingUpTo(rolloutId: string, stage: number, limit: number): Promise<OtaDeviceUpdateEntity[]> {
    return this.updates.find({ where: { rolloutId, state: 'pending', stage: LessThanOrEqual(stage) }, order: { ord: 'ASC' }, take: limit });
  }

  /** Offered rows not terminal and offered before `before`. */
  overdue(rolloutId: string, before: number): Promise<OtaDeviceUpdateEntity[]> {
    return this.updates.find({ where: { rolloutId, state: Not(In(['pending', 'healthy', 'failed', 'rolled-back'])), offeredAt: LessThanOrEqual(before) } });
  }

  /**
   * Writes a row's change only if it is still in state `expected` (optimistic: reports, command results and the
   * engine's timeouts may race on several instances). False when someone else changed it first.
   */
  async transition(rolloutId: string, deviceId: string, expected: OtaRolloutDeviceState, fields: Partial<OtaDeviceUpdateEntity>): Promise<boolean> {
    const r = await this.updates.update({ rolloutId, deviceId, state: expected }, fields);
    return (r.affected ?? 0) > 0;
  }

  /** The command that carried a device's offer (whatever state a fast report already moved it to). */
  async setCommandId(rolloutId: string, deviceId: string, commandId: string): Promise<void> {
    await this.updates.update({ rolloutId, deviceId }, { commandId });
  }

  /**
   * Whether the device has an offer of this release in progress (offered, not yet installed or ended) in a rollout
   * that is not stopped: only then may it download the package.
   */
  async hasActiveOffer(deviceId: string, releaseId: string): Promise<boolean> {
    const row = await this.updates
      .createQueryBuilder('u')
      .innerJoin(OtaRolloutEntity, 'r', 'r.id = u.rollout_id')
      .where('u.device_id = :deviceId', { deviceId })
      .andWhere('r.release_id = :releaseId', { releaseId })
      .andWhere("r.state IN ('running', 'paused')")
      .andWhere("u.state IN ('offered', 'accepted', 'deferred', 'downloading', 'downloaded', 'installing')")
      .getOne();
    return row !== null;
  }

  // ---- other features' facts ------------------------------------------------------------------------------------

  /** Devices of the ids with their kind and running agent version. */
  async devices(ids: readonly string[]): Promise<EligibleDevice[]> {
    const out: EligibleDevice[] = [];
    for (let i = 0; i < ids.length; i += IN_CHUNK) {
      const rows = await this.db
        .createQueryBuilder()
        .select('d.id', 'id')
        .addSelect('d.kind', 'kind')
        .addSelect('d.agent_version', 'agentVersion')
        .from('devices', 'd')
        .where('d.id IN (:...ids)', { ids: ids.slice(i, i + IN_CHUNK) })
        .getRawMany<EligibleDevice>();
      out.push(...rows);
    }
    return out;
  }

  /** Area paths of devices ("/01/004/00115/"). */
  async devicePaths(ids: readonly string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (let i = 0; i < ids.length; i += IN_CHUNK) {
      const rows = await this.db
        .createQueryBuilder()
        .select('d.id', 'id')
        .addSelect('a.path', 'path')
        .from('devices', 'd')
        .innerJoin('areas', 'a', 'a.code = d.area_code')
        .where('d.id IN (:...ids)', { ids: ids.slice(i, i + IN_CHUNK) })
        .getRawMany<{ id: string; path: string }>();
      for (const r of rows) out.set(r.id, r.path);
    }
    return out;
  }

  /** Area codes with an alert in force now (on their channel, effective, not expired). */
  async alertAreas(now: number): Promise<Set<string>> {
    const rows = await this.db
      .createQueryBuilder()
      .select('al.area_code', 'areaCode')
      .from('alerts', 'al')
      .where("al.status = 'active' AND al.cleared_at IS NULL AND al.effective_at <= :now AND al.expires_at > :now", { now })
      .getRawMany<{ areaCode: string }>();
    return new Set(rows.map((r) => r.areaCode));
  }

  /** The stored timeline JSON of devices. */
  async timelines(ids: readonly string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (let i = 0; i < ids.length; i += IN_CHUNK) {
      const rows = await this.db
        .createQueryBuilder()
        .select('t.device_id', 'id')
        .addSelect('t.payload', 'payload')
        .from('timelines', 't')
        .where('t.device_id IN (:...ids)', { ids: ids.slice(i, i + IN_CHUNK) })
        .getRawMany<{ id: string; payload: string }>();
      for (const r of rows) out.set(r.id, r.payload);
    }
    return out;
  }

  async areaPath(code: string): Promise<string | null> {
    const r = await this.db.createQueryBuilder().select('a.path', 'path').from('areas', 'a').where('a.code = :code', { code }).getRawOne<{ path: string }>();
    return r?.path ?? null;
  }
}
