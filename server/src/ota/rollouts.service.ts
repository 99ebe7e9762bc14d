import { Inject, Injectable } from '@nestjs/common';
import type { DeviceKind } from '@loa/shared';
import {
  OTA_ROLLOUT_DEVICE_STATES,
  type CreateOtaRolloutRequest,
  type OtaDeviceUpdateView,
  type OtaRolloutDetail,
  type OtaRolloutDeviceState,
  type OtaRolloutState,
  type OtaRolloutView,
  type OtaStageProgress,
  type Page,
  createOtaRolloutRequestSchema,
} from '@loa/shared/rest';
import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import type { AreaScope } from '../auth/area-scope.js';
import type { UserPrincipal } from '../auth/principal.js';
import { Clock } from '../common/clock.js';
import { badRequest, conflict, notFound } from '../common/loa-error.js';
import { isoOrNull as iso } from '../common/iso.js';
import { DomainEvents } from '../domain-events/domain-events.js';
import type { AppLogger } from '../logging/logger.js';
import { LOGGER } from '../logging/logging.module.js';
import { TargetResolver } from '../targeting/target-resolver.js';
import type { OtaDeviceUpdateEntity, OtaRolloutEntity } from './ota.entities.js';
import { OtaRepository } from './ota.repository.js';
import { ReleasesService } from './releases.service.js';
import { FAILED, planStages, reaches, stageBounds } from './rollout-plan.js';

type CreateInput = z.output<typeof createOtaRolloutRequestSchema>;
export type { CreateOtaRolloutRequest };

/** Rollouts as operators see and steer them; the rollout engine (a leader job) moves them along. */
@Injectable()
export class RolloutsService {
  private readonly log: AppLogger;

  constructor(
    private readonly repo: OtaRepository,
    private readonly releases: ReleasesService,
    private readonly targets: TargetResolver,
    private readonly clock: Clock,
    private readonly events: DomainEvents,
    @Inject(LOGGER) logger: AppLogger,
  ) {
    this.log = logger.child({ ctx: 'ota' });
  }

  /**
   * Resolves the target now (devices of the kinds, not already running the version) and fixes every device's stage,
   * so stages never shift while the rollout runs; devices added to the area later are not part of it.
   */
  async create(input: CreateInput, user: UserPrincipal): Promise<OtaRolloutDetail> {
    const release = await this.releases.find(input.releaseId);
    const kinds: DeviceKind[] = input.kinds ?? release.kinds;
    const spec = 'areaCode' in input.target ? { areas: [input.target.areaCode], groups: [], devices: [] } : { areas: [], groups: [input.target.groupId], devices: [] };
    const ids = await this.targets.resolve(spec, kinds, true);
    const devices = (await this.repo.devices(ids)).filter((d) => d.agentVersion !== release.version);
    if (devices.length === 0) throw badRequest('ota.no-devices', { version: release.version });
    const now = this.clock.now();
    const id = randomUUID();
    const rollout: OtaRolloutEntity = {
      id,
      releaseId: release.id,
      targetKind: 'areaCode' in input.target ? 'area' : 'group',
      targetRef: 'areaCode' in input.target ? input.target.areaCode : input.target.groupId,
      areaCode: 'areaCode' in input.target ? input.target.areaCode : user.areaCode,
      kinds,
      stages: input.stages,
      currentStage: 0,
      successThreshold: input.successThreshold,
      errorThreshold: input.errorThreshold,
      healthTimeoutS: input.healthTimeoutS,
      deviceTimeoutS: input.deviceTimeoutS,
      windowFrom: input.maintenanceWindow?.from ?? null,
      windowTo: input.maintenanceWindow?.to ?? null,
      state: 'running',
      stopReason: null,
      stopDetail: null,
      deviceCount: devices.length,
      createdBy: user.userId,
      createdAt: now,
      updatedAt: now,
      endedAt: null,
    };
    const versions = new Map(devices.map((d) => [d.id, d.agentVersion]));
    const rows: OtaDeviceUpdateEntity[] = planStages(
      id,
      devices.map((d) => d.id),
      input.stages,
    ).map((p) => ({
      rolloutId: id,
      deviceId: p.deviceId,
      stage: p.stage,
      ord: p.ord,
      state: 'pending',
      commandId: null,
      runningVersion: versions.get(p.deviceId) ?? null,
      progressBytes: null,
      progressTotal: null,
      errorCode: null,
      errorMessage: null,
      offeredAt: null,
      reportedAt: null,
      updatedAt: now,
    }));
    await this.repo.insertRollout(rollout, rows);
    this.log.info({ rolloutId: id, version: release.version, devices: devices.length, stages: input.stages }, 'rollout created');
    this.changed(rollout, []);
    return this.detail(id, null);
  }

  async pause(id: string, scope: AreaScope): Promise<OtaRolloutDetail> {
    return this.move(id, scope, ['running'], { state: 'paused' }, 'paused');
  }

  async resume(id: string, scope: AreaScope): Promise<OtaRolloutDetail> {
    return this.move(id, scope, ['paused'], { state: 'running' }, 'resumed');
  }

  async stop(id: string, scope: AreaScope, reason: string | undefined, by: string): Promise<OtaRolloutDetail> {
    const now = this.clock.now();
    return this.move(id, scope, ['running', 'paused'], { state: 'stopped', stopReason: 'operator', stopDetail: reason ?? `stopped by ${by}`, endedAt: now }, 'stopped');
  }

  private async move(id: string, scope: AreaScope, from: OtaRolloutState[], fields: Partial<OtaRolloutEntity>, action: string): Promise<OtaRolloutDetail> {
    const r = await this.find(id, scope);
    if (!(await this.repo.setState(id, from, { ...fields, updatedAt: this.clock.now() }))) {
      const now = (await this.repo.rollout(id))?.state ?? r.state;
      throw conflict('ota.rollout-state', { state: now, action });
    }
    this.log.info({ rolloutId: id, action }, `rollout ${action}`);
    const after = (await this.repo.rollout(id))!;
    this.changed(after, []);
    return this.detail(id, scope);
  }

  async list(q: { limit: number; offset: number; state?: OtaRolloutState | undefined }, scope: AreaScope): Promise<Page<OtaRolloutView>> {
    const { items, total } = await this.repo.listRollouts(q.limit, q.offset, q.state, scope.pathPattern);
    const counts = await this.repo.counts(items.map((i) => i.id));
    const versions = new Map<string, string>();
    for (const r of items) if (!versions.has(r.releaseId)) versions.set(r.releaseId, (await this.repo.release(r.releaseId))?.version ?? '?');
    return { total, limit: q.limit, offset: q.offset, items: items.map((r) => this.view(r, versions.get(r.releaseId) ?? '?', counts.get(r.id))) };
  }

  async detail(id: string, scope: AreaScope | null): Promise<OtaRolloutDetail> {
    const r = await this.find(id, scope);
    const version = (await this.repo.release(r.releaseId))?.version ?? '?';
    const counts = (await this.repo.counts([id])).get(id);
    return { ...this.view(r, version, counts), stageProgress: await this.stageProgress(r) };
  }

  async devices(id: string, q: { limit: number; offset: number; state?: OtaRolloutDeviceState | undefined }, scope: AreaScope): Promise<Page<OtaDeviceUpdateView>> {
    await this.find(id, scope);
    const { items, total } = await this.repo.devicePage(id, q.state, q.limit, q.offset);
    return {
      total,
      limit: q.limit,
      offset: q.offset,
      items: items.map((u) => ({
        deviceId: u.deviceId,
        deviceName: u.deviceName,
        areaCode: u.areaCode,
        stage: u.stage,
        state: u.state,
        runningVersion: u.runningVersion,
        progress: u.progressBytes !== null && u.progressTotal !== null ? { bytes: u.progressBytes, total: u.progressTotal } : null,
        errorCode: u.errorCode,
        errorMessage: u.errorMessage,
        commandId: u.commandId,
        offeredAt: iso(u.offeredAt),
        reportedAt: iso(u.reportedAt),
        updatedAt: new Date(u.updatedAt).toISOString(),
      })),
    };
  }

  /** 404 outside the reader's subtree (a rollout belongs to its area, or its creator's for a group). */
  async find(id: string, scope: AreaScope | null): Promise<OtaRolloutEntity> {
    const r = await this.repo.rollout(id);
    if (!r) throw notFound('ota.rollout-not-found', { id });
    if (scope && !scope.all && (r.areaCode === null || !scope.contains(r.areaCode))) throw notFound('ota.rollout-not-found', { id });
    return r;
  }

  async stageProgress(r: OtaRolloutEntity): Promise<OtaStageProgress[]> {
    const rows = await this.repo.stageCounts(r.id);
    const bounds = stageBounds(r.deviceCount, r.stages);
    return r.stages.map((percent, index) => {
      const here = rows.filter((x) => x.stage === index);
      const sum = (pred: (s: OtaRolloutDeviceState) => boolean) => here.filter((x) => pred(x.state)).reduce((a, x) => a + x.n, 0);
      const devices = bounds[index]! - (index === 0 ? 0 : bounds[index - 1]!);
      const upTo = rows.filter((x) => x.stage <= index);
      const healthyUpTo = upTo.filter((x) => x.state === 'healthy').reduce((a, x) => a + x.n, 0);
      const done = index < r.currentStage || (r.state === 'completed') || (index === r.currentStage && reaches(healthyUpTo, bounds[index]!, r.successThreshold) && index < r.stages.length - 1);
      return {
        index,
        percent,
        devices,
        offered: sum((s) => s !== 'pending'),
        healthy: sum((s) => s === 'healthy'),
        failed: sum((s) => FAILED.has(s)),
        status: done ? 'done' : index === r.currentStage && (r.state === 'running' || r.state === 'paused') ? 'active' : index < r.currentStage ? 'done' : 'waiting',
      };
    });
  }

  view(r: OtaRolloutEntity, version: string, counts: Map<string, number> | undefined): OtaRolloutView {
    return {
      id: r.id,
      release: { id: r.releaseId, version },
      target: r.targetKind === 'area' ? { areaCode: r.targetRef } : { groupId: r.targetRef },
      kinds: r.kinds,
      stages: r.stages,
      currentStage: r.currentStage,
      successThreshold: r.successThreshold,
      errorThreshold: r.errorThreshold,
      healthTimeoutS: r.healthTimeoutS,
      deviceTimeoutS: r.deviceTimeoutS,
      maintenanceWindow: r.windowFrom && r.windowTo ? { from: r.windowFrom, to: r.windowTo } : null,
      state: r.state,
      stopReason: r.stopReason,
      stopDetail: r.stopDetail,
      createdBy: r.createdBy,
      createdAt: new Date(r.createdAt).toISOString(),
      updatedAt: new Date(r.updatedAt).toISOString(),
      endedAt: iso(r.endedAt),
      devices: r.deviceCount,
      counts: Object.fromEntries(OTA_ROLLOUT_DEVICE_STATES.map((s) => [s, counts?.get(s) ?? 0])) as OtaRolloutView['counts'],
    };
  }

  changed(r: Pick<OtaRolloutEntity, 'id' | 'areaCode' | 'state'>, deviceIds: readonly string[]): void {
    this.events.emit('ota.changed', { rolloutId: r.id, areaCode: r.areaCode, state: r.state, deviceIds });
  }
}
