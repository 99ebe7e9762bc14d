import { deviceTopic, timelineMessageSchema, type Slot, type TimelineMessage } from '@loa/shared';
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
  uplink: Pick<Uplink, 'publish' | 'resubscribe' | 'refreshAreas'>;
  guard: Pick<MessageGuard, 'reject'>;
  router: Pick<MessageRouter, 'onDevice'>;
  /** Shared with the alerts: both change what plays and must not interleave. */
  queue: SerialQueue;
  /** Drops the alerts of areas a new timeline no longer names, before anyone replans. */
  alerts: { retain(areaCodes: readonly string[]): Promise<void> };
}

/** The device's timeline: stores each newer version, acks it, and tells the others through `timeline.updated`. */
export class TimelineFeature implements Feature {
  readonly name = 'timeline';
  private store: TimelineStore | null = null;
  private received = 0;
  private readonly subscriptions = new Subscriptions();

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
      opts.queue.run('timeline handling', () => this.accept(t));
    });
    this.subscriptions.add(
      // An ack lost with the previous connection would leave the server re-sending; confirming again is idempotent.
      opts.bus.on('mqtt.connected', () => {
        const held = this.version;
        if (held !== undefined) void opts.uplink.publish('timeline/ack', { v: 1, version: held });
      }),
    );
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
    if (!(await this.opts.uplink.resubscribe('timeline'))) throw new Error('not connected to the broker');
    // The retained copy follows the SUBACK; without one (nothing compiled yet) the wait simply ends.
    const deadline = Date.now() + RESYNC_WAIT_MS;
    while (this.received === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await this.opts.queue.idle();
    return this.version ?? null;
  }

  private async accept(t: TimelineMessage): Promise<void> {
    const { deviceId, guard, uplink, logger, bus, alerts } = this.opts;
    const store = this.store;
    if (!store) return;
    const topic = deviceTopic(deviceId, 'timeline');
    if (t.deviceId !== deviceId) {
      guard.reject(topic, 'wrong-device', `timeline addressed to ${t.deviceId}`, String(t.version));
      return;
    }
    const have = store.version;
    if (have !== undefined && t.version <= have) {
      // The retained copy comes back on every reconnect; re-acking the current one is harmless and heals a lost ack.
      if (t.version === have) await uplink.publish('timeline/ack', { v: 1, version: t.version });
      else guard.reject(topic, 'replay', `timeline version ${t.version} is older than the held ${have}`, String(t.version));
      return;
    }
    await store.save(t);
    logger.info({ version: t.version, slots: t.slots.length }, 'timeline stored');
    await alerts.retain(t.areaCodes ?? []);
    bus.emit('timeline.updated', t);
    await uplink.publish('timeline/ack', { v: 1, version: t.version });
    await uplink.refreshAreas();
  }
}
