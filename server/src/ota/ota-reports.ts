import { Inject, Injectable } from '@nestjs/common';
import type { OtaReport } from '@loa/shared';
import type { OtaFailureCode, OtaRolloutDeviceState } from '@loa/shared/rest';
import { Clock } from '../common/clock.js';
import { Metrics } from '../common/metrics.js';
import type { CommandResult } from '../domain-events/domain-events.js';
import type { AppLogger } from '../logging/logger.js';
import { LOGGER } from '../logging/logging.module.js';
import { OtaRepository } from './ota.repository.js';
import { mayMove, TERMINAL } from './rollout-plan.js';
import { RolloutsService } from './rollouts.service.js';

/** A row changed by someone else between read and write is read again, at most this often. */
const RETRIES = 3;

export type ReportOutcome = 'recorded' | 'duplicate' | 'stale' | 'unknown';

/**
 * What devices say about their updates: `ota` reports (validated at the MQTT boundary) and the answers to the update
 * command. Idempotent: the agent resends its latest report after every reconnect, and reports may cross; a device
 * never moves backwards, nor out of a terminal state of the same rollout.
 */
@Injectable()
export class OtaReports {
  private readonly log: AppLogger;

  constructor(
    private readonly repo: OtaRepository,
    private readonly rollouts: RolloutsService,
    private readonly clock: Clock,
    private readonly metrics: Metrics,
    @Inject(LOGGER) logger: AppLogger,
  ) {
    this.log = logger.child({ ctx: 'ota' });
  }

  async report(deviceId: string, msg: OtaReport): Promise<ReportOutcome> {
    const rollout = await this.repo.rollout(msg.rolloutId);
    // A report for a rollout this device is not part of, or of another release: ignored and counted.
    if (!rollout || rollout.releaseId !== msg.releaseId) return this.ignore('unknown', deviceId, msg);
    const next: OtaRolloutDeviceState = msg.state;
    for (let attempt = 0; attempt < RETRIES; attempt++) {
      const row = await this.repo.row(msg.rolloutId, deviceId);
      if (!row) return this.ignore('unknown', deviceId, msg);
      const same = row.state === next && !(next === 'downloading' || next === 'deferred');
      if (same) {
        this.metrics.inc('ota_report_duplicate');
        return 'duplicate';
      }
      if (!mayMove(row.state, row.errorCode, next)) return this.ignore('stale', deviceId, msg);
      const now = this.clock.now();
      const failure = next === 'failed' || next === 'rolled-back';
      const written = await this.repo.transition(msg.rolloutId, deviceId, row.state, {
        state: next,
        runningVersion: msg.running,
        reportedAt: now,
        updatedAt: now,
        ...(msg.progress ? { progressBytes: msg.progress.bytes, progressTotal: msg.progress.total } : {}),
        ...(failure ? { errorCode: (msg.error?.code ?? null) as OtaFailureCode | null, errorMessage: msg.error?.message ?? null } : TERMINAL.has(next) ? { errorCode: null, errorMessage: null } : {}),
        // A device reporting without the server's offer recorded (a crash between offer and write) is offered now.
        ...(row.offeredAt === null ? { offeredAt: now } : {}),
      });
      if (written) {
        this.metrics.inc(`ota_report_${next.replace('-', '_')}`);
        if (failure) this.log.warn({ rolloutId: msg.rolloutId, deviceId, state: next, error: msg.error }, 'device update failed');
        this.rollouts.changed(rollout, [deviceId]);
        return 'recorded';
      }
    }
    return this.ignore('stale', deviceId, msg);
  }

  /** Answers to update commands: a refusal (`rejected`) or a failure to start (`error`) fails the device. */
  async commandResults(results: readonly CommandResult[]): Promise<number> {
    const refused = results.filter((r) => r.status === 'rejected' || r.status === 'error');
    if (refused.length === 0) return 0;
    const rows = await this.repo.rowsByCommand(refused.map((r) => r.commandId));
    let failed = 0;
    for (const row of rows) {
      const res = refused.find((r) => r.commandId === row.commandId && r.deviceId === row.deviceId);
      if (!res || TERMINAL.has(row.state)) continue;
      const message = (res.result as { message?: string | null } | undefined)?.message ?? null;
      const now = this.clock.now();
      if (await this.repo.transition(row.rolloutId, row.deviceId, row.state, { state: 'failed', errorCode: 'rejected', errorMessage: message, updatedAt: now })) {
        failed++;
        const rollout = await this.repo.rollout(row.rolloutId);
        if (rollout) this.rollouts.changed(rollout, [row.deviceId]);
      }
    }
    if (failed > 0) this.metrics.inc('ota_update_rejected', failed);
    return failed;
  }

  private ignore(outcome: 'unknown' | 'stale', deviceId: string, msg: OtaReport): ReportOutcome {
    this.metrics.inc(`ota_report_${outcome}`);
    this.log.info({ deviceId, rolloutId: msg.rolloutId, state: msg.state, outcome }, 'ota report ignored');
    return outcome;
  }
}
