import { Inject, Injectable } from '@nestjs/common';
import { MAX_COMMAND_TTL_MS, type ReleaseSignature, type UpdateCommand } from '@loa/shared';
import { Clock } from '../common/clock.js';
import { Metrics } from '../common/metrics.js';
import { AppConfig } from '../config/app-config.js';
import { PresenceReader } from '../devices/presence-reader.js';
import type { AppLogger } from '../logging/logger.js';
import { LOGGER } from '../logging/logging.module.js';
import type { AgentReleaseEntity, OtaRolloutEntity } from './ota.entities.js';
import { OtaOffers } from './ota-offers.js';
import { OtaRepository } from './ota.repository.js';
import { packagePath } from './releases.service.js';
import { alertGuarded, FAILED, inMaintenanceWindow, reaches, slotGuarded, stageBounds, TERMINAL } from './rollout-plan.js';
import { RolloutsService } from './rollouts.service.js';

/** Offers per rollout per tick: a big stage is offered over a few ticks, never in one burst. */
const OFFERS_PER_TICK = 500;

export interface TickOutcome {
  offered: number;
  timedOut: number;
  guarded: number;
}

/**
 * Moves the running rollouts along (the leader job `ota.rollouts`): devices offered too long without an end count as
 * failed (`timeout`); too many failures stop the rollout; a stage healthy enough opens the next; every device done
 * completes it; and the current stage's pending devices that are online, in the maintenance window, without an alert
 * over them and without a slot playing or about to, are offered the update.
 */
@Injectable()
export class RolloutEngine {
  private readonly log: AppLogger;

  constructor(
    private readonly repo: OtaRepository,
    private readonly rollouts: RolloutsService,
    private readonly offers: OtaOffers,
    private readonly presence: PresenceReader,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    private readonly metrics: Metrics,
    @Inject(LOGGER) logger: AppLogger,
  ) {
    this.log = logger.child({ ctx: 'ota' });
  }

  async tick(): Promise<TickOutcome> {
    const total: TickOutcome = { offered: 0, timedOut: 0, guarded: 0 };
    for (const r of await this.repo.running()) {
      try {
        const o = await this.advance(r);
        total.offered += o.offered;
        total.timedOut += o.timedOut;
        total.guarded += o.guarded;
      } catch (err) {
        this.metrics.inc('ota_rollout_tick_failed');
        this.log.error({ rolloutId: r.id, err: (err as Error).message }, 'rollout step failed');
      }
    }
    return total;
  }

  private async advance(r: OtaRolloutEntity): Promise<TickOutcome> {
    const now = this.clock.now();
    const out: TickOutcome = { offered: 0, timedOut: 0, guarded: 0 };
    const changedIds: string[] = [];

    for (const row of await this.repo.overdue(r.id, now - r.deviceTimeoutS * 1000)) {
      const ok = await this.repo.transition(r.id, row.deviceId, row.state, {
        state: 'failed',
        errorCode: 'timeout',
        errorMessage: `no end reported within ${r.deviceTimeoutS} s of the offer (last: ${row.state})`,
        updatedAt: now,
      });
      if (ok) {
        out.timedOut++;
        changedIds.push(row.deviceId);
      }
    }
    if (out.timedOut > 0) this.metrics.inc('ota_device_timeout', out.timedOut);

    const counts = (await this.repo.stageCounts(r.id)).map((c) => ({ ...c }));
    const offered = counts.filter((c) => c.state !== 'pending').reduce((a, c) => a + c.n, 0);
    const failed = counts.filter((c) => FAILED.has(c.state)).reduce((a, c) => a + c.n, 0);
    if (offered > 0 && reaches(failed, offered, r.errorThreshold)) {
      const detail = `${failed} of ${offered} offered failed or rolled back (${Math.round((failed * 100) / offered)}% ≥ ${r.errorThreshold}%)`;
      if (await this.repo.setState(r.id, ['running'], { state: 'stopped', stopReason: 'error-threshold', stopDetail: detail, endedAt: now, updatedAt: now })) {
        this.metrics.inc('ota_rollout_stopped_by_errors');
        this.log.warn({ rolloutId: r.id, failed, offered }, 'rollout stopped: error threshold reached');
      }
      this.rollouts.changed({ ...r, state: 'stopped' }, changedIds);
      return out;
    }

    if (counts.every((c) => TERMINAL.has(c.state))) {
      if (await this.repo.setState(r.id, ['running'], { state: 'completed', endedAt: now, updatedAt: now })) this.log.info({ rolloutId: r.id }, 'rollout completed');
      this.rollouts.changed({ ...r, state: 'completed' }, changedIds);
      return out;
    }

    let stage = r.currentStage;
    const bounds = stageBounds(r.deviceCount, r.stages);
    const healthyUpTo = (s: number) => counts.filter((c) => c.stage <= s && c.state === 'healthy').reduce((a, c) => a + c.n, 0);
    while (stage < r.stages.length - 1 && reaches(healthyUpTo(stage), bounds[stage]!, r.successThreshold)) stage++;
    if (stage !== r.currentStage) {
      await this.repo.setStage(r.id, stage, now);
      this.log.info({ rolloutId: r.id, stage, percent: r.stages[stage] }, 'rollout stage opened');
    }

    if (inMaintenanceWindow(r.windowFrom && r.windowTo ? { from: r.windowFrom, to: r.windowTo } : null, now)) {
      const release = await this.repo.release(r.releaseId);
      if (release) Object.assign(out, await this.offer(r, stage, release, now, changedIds), { timedOut: out.timedOut });
    }
    if (changedIds.length > 0 || stage !== r.currentStage) this.rollouts.changed(r, changedIds);
    return out;
  }

  private async offer(r: OtaRolloutEntity, stage: number, release: AgentReleaseEntity, now: number, changedIds: string[]): Promise<TickOutcome> {
    const out: TickOutcome = { offered: 0, timedOut: 0, guarded: 0 };
    const pending = await this.repo.pendingUpTo(r.id, stage, OFFERS_PER_TICK * 4);
    if (pending.length === 0) return out;
    const online = await this.presence.onlineAmong(pending.map((p) => p.deviceId));
    const candidates = pending.filter((p) => online.has(p.deviceId));
    if (candidates.length === 0) return out;
    const ids = candidates.map((c) => c.deviceId);
    const [alertAreas, paths, timelines] = await Promise.all([this.repo.alertAreas(now), this.repo.devicePaths(ids), this.repo.timelines(ids)]);
    const command: UpdateCommand = {
      type: 'update',
      rolloutId: r.id,
      release: { id: release.id, version: release.version, path: packagePath(release.id), sha256: release.sha256, size: release.size, signature: JSON.parse(release.signature) as ReleaseSignature },
      healthTimeoutS: r.healthTimeoutS,
    };
    const ttlS = Math.floor(Math.min(r.deviceTimeoutS * 1000, MAX_COMMAND_TTL_MS) / 1000);
    for (const c of candidates) {
      if (out.offered >= OFFERS_PER_TICK) break;
      if (alertGuarded(paths.get(c.deviceId), alertAreas) || slotGuarded(timelines.get(c.deviceId), now, this.config.ota.slotGuardMs)) {
        out.guarded++;
        continue;
      }
      // Claimed first, so a crash between the two leaves an offered row (it times out) rather than a second offer.
      if (!(await this.repo.transition(r.id, c.deviceId, 'pending', { state: 'offered', offeredAt: now, updatedAt: now }))) continue;
      try {
        const commandId = await this.offers.offer(c.deviceId, command, ttlS, r.createdBy);
        await this.repo.setCommandId(r.id, c.deviceId, commandId);
        out.offered++;
        changedIds.push(c.deviceId);
      } catch (err) {
        await this.repo.transition(r.id, c.deviceId, 'offered', { state: 'pending', offeredAt: null, updatedAt: now });
        this.metrics.inc('ota_offer_failed');
        this.log.warn({ rolloutId: r.id, deviceId: c.deviceId, err: (err as Error).message }, 'update offer failed; tried again next tick');
      }
    }
    if (out.offered > 0) {
      this.metrics.inc('ota_offered', out.offered);
      this.log.info({ rolloutId: r.id, stage, offered: out.offered, guarded: out.guarded }, 'update offered');
    }
    return out;
  }
}
