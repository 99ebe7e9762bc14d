import {
  applyTimelinePatch,
  deviceTopic,
  isTimelinePatch,
  timelineChannelsFor,
  timelineMessageSchema,
  timelineUpdateSchema,
  type Slot,
  type TimelineChannel,
  type TimelineMessage,
  type TimelinePatchMessage,
} from '@loa/shared';
import type { Logger } from 'pino';
import type { EventBus } from '../../core/bus.js';
import { Subscriptions, type Feature } from '../../core/feature.js';
import type { SerialQueue } from '../../core/serial-queue.js';
import type { MessageGuard } from '../../router/guard.js';
import type { MessageRouter } from '../../router/message-router.js';
import type { Uplink } from '../mqtt/uplink.js';
import { TimelineStore } from './timeline-store.js';

/** How long a remote resync waits for the retained timeline: a broker round trip, whatever clock the agent runs on. */
const RESYNC_WAIT_MS = 3000;

export interface TimelineFeatureOptions {
  deviceId: string;
  dataDir: string;
  logger: Logger;
  bus: EventBus;
  uplink: Pick<Uplink, 'publish' | 'resubscribe' | 'refreshAreas' | 'chooseTimelineChannels' | 'refreshTimelineChannels'>;
  guard: Pick<MessageGuard, 'reject'>;
  router: Pick<MessageRouter, 'onDevice'>;
  /** Shared with the alerts: both change what plays and must not interleave. */
  queue: SerialQueue;
  /** Drops the alerts of areas a new timeline no longer names, before anyone replans. */
  alerts: { retain(areaCodes: readonly string[]): Promise<void> };
}

/**
 * The device's timeline: stores each newer version, acks it, and tells the others through `timeline.updated`.
 * A new version arrives whole on `timeline` (retained) or live on `timeline/patch`, whole or as a patch of the held
 * one (timelineChannelsFor says which channels are followed when).
 */
export class TimelineFeature implements Feature {
  readonly name = 'timeline';
  private store: TimelineStore | null = null;
  private received = 0;
  private readonly subscriptions = new Subscriptions();
  /** A whole timeline of at least `awaited` is wanted: nothing held, a patch that did not apply, no kept session. */
  private fullWanted = false;
  private awaited = 0;

  constructor(private readonly opts: TimelineFeatureOptions) {}

  get current(): TimelineMessage | null {
    return this.store?.timeline ?? null;
  }

  get version(): number | undefined {
    return this.store?.version;
  }

  get slots(): readonly Slot[] {
    return this.current?.slots ?? [];
  }

  get areaCodes(): readonly string[] {
    return this.current?.areaCodes ?? [];
  }

  async start(): Promise<void> {
    const { opts } = this;
    this.store = new TimelineStore(opts.dataDir);
    const stored = await this.store.load();
    // Local first: the stored timeline plays whether or not the broker is reachable.
    if (stored) opts.logger.info({ version: stored.version, slots: stored.slots.length }, 'running stored timeline');
    // The route outlives stop: a timeline arriving while the agent stops is still stored and acked, as before.
    opts.router.onDevice('timeline', timelineMessageSchema, (t) => {
      this.received++;
      opts.queue.run('timeline handling', () => this.accept(t, 'timeline'));
    });
    opts.router.onDevice('timeline/patch', timelineUpdateSchema, (u) => {
      this.received++;
      opts.queue.run('timeline handling', () => (isTimelinePatch(u) ? this.applyPatch(u) : this.accept(u, 'timeline/patch')));
    });
    opts.uplink.chooseTimelineChannels((sessionPresent) => this.channels(sessionPresent));
    this.subscriptions.add(
      // An ack lost with the previous connection would leave the server re-sending; confirming again is idempotent.
      opts.bus.on('mqtt.connected', () => {
        const held = this.version;
        if (held !== undefined) void this.ack(held);
      }),
    );
  }

  /**
   * The timeline channels to follow now. Without its old session the broker queued nothing for this device while
   * it was away, so whatever it holds is checked against the retained copy once.
   */
  private channels(sessionPresent?: boolean): readonly TimelineChannel[] {
    const held = this.version;
    if (sessionPresent === false && held !== undefined && !this.fullWanted) {
      this.fullWanted = true;
      this.awaited = Math.max(this.awaited, held);
    }
    return timelineChannelsFor(held !== undefined, this.fullWanted);
  }

  async stop(): Promise<void> {
    this.subscriptions.clear();
    await this.opts.queue.idle();
  }

  /**
   * Remote resync: subscribes to the timeline again, so the broker delivers the retained copy, which is stored (if
   * newer) or re-acked; resolves with the version then held.
   */
  async resync(): Promise<number | null> {
    const before = this.received;
    this.fullWanted = true;
    this.awaited = Math.max(this.awaited, this.version ?? 0);
    if (!(await this.opts.uplink.resubscribe('timeline'))) throw new Error('not connected to the broker');
    // The retained copy follows the SUBACK; without one (nothing compiled yet) the wait simply ends.
    const deadline = Date.now() + RESYNC_WAIT_MS;
    while (this.received === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await this.opts.queue.idle();
    return this.version ?? null;
  }

  /** A whole timeline, from either channel. */
  private async accept(t: TimelineMessage, channel: TimelineChannel): Promise<void> {
    const { deviceId, guard } = this.opts;
    const store = this.store;
    if (!store) return;
    const topic = deviceTopic(deviceId, channel);
    if (t.deviceId !== deviceId) {
      guard.reject(topic, 'wrong-device', `timeline addressed to ${t.deviceId}`, String(t.version));
      return;
    }
    const have = store.version;
    if (have !== undefined && t.version <= have) {
      // The retained copy comes back on every reconnect; re-acking the current one is harmless and heals a lost ack.
      if (t.version === have) await this.ack(t.version);
      else guard.reject(topic, 'replay', `timeline version ${t.version} is older than the held ${have}`, String(t.version));
    } else {
      await this.install(t, 'whole');
    }
    if (this.fullWanted && (store.version ?? -1) >= this.awaited) {
      this.fullWanted = false;
      void this.opts.uplink.refreshTimelineChannels();
    } else if (have === undefined) {
      // The first timeline: from now on its patches are of use.
      void this.opts.uplink.refreshTimelineChannels();
    }
  }

  /**
   * A patch applies to exactly the held version and must give what the server compiled (its digest); otherwise the
   * whole timeline is fetched (the retained copy is at least the patch's version: it is published first).
   */
  private async applyPatch(p: TimelinePatchMessage): Promise<void> {
    const { deviceId, guard, logger } = this.opts;
    const store = this.store;
    if (!store) return;
    if (p.deviceId !== deviceId) {
      guard.reject(deviceTopic(deviceId, 'timeline/patch'), 'wrong-device', `timeline patch addressed to ${p.deviceId}`, String(p.version));
      return;
    }
    const have = store.version;
    if (have !== undefined && p.version <= have) {
      // Superseded, e.g. queued while away and overtaken by the whole timeline fetched since.
      if (p.version === have) await this.ack(p.version);
      return;
    }
    const result = applyTimelinePatch(store.timeline, p);
    if (result.ok) {
      await this.install(result.timeline, 'patch');
      return;
    }
    if (p.base === have) logger.error({ version: p.version, err: result.error }, 'timeline patch gave another timeline than the server compiled; fetching it whole');
    else logger.info({ version: p.version, base: p.base, held: have ?? null }, 'timeline patch of another version; fetching the whole timeline');
    this.awaited = Math.max(this.awaited, p.version);
    if (!this.fullWanted) {
      this.fullWanted = true;
      void this.opts.uplink.refreshTimelineChannels();
    }
  }

  private async install(t: TimelineMessage, via: 'patch' | 'whole'): Promise<void> {
    const { logger, bus, alerts, uplink } = this.opts;
    await this.store?.save(t);
    logger.info({ version: t.version, slots: t.slots.length, via }, 'timeline stored');
    await alerts.retain(t.areaCodes ?? []);
    bus.emit('timeline.updated', t);
    await this.ack(t.version);
    await uplink.refreshAreas();
  }

  private async ack(version: number): Promise<void> {
    await this.opts.uplink.publish('timeline/ack', { v: 1, version });
  }
}
