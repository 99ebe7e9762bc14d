import { Inject, Injectable, Optional, type OnModuleDestroy } from '@nestjs/common';
import type { TimelineEntity } from './timeline.entity.js';
import { AppConfig } from '../config/app-config.js';
import { Clock } from '../common/clock.js';
import { Batcher } from '../common/batcher.js';
import { Metrics } from '../common/metrics.js';
import { LoaMetrics } from '../metrics/loa-metrics.js';
import { NamedLocks } from '../common/named-locks.js';
import { DeviceGateway } from '../device-gateway/device-gateway.js';
import { OnEvent } from '@nestjs/event-emitter';
import { DomainEvents, type DomainEventMap } from '../domain-events/domain-events.js';
import { LOGGER } from '../logging/logging.module.js';
import type { AppLogger } from '../logging/logger.js';
import { buildTimeline } from './timeline-compiler.js';
import { timelinePatchFor } from './timeline-diff.js';
import { TimelinesRepository } from './timelines.repository.js';
import { areaCodesOf } from '../areas/area.entity.js';

/** Devices compiled, committed and published together. */
const RECOMPILE_BATCH = 1000;
const MAX_ACKS_PER_COMMIT = 1000;
const RECOMPILE_LOCK = 'timelines.recompile';
/**
 * Ack and resync batches under load start at most this often (see PRESENCE_LINGER_MS): a province acking a change
 * or reconnecting sends thousands a second, and a batch's fixed cost (a transaction, its reads) is paid per batch.
 */
const STORM_LINGER_MS = 250;
/** Timelines handed to the broker between two turns of the event loop. */
const PUBLISH_SLICE = 100;


export interface BehindView {
  deviceId: string;
  areaCode: string;
  timelineVersion: number;
  ackedTimelineVersion: number;
  online: boolean;
  lastSeenAt: string | null;
}

/** Occurrence ids carried by a stored timeline payload (our own JSON, so no schema pass is needed). */
function occurrencesOf(payload: string): string[] {
  try {
    const t = JSON.parse(payload) as { slots?: Array<{ occurrenceId?: unknown }> };
    return (t.slots ?? []).map((s) => s.occurrenceId).filter((id): id is string => typeof id === 'string');
  } catch {
    return [];
  }
}

/**
 * Compiles what each device must do over the horizon, versions it, stores the exact payload and publishes it
 * retained. Only devices touched by a change are recompiled.
 */
@Injectable()
export class TimelinesService implements OnModuleDestroy {
  private readonly acks = new Batcher<{ deviceId: string; version: number }>((batch) => this.commitAcks(batch), { maxBatch: MAX_ACKS_PER_COMMIT, lingerMs: STORM_LINGER_MS });
  /** Timeline version retained in the broker per device, as far as this process published it (see publishRetained). */
  private readonly retainedVersions = new Map<string, number>();
  private readonly resyncs = new Batcher<{ deviceId: string; heldVersion: number | undefined }>((items) => this.resyncBatch(items), { lingerMs: STORM_LINGER_MS });

  constructor(
    private readonly repo: TimelinesRepository,
    private readonly gateway: DeviceGateway,
    private readonly locks: NamedLocks,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    private readonly metrics: Metrics,
    @Inject(LOGGER) private readonly logger: AppLogger,
    private readonly events: DomainEvents,
    @Optional() loaMetrics?: LoaMetrics,
  ) {
    loaMetrics?.queue('timeline_acks', () => this.acks.pending);
  }

  /**
   * Dispatch follows planning: its `timelines.dirty` names the devices to rebuild. Awaited by planning (emitAsync);
   * a schedule's fan-out job (issue 14) is told of each batch published (`timelines.sent`).
   */
  @OnEvent('timelines.dirty')
  async onTimelinesDirty({ deviceIds, fanoutId }: DomainEventMap['timelines.dirty']): Promise<void> {
    await this.recompile(deviceIds, fanoutId);
  }

  /** Boards whose profile got its image variants (new or resized) are sent timelines that point at them. */
  @OnEvent('content.boardImagesReady')
  async onBoardImagesReady({ deviceIds }: DomainEventMap['content.boardImagesReady']): Promise<void> {
    if (deviceIds.length > 0) await this.recompile(deviceIds);
  }

  /** A device came online: awaited by the status handler (emitAsync), so a reconnect storm keeps its pace. */
  @OnEvent('device.online')
  onDeviceOnline({ deviceId, timelineVersion }: DomainEventMap['device.online']): Promise<void> {
    return this.resyncIfBehind(deviceId, timelineVersion);
  }

  /**
   * Recompiles are serialised (one lock for all of them, as a batch spans many devices) so a device never receives
   * versions out of order.
   */
  recompile(deviceIds: readonly string[], fanoutId?: string): Promise<Map<string, number>> {
    return this.locks.run(RECOMPILE_LOCK, () => this.doRecompile([...new Set(deviceIds)], fanoutId));
  }

  /**
   * Devices are compiled, stored (one transaction per batch) and published batch by batch, so the first agents
   * receive their timeline while later batches are still compiling: a batch goes out while the next one compiles.
   */
  private async doRecompile(deviceIds: string[], fanoutId?: string): Promise<Map<string, number>> {
    const versions = new Map<string, number>();
    if (deviceIds.length === 0) return versions;
    const now = this.clock.now();
    const from = now - this.config.schedulePastToleranceMs;
    const to = now + this.config.timelineHorizonMs;
    let slots = 0;
    const sending: Array<Promise<void>> = [];
    for (let i = 0; i < deviceIds.length; i += RECOMPILE_BATCH) {
      const batch = deviceIds.slice(i, i + RECOMPILE_BATCH);
      // With the payloads these versions replace: a device holding one is sent only the changes (timelinePatchFor).
      const [rows, info, replaced] = await Promise.all([this.repo.slotRows(batch, from, to), this.repo.deviceInfo(batch), this.repo.findTimelines(batch)]);
      slots += rows.length;
      const byDevice = new Map<string, typeof rows>();
      for (const r of rows) {
        const list = byDevice.get(r.deviceId);
        if (list) list.push(r);
        else byDevice.set(r.deviceId, [r]);
      }
      const entities: TimelineEntity[] = [];
      for (const id of batch) {
        const device = info.get(id);
        if (device === undefined) continue;
        const t = buildTimeline(id, device.version + 1, now, areaCodesOf(device.areaPath), byDevice.get(id) ?? []);
        entities.push({ deviceId: id, version: t.version, generatedAt: now, payload: JSON.stringify(t) });
      }
      await this.repo.saveTimelines(entities);
      // Publish only after the versions are committed, so a restart can never re-issue a version already sent.
      const sent = this.publishCompiled(entities, new Map(replaced.map((t) => [t.deviceId, t.payload])));
      sent.then(
        // A fan-out job follows its devices batch by batch (issue 14).
        () => fanoutId !== undefined && this.events.emit('timelines.sent', { fanoutId, devices: entities.length }),
        () => undefined, // awaited (and thrown) below; not an unhandled rejection while later batches compile
      );
      sending.push(sent);
      for (const e of entities) versions.set(e.deviceId, e.version);
    }
    await Promise.all(sending);
    this.metrics.inc('timelines_published', versions.size);
    this.logger.info({ ctx: 'timelines', devices: versions.size, slots }, 'timelines compiled and published');
    return versions;
  }

  /** The one place a freshly compiled (and committed) timeline leaves for its device. */
  private async publishCompiled(timelines: readonly TimelineEntity[], replaced: ReadonlyMap<string, string>): Promise<void> {
    const sent: Array<Promise<void>> = [];
    for (let i = 0; i < timelines.length; i += PUBLISH_SLICE) {
      // Signing and handing a thousand timelines to the broker is a long stretch of work: between slices the event
      // loop writes what waits (an HTTP answer, device messages), so a province's fan-out does not hold them up.
      if (i > 0) await new Promise((resolve) => setImmediate(resolve));
      for (const t of timelines.slice(i, i + PUBLISH_SLICE)) {
        const p = this.publishRetained(t.deviceId, t.version, t.payload, timelinePatchFor(replaced.get(t.deviceId), t.payload));
        p.catch(() => undefined); // thrown by Promise.all below, not unhandled while later slices go out
        sent.push(p);
      }
    }
    await Promise.all(sent);
  }

  /**
   * A device came online. The retained copy may be gone (embedded broker restarted) or the device may have lost
   * its storage: if what it holds is behind what we compiled, send the stored payload again.
   */
  resyncIfBehind(deviceId: string, heldVersion: number | undefined): Promise<void> {
    return this.resyncs.submit({ deviceId, heldVersion });
  }

  /** A reconnect storm checks thousands of devices at once: two set queries per batch, not two per device. */
  private async resyncBatch(items: Array<{ deviceId: string; heldVersion: number | undefined }>): Promise<void> {
    const held = new Map<string, number | undefined>();
    for (const i of items) held.set(i.deviceId, i.heldVersion);
    const versions = await this.repo.deviceVersions([...held.keys()]);
    const behind = versions
      .filter((d) => d.timelineVersion > 0)
      .filter((d) => (held.get(d.id) ?? d.ackedTimelineVersion) < d.timelineVersion || d.ackedTimelineVersion < d.timelineVersion)
      // The broker still holds this version retained (published in its lifetime): the device's subscribe at connect,
      // which comes before its status, has already brought it. A second copy would be bytes and an ack for nothing.
      .filter((d) => this.retainedVersions.get(d.id) !== d.timelineVersion)
      .map((d) => d.id);
    if (behind.length === 0) return;
    const stored = await this.repo.findTimelines(behind);
    await Promise.all(stored.map((t) => this.publishRetained(t.deviceId, t.version, t.payload)));
    this.metrics.inc('timelines_resent', stored.length);
    this.logger.debug({ ctx: 'timelines', devices: stored.length }, 'timelines re-sent to devices that were behind');
  }

  /**
   * Publishes a timeline retained and remembers which version the broker now holds for the device. The embedded
   * broker keeps retained messages in memory, so what this process published is exactly what it holds; with an
   * external broker the map starts empty and a device behind is sent its timeline once more, which is safe, and it
   * is emptied at every reconnection to the broker (forgetRetained).
   */
  private async publishRetained(deviceId: string, version: number, payload: string, patch: string | null = null): Promise<void> {
    await (patch === null ? this.gateway.publishTimeline(deviceId, payload) : this.gateway.publishTimelinePatch(deviceId, payload, patch));
    if ((this.retainedVersions.get(deviceId) ?? -1) < version) this.retainedVersions.set(deviceId, version);
  }

  /**
   * The broker's retained timelines are no longer known (an external broker reconnected: it may have restarted
   * without persistence). Devices coming online behind are then sent their timeline again, once each.
   */
  forgetRetained(): void {
    this.retainedVersions.clear();
  }

  /**
   * Timeline acks arrive in bursts (10,000 agents acking a fleet-wide change within a second): they are queued and
   * committed together, like playback events, one transaction per batch.
   */
  handleAck(deviceId: string, version: number): Promise<void> {
    return this.acks.submit({ deviceId, version });
  }

  async onModuleDestroy(): Promise<void> {
    await this.acks.drain();
    await this.resyncs.drain();
  }

  /** Devices whose acknowledged timeline is older than the one compiled for them. */
  /** `scopePath`: a subtree's LIKE pattern for a scoped reader; the page and `total` then cover its devices only. */
  async behind(limit = 1000, offset = 0, scopePath: string | null = null): Promise<{ total: number; devices: BehindView[] }> {
    const { total, devices } = await this.repo.behind(limit, offset, scopePath);
    return {
      total,
      devices: devices.map((d) => ({
        deviceId: d.id,
        areaCode: d.areaCode,
        timelineVersion: d.timelineVersion,
        ackedTimelineVersion: d.ackedTimelineVersion,
        online: d.online,
        lastSeenAt: d.lastSeenAt === null ? null : new Date(d.lastSeenAt).toISOString(),
      })),
    };
  }

  private async commitAcks(batch: Array<{ deviceId: string; version: number }>): Promise<void> {
    try {
      // Latest ack per device wins; a device acking twice in one batch is recorded once.
      const latest = new Map<string, number>();
      for (const a of batch) latest.set(a.deviceId, Math.max(a.version, latest.get(a.deviceId) ?? -1));
      const stored = new Map((await this.repo.findTimelines([...latest.keys()])).map((t) => [t.deviceId, t]));
      const records = [...latest].map(([deviceId, version]) => {
        const t = stored.get(deviceId);
        return { deviceId, version, occurrenceIds: t && t.version === version ? occurrencesOf(t.payload) : [] };
      });
      const now = this.clock.now();
      const moved = await this.repo.recordAcks(records, now);
      if (moved.length > 0) this.events.emit('deliveries.changed', { changes: moved.map((m) => ({ ...m, state: 'delivered' as const, reason: null, at: now })) });
      this.metrics.inc('timeline_acks_committed', batch.length);
    } catch (err) {
      this.metrics.inc('timeline_acks_failed', batch.length);
      this.logger.error({ ctx: 'timelines', err: (err as Error).message, acks: batch.length }, 'timeline ack commit failed');
      throw err;
    }
  }
}
