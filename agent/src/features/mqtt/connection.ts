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
  type DeviceChannel,
  type DeviceKind,
  type StatusMessage,
} from '@loa/shared';
import type { Logger } from 'pino';
import { Backoff } from '../../backoff.js';
import type { Clock, TimerHandle } from '../../clock.js';
import { errorMessage } from '../../fsutil.js';

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
}

/** The only downstream channels a device may subscribe to (the broker ACL refuses anything else). */
const SUBSCRIPTIONS = DOWNSTREAM_DEVICE_CHANNELS;

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
      will: { topic: this.topic('status'), payload: encodeMessage(will), qos: 1, retain: true },
    });
    this.client = client;
    logger.debug({ url: this.opts.url }, 'connecting to broker');

    client.on('connect', () => {
      if (this.client !== client) return;
      this.backoff.reset();
      this.authRefused = false;
      void this.onConnect(client);
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

  private async onConnect(client: MqttClient): Promise<void> {
    const { logger } = this.opts;
    try {
      const granted = await client.subscribeAsync(
        SUBSCRIPTIONS.map((c) => this.topic(c)),
        { qos: 1 },
      );
      const refused = granted.filter((g) => g.qos === 128).map((g) => g.topic);
      if (refused.length > 0) logger.error({ refused }, 'broker refused subscriptions');
      if (this.client !== client) return;
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

  /**
   * Subscribes again to one of the device's own channels: for a retained channel (the timeline) the broker then
   * delivers the retained message again. False when offline.
   */
  async resubscribe(channel: DeviceChannel): Promise<boolean> {
    const client = this.client;
    if (!client || !this.connected) return false;
    try {
      await client.subscribeAsync(this.topic(channel), { qos: DEVICE_CHANNELS[channel].qos });
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
      await client.publishAsync(this.topic(channel), encodeMessage(value), { qos: spec.qos, retain: spec.retain });
      return true;
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
