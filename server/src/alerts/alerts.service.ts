import { BadGatewayException, Inject, Injectable, Optional } from '@nestjs/common';
import { ApprovalRulesService } from '../approvals/approval-rules.service.js';
import { ALERT_CONFIRM_WINDOW_MS } from '../approvals/approval-rules.js';
import { PROTOCOL_VERSION, type AlertMessage, type Priority } from '@loa/shared';
import { AreasService } from '../areas/areas.service.js';
import { Clock } from '../common/clock.js';
import { AppConfig } from '../config/app-config.js';
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
import { AlertDeliveriesRepository, type AlertReach } from './alert-deliveries.repository.js';
import { DomainEvents } from '../domain-events/domain-events.js';
import { TtsService } from '../tts/tts.service.js';
import { TtsEngineError } from '../tts/tts-engine.js';
import { isoOrNull as iso } from '../common/iso.js';
import type { AlertChangeResult, AlertSource, AlertView } from '@loa/shared/rest';
import { badRequest, conflict, notFound } from '../common/loa-error.js';
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
  /** Issue 18: read `text` aloud with the server's TTS and send that speech to the speakers (not with mediaSha256). */
  speakText?: boolean | undefined;
}

/** The rule an alert's audio is checked against (see checkEmergencyAudio). */
const EMERGENCY_AUDIO_RULE = 'emergency.audioFromEmergencyContentOnly';

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
    /** Issue 18: LOA_ALERT_LEAD_MS; without it (hand-wired tests) an alert sent "now" starts on arrival. */
    @Optional() private readonly config?: AppConfig,
    /** Issue 18, proof of play; without it (hand-wired tests) no delivery records are kept. */
    @Optional() private readonly deliveries?: AlertDeliveriesRepository,
    /** Issue 18, `speakText`; without it such a request is refused. */
    @Optional() private readonly tts?: TtsService,
    @Optional() private readonly events?: DomainEvents,
  ) {}

  async create(input: CreateAlertInput, userId: string): Promise<AlertChangeResult> {
    if (input.speakText) {
      if (input.mediaSha256) throw badRequest('alert.speak-with-media');
      if (input.stream) throw badRequest('alert.speak-with-stream');
      if (!input.text) throw badRequest('alert.speak-needs-text');
    }
    await this.areas.requirePaths([input.areaCode]);
    if (!input.text && !input.mediaSha256 && !input.stream) throw badRequest('alert.needs-body');
    let media: MediaEntity | null = null;
    if (input.mediaSha256) {
      media = await this.repo.findMedia(input.mediaSha256);
      if (!media) throw badRequest('media.unknown', { id: input.mediaSha256 });
      if ((input.source ?? 'manual') === 'manual') await this.checkEmergencyAudio(media.sha256);
    } else if (input.speakText && input.text) {
      media = await this.speak(input.text, userId);
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
      // Issue 19: the people who may confirm it are told (live queue, notifications).
      this.events?.emit('approval.changed', { subject: 'alert', id: alert.id, action: 'submitted', by: userId, at: now });
      return { ...(await this.present(pending)), fanout: null };
    }
    // Sent "now": every speaker starts at one instant a short lead ahead, not each the moment the alert reaches it.
    if (input.effectiveAt === undefined) Object.assign(alert, { effectiveAt: now + (this.config?.alertLeadMs ?? 0), expiresAt: now + (this.config?.alertLeadMs ?? 0) + input.expiresInS * 1000 });
    const previous = await this.repo.findActive(input.areaCode);
    alert.replaces = previous?.id ?? null;
    const devices = await this.repo.deviceCountUnder(alert.areaCode);
    const job = await this.tx.run(async () => {
      await this.repo.insertReplacing(alert);
      return this.addJob(alert, { msgType: previous ? 'update' : 'alert' }, devices, userId);
    });
    this.logger.warn({ ctx: 'alerts', alertId: alert.id, areaCode: alert.areaCode, replaces: alert.replaces, fanoutId: job.id }, 'alert accepted');
    return { ...(await this.present(alert)), fanout: this.fanouts.start(job) };
  }

  /**
   * Two-person rule: a second user publishes a pending alert exactly as an immediate create would have. An alert
   * meant to take effect at once does so from the confirmation, keeping its requested duration.
   */
  async confirm(id: string, userId: string): Promise<AlertChangeResult> {
    const alert = await this.repo.find(id);
    if (!alert) throw notFound('alert.not-found', { id });
    if (alert.status !== 'pending') throw conflict('alert.not-pending', { id, status: alert.status });
    if (alert.createdBy === userId) throw conflict('alert.second-person', { id });
    const now = this.clock.now();
    const requestedAt = alert.requestedAt ?? alert.sentAt;
    if (now - requestedAt > ALERT_CONFIRM_WINDOW_MS) {
      throw conflict('alert.confirm-expired', { id, minutes: ALERT_CONFIRM_WINDOW_MS / 60_000 });
    }
    const media = alert.mediaSha256 ? await this.repo.findMedia(alert.mediaSha256) : null;
    if (alert.mediaSha256 && !media) throw badRequest('media.gone', { id: alert.mediaSha256 });
    const immediate = alert.effectiveAt <= requestedAt;
    // Sent "now" and confirmed now: the same short lead as an immediate create, so every speaker starts together.
    const effectiveAt = immediate ? now + (this.config?.alertLeadMs ?? 0) : alert.effectiveAt;
    const previous = await this.repo.findActive(alert.areaCode);
    const active: AlertEntity = {
      ...alert,
      status: 'active',
      replaces: previous?.id ?? null,
      sentAt: now,
      effectiveAt,
      expiresAt: immediate ? alert.expiresAt + (effectiveAt - alert.effectiveAt) : alert.expiresAt,
      requestedAt,
      confirmedBy: userId,
      confirmedAt: now,
    };
    const devices = await this.repo.deviceCountUnder(active.areaCode);
    const job = await this.tx.run(async () => {
      if (!(await this.repo.activateReplacing(active))) throw conflict('alert.changed-meanwhile', { id, action: 'confirm' });
      return this.addJob(active, { msgType: previous ? 'update' : 'alert' }, devices, userId);
    });
    this.logger.warn({ ctx: 'alerts', alertId: id, areaCode: active.areaCode, replaces: active.replaces, confirmedBy: userId, fanoutId: job.id }, 'alert confirmed');
    this.events?.emit('approval.changed', { subject: 'alert', id, action: 'approved', by: userId, at: now });
    return { ...(await this.present(active)), fanout: this.fanouts.start(job) };
  }

  /** Pending alerts still confirmable (younger than the confirmation window). */
  async pending(): Promise<AlertView[]> {
    const now = this.clock.now();
    return this.presentAll((await this.repo.pending()).filter((a) => now - (a.requestedAt ?? a.sentAt) <= ALERT_CONFIRM_WINDOW_MS));
  }

  async cancel(id: string, userId: string | null = null): Promise<AlertChangeResult> {
    const alert = await this.repo.find(id);
    if (!alert) throw notFound('alert.not-found', { id });
    if (alert.status === 'pending') {
      // Never published: nothing to withdraw from the channel; cleared so no sweep or restart ever publishes it.
      const now = this.clock.now();
      await this.repo.update(id, { status: 'cancelled', cancelledAt: now, clearedAt: now });
      this.logger.warn({ ctx: 'alerts', alertId: id, areaCode: alert.areaCode }, 'pending alert cancelled');
      const by = userId ?? alert.createdBy;
      this.events?.emit('approval.changed', { subject: 'alert', id, action: by === alert.createdBy ? 'withdrawn' : 'rejected', by, at: now });
      return { ...(await this.present({ ...alert, status: 'cancelled', cancelledAt: now, clearedAt: now })), fanout: null };
    }
    if (alert.status !== 'active' || alert.clearedAt !== null) throw conflict('alert.not-active', { id, status: alert.clearedAt ? 'expired' : alert.status });
    const now = this.clock.now();
    const cancelled: AlertEntity = { ...alert, status: 'cancelled', cancelledAt: now };
    const devices = await this.repo.deviceCountUnder(alert.areaCode);
    const job = await this.tx.run(async () => {
      if (!(await this.repo.cancelActive(id, now))) throw conflict('alert.changed-meanwhile', { id, action: 'cancel' });
      return this.addJob(cancelled, { msgType: 'cancel' }, devices, userId ?? alert.createdBy);
    });
    this.logger.warn({ ctx: 'alerts', alertId: id, areaCode: alert.areaCode, fanoutId: job.id }, 'alert cancelled');
    return { ...(await this.present(cancelled)), fanout: this.fanouts.start(job) };
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
        // Under the channel lock: the alert's own publish (which writes its records) ran before, or never will.
        await this.withdraw(alert.id, 'cancelled');
      } else {
        if (alert.status !== 'active') return;
        const media = alert.mediaSha256 ? await this.repo.findMedia(alert.mediaSha256) : null;
        // Records first: an agent may report `delivered` a few milliseconds after the publish.
        if (this.deliveries) await this.deliveries.expect(alert.id, reachOf(alert), this.clock.now());
        await this.gateway.publishAlert(this.message(alert, what.msgType, media));
        this.metrics.inc('alerts_sent');
        if (alert.replaces) await this.withdraw(alert.replaces, `replaced by alert ${alert.id}`);
        this.events?.emit('alert.deliveriesChanged', { alertIds: [alert.id] });
      }
    });
    run.advance(run.job.total);
  }

  private addJob(alert: AlertEntity, what: AlertPublish, devices: number, by: string) {
    return this.fanouts.add({ kind: 'alert', ref: alert.id, total: devices, areaCode: alert.areaCode, createdBy: by, params: { ...what } });
  }

  async get(id: string): Promise<AlertView> {
    return this.present(await this.require(id));
  }

  /** The stored alert (404 when unknown). */
  async require(id: string): Promise<AlertEntity> {
    const alert = await this.repo.find(id);
    if (!alert) throw notFound('alert.not-found', { id });
    return alert;
  }

  async list(): Promise<AlertView[]> {
    return this.presentAll(await this.repo.list());
  }

  /** An alert's view with what an approver needs to judge it: its audio's title and length, and how many devices it reaches. */
  private async present(alert: AlertEntity): Promise<AlertView> {
    return (await this.presentAll([alert]))[0]!;
  }

  private async presentAll(alerts: readonly AlertEntity[]): Promise<AlertView[]> {
    const shas = [...new Set(alerts.flatMap((a) => (a.mediaSha256 ? [a.mediaSha256] : [])))];
    const media = shas.length > 0 ? await this.repo.mediaInfo(shas) : new Map<string, { media: MediaEntity; title: string | null }>();
    const counts = new Map<string, Promise<number>>();
    const countOf = (a: AlertEntity): Promise<number> | undefined => {
      if (!this.deliveries) return undefined;
      const reach = reachOf(a);
      const key = `${reach.areaCode}:${reach.speakers}`;
      if (!counts.has(key)) counts.set(key, this.deliveries.countReach(reach));
      return counts.get(key);
    };
    return Promise.all(
      alerts.map(async (a) => {
        const m = a.mediaSha256 ? media.get(a.mediaSha256) : undefined;
        const n = countOf(a);
        return {
          ...view(a),
          media: m ? { sha256: m.media.sha256, title: m.title, durationMs: m.media.durationMs, mime: m.media.mime } : null,
          ...(n === undefined ? {} : { deviceCount: await n }),
        };
      }),
    );
  }

  /** Issue 18: marks an alert's records that had not started `withdrawn`, and tells the live counts. */
  private async withdraw(alertId: string, reason: string): Promise<void> {
    if (!this.deliveries) return;
    const n = await this.deliveries.withdraw(alertId, reason, this.clock.now());
    if (n > 0) this.events?.emit('alert.deliveriesChanged', { alertIds: [alertId] });
  }

  /**
   * Issue 18: with the rule on, an alert's audio must be approved content marked for emergencies (an operator
   * cannot send an arbitrary upload to a province's loudspeakers). Speech made from the alert text is allowed.
   */
  private async checkEmergencyAudio(sha256: string): Promise<void> {
    if (!this.rules || !(await this.rules.get()).emergency.audioFromEmergencyContentOnly) return;
    if (await this.repo.isEmergencyAudio(sha256)) return;
    throw badRequest('alert.emergency-audio', { id: sha256, rule: EMERGENCY_AUDIO_RULE });
  }

  /** Issue 18, speakText: the alert text as speech, through the audio pipeline like an upload. */
  private async speak(text: string, userId: string): Promise<MediaEntity> {
    if (!this.tts) throw badRequest('alert.tts-unavailable');
    const r = await this.tts.speak({ text, voice: 'female', accent: 'north', speed: 1 }, userId).catch((err: unknown) => {
      throw err instanceof TtsEngineError ? new BadGatewayException(`text-to-speech failed: ${err.message}`) : err;
    });
    return r.ingest.media;
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
      await this.withdraw(alert.id, 'expired');
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

/** The devices an alert is meant for: boards only when it has nothing for speakers (agent: alertSlot). */
export const reachOf = (a: Pick<AlertEntity, 'areaCode' | 'mediaSha256' | 'streamUrl'>): AlertReach => ({ areaCode: a.areaCode, speakers: a.mediaSha256 !== null || !!a.streamUrl });

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
