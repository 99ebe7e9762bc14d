import type { EventBus } from '../../core/bus.js';
import type { Feature } from '../../core/feature.js';
import type { MessageRouter } from '../../router/message-router.js';
import { Connection, type ConnectionOptions } from './connection.js';
import type { TimelineChannelChooser, Uplink } from './uplink.js';

/** The connection's own settings, plus what the feature wires into it. */
export interface MqttFeatureOptions
  extends Pick<ConnectionOptions, 'url' | 'deviceId' | 'secret' | 'kind' | 'agentVersion' | 'clock' | 'logger' | 'connect' | 'backoff'> {
  bus: EventBus;
  router: Pick<MessageRouter, 'routeDevice' | 'routeArea'>;
  /** What the device holds, announced in its online status and used to pick its area channels. */
  timeline: { readonly version: number | undefined; readonly areaCodes: readonly string[] };
}

/** The MQTT session: hands every downstream message to the router and announces (dis)connection on the bus. */
export class MqttFeature implements Feature, Uplink {
  readonly name = 'mqtt';
  private connection: Connection | null = null;
  private chooseTimeline: TimelineChannelChooser = () => ['timeline'];

  constructor(private readonly opts: MqttFeatureOptions) {}

  get connected(): boolean {
    return this.connection?.connected ?? false;
  }

  async start(): Promise<void> {
    const { opts } = this;
    this.connection = new Connection({
      url: opts.url,
      deviceId: opts.deviceId,
      secret: opts.secret,
      kind: opts.kind,
      agentVersion: opts.agentVersion,
      clock: opts.clock,
      logger: opts.logger,
      ...(opts.connect ? { connect: opts.connect } : {}),
      ...(opts.backoff ? { backoff: opts.backoff } : {}),
      timelineVersion: () => opts.timeline.version,
      areaCodes: () => opts.timeline.areaCodes,
      onMessage: (channel, payload) => opts.router.routeDevice(channel, payload),
      onAreaMessage: (areaCode, payload) => opts.router.routeArea(areaCode, 'alert', payload),
      onConnected: () => opts.bus.emit('mqtt.connected'),
      onDisconnected: () => opts.bus.emit('mqtt.disconnected', { reason: 'connection closed' }),
      timelineChannels: (sessionPresent) => this.chooseTimeline(sessionPresent),
    });
    this.connection.start();
  }

  async stop(): Promise<void> {
    await this.connection?.stop();
  }

  async publish(channel: Parameters<Uplink['publish']>[0], value: unknown): Promise<boolean> {
    return (await this.connection?.publish(channel, value)) ?? false;
  }

  async resubscribe(channel: Parameters<Uplink['resubscribe']>[0]): Promise<boolean> {
    return (await this.connection?.resubscribe(channel)) ?? false;
  }

  async refreshAreas(): Promise<void> {
    await this.connection?.refreshAreas();
  }

  chooseTimelineChannels(choose: TimelineChannelChooser): void {
    this.chooseTimeline = choose;
  }

  async refreshTimelineChannels(): Promise<void> {
    await this.connection?.refreshTimelineChannels();
  }
}
