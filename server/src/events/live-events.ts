import { Injectable, Optional } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import type { AlarmView } from '../alarms/alarms.service.js';
import { CacheInvalidation } from '../cluster/cache-invalidation.js';
import { Clock } from '../common/clock.js';
import { DeviceAreas } from '../devices/device-areas.js';
import type { CommandResult, DeliveryChange, DomainEventMap, PresenceChange, TelemetrySample } from '../domain-events/domain-events.js';
import { EventBus, type ServerEvent } from './event-bus.js';

export type { DeliveryChange, PresenceChange, TelemetrySample } from '../domain-events/domain-events.js';

/** A device's area is looked up again after this long, so a moved device's events follow it without a restart. */
const AREA_TTL_MS = 60_000;
/** Telemetry arrives every few seconds per device; the dashboard needs no more than one sample per device per 10 s. */
export const TELEMETRY_EVERY_MS = 10_000;

/** The live event a save's fan-out progress goes out as (docs/dashboard-api.md). */
export const FANOUT_EVENT = 'fanout.progress';
/** The live event of a feedback item's step (issue 17). */
export const FEEDBACK_EVENT = 'feedback.changed';

const MB = 1024 * 1024;
const mb = (bytes: number | null): number | null => (bytes === null ? null : Math.round((bytes / MB) * 10) / 10);

/**
 * The operators' live dashboard events (see docs/dashboard-api.md), made from domain events: features publish what
 * happened and never know this listener. Device events carry the device's area so the gateway can scope them;
 * areas come from a small cache (one look-up per batch of unknown devices), never from a query per event.
 *
 * Every @OnEvent handler starts its work and returns at once (`void`): the producer, even one awaiting its
 * listeners (emitAsync), is never slowed by dashboard work, and with no dashboard open there is nothing to do
 * (`guard`). Best effort: it never throws.
 */
@Injectable()
export class LiveEvents {
  /** Device → area: moves made on another instance reach it through CacheInvalidation. */
  private readonly areas = new Map<string, { code: string; until: number }>();
  /** Per process on purpose: it paces what this instance forwards of the telemetry it ingests. */
  private readonly lastTelemetry = new Map<string, number>();

  constructor(
    private readonly bus: EventBus,
    private readonly deviceAreaLookup: DeviceAreas,
    private readonly clock: Clock,
    @Optional() invalidation?: CacheInvalidation,
  ) {
    invalidation?.onRemote((change) => {
      if (change.kind === 'everything') this.areas.clear();
      else for (const id of change.deviceIds) this.areas.delete(id);
    });
  }

  @OnEvent('presence.changed')
  onPresence({ changes }: DomainEventMap['presence.changed']): void {
    void this.presence(changes);
  }

  @OnEvent('telemetry.received')
  onTelemetry({ samples }: DomainEventMap['telemetry.received']): void {
    void this.telemetry(samples);
  }

  @OnEvent('deliveries.changed')
  onDeliveries({ changes }: DomainEventMap['deliveries.changed']): void {
    void this.deliveries(changes);
  }

  @OnEvent('alarm.raised')
  onAlarmRaised({ alarms }: DomainEventMap['alarm.raised']): void {
    void this.alarm('alarm.raised', alarms);
  }

  @OnEvent('alarm.cleared')
  onAlarmCleared({ alarms }: DomainEventMap['alarm.cleared']): void {
    void this.alarm('alarm.cleared', alarms);
  }

  @OnEvent('command.results')
  onCommandResults({ results }: DomainEventMap['command.results']): void {
    void this.commandResults(results);
  }

  @OnEvent('content.stateChanged')
  onContentState({ contentId, state, by }: DomainEventMap['content.stateChanged']): void {
    this.contentState(contentId, state, by);
  }

  /**
   * Issue 14: a save's fan-out progress, scoped to the subtree holding all its devices (none when no one area does:
   * an event without an area would reach every client; the dashboard then reads GET /api/v1/fanouts/:id).
   */
  @OnEvent('fanout.changed')
  onFanout({ job, areaCode }: DomainEventMap['fanout.changed']): void {
    if (areaCode !== null && this.bus.listening) this.bus.publish({ type: FANOUT_EVENT, areaCode, job });
  }

  /**
   * Issue 17: a feedback item took a step; scoped to its commune, so its officers and the levels above see their
   * queue change. No resident's data: the dashboard reads the item itself.
   */
  @OnEvent('feedback.changed')
  onFeedback({ itemId, code, areaCode, state, kind }: DomainEventMap['feedback.changed']): void {
    if (this.bus.listening) this.bus.publish({ type: FEEDBACK_EVENT, itemId, code, areaCode, state, kind });
  }

  /** A moved or removed device's next event looks its area up again (synchronously, inside the producer's emit). */
  @OnEvent('device.moved')
  @OnEvent('device.removed')
  onDeviceGone({ deviceId }: { deviceId: string }): void {
    this.forgetDevice(deviceId);
  }

  /** Area code of each known device (unknown devices are absent). */
  async deviceAreas(ids: Iterable<string>): Promise<Map<string, string>> {
    const now = this.clock.now();
    const out = new Map<string, string>();
    const missing: string[] = [];
    for (const id of new Set(ids)) {
      const hit = this.areas.get(id);
      if (hit && hit.until > now) out.set(id, hit.code);
      else missing.push(id);
    }
    if (missing.length === 0) return out;
    for (const [id, code] of await this.deviceAreaLookup.of(missing)) {
      this.areas.set(id, { code, until: now + AREA_TTL_MS });
      out.set(id, code);
    }
    return out;
  }

  /** A device moved or was removed: its next event looks its area up again. */
  forgetDevice(deviceId: string): void {
    this.areas.delete(deviceId);
    this.lastTelemetry.delete(deviceId);
  }

  publish(event: ServerEvent): void {
    this.bus.publish(event);
  }

  async presence(changes: readonly PresenceChange[]): Promise<void> {
    await this.guard(async () => {
      const areas = await this.deviceAreas(changes.map((c) => c.deviceId));
      for (const c of changes) {
        const areaCode = areas.get(c.deviceId);
        if (areaCode === undefined) continue;
        this.bus.publish({ type: 'device.presence', deviceId: c.deviceId, areaCode, online: c.state === 'online', reason: c.reason, at: iso(c.at) });
      }
    });
  }

  /** At most one sample per device per TELEMETRY_EVERY_MS (the newest of a batch). */
  async telemetry(samples: readonly TelemetrySample[]): Promise<void> {
    await this.guard(async () => {
      const now = this.clock.now();
      const latest = new Map<string, TelemetrySample>();
      for (const s of samples) {
        const prev = latest.get(s.deviceId);
        if (!prev || s.at >= prev.at) latest.set(s.deviceId, s);
      }
      const due = [...latest.values()].filter((s) => (this.lastTelemetry.get(s.deviceId) ?? -Infinity) + TELEMETRY_EVERY_MS <= now);
      if (due.length === 0) return;
      for (const s of due) this.lastTelemetry.set(s.deviceId, now);
      const areas = await this.deviceAreas(due.map((s) => s.deviceId));
      for (const s of due) {
        const areaCode = areas.get(s.deviceId);
        if (areaCode === undefined) continue;
        this.bus.publish({
          type: 'device.telemetry',
          deviceId: s.deviceId,
          areaCode,
          at: iso(s.at),
          volume: s.volume,
          muted: s.muted,
          playing: s.playing,
          diskFreeMb: mb(s.freeDiskBytes),
          outputLevelLufs: s.outputLevelLufs,
          temperatureC: s.temperatureC,
          rssMb: mb(s.rssBytes),
        });
      }
    });
  }

  async deliveries(changes: readonly DeliveryChange[]): Promise<void> {
    if (changes.length === 0) return;
    await this.guard(async () => {
      const areas = await this.deviceAreas(changes.map((c) => c.deviceId));
      for (const c of changes) {
        const areaCode = areas.get(c.deviceId);
        if (areaCode === undefined) continue;
        this.bus.publish({ type: 'delivery.state', scheduleId: c.scheduleId, occurrenceId: c.occurrenceId, deviceId: c.deviceId, areaCode, state: c.state, reason: c.reason, at: iso(c.at) });
      }
    });
  }

  /** `alarm` is the AlarmView after the change. */
  async alarm(type: 'alarm.raised' | 'alarm.cleared', alarms: readonly AlarmView[]): Promise<void> {
    if (alarms.length === 0) return;
    await this.guard(async () => {
      const areas = await this.deviceAreas(alarms.map((a) => a.deviceId));
      for (const alarm of alarms) {
        const areaCode = areas.get(alarm.deviceId);
        if (areaCode !== undefined) this.bus.publish({ type, alarm, areaCode });
      }
    });
  }

  async commandResults(results: readonly CommandResult[]): Promise<void> {
    if (results.length === 0) return;
    await this.guard(async () => {
      const areas = await this.deviceAreas(results.map((r) => r.deviceId));
      for (const r of results) {
        const areaCode = areas.get(r.deviceId);
        if (areaCode === undefined) continue;
        this.bus.publish({ type: 'command.result', commandId: r.commandId, deviceId: r.deviceId, areaCode, status: r.status, ...(r.result === undefined ? {} : { result: r.result }) });
      }
    });
  }

  /** Content is a shared library, not area-bound: every client gets it. */
  contentState(contentId: string, state: string, by: string): void {
    this.bus.publish({ type: 'content.state', contentId, state, by });
  }

  private async guard(work: () => Promise<void>): Promise<void> {
    // Ingestion calls this for every committed batch; with no dashboard open there is nothing to look up or build.
    if (!this.bus.listening) return;
    try {
      await work();
    } catch {
      // Live events are a convenience on top of the stored state: losing one must not fail what was committed.
    }
  }
}

const iso = (ms: number): string => new Date(ms).toISOString();
