import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { PlaybackEvent } from '@loa/shared';
import { AreasService } from '../areas/areas.service.js';
import { ScopeService } from '../auth/area-scope.js';
import type { UserPrincipal } from '../auth/principal.js';
import { Batcher } from '../common/batcher.js';
import { Clock } from '../common/clock.js';
import { newId } from '../common/ids.js';
import { isoOrNull } from '../common/iso.js';
import { Metrics } from '../common/metrics.js';
import { AppConfig } from '../config/app-config.js';
import type { AlarmEntity, AlarmKind } from './alarm.entity.js';
import { OnEvent } from '@nestjs/event-emitter';
import { DomainEvents, type DomainEventMap, type PresenceChange } from '../domain-events/domain-events.js';
import { LOGGER } from '../logging/logging.module.js';
import type { AppLogger } from '../logging/logger.js';
import { failureDecision, silenceDecisions, telemetryDecisions, type AlarmDecision, type AlarmThresholds, type TelemetryEvidence } from './alarm-rules.js';
import { AlarmsRepository } from './alarms.repository.js';
import type { AlarmView } from '@loa/shared/rest';
import { forbidden, notFound } from '../common/loa-error.js';
export type { AlarmView } from '@loa/shared/rest';

export interface AlarmQuery {
  active?: boolean | undefined;
  deviceId?: string | undefined;
  areaCode?: string | undefined;
  limit?: number | undefined;
}

const view = (a: AlarmEntity): AlarmView => ({
  id: a.id,
  deviceId: a.deviceId,
  kind: a.kind,
  active: a.clearedAt === null,
  detail: a.detail,
  raisedAt: isoOrNull(a.raisedAt) ?? '',
  clearedAt: isoOrNull(a.clearedAt),
  clearedDetail: a.clearedDetail,
  ackedAt: isoOrNull(a.ackedAt),
  ackedBy: a.ackedByName,
  ackedByUserId: a.ackedBy,
});

/** Longest pause between offline-alarm sweeps. */
const MAX_SWEEP_INTERVAL_MS = 60_000;

interface PlaybackBatch {
  deviceId: string;
  events: readonly PlaybackEvent[];
}

/**
 * Alarms on devices: `offline` (offline longer than alarmOfflineMs), `low-disk`, `playback-failures` (consecutive
 * failed playbacks) and `silence` (playing, but nothing audible at the output). At most one active alarm per device
 * and kind; raising and clearing are logged. Evidence arrives in batches (telemetry, playback reports, presence
 * transitions, the periodic offline sweep) and is evaluated one batch at a time, so decisions never interleave.
 */
@Injectable()
export class AlarmsService implements OnModuleDestroy {
  private readonly playback = new Batcher<PlaybackBatch>((batches) => this.evaluatePlayback(batches), 500);
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly repo: AlarmsRepository,
    private readonly areas: AreasService,
    private readonly scope: ScopeService,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    private readonly metrics: Metrics,
    @Inject(LOGGER) private readonly logger: AppLogger,
    private readonly events: DomainEvents,
  ) {}

  private get thresholds(): AlarmThresholds {
    return { lowDiskBytes: this.config.alarmLowDiskBytes, silenceLufs: this.config.alarmSilenceLufs, playbackFailures: this.config.alarmPlaybackFailures };
  }

  // Evidence arrives as domain events; the handlers return the evaluation's promise, so a producer that awaits its
  // listeners (presence's emitAsync) still waits for the alarms as it did when it called them.

  @OnEvent('playback.reported')
  onPlaybackReported({ deviceId, events }: DomainEventMap['playback.reported']): Promise<void> {
    return this.onPlaybackEvents(deviceId, events);
  }

  @OnEvent('telemetry.received')
  onTelemetryReceived({ samples }: DomainEventMap['telemetry.received']): Promise<void> {
    return this.onTelemetry(samples);
  }

  /** Offline alarms clear as soon as the device is back (raising them is the alarms' own timed sweep). */
  @OnEvent('presence.changed')
  onPresenceChanged({ changes }: DomainEventMap['presence.changed']): Promise<void> {
    return this.onPresenceTransitions(changes);
  }

  /** Playback reports of a device, once committed: failures and silence. Never throws. */
  async onPlaybackEvents(deviceId: string, events: readonly PlaybackEvent[]): Promise<void> {
    if (!events.some((e) => e.type === 'failed' || e.type === 'finished')) return;
    await this.playback.submit({ deviceId, events }).catch(() => undefined); // logged by evaluatePlayback
  }

  /** A committed batch of telemetry samples: disk space and silence while playing. Never throws. */
  onTelemetry(samples: readonly TelemetryEvidence[]): Promise<void> {
    return this.guarded('telemetry', () => this.apply(telemetryDecisions(samples, this.thresholds)));
  }

  /** Devices back online (or revoked) no longer have an offline alarm. Never throws. */
  onPresenceTransitions(transitions: readonly PresenceChange[]): Promise<void> {
    const last = new Map<string, PresenceChange>();
    for (const t of transitions) last.set(t.deviceId, t);
    const decisions: AlarmDecision[] = [];
    for (const t of last.values()) {
      if (t.state === 'online') decisions.push({ deviceId: t.deviceId, kind: 'offline', action: 'clear', detail: `back online (${t.reason})` });
      else if (t.reason === 'revoked') decisions.push({ deviceId: t.deviceId, kind: 'offline', action: 'clear', detail: 'device revoked' });
    }
    if (decisions.length === 0) return Promise.resolve();
    return this.guarded('presence', () => this.apply(decisions));
  }

  /**
   * Raises `offline` for devices offline longer than alarmOfflineMs, and clears it for devices back online (a
   * safety net for transitions handled by another server instance). Returns how many were raised.
   */
  sweepOffline(): Promise<number> {
    return this.exclusive(async () => {
      const now = this.clock.now();
      for (const a of await this.repo.staleOffline()) await this.clearOne(a, now, 'back online');
      const candidates = await this.repo.offlineCandidates(now - this.config.alarmOfflineMs);
      await this.raise(
        candidates.map((c) => ({
          deviceId: c.deviceId,
          kind: 'offline' as const,
          action: 'raise' as const,
          detail: `offline since ${new Date(c.since).toISOString()}${c.reason ? ` (${c.reason})` : ''}`,
        })),
        now,
      );
      return candidates.length;
    });
  }

  async list(q: AlarmQuery): Promise<AlarmView[]> {
    const areaPath = q.areaCode === undefined ? undefined : (await this.areas.get(q.areaCode)).path;
    return (await this.repo.list({ active: q.active, deviceId: q.deviceId, areaPath, limit: q.limit ?? 500 })).map(view);
  }

  /**
   * Records who acknowledged the alarm and when; acknowledging again keeps the first acknowledgement. Acknowledging
   * is a write on the alarm's device: outside the user's subtree it is refused (403), an unknown id is 404.
   */
  async ack(id: string, user: UserPrincipal): Promise<AlarmView> {
    const found = await this.repo.findWithArea(id);
    if (!found) throw notFound('alarm.not-found', { id });
    if (found.areaCode !== null) await this.scope.checkArea(user, found.areaCode, 'write');
    else if (!(await this.scope.of(user)).all) throw forbidden('scope.outside-object', { object: 'alarm', id });
    const now = this.clock.now();
    const first = await this.repo.ack(id, now, user.userId, user.username);
    // Someone else may have acknowledged it since it was read: theirs is the one kept, so read it back.
    const a = first ? { ...found.alarm, ackedAt: now, ackedBy: user.userId, ackedByName: user.username } : ((await this.repo.find(id)) ?? found.alarm);
    this.logger.info({ ctx: 'alarms', alarmId: id, deviceId: a.deviceId, kind: a.kind, by: user.username }, 'alarm acknowledged');
    return view(a);
  }

  /** Every min(alarmOfflineMs / 4, 60 s): OfflineAlarmsJob's interval. */
  sweepIntervalMs(): number {
    return Math.max(1000, Math.min(Math.floor(this.config.alarmOfflineMs / 4), MAX_SWEEP_INTERVAL_MS));
  }

  async onModuleDestroy(): Promise<void> {
    await this.playback.drain();
    await this.queue;
  }

  private async evaluatePlayback(batches: PlaybackBatch[]): Promise<void> {
    const byDevice = new Map<string, PlaybackEvent[]>();
    for (const b of batches) byDevice.set(b.deviceId, [...(byDevice.get(b.deviceId) ?? []), ...b.events]);
    await this.guarded('playback', async () => {
      const decisions: AlarmDecision[] = [];
      for (const [deviceId, events] of byDevice) {
        decisions.push(...silenceDecisions(deviceId, events, this.thresholds));
        if (events.some((e) => e.type === 'failed')) {
          // Failures count across batches: ask the stored reports (committed before this runs).
          const d = failureDecision(deviceId, await this.repo.recentOutcomes(deviceId, this.thresholds.playbackFailures), this.thresholds);
          if (d) decisions.push(d);
        } else if (events.some((e) => e.type === 'finished')) {
          decisions.push({ deviceId, kind: 'playback-failures', action: 'clear', detail: 'a playback finished' });
        }
      }
      await this.apply(decisions);
    });
  }

  /** Applies decisions that change something: raise where not active, clear where active. */
  private async apply(decisions: readonly AlarmDecision[]): Promise<void> {
    if (decisions.length === 0) return;
    const now = this.clock.now();
    const active = new Map((await this.repo.active(decisions.map((d) => d.deviceId))).map((a) => [`${a.deviceId}\u0000${a.kind}`, a]));
    const raises: AlarmDecision[] = [];
    for (const d of decisions) {
      const current = active.get(`${d.deviceId}\u0000${d.kind}`);
      if (d.action === 'raise' && !current) raises.push(d);
      if (d.action === 'clear' && current) await this.clearOne(current, now, d.detail);
    }
    await this.raise(raises, now);
  }

  private async raise(decisions: readonly AlarmDecision[], now: number): Promise<void> {
    if (decisions.length === 0) return;
    const rows: AlarmEntity[] = decisions.map((d) => ({
      id: newId(),
      deviceId: d.deviceId,
      kind: d.kind,
      detail: d.detail.slice(0, 500),
      raisedAt: now,
      clearedAt: null,
      clearedDetail: null,
      ackedAt: null,
      ackedBy: null,
      ackedByName: null,
    }));
    await this.repo.insertRaised(rows);
    this.events.emit('alarm.raised', { alarms: rows.map(view) });
    for (const d of decisions) {
      this.metrics.inc(`alarms_raised_${d.kind.replace(/-/g, '_')}`);
      this.logger.info({ ctx: 'alarms', deviceId: d.deviceId, kind: d.kind, detail: d.detail }, 'alarm raised');
    }
  }

  private async clearOne(a: AlarmEntity, now: number, detail: string): Promise<void> {
    if (!(await this.repo.clear(a.id, now, detail.slice(0, 500)))) return;
    this.events.emit('alarm.cleared', { alarms: [view({ ...a, clearedAt: now, clearedDetail: detail.slice(0, 500) })] });
    this.metrics.inc(`alarms_cleared_${a.kind.replace(/-/g, '_')}`);
    this.logger.info({ ctx: 'alarms', alarmId: a.id, deviceId: a.deviceId, kind: a.kind, detail }, 'alarm cleared');
  }

  /** Runs alarm work one piece at a time (evidence from different sources must not interleave on one alarm). */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Exclusive, and failures are logged and counted rather than thrown into message ingestion. */
  private async guarded(source: string, fn: () => Promise<void>): Promise<void> {
    try {
      await this.exclusive(fn);
    } catch (err) {
      this.metrics.inc('alarms_evaluation_failed');
      this.logger.error({ ctx: 'alarms', source, err: (err as Error).message }, 'alarm evaluation failed');
    }
  }
}
