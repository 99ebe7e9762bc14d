import { Inject, Injectable } from '@nestjs/common';
import { decodeMessage, deviceTopic, DEVICE_CHANNELS, timelineMessageSchema, type TimelineMessage } from '@loa/shared';
import { AppConfig } from '../config/app-config.js';
import { Clock } from '../common/clock.js';
import { Metrics } from '../common/metrics.js';
import { MessageBroker } from '../broker/message-broker.js';
import { LOGGER } from '../logging/logging.module.js';
import type { AppLogger } from '../logging/logger.js';
import { buildTimeline } from './timeline-compiler.js';
import { TimelinesRepository } from './timelines.repository.js';
import { areaCodesOf } from '../areas/area-path.js';

const TIMELINE = DEVICE_CHANNELS.timeline;

/**
 * Compiles what each device must do over the horizon, versions it, stores the exact payload and publishes it
 * retained. Only devices touched by a change are recompiled.
 */
@Injectable()
export class TimelinesService {
  /** Recompiles are serialised so a device never receives versions out of order. */
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly repo: TimelinesRepository,
    private readonly broker: MessageBroker,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    private readonly metrics: Metrics,
    @Inject(LOGGER) private readonly logger: AppLogger,
  ) {}

  recompile(deviceIds: readonly string[]): Promise<Map<string, number>> {
    const run = this.chain.then(() => this.doRecompile([...new Set(deviceIds)]));
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async doRecompile(deviceIds: string[]): Promise<Map<string, number>> {
    if (deviceIds.length === 0) return new Map();
    const now = this.clock.now();
    const from = now - this.config.schedulePastToleranceMs;
    const rows = await this.repo.slotRows(deviceIds, from, now + this.config.timelineHorizonMs);
    const byDevice = new Map<string, typeof rows>();
    for (const r of rows) {
      const list = byDevice.get(r.deviceId);
      if (list) list.push(r);
      else byDevice.set(r.deviceId, [r]);
    }
    const info = await this.repo.deviceInfo(deviceIds);
    const timelines: TimelineMessage[] = [];
    for (const id of deviceIds) {
      const device = info.get(id);
      if (device === undefined) continue;
      timelines.push(buildTimeline(id, device.version + 1, now, areaCodesOf(device.areaPath), byDevice.get(id) ?? []));
    }
    const entities = timelines.map((t) => ({ deviceId: t.deviceId, version: t.version, generatedAt: t.generatedAt, payload: JSON.stringify(t) }));
    await this.repo.saveTimelines(entities);
    // Publish only after the versions are committed, so a restart can never re-issue a version already sent.
    await Promise.all(entities.map((e) => this.publish(e.deviceId, e.payload)));
    this.metrics.inc('timelines_published', entities.length);
    this.logger.info({ ctx: 'timelines', devices: entities.length, slots: rows.length }, 'timelines compiled and published');
    return new Map(entities.map((e) => [e.deviceId, e.version]));
  }

  /**
   * A device came online. The retained copy may be gone (embedded broker restarted) or the device may have lost
   * its storage: if what it holds is behind what we compiled, send the stored payload again.
   */
  async resyncIfBehind(deviceId: string, heldVersion: number | undefined): Promise<void> {
    const device = await this.repo.findDevice(deviceId);
    if (!device || device.timelineVersion === 0) return;
    const held = heldVersion ?? device.ackedTimelineVersion;
    if (held >= device.timelineVersion && device.ackedTimelineVersion >= device.timelineVersion) return;
    const stored = await this.repo.findTimeline(deviceId);
    if (!stored) return;
    await this.publish(deviceId, stored.payload);
    this.metrics.inc('timelines_resent');
    this.logger.info({ ctx: 'timelines', deviceId, held, current: device.timelineVersion }, 'timeline re-sent to a device that was behind');
  }

  async handleAck(deviceId: string, version: number): Promise<void> {
    const stored = await this.repo.findTimeline(deviceId);
    let occurrenceIds: string[] = [];
    if (stored && stored.version === version) {
      const decoded = decodeMessage(timelineMessageSchema, stored.payload);
      if (decoded.ok) occurrenceIds = decoded.value.slots.map((s) => s.occurrenceId);
    }
    const recorded = await this.repo.recordAck(deviceId, version, occurrenceIds, this.clock.now());
    this.logger.debug({ ctx: 'timelines', deviceId, version, recorded }, 'timeline ack');
  }

  private publish(deviceId: string, payload: string): Promise<void> {
    return this.broker.publish(deviceTopic(deviceId, 'timeline'), Buffer.from(payload), { qos: TIMELINE.qos, retain: TIMELINE.retain });
  }
}
