import { BadRequestException, ConflictException, Inject, Injectable, NotFoundException, Optional } from '@nestjs/common';
import { ApprovalRulesService } from '../approvals/approval-rules.service.js';
import { ALERT_CONFIRM_WINDOW_MS } from '../approvals/approval-rules.js';
import { PROTOCOL_VERSION, type AlertMessage, type Priority } from '@loa/shared';
import { AreasService } from '../areas/areas.service.js';
import { Clock } from '../common/clock.js';
import { newId } from '../common/ids.js';
import { Metrics } from '../common/metrics.js';
import { NamedLocks } from '../common/named-locks.js';
import { TransactionRunner } from '../database/transaction-runner.js';
import { DeviceGateway } from '../device-gateway/device-gateway.js';
import { FanoutJobs, type FanoutRun } from '../fanouts/fanout-jobs.js';
import type { MediaEntity } from '../media/media.entity.js';
import type { AlertEntity } from './alert.entity.js';
import { LOGGER } from '../logging/logging.module.js';
import type { AppLogger } from '../logging/logger.js';
import { AlertsRepository } from './alerts.repository.js';
import { isoOrNull as iso } from '../common/iso.js';
import type { AlertChangeResult, AlertSource, AlertView } from '@loa/shared/rest';
export type { AlertChangeResult, AlertView } from '@loa/shared/rest';

/** What an alert's fan-out puts on its area channel (issue 14). */
type AlertPublish = { msgType: 'alert' | 'update' } | { msgType: 'cancel' };

/** Publishes on one area's channel one at a time: a late publish must never put back what a newer one replaced. */
const channelLock = (areaCode: string): string => `alerts.channel:${areaCode}`;

export interface CreateAlertInput {
  areaCode: string;
  title: string;
  text?: string | undefined;
  mediaSha256?: string | undefined;
  volume?: number | undefined;
  priority: Priority;
  effectiveAt?: number | undefined;
  expiresInS: number;
  /** Issue 18: where it came from (default `manual`). */
  source?: AlertSource | undefined;
  /** Issue 18: a live or relayed stream for the speakers (then no audio file is needed). */
  stream?: { url: string; live: boolean } | undefined;
  /**
   * Issue 18: publish at once even when the two-person rule holds (a CAP source the operator trusts). The caller
   * decides; a person using the alert form never passes it.
   */
  skipSecondPerson?: boolean | undefined;
}

/**
 * Area-wide alerts: one retained publish reaches every device of the subtree, including those that connect
 * later. A new alert on an area replaces the previous one; a cancellation is itself retained until the alert
 * would have expired, so devices that were offline withdraw it too; expired channels are cleared.
 *
 * Issue 14: a create, confirmation or cancellation stores the alert with a fan-out job and answers; the job
 * (AlertFanout → `publishJob`) publishes in the background, the broker delivering to a province's devices.
 */
@Injectable()
export class AlertsService {
  constructor(
    private readonly repo: AlertsRepository,
    private readonly areas: AreasService,
    private readonly gateway: DeviceGateway,
    private readonly clock: Clock,
    private readonly metrics: Metrics,
    @Inject(LOGGER) private readonly logger: AppLogger,
    private readonly tx: TransactionRunner,
    private readonly fanouts: FanoutJobs,
    private readonly locks: NamedLocks,
    /** Issue 7; without it (hand-wired tests) alerts go out at once, as before the two-person rule. */
    @Optional() private readonly rules?: ApprovalRulesService,
  ) {}

  async create(input: CreateAlertInput, userId: string): Promise<AlertChangeResult> {
    await this.areas.requirePaths([input.areaCode]);
    if (!input.text && !input.mediaSha256 && !input.stream) throw new BadRequestException('an alert needs text, audio (mediaSha256), a stream, or text with audio');
    let media: MediaEntity | null = null;
    if (input.mediaSha256) {
      media = await this.repo.findMedia(input.mediaSha256);
      if (!media) throw new BadRequestException(`unknown media ${input.mediaSha256}: upload it first (POST /api/v1/media)`);
    }
    const now = this.clock.now();
    const effectiveAt = input.effectiveAt ?? now;
    const alert: AlertEntity = {
      id: newId(),
      areaCode: input.areaCode,
      priority: input.priority,
      title: input.title,
      text: input.text ?? null,
      mediaSha256: media?.sha256 ?? null,
      volume: input.volume ?? null,
      status: 'active',
      replaces: null,
      sentAt: now,
      effectiveAt,
      expiresAt: effectiveAt + input.expiresInS * 1000,
      cancelledAt: null,
      clearedAt: null,
      createdBy: userId,
      source: input.source ?? 'manual',
      streamUrl: input.stream?.url ?? null,
    };
    if (!input.skipSecondPerson && this.rules && (await this.rules.get()).emergency.twoPerson) {
      // Off the channel until a second person confirms (POST /alerts/:id/confirm); devices know nothing of it.
      const pending: AlertEntity = { ...alert, status: 'pending', requestedAt: now };
      await this.repo.insert(pending);
      this.logger.warn({ ctx: 'alerts', alertId: alert.id, areaCode: alert.areaCode, createdBy: userId }, 'alert awaits a second person');
      return { ...view(pending), fanout: null };
    }
    const previous = await this.repo.findActive(input.areaCode);
    alert.replaces = previous?.id ?? null;
    const devices = await this.repo.deviceCountUnder(alert.areaCode);
    const job = await this.tx.run(async () => {
      await this.repo.insertReplacing(alert);
      return this.addJob(alert, { msgType: previous ? 'update' : 'alert' }, devices, userId);
    });
    this.logger.warn({ ctx: 'alerts', alertId: alert.id, areaCode: alert.areaCode, replaces: alert.replaces, fanoutId: job.id }, 'alert accepted');
    return { ...view(alert), fanout: this.fanouts.start(job) };
  }

  /**
   * Two-person rule: a second user publishes a pending alert exactly as an immediate create would have. An alert
   * meant to take effect at once does so from the confirmation, keeping its requested duration.
   */
  async confirm(id: string, userId: string): Promise<AlertChangeResult> {
    const alert = await this.repo.find(id);
    if (!alert) throw new NotFoundException(`alert ${id} not found`);
    if (alert.status !== 'pending') throw new ConflictException(`alert ${id} is ${alert.status}: only a pending alert can be confirmed`);
    if (alert.createdBy === userId) throw new ConflictException(`alert ${id}: a second person must confirm it (the user who created it cannot)`);
    const now = this.clock.now();
    const requestedAt = alert.requestedAt ?? alert.sentAt;
    if (now - requestedAt > ALERT_CONFIRM_WINDOW_MS) {
      throw new ConflictException(`alert ${id} expired: it waited more than ${ALERT_CONFIRM_WINDOW_MS / 60_000} minutes for confirmation; send it again`);
    }
    const media = alert.mediaSha256 ? await this.repo.findMedia(alert.mediaSha256) : null;
    if (alert.mediaSha256 && !media) throw new BadRequestException(`media ${alert.mediaSha256} no longer exists`);
    const immediate = alert.effectiveAt <= requestedAt;
    const effectiveAt = immediate ? now : alert.effectiveAt;
    const previous = await this.repo.findActive(alert.areaCode);
    const active: AlertEntity = {
      ...alert,
      status: 'active',
      replaces: previous?.id ?? null,
      sentAt: now,
      effectiveAt,
      expiresAt: immediate ? alert.expiresAt + (now - requestedAt) : alert.expiresAt,
      requestedAt,
      confirmedBy: userId,
      confirmedAt: now,
    };
    const devices = await this.repo.deviceCountUnder(active.areaCode);
    const job = await this.tx.run(async () => {
      if (!(await this.repo.activateReplacing(active))) throw new ConflictException(`alert ${id} changed meanwhile: cannot confirm it`);
      return this.addJob(active, { msgType: previous ? 'update' : 'alert' }, devices, userId);
    });
    this.logger.warn({ ctx: 'alerts', alertId: id, areaCode: active.areaCode, replaces: active.replaces, confirmedBy: userId, fanoutId: job.id }, 'alert confirmed');
    return { ...view(active), fanout: this.fanouts.start(job) };
  }

  /** Pending alerts still confirmable (younger than the confirmation window). */
  async pending(): Promise<AlertView[]> {
    const now = this.clock.now();
    return (await this.repo.pending()).filter((a) => now - (a.requestedAt ?? a.sentAt) <= ALERT_CONFIRM_WINDOW_MS).map(view);
  }

  async cancel(id: string, userId: string | null = null): Promise<AlertChangeResult> {
    const alert = await this.repo.find(id);
    if (!alert) throw new NotFoundException(`alert ${id} not found`);
    if (alert.status === 'pending') {
      // Never published: nothing to withdraw from the channel; cleared so no sweep or restart ever publishes it.
      const now = this.clock.now();
      await this.repo.update(id, { status: 'cancelled', cancelledAt: now, clearedAt: now });
      this.logger.warn({ ctx: 'alerts', alertId: id, areaCode: alert.areaCode }, 'pending alert cancelled');
      return { ...view({ ...alert, status: 'cancelled', cancelledAt: now, clearedAt: now }), fanout: null };
    }
    if (alert.status !== 'active' || alert.clearedAt !== null) throw new ConflictException(`alert ${id} is ${alert.clearedAt ? 'expired' : alert.status}; only an active alert can be cancelled`);
    const now = this.clock.now();
    const cancelled: AlertEntity = { ...alert, status: 'cancelled', cancelledAt: now };
    const devices = await this.repo.deviceCountUnder(alert.areaCode);
    const job = await this.tx.run(async () => {
      if (!(await this.repo.cancelActive(id, now))) throw new ConflictException(`alert ${id} changed meanwhile: cannot cancel it`);
      return this.addJob(cancelled, { msgType: 'cancel' }, devices, userId ?? alert.createdBy);
    });
    this.logger.warn({ ctx: 'alerts', alertId: id, areaCode: alert.areaCode, fanoutId: job.id }, 'alert cancelled');
    return { ...view(cancelled), fanout: this.fanouts.start(job) };
  }

  /**
   * An alert's fan-out (run by AlertFanout, again after a crash): puts the alert, its update or its cancellation on
   * the area channel, unless the channel has moved on since (a newer alert replaced it, it was cancelled, or it
   * expired and was cleared): the retained message must stay the newest.
   */
  async publishJob(run: FanoutRun): Promise<void> {
    const what = run.job.params as AlertPublish | null;
    run.phase('sending');
    const first = await this.repo.find(run.job.ref);
    if (!first || !what) return;
    await this.locks.run(channelLock(first.areaCode), async () => {
      const alert = await this.repo.find(run.job.ref);
      if (!alert || alert.clearedAt !== null) return;
      if (what.msgType === 'cancel') {
        if (alert.status !== 'cancelled') return;
        await this.gateway.publishAlert(this.cancelMessage(alert, alert.cancelledAt ?? alert.sentAt));
      } else {
        if (alert.status !== 'active') return;
        const media = alert.mediaSha256 ? await this.repo.findMedia(alert.mediaSha256) : null;
        await this.gateway.publishAlert(this.message(alert, what.msgType, media));
        this.metrics.inc('alerts_sent');
      }
    });
    run.advance(run.job.total);
  }

  private addJob(alert: AlertEntity, what: AlertPublish, devices: number, by: string) {
    return this.fanouts.add({ kind: 'alert', ref: alert.id, total: devices, areaCode: alert.areaCode, createdBy: by, params: { ...what } });
  }

  async get(id: string): Promise<AlertView> {
    const alert = await this.repo.find(id);
    if (!alert) throw new NotFoundException(`alert ${id} not found`);
    return view(alert);
  }

  async list(): Promise<AlertView[]> {
    return (await this.repo.list()).map(view);
  }

  /**
   * Retained messages of the embedded broker live in memory: after a restart, every alert (or cancellation) still
   * on its channel is published again, so devices connecting later still learn of it.
   */
  async republishRetained(): Promise<number> {
    const now = this.clock.now();
    let n = 0;
    for (const alert of await this.repo.onChannel(now)) {
      if (alert.status === 'cancelled') {
        await this.gateway.publishAlert(this.cancelMessage(alert, alert.cancelledAt ?? now));
      } else {
        const media = alert.mediaSha256 ? await this.repo.findMedia(alert.mediaSha256) : null;
        await this.gateway.publishAlert(this.message(alert, alert.replaces ? 'update' : 'alert', media));
      }
      n++;
    }
    return n;
  }

  /** Removes expired alerts (and their cancellations) from the retained channels. */
  async clearExpired(): Promise<number> {
    const now = this.clock.now();
    const due = await this.repo.dueForClearing(now);
    for (const alert of due) {
      await this.gateway.clearAlert(alert.areaCode);
      await this.repo.update(alert.id, { clearedAt: now });
    }
    return due.length;
  }

  private cancelMessage(alert: AlertEntity, at: number): AlertMessage {
    return { ...this.message(alert, 'cancel', null), id: `${alert.id}:cancel`, references: alert.id, sentAt: at };
  }

  private message(alert: AlertEntity, msgType: AlertMessage['msgType'], media: MediaEntity | null): AlertMessage {
    return {
      v: PROTOCOL_VERSION,
      id: alert.id,
      msgType,
      ...(alert.replaces ? { references: alert.replaces } : {}),
      areaCode: alert.areaCode,
      priority: alert.priority,
      sentAt: alert.sentAt,
      effectiveAt: alert.effectiveAt,
      expiresAt: alert.expiresAt,
      title: alert.title,
      ...(alert.text ? { text: alert.text } : {}),
      ...(media ? { media: { sha256: media.sha256, bytes: media.bytes, durationMs: media.durationMs, mime: media.mime } } : {}),
      ...(alert.volume === null ? {} : { volume: alert.volume }),
      ...(alert.streamUrl ? { stream: { url: alert.streamUrl, live: alert.source === 'live' } } : {}),
    };
  }
}

const view = (a: AlertEntity): AlertView => ({
  id: a.id,
  areaCode: a.areaCode,
  priority: a.priority,
  title: a.title,
  text: a.text,
  mediaSha256: a.mediaSha256,
  volume: a.volume,
  status: a.status,
  replaces: a.replaces,
  sentAt: new Date(a.sentAt).toISOString(),
  effectiveAt: new Date(a.effectiveAt).toISOString(),
  expiresAt: new Date(a.expiresAt).toISOString(),
  cancelledAt: iso(a.cancelledAt),
  createdBy: a.createdBy,
  requestedAt: iso(a.requestedAt),
  confirmedBy: a.confirmedBy ?? null,
  confirmedAt: iso(a.confirmedAt),
  source: a.source ?? 'manual',
  streamUrl: a.streamUrl ?? null,
});
