import { deviceTopic, eventsAckSchema, type PlaybackEvent } from '@loa/shared';
import type { Logger } from 'pino';
import type { Clock } from '../../clock.js';
import type { EventBus } from '../../core/bus.js';
import { Subscriptions, type Feature } from '../../core/feature.js';
import { errorMessage } from '../../fsutil.js';
import type { MessageGuard } from '../../router/guard.js';
import type { MessageRouter } from '../../router/message-router.js';
import type { Uplink } from '../mqtt/uplink.js';
import { EventSender } from './event-sender.js';
import { Outbox } from './outbox.js';

export interface ReportsFeatureOptions {
  deviceId: string;
  dataDir: string;
  clock: Clock;
  logger: Logger;
  bus: EventBus;
  uplink: Pick<Uplink, 'publish' | 'connected'>;
  guard: Pick<MessageGuard, 'reject'>;
  router: Pick<MessageRouter, 'onDevice'>;
  /** Unacknowledged reports are sent again after this long (default 10 s). */
  resendAfterMs?: number;
}

/** Proof of play: every report is kept in the outbox until a signed `events/ack` from the server removes it. */
export class ReportsFeature implements Feature {
  readonly name = 'reports';
  private outbox: Outbox | null = null;
  private sender: EventSender | null = null;
  private readonly subscriptions = new Subscriptions();

  constructor(private readonly opts: ReportsFeatureOptions) {}

  get pending(): PlaybackEvent[] {
    return this.outbox?.pending() ?? [];
  }

  get size(): number {
    return this.outbox?.size ?? 0;
  }

  async start(): Promise<void> {
    const { opts } = this;
    const outbox = await Outbox.open(opts.dataDir);
    const sender = new EventSender({
      outbox,
      clock: opts.clock,
      logger: opts.logger,
      publish: (batch) => opts.uplink.publish('events', batch),
      isConnected: () => opts.uplink.connected,
      ...(opts.resendAfterMs !== undefined ? { resendAfterMs: opts.resendAfterMs } : {}),
    });
    this.outbox = outbox;
    this.sender = sender;
    // The route outlives stop: acks that arrive while the agent says goodbye still trim the outbox.
    opts.router.onDevice('events/ack', eventsAckSchema, (ack) => {
      if (ack.deviceId !== opts.deviceId) {
        opts.guard.reject(deviceTopic(opts.deviceId, 'events/ack'), 'wrong-device', `events/ack addressed to ${ack.deviceId}`);
        return;
      }
      void sender.onAck(ack.ids).catch((err: unknown) => opts.logger.error({ err: errorMessage(err) }, 'events/ack handling failed'));
    });
    this.subscriptions.add(opts.bus.on('mqtt.connected', () => sender.onConnected()));
    sender.start();
  }

  /** Persists a report, then sends it; resolves once it is safe in the outbox. */
  async add(event: PlaybackEvent): Promise<void> {
    if (!this.sender) throw new Error('reports feature not started');
    await this.sender.add(event);
    this.opts.bus.emit('playback.reported', event);
  }

  /** Gives the final reports a chance to leave; whatever is unacked stays in the outbox. */
  async stop(): Promise<void> {
    this.subscriptions.clear();
    await this.sender?.flush();
    this.sender?.stop();
  }

  async dispose(): Promise<void> {
    await this.outbox?.close();
  }
}
