import { Global, Inject, Injectable, Module } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import type { DeliveryState, PlaybackEvent, ReportedLocation } from '@loa/shared';
import type { AlarmView, FanoutView, FeedbackEventKind, FeedbackState, MediaJobView } from '@loa/shared/rest';

import { LOGGER } from '../logging/logging.module.js';
import type { AppLogger } from '../logging/logger.js';

/** A device went online or offline (one committed presence transition). */
export interface PresenceChange {
  deviceId: string;
  at: number;
  state: 'online' | 'offline';
  reason: string;
}

/** One stored telemetry sample. */
export interface TelemetrySample {
  deviceId: string;
  at: number;
  volume: number | null;
  muted: boolean | null;
  playing: string | null;
  freeDiskBytes: number | null;
  outputLevelLufs: number | null;
  temperatureC: number | null;
  rssBytes: number | null;
  /** Media the device refused to download for lack of space (not stored: only the alarms use it). */
  mediaBlockedBytes?: number | null | undefined;
}

/** One delivery record whose state changed (the producer already holds these fields: no lookup per row). */
export interface DeliveryChange {
  scheduleId: string;
  occurrenceId: string;
  deviceId: string;
  state: DeliveryState;
  reason: string | null;
  at: number;
}

export interface CommandResult {
  commandId: string;
  deviceId: string;
  status: string;
  result?: unknown;
}

/**
 * What happened, by name. Payloads are batches wherever the producer works in batches (presence, telemetry,
 * deliveries, alarms, command results): one event per committed batch, never one per row, because these fire on
 * the hottest paths (10,000 connects, 10,000 delivery events/s). Every event is emitted after its change is
 * committed. Add an entry here (small edit) to publish a new event.
 */
export interface DomainEventMap {
  /** New devices, committed (single registration or a batch). */
  'device.registered': { deviceIds: readonly string[] };
  /** A device's area changed (areas are codes). */
  'device.moved': { deviceId: string; fromArea: string; toArea: string };
  /** A device's name, area, tags or board profile changed (device.moved is emitted too when it moved). */
  'device.updated': { deviceId: string; moved: boolean; retagged: boolean; reprofiled: boolean };
  'device.removed': { deviceId: string };
  /** Issue 19: an agent reported where it stands (telemetry); stored unless an operator set the location by hand. */
  'device.locationReported': { deviceId: string; location: ReportedLocation };
  /** A device's credentials were revoked (committed); rotating them re-enables it. */
  'device.revoked': { deviceId: string };
  /**
   * A device's status message said online (every one, not only transitions: the retained status comes again on each
   * reconnect), with the timeline version it holds. Dispatch re-sends the stored timeline if it is behind.
   */
  'device.online': { deviceId: string; timelineVersion: number | undefined };
  /** A group targeted by a schedule changed members: these devices entered or left it. */
  'group.changed': { groupId: string; deviceIds: readonly string[] };
  /** Areas re-parented by an import: the devices under them keep their area code but have new ancestors. */
  'areas.moved': { areaCodes: readonly string[]; deviceIds: readonly string[] };
  /** Committed online↔offline transitions, in order. */
  'presence.changed': { changes: readonly PresenceChange[] };
  /**
   * These devices' timelines must be rebuilt and dispatched. `fanoutId`: the fan-out job (issue 14) sending them,
   * told of each batch sent (`timelines.sent`).
   */
  'timelines.dirty': { deviceIds: readonly string[]; fanoutId?: string | undefined };
  /** A batch of a fan-out job's timelines was published (dispatch, per batch compiled): its progress. */
  'timelines.sent': { fanoutId: string; devices: number };
  'deliveries.changed': { changes: readonly DeliveryChange[] };
  /** Issue 18: these alerts' delivery records changed (agents' reports, a withdrawal, a send): their counts moved. */
  'alert.deliveriesChanged': { alertIds: readonly string[] };
  /** A device's committed playback reports (one MQTT `events` batch). */
  'playback.reported': { deviceId: string; events: readonly PlaybackEvent[] };
  'content.stateChanged': { contentId: string; state: string; by: string };
  /** A content was archived (committed): it may no longer reach devices, so its active schedules are withdrawn. */
  'content.archived': { contentId: string; by: string };
  /** Every active image has its variant for this board profile (new or resized): these boards need new timelines. */
  'content.boardImagesReady': { profileId: string; deviceIds: readonly string[] };
  'telemetry.received': { samples: readonly TelemetrySample[] };
  /** Alarms as the REST API shows them, after the change. */
  'alarm.raised': { alarms: readonly AlarmView[] };
  'alarm.cleared': { alarms: readonly AlarmView[] };
  'command.results': { results: readonly CommandResult[] };
  /** A media processing job was created, progressed (at most every 200 ms) or ended; `job` is its API view. */
  'media.jobChanged': { job: MediaJobView };
  /**
   * A save's background fan-out (schedule, command, alert) was created, advanced (at most every 250 ms) or ended.
   * `areaCode`: the subtree holding every device it reaches, to scope it; null when no one area holds them all.
   */
  'fanout.changed': { job: FanoutView; areaCode: string | null };
  /**
   * Issue 17: a feedback item took a committed step (`kind`: the history entry just written; `received` for a new
   * item). `areaCode`: its commune after the step (a transfer moves it). Listeners: the resident's SMS on `answered`,
   * the dashboard's live queue, the statistics' up feed.
   */
  'feedback.changed': { itemId: string; code: string; areaCode: string; state: FeedbackState; kind: FeedbackEventKind; at: number; /** On `answered`: false when the officer asked not to text the resident. */ notify?: boolean };
  /**
   * Issue 19: a schedule or an alert entered the approval queue (`submitted`: a schedule saved or edited into
   * `pending`, an alert waiting for a second person), or left it (decided: approved / confirmed, rejected / cancelled by
   * someone else; or `withdrawn`: cancelled by its submitter while pending). Listeners: the live queue and the
   * approvers' / submitter's notifications.
   */
  'approval.changed': { subject: 'schedule' | 'alert'; id: string; action: 'submitted' | 'approved' | 'rejected' | 'withdrawn'; by: string; at: number };
  /**
   * Issue 20: a rollout changed (state, stage, or its devices' update states: `deviceIds`, committed). `areaCode`: the
   * subtree it is scoped to (null: nationwide). Listener: the dashboard's live rollout page.
   */
  'ota.changed': { rolloutId: string; areaCode: string | null; state: string; deviceIds: readonly string[] };
}

export type DomainEventName = keyof DomainEventMap;

/**
 * Publishes what happened; features that care listen with `@OnEvent('name')` (from @nestjs/event-emitter).
 * Producers never know their listeners.
 *
 * Listeners run synchronously inside `emit`, up to their first `await` (EventEmitter2 without its `async` option):
 * cheap in-memory work, such as dropping a cache entry on `device.moved`, is therefore done before the producer's
 * call returns, so the next read cannot see stale data, and no timer or extra tick per event is added on the hot
 * paths. Anything slower (database, area look-ups) a listener does after an `await`, detached from the producer:
 * `emit` never waits for it.
 *
 * `emitAsync` is for the few producers whose own completion is defined to include the reactions: a presence batch
 * (the next batch must not start before the previous one's alarms are settled: that is the back-pressure of a
 * 10,000-device reconnect storm, as before events existed) or an area import that answers once the moved devices'
 * timelines are rebuilt. It resolves when every listener has finished.
 *
 * Neither ever throws or rejects: @OnEvent handlers are wrapped by Nest in a try/catch that logs (suppressErrors
 * defaults to true), and a raw `EventEmitter2.on` listener that fails is caught and logged here. Losing a
 * listener's work must never fail a change that is already committed.
 *
 * EventEmitterModule is a global module, so Nest loads the @OnEvent listeners (its onApplicationBootstrap) before
 * any feature's onApplicationBootstrap can produce an event.
 */
@Injectable()
export class DomainEvents {
  constructor(
    private readonly emitter: EventEmitter2,
    @Inject(LOGGER) private readonly logger: AppLogger,
  ) {}

  emit<K extends DomainEventName>(name: K, payload: DomainEventMap[K]): void {
    try {
      this.emitter.emit(name, payload);
    } catch (err) {
      this.failed(name, err);
    }
  }

  async emitAsync<K extends DomainEventName>(name: K, payload: DomainEventMap[K]): Promise<void> {
    try {
      await this.emitter.emitAsync(name, payload);
    } catch (err) {
      this.failed(name, err);
    }
  }

  private failed(name: string, err: unknown): void {
    this.logger.error({ ctx: 'events', event: name, err: (err as Error).message }, 'domain event listener failed');
  }
}

/** Makes DomainEvents injectable everywhere (EventEmitterModule.forRoot() is registered once, in AppModule). */
@Global()
@Module({
  providers: [DomainEvents],
  exports: [DomainEvents],
})
export class DomainEventsModule {}
