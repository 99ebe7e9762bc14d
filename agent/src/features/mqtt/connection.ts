import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import {
  AREA_CHANNELS,
  areaTopic,
  DEVICE_CHANNELS,
  deviceTopic,
  DOWNSTREAM_DEVICE_CHANNELS,
  encodeMessage,
  MQTT_AUTH_REFUSED_CODES,
  parseAreaTopic,
  parseDeviceTopic,
  TIMELINE_CHANNELS,
  type DeviceChannel,
  type DeviceKind,
  type StatusMessage,
  type TimelineChannel,
} from '@loa/shared';
import type { Logger } from 'pino';
import { Backoff } from '../../backoff.js';
import type { Clock, TimerHandle } from '../../clock.js';
import { errorMessage } from '../../fsutil.js';
import type { TimelineChannelChooser } from './uplink.js';

export type ConnectFn = (url: string, opts: IClientOptions) => MqttClient;

export interface ConnectionOptions {
  url: string;
  deviceId: string;
  secret: string;
  kind: DeviceKind;
  agentVersion: string;
  clock: Clock;
  logger: Logger;
  backoff?: Backoff;
  connect?: ConnectFn;
  timelineVersion: () => number | undefined;
  /** Called for every message on a channel this device subscribed to; must not throw (it is guarded anyway). */
  onMessage: (channel: DeviceChannel, payload: Buffer) => void;
  /** Area codes whose alert channels to follow (the device's unit and ancestors, from its timeline). */
  areaCodes?: () => readonly string[];
  /** Called for every message on a followed area alert channel (an empty payload means "cleared"). */
  onAreaMessage?: (areaCode: string, payload: Buffer) => void;
  onConnected?: () => void;
  onDisconnected?: () => void;
  /** Which timeline channels to follow (see Uplink); without it, `timeline` only. */
  timelineChannels?: TimelineChannelChooser;
}

/** The only downstream channels a device may subscribe to (the broker ACL refuses anything else). */
const SUBSCRIPTIONS = DOWNSTREAM_DEVICE_CHANNELS;
const isTimelineChannel = (c: DeviceChannel): c is TimelineChannel => (TIMELINE_CHANNELS as readonly DeviceChannel[]).includes(c);

// Credentials refused (MQTT 3.1.1 CONNACK 4/5, MQTT 5 134/135): retrying soon will not help.
const AUTH_REFUSED = MQTT_AUTH_REFUSED_CODES;

/**
 * MQTT session of one device. mqtt.js's fixed-period reconnect is disabled: every attempt uses a fresh
 * client after a jittered exponential delay, so a fleet that lost the broker together does not return in
 * lockstep. The session is persistent (clean: false) and the last will marks the device offline.
 */
export class Connection {
  private client: MqttClient | null = null;
  private timer: TimerHandle | null = null;
  private stopping = false;
  private authRefused = false;
  private readonly backoff: Backoff;
  private online = false;
  private followedAreas = new Set<string>();
  /** Timeline channels subscribed on the current session. */
  private followedTimeline = new Set<TimelineChannel>();
  /** The broker refused `timeline/patch` (a server from before patches): the full channel is followed for good. */
  private patchesRefused = false;
  private timelineSync: Promise<void> = Promise.resolve();
  /** Settles when that client's connection closes (see publish). */
  private readonly closedOf = new WeakMap<MqttClient, Promise<false>>();

  constructor(private readonly opts: ConnectionOptions) {
    this.backoff = opts.backoff ?? new Backoff({ baseMs: 1000, capMs: 60_000 });
  }

  get connected(): boolean {
    return this.online && this.client?.connected === true;
  }

  start(): void {
    this.stopping = false;
    this.connectNow();
  }

  private topic(channel: DeviceChannel): string {
    return deviceTopic(this.opts.deviceId, channel);
  }

  private connectNow(): void {
    const { deviceId, secret, logger } = this.opts;
    const will: StatusMessage = { v: 1, state: 'offline', reason: 'will' };
    const client = (this.opts.connect ?? mqtt.connect)(this.opts.url, {
      clientId: deviceId,
      username: deviceId,
      password: secret,
      clean: false,
      keepalive: 30,
      reconnectPeriod: 0,
      connectTimeout: 15_000,
      protocolVersion: 4,
      // mqtt-packet's default pre-builds a Buffer for each of the 65,536 packet ids on the first packet written:
      // ~7 MB that stay on the heap of an agent that sends a few packets a minute.
      writeCache: false,
      will: { topic: this.topic('status'), payload: encodeMessage(will), qos: 1, retain: true },
    });
    this.client = client;
    this.closedOf.set(client, new Promise<false>((resolve) => client.once('close', () => resolve(false))));
    logger.debug({ url: this.opts.url }, 'connecting to broker');

    client.on('connect', (connack) => {
      if (this.client !== client) return;
      this.backoff.reset();
      this.authRefused = false;
      void this.onConnect(client, connack.sessionPresent === true);
    });
    client.on('message', (topic, payload) => {
      if (this.client !== client) return;
      const area = parseAreaTopic(topic);
      if (area) {
        if (!this.followedAreas.has(area.areaCode)) return;
        try {
          this.opts.onAreaMessage?.(area.areaCode, payload);
        } catch (err) {
          logger.error({ topic, err: errorMessage(err) }, 'area message handler failed; message ignored');
        }
        return;
      }
      const parsed = parseDeviceTopic(topic);
      if (!parsed || parsed.deviceId !== deviceId || DEVICE_CHANNELS[parsed.channel].direction !== 'down') {
        logger.warn({ topic }, 'ignoring message on an unexpected topic');
        return;
      }
      try {
        this.opts.onMessage(parsed.channel, payload);
      } catch (err) {
        logger.error({ topic, err: errorMessage(err) }, 'message handler failed; message ignored');
      }
    });
    client.on('error', (err) => {
      const code = (err as { code?: unknown }).code;
      if (typeof code === 'number' && AUTH_REFUSED.has(code)) {
        this.authRefused = true;
        logger.error({ code }, 'broker refused the device credentials; retrying at the maximum back-off');
      } else {
        logger.warn({ err: err.message }, 'mqtt error');
      }
    });
    client.on('close', () => {
      if (this.client !== client) return;
      this.client = null;
      if (this.online) {
        this.online = false;
        logger.warn('disconnected from broker');
        this.opts.onDisconnected?.();
      }
      client.end(true);
      if (this.stopping) return;
      const delay = this.authRefused ? this.backoff.atCap() : this.backoff.next();
      logger.info({ inMs: delay, attempt: this.backoff.attempts }, 'reconnecting to broker');
      this.timer = this.opts.clock.setTimer(() => {
        this.timer = null;
        if (!this.stopping) this.connectNow();
      }, delay);
    });
  }

  private async onConnect(client: MqttClient, sessionPresent: boolean): Promise<void> {
    const { logger } = this.opts;
    try {
      const timeline = this.opts.timelineChannels?.(sessionPresent) ?? ['timeline'];
      const channels = SUBSCRIPTIONS.filter((c) => !isTimelineChannel(c) || timeline.includes(c));
      const granted = await client.subscribeAsync(
        channels.map((c) => this.topic(c)),
        { qos: 1 },
      );
      const refused = granted.filter((g) => g.qos === 128).map((g) => g.topic);
      this.patchesRefused = refused.includes(this.topic('timeline/patch'));
      if (refused.length > 0) logger.error({ refused }, 'broker refused subscriptions');
      if (this.client !== client) return;
      // A kept session may still hold timeline subscriptions from before: the refresh below drops the unwanted ones.
      this.followedTimeline = new Set<TimelineChannel>(sessionPresent ? TIMELINE_CHANNELS : []);
      for (const c of channels) if (isTimelineChannel(c) && !refused.includes(this.topic(c))) this.followedTimeline.add(c);
      // Online as soon as the device's own channels are subscribed: the retained timeline may already be on its
      // way, and its ack must not be dropped as "offline".
      this.online = true;
      // Announced only once subscribed: the server sends what it queued for the device (commands) on this
      // announcement, and anything published before the subscriptions exist (a fresh session) would be lost.
      const status: StatusMessage = {
        v: 1,
        state: 'online',
        reason: 'connect',
        at: this.opts.clock.now(),
        kind: this.opts.kind,
        agentVersion: this.opts.agentVersion,
        ...(this.opts.timelineVersion() !== undefined ? { timelineVersion: this.opts.timelineVersion() } : {}),
      };
      await client.publishAsync(this.topic('status'), encodeMessage(status), { qos: 1, retain: true });
      if (this.client !== client) return;
      logger.info({ url: this.opts.url }, 'connected to broker');
      this.opts.onConnected?.();
      this.followedAreas = new Set();
      await this.followAreas(client);
      // Asked again: a patch queued in the session may have arrived meanwhile and changed the wish.
      await this.refreshTimelineChannels();
    } catch (err) {
      logger.warn({ err: errorMessage(err) }, 'connection setup failed');
    }
  }

  /** Re-reads the area list (after a new timeline) and follows or drops alert channels to match it. */
  async refreshAreas(): Promise<void> {
    const client = this.client;
    if (client && this.connected) await this.followAreas(client);
  }

  /**
   * Area subscriptions are made one by one and tolerate refusal: a device moved to another area keeps working
   * on its own channels while the broker still holds its old area list.
   */
  private async followAreas(client: MqttClient): Promise<void> {
    const wanted = new Set(this.opts.areaCodes?.() ?? []);
    for (const code of this.followedAreas) {
      if (wanted.has(code)) continue;
      this.followedAreas.delete(code);
      await client.unsubscribeAsync(areaTopic(code, 'alert')).catch(() => undefined);
    }
    for (const code of wanted) {
      if (this.followedAreas.has(code)) continue;
      // Marked first: the retained alert can arrive before the SUBACK resolves the subscribe call.
      this.followedAreas.add(code);
      try {
        await client.subscribeAsync(areaTopic(code, 'alert'), { qos: AREA_CHANNELS.alert.qos });
      } catch (err) {
        this.followedAreas.delete(code);
        this.opts.logger.error({ areaCode: code, err: errorMessage(err) }, 'broker refused the area alert subscription');
      }
    }
  }

  /** Asks the chooser again and follows its timeline channels; serialised, so two refreshes never interleave. */
  refreshTimelineChannels(): Promise<void> {
    const run = this.timelineSync.then(() => this.followTimeline());
    this.timelineSync = run.catch(() => undefined);
    return run;
  }

  /** New channels first, then the dropped ones: a version published in between arrives twice rather than never. */
  private async followTimeline(): Promise<void> {
    const client = this.client;
    if (!client || !this.connected) return;
    const chosen = this.opts.timelineChannels?.() ?? ['timeline'];
    try {
      for (const c of TIMELINE_CHANNELS) {
        if (!chosen.includes(c) || this.followedTimeline.has(c) || (c === 'timeline/patch' && this.patchesRefused)) continue;
        const [grant] = await client.subscribeAsync(this.topic(c), { qos: DEVICE_CHANNELS[c].qos });
        if (grant?.qos !== 128) this.followedTimeline.add(c);
        else if (c === 'timeline/patch') this.patchesRefused = true;
      }
      const wanted: readonly TimelineChannel[] = this.patchesRefused ? ['timeline'] : chosen;
      if (this.patchesRefused && !this.followedTimeline.has('timeline')) {
        await client.subscribeAsync(this.topic('timeline'), { qos: DEVICE_CHANNELS.timeline.qos });
        this.followedTimeline.add('timeline');
      }
      for (const c of TIMELINE_CHANNELS) {
        if (wanted.includes(c) || !this.followedTimeline.has(c)) continue;
        await client.unsubscribeAsync(this.topic(c));
        this.followedTimeline.delete(c);
      }
    } catch (err) {
      this.opts.logger.warn({ err: errorMessage(err) }, 'timeline subscriptions not updated');
    }
  }

  /**
   * Subscribes again to one of the device's own channels: for a retained channel (the timeline) the broker then
   * delivers the retained message again. False when offline.
   */
  async resubscribe(channel: DeviceChannel): Promise<boolean> {
    const client = this.client;
    if (!client || !this.connected) return false;
    try {
      await client.subscribeAsync(this.topic(channel), { qos: DEVICE_CHANNELS[channel].qos });
      if (isTimelineChannel(channel)) this.followedTimeline.add(channel);
      return true;
    } catch (err) {
      this.opts.logger.warn({ channel, err: errorMessage(err) }, 'resubscribe failed');
      return false;
    }
  }

  /** Publishes on one of this device's upstream channels; false when offline or the broker refused it. */
  async publish(channel: DeviceChannel, value: unknown): Promise<boolean> {
    const client = this.client;
    if (!client || !this.connected) return false;
    const spec = DEVICE_CHANNELS[channel];
    try {
      // With clean: false, mqtt.js keeps a QoS 1 publish whose PUBACK the closed connection never brought, for a
      // resend on that same client, and never settles it: this client is discarded, so the caller (the timeline and
      // alert queue among them) would wait for ever. A publish cut by the close is one not made.
      const sent = client.publishAsync(this.topic(channel), encodeMessage(value), { qos: spec.qos, retain: spec.retain }).then(() => true);
      return await Promise.race([sent, this.closedOf.get(client) ?? sent]);
    } catch (err) {
      this.opts.logger.warn({ channel, err: errorMessage(err) }, 'publish failed');
      return false;
    }
  }

  /** Says goodbye (retained offline status) so the server need not wait for the keepalive to expire. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.opts.clock.clearTimer(this.timer);
    this.timer = null;
    const client = this.client;
    if (!client) return;
    if (this.connected) {
      const bye: StatusMessage = { v: 1, state: 'offline', reason: 'shutdown', at: this.opts.clock.now() };
      await Promise.race([
        client.publishAsync(this.topic('status'), encodeMessage(bye), { qos: 1, retain: true }).catch(() => undefined),
        new Promise((r) => setTimeout(r, 3000).unref()),
      ]);
    }
    this.online = false;
    this.client = null;
    await Promise.race([client.endAsync(false).catch(() => undefined), new Promise((r) => setTimeout(r, 3000).unref())]);
    client.end(true);
  }
}
