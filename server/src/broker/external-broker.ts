import type { OnApplicationShutdown, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import mqtt, { type IConnackPacket, type IDisconnectPacket, type IPublishPacket, type MqttClient } from 'mqtt';
import { deviceTopic } from '@loa/shared';
import type { AppConfig, ExternalBrokerConfig } from '../config/app-config.js';
import type { Metrics } from '../common/metrics.js';
import type { AppLogger } from '../logging/logger.js';
import { BrokerConnectError, BrokerUnavailableError } from './broker-errors.js';
import { withoutCredentials } from './broker-url.js';
import { readBrokerTls } from './broker-tls.js';
import { InFlightHandlers } from './in-flight-handlers.js';
import { MessageBroker, type BrokerState, type MessageHandler, type PublishOptions, type SubscribeOptions } from './message-broker.js';
import { sharedFilter, topicMatches } from './mqtt-filters.js';
import { PACKET_LIMITS } from './packet-size-guard.js';
import { PublishWindow } from './publish-window.js';
import { RetainedRead } from './retained-read.js';

export interface ExternalBrokerTiming {
  /** How long start-up keeps trying to reach the broker before it fails. */
  readonly startTimeoutMs: number;
  /** One connection attempt: TCP, TLS and the CONNACK. */
  readonly connectTimeoutMs: number;
  /** Reconnection back-off: the first delay, doubled on each failed attempt up to the cap (±20 % jitter). */
  readonly reconnectMinMs: number;
  readonly reconnectMaxMs: number;
  /** How long a publish may wait for a broker that is away (see PublishWindow). */
  readonly offlineWaitMs: number;
  /** Longest wait for the broker's SUBACK or UNSUBACK. */
  readonly ackTimeoutMs: number;
  readonly keepaliveS: number;
  /** Cap on QoS 1 publishes awaiting their PUBACK, whatever Receive Maximum the broker grants. */
  readonly maxInFlight: number;
}

export const EXTERNAL_BROKER_TIMING: ExternalBrokerTiming = {
  startTimeoutMs: 10_000,
  connectTimeoutMs: 5_000,
  reconnectMinMs: 500,
  reconnectMaxMs: 30_000,
  // Long enough for a broker restart or a cluster node's failover, short enough that a fan-out job fails and is
  // retried (its lease) and a device's report handler gives up (the device resends unacknowledged reports).
  offlineWaitMs: 30_000,
  ackTimeoutMs: 10_000,
  keepaliveS: 30,
  maxInFlight: 1_000,
};

/** MQTT 5 default when the CONNACK carries no Receive Maximum. */
const UNLIMITED_RECEIVE_MAXIMUM = 65_535;
/** DISCONNECT reason: another client connected with our client id. */
const SESSION_TAKEN_OVER = 142;
/** Largest MQTT 5 Subscription Identifier (a variable byte integer). */
const MAX_SUBSCRIPTION_ID = 268_435_455;

/** Subscriptions by the filter sent to the broker (`$share/<group>/…` for device channels). */
interface Subscription {
  /** The filter as the feature gave it, which received topics are matched against. */
  readonly filter: string;
  /** Device upstream traffic, shared between the instances: withdrawn first when this one stops. */
  readonly shared: boolean;
  /** Also read once what the broker holds retained on the filter (SubscribeOptions.retained). */
  readonly retained: boolean;
  readonly handlers: MessageHandler[];
}

/**
 * The server as a privileged MQTT 5 client of an existing broker (Mosquitto, EMQX): LOA_MQTT_URL. Devices connect
 * to that broker, which authenticates and confines them (LOA_BROKER_ACCOUNTS); the server publishes their timelines,
 * acks and commands and takes their upstream messages through shared subscriptions, so with several server
 * instances each device message is handled by exactly one.
 *
 * Clean start, client id `loa-server-<LOA_INSTANCE_ID>`: a session is never resumed, so subscriptions are sent
 * again after every reconnection. The broker must be reachable at start-up (bounded wait); later outages are
 * ridden out with back-off, publishes waiting a bounded time for the broker to return.
 */
export class ExternalBroker extends MessageBroker implements OnModuleInit, OnModuleDestroy, OnApplicationShutdown {
  private client: MqttClient | null = null;
  private readonly settings: ExternalBrokerConfig;
  /** The URL without any credentials, for logs and the health endpoint. */
  private readonly displayUrl: string;
  private readonly clientId: string;
  private readonly subscriptions = new Map<string, Subscription>();
  private readonly handlers: InFlightHandlers;
  private readonly window: PublishWindow;
  private connected = false;
  private everConnected = false;
  private opened = false;
  private stopping = false;
  private closed = false;
  private stopped: Promise<string[]> | null = null;
  private failedAttempts = 0;
  private reconnects = 0;
  private disconnectedAt = 0;
  private lastError: string | null = null;
  private resubscribeTimer: NodeJS.Timeout | null = null;
  /** Retained reads in progress, by the subscription identifier their copies carry. */
  private readonly retainedReads = new Map<number, RetainedRead>();
  private retainedReadSeq = 0;

  constructor(
    config: AppConfig,
    private readonly metrics: Metrics,
    private readonly logger: AppLogger,
    private readonly timing: ExternalBrokerTiming = EXTERNAL_BROKER_TIMING,
  ) {
    super();
    if (config.externalBroker === null) throw new Error('ExternalBroker needs LOA_MQTT_URL');
    this.settings = config.externalBroker;
    this.displayUrl = withoutCredentials(this.settings.url);
    this.clientId = `loa-server-${config.instanceId}`;
    this.handlers = new InFlightHandlers((topic, err) => this.logger.error({ ctx: 'mqtt', topic, err: err.message }, 'message handler failed'));
    this.window = new PublishWindow(timing.maxInFlight, timing.offlineWaitMs);
  }

  get port(): number | null {
    return null;
  }

  get tlsPort(): number | null {
    return null;
  }

  /** The broker's listeners are not ours: its certificate is renewed there. */
  reloadTls(): void {}

  state(): BrokerState {
    return { kind: 'external', connected: this.connected, url: this.displayUrl, reconnects: this.reconnects, publishes: { limit: this.window.size, ...this.window.pending } };
  }

  /** Connects before features subscribe (onApplicationBootstrap); start-up fails if the broker cannot be reached. */
  async onModuleInit(): Promise<void> {
    const tls = readBrokerTls(this.settings);
    const client = mqtt.connect(this.settings.url, {
      protocolVersion: 5,
      clean: true,
      clientId: this.clientId,
      username: this.settings.username,
      password: this.settings.password,
      keepalive: this.timing.keepaliveS,
      connectTimeout: this.timing.connectTimeoutMs,
      reconnectPeriod: this.timing.reconnectMinMs,
      // A refused CONNACK at runtime (the account's password changed at the broker) is retried with back-off too.
      reconnectOnConnackError: true,
      // Subscriptions are ours to send again (open(), reconnections), so a stop's withdrawal stays withdrawn.
      resubscribe: false,
      properties: {
        // The session ends with the connection: nothing queues at the broker for an instance that is gone, and
        // what a shared subscription would have sent it goes to the other instances.
        sessionExpiryInterval: 0,
        // The broker drops, rather than sends, anything larger than a device may publish.
        maximumPacketSize: PACKET_LIMITS.packetBytes,
      },
      ...tls,
    });
    this.client = client;
    client.on('connect', (connack) => this.onConnected(connack));
    client.on('close', () => this.onConnectionLost());
    client.on('reconnect', () => this.backOff(client));
    client.on('error', (err) => this.onError(err));
    client.on('disconnect', (packet) => this.onBrokerDisconnect(packet));
    // Acknowledged at once (mqtt.js handles incoming packets one by one, so waiting here would also hold back the
    // PUBACKs of the server's own publishes, which handlers await). A report is safe anyway: the device keeps it
    // until the server's `events/ack`, sent after the commit.
    client.on('message', (topic, payload, packet) => this.dispatch(topic, payload, packet));
    try {
      await this.firstConnection(client);
    } catch (err) {
      this.closed = true;
      this.window.close(err as Error);
      client.end(true);
      this.client = null;
      throw err;
    }
  }

  /** Sends the subscriptions recorded while features started: from here on device messages arrive. */
  async open(): Promise<void> {
    this.opened = true;
    const filters = [...this.subscriptions.keys()];
    await this.sendSubscriptions(filters).catch((err: Error) => {
      throw new BrokerConnectError(`LOA_MQTT_URL=${this.displayUrl}: ${err.message}`);
    });
    this.logger.info({ ctx: 'mqtt', broker: this.displayUrl, filters }, 'subscribed to the device channels at the external MQTT broker');
    this.startRetainedReads();
  }

  async subscribe(filter: string, handler: MessageHandler, options?: SubscribeOptions): Promise<void> {
    const wire = options?.shared ? sharedFilter(this.settings.shareGroup, filter) : filter;
    const existing = this.subscriptions.get(wire);
    if (existing) {
      existing.handlers.push(handler);
      return;
    }
    this.subscriptions.set(wire, { filter, shared: options?.shared === true, retained: options?.retained === true, handlers: [handler] });
    // Before open() it is only recorded; while away, the reconnection sends every subscription anyway.
    if (this.opened && !this.stopping && this.connected) await this.sendSubscriptions([wire]);
  }

  publish(topic: string, payload: Buffer, options: PublishOptions): Promise<void> {
    const client = this.client;
    if (client === null || this.closed) return Promise.reject(new BrokerUnavailableError('the connection to the MQTT broker is closed'));
    this.notePublished(topic);
    const gaveUp = (err: Error): never => {
      this.metrics.inc('mqtt_publish_gave_up');
      throw err;
    };
    if (options.qos === 0) {
      return this.window.whenOnline().then(
        () => new Promise<void>((resolve, reject) => client.publish(topic, payload, { qos: 0, retain: options.retain }, (err) => (err ? reject(err) : resolve()))),
        gaveUp,
      );
    }
    return this.window.admit().then(
      () =>
        new Promise<void>((resolve, reject) => {
          let settled = false;
          // Sent but the broker went away: mqtt.js sends it again on reconnection; the caller waits no longer than
          // a caller still queued would.
          const forget = this.window.deadline((err) => {
            settled = true;
            this.metrics.inc('mqtt_publish_gave_up');
            reject(err);
          });
          client.publish(topic, payload, { qos: 1, retain: options.retain }, (err) => {
            forget();
            this.window.release();
            if (settled) return;
            settled = true;
            if (!err) return resolve();
            this.metrics.inc('mqtt_publish_failed');
            reject(new Error(`publish to ${topic} failed: ${err.message}`));
          });
        }),
      gaveUp,
    );
  }

  /**
   * At an external broker the device account's owner ends sessions (dynsec disables or changes the client, EMQX's
   * API kicks it); without one registered the session lasts until its credentials stop working at the broker.
   */
  async disconnect(clientId: string): Promise<void> {
    const terminate = this.sessionTerminator;
    if (terminate === null) {
      this.logger.info({ ctx: 'mqtt', deviceId: clientId, accounts: this.settings.accounts }, 'the device\'s session at the external broker ends when its credentials stop working there');
      return;
    }
    this.metrics.inc('mqtt_disconnected_by_server');
    this.logger.info({ ctx: 'mqtt', deviceId: clientId }, 'ending device session at the external broker');
    await terminate(clientId);
  }

  /**
   * Intake ends: the shared subscriptions are withdrawn first (kept in the routing table, so a message the broker
   * sent before its UNSUBACK is still handled), so the broker hands the devices' next messages to the other
   * instances (or, alone, keeps nothing: the devices resend what was not acknowledged), then the handlers of
   * messages already received finish. Publishing goes on until the application is closed (acks of the last commits).
   */
  stop(): Promise<string[]> {
    this.stopped ??= this.endIntake();
    return this.stopped;
  }

  async onModuleDestroy(): Promise<void> {
    await this.stop();
  }

  /** Last of all hooks, after the features' destroy hooks have published what their final commits owe. */
  async onApplicationShutdown(): Promise<void> {
    const client = this.client;
    if (client === null || this.closed) return;
    this.closed = true;
    if (this.resubscribeTimer) clearTimeout(this.resubscribeTimer);
    this.window.close(new BrokerUnavailableError('the connection to the MQTT broker is closed'));
    // A graceful DISCONNECT once the PUBACKs due have arrived, bounded: a broker that is away is not waited for.
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => client.end(true, () => resolve()), this.timing.ackTimeoutMs);
      client.end(false, () => {
        clearTimeout(timer);
        resolve();
      });
    });
    this.client = null;
    this.logger.info({ ctx: 'mqtt', broker: this.displayUrl }, 'disconnected from the external MQTT broker');
  }

  private async endIntake(): Promise<string[]> {
    this.stopping = true;
    if (this.resubscribeTimer) clearTimeout(this.resubscribeTimer);
    // A retained read in progress ends too (it withdraws its own subscription); what it took is settled below.
    for (const read of this.retainedReads.values()) read.end();
    // Only the shared ones: the server's own channels (e.g. dynamic security's responses) serve the rest of the stop.
    const filters = [...this.subscriptions].filter(([, sub]) => sub.shared).map(([wire]) => wire);
    const client = this.client;
    if (client !== null && this.opened && this.connected && filters.length > 0) {
      try {
        await this.withAckTimeout(client.unsubscribeAsync(filters), 'UNSUBSCRIBE');
        this.logger.info({ ctx: 'mqtt', filters }, 'withdrawn from the device channels: the broker hands their messages to the other instances');
      } catch (err) {
        // Still subscribed: the session's end (disconnect at shutdown) withdraws them anyway.
        this.logger.warn({ ctx: 'mqtt', err: (err as Error).message }, 'could not withdraw the subscriptions before stopping');
      }
    }
    // Messages the broker had already sent before the UNSUBACK are acknowledged to it: they are handled too.
    await this.handlers.settle();
    this.logger.info({ ctx: 'mqtt' }, 'device messages in progress handled');
    return [];
  }

  private dispatch(topic: string, payload: Buffer, packet: IPublishPacket): void {
    const ids = packet.properties?.subscriptionIdentifier;
    if (ids !== undefined) {
      // Only retained reads subscribe with an identifier. A copy of theirs is never dispatched as below: the shared
      // subscription brings its own copy of live messages, and a read that is over drops what still arrives.
      for (const id of Array.isArray(ids) ? ids : [ids]) this.retainedReads.get(id)?.receive(topic, payload, packet.retain);
      return;
    }
    for (const sub of this.subscriptions.values()) {
      if (!topicMatches(sub.filter, topic)) continue;
      // MQTT 5 sends no retained message to a shared subscription, but some brokers do (Mosquitto 2.0.11 does, to
      // every instance): where the retained read is the way in, such a copy would be handled twice.
      if (packet.retain && sub.shared && sub.retained) continue;
      for (const handler of sub.handlers) this.handlers.run(handler, topic, payload);
    }
  }

  private firstConnection(client: MqttClient): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const fail = (reason: string) => {
        cleanup();
        reject(new BrokerConnectError(`LOA_MQTT_URL=${this.displayUrl}: ${reason}`));
      };
      const timer = setTimeout(
        () => fail(`the MQTT broker could not be reached within ${Math.round(this.timing.startTimeoutMs / 1000)} s (${this.lastError ?? 'no answer'})`),
        this.timing.startTimeoutMs,
      );
      const onConnect = () => {
        cleanup();
        resolve();
      };
      const onError = (err: Error & { code?: unknown }) => {
        // A CONNACK refusal is an answer: retrying will not change it.
        if (typeof err.code === 'number') fail(`the broker refused the server's connection (${err.message}): check LOA_MQTT_USERNAME and LOA_MQTT_PASSWORD and the account's rights`);
      };
      const cleanup = () => {
        clearTimeout(timer);
        client.off('connect', onConnect);
        client.off('error', onError);
      };
      client.on('connect', onConnect);
      client.on('error', onError);
    });
  }

  private onConnected(connack: IConnackPacket): void {
    const receiveMaximum = connack.properties?.receiveMaximum ?? UNLIMITED_RECEIVE_MAXIMUM;
    this.connected = true;
    this.failedAttempts = 0;
    this.lastError = null;
    this.client!.options.reconnectPeriod = this.timing.reconnectMinMs;
    this.window.setOnline(true, Math.min(receiveMaximum, this.timing.maxInFlight));
    this.metrics.inc('mqtt_broker_connected');
    if (!this.everConnected) {
      this.everConnected = true;
      this.logger.info({ ctx: 'mqtt', broker: this.displayUrl, clientId: this.clientId, receiveMaximum }, 'connected to the external MQTT broker');
      return;
    }
    this.logger.info({ ctx: 'mqtt', broker: this.displayUrl, downMs: Math.round(performance.now() - this.disconnectedAt) }, 'reconnected to the external MQTT broker');
    // Before the subscriptions go out again: what arrives on them may already depend on what listeners forgot.
    this.notifyReconnected((err) => this.logger.error({ ctx: 'mqtt', err: err.message }, 'a broker reconnection listener failed'));
    // Clean start: the broker forgot the subscriptions with the old session.
    if (this.opened && !this.stopping) void this.resubscribe();
  }

  private onConnectionLost(): void {
    if (!this.connected) return;
    this.connected = false;
    this.reconnects++;
    this.disconnectedAt = performance.now();
    this.window.setOnline(false);
    // Their subscriptions ended with the session; the reconnection reads again.
    for (const read of this.retainedReads.values()) read.end();
    this.metrics.inc('mqtt_broker_connection_lost');
    if (!this.closed) this.logger.warn({ ctx: 'mqtt', broker: this.displayUrl, err: this.lastError ?? undefined }, 'connection to the external MQTT broker lost; reconnecting');
  }

  /** Exponential back-off with jitter, so several instances do not hammer a broker that comes back all at once. */
  private backOff(client: MqttClient): void {
    this.failedAttempts++;
    const delay = Math.min(this.timing.reconnectMaxMs, this.timing.reconnectMinMs * 2 ** Math.min(this.failedAttempts, 16));
    // Read by mqtt.js when this attempt fails and it schedules the next one.
    client.options.reconnectPeriod = Math.round(delay * (0.8 + Math.random() * 0.4));
  }

  private onError(err: Error & { code?: unknown }): void {
    this.lastError = err.message;
    if (typeof err.code === 'number' && this.everConnected) {
      this.metrics.inc('mqtt_broker_refused');
      this.logger.error({ ctx: 'mqtt', broker: this.displayUrl, err: err.message }, 'the external MQTT broker refused the server (check LOA_MQTT_USERNAME/LOA_MQTT_PASSWORD and the account\'s rights)');
      return;
    }
    // Refused TCP connections during an outage repeat at every attempt; the outage itself is logged once.
    this.logger.debug({ ctx: 'mqtt', broker: this.displayUrl, err: err.message }, 'MQTT client error');
  }

  private onBrokerDisconnect(packet: IDisconnectPacket): void {
    if (packet.reasonCode === SESSION_TAKEN_OVER) {
      this.logger.error({ ctx: 'mqtt', clientId: this.clientId }, 'another client connected to the broker with this server\'s client id: every instance needs its own LOA_INSTANCE_ID');
      return;
    }
    this.logger.warn({ ctx: 'mqtt', broker: this.displayUrl, reasonCode: packet.reasonCode, reason: packet.properties?.reasonString }, 'the external MQTT broker closed the connection');
  }

  private async resubscribe(): Promise<void> {
    this.resubscribeTimer = null;
    const filters = [...this.subscriptions.keys()];
    if (filters.length === 0 || !this.connected || this.stopping || this.closed) return;
    try {
      await this.sendSubscriptions(filters);
      this.metrics.inc('mqtt_broker_resubscribed');
      this.logger.info({ ctx: 'mqtt', filters }, 'subscriptions sent again after reconnecting');
      // Statuses published while this instance was away reached the others, or nobody: read what the broker holds.
      this.startRetainedReads();
    } catch (err) {
      this.metrics.inc('mqtt_broker_resubscribe_failed');
      this.logger.error({ ctx: 'mqtt', err: (err as Error).message }, 'subscriptions could not be sent again after reconnecting; retrying');
      // While connected, nothing else would send them: retry. A connection loss resubscribes on its own.
      if (this.connected && !this.stopping && !this.closed) {
        this.resubscribeTimer = setTimeout(() => void this.resubscribe(), this.timing.reconnectMinMs * 4);
        this.resubscribeTimer.unref();
      }
    }
  }

  private startRetainedReads(): void {
    for (const sub of this.subscriptions.values()) {
      if (sub.retained) void this.readRetained(sub);
    }
  }

  /**
   * Hands what the broker holds retained on the subscription's filter to its handlers, once (see RetainedRead):
   * a non-shared subscription with an identifier of its own and, in the same SUBSCRIBE, a marker topic no device can
   * use; after the SUBACK the marker is published, and its arrival (or a live copy's) ends the read, which withdraws
   * the subscription. Never throws: a failed read is logged, and live traffic goes on through the shared subscription.
   */
  private async readRetained(sub: Subscription): Promise<void> {
    const client = this.client;
    if (client === null || !this.connected || this.stopping || this.closed) return;
    const id = (this.retainedReadSeq++ % MAX_SUBSCRIPTION_ID) + 1;
    // Device ids start with a letter or digit: no device can subscribe to, or publish on, this one.
    const marker = deviceTopic(`_marker-${randomBytes(6).toString('hex')}`, 'events/ack');
    const read = new RetainedRead(id, sub.filter, marker, sub.handlers, (handler, topic, payload) => this.handlers.run(handler, topic, payload), this.timing.ackTimeoutMs);
    this.retainedReads.set(id, read);
    try {
      const granted = await this.withAckTimeout(
        new Promise<number[]>((resolve, reject) =>
          client.subscribe({ [sub.filter]: { qos: 1 }, [marker]: { qos: 1 } }, { properties: { subscriptionIdentifier: id } }, (err, grants) =>
            err ? reject(err) : resolve((grants ?? []).map((g) => g.qos)),
          ),
        ),
        'SUBSCRIBE',
      );
      if (granted.some((qos) => (qos & 0x80) !== 0)) throw new Error(`the broker refused the subscription to ${sub.filter} or ${marker}`);
      // Raced with the read: a connection lost meanwhile ends the read, while the marker waits for the next session.
      await Promise.race([client.publishAsync(marker, Buffer.alloc(0), { qos: 1 }), read.done]);
      const count = await read.done;
      if (!this.stopping) {
        this.metrics.inc('mqtt_retained_read', count);
        this.logger.info({ ctx: 'mqtt', filter: sub.filter, retained: count }, 'read the messages the broker holds retained');
      }
    } catch (err) {
      read.end();
      this.metrics.inc('mqtt_retained_read_failed');
      this.logger.warn({ ctx: 'mqtt', filter: sub.filter, err: (err as Error).message }, 'could not read the retained messages; live ones still arrive');
    } finally {
      this.retainedReads.delete(id);
      if (this.client === client && this.connected && !this.closed) {
        await this.withAckTimeout(client.unsubscribeAsync([sub.filter, marker]), 'UNSUBSCRIBE').catch((err: Error) =>
          this.logger.warn({ ctx: 'mqtt', filter: sub.filter, err: err.message }, 'could not withdraw the retained read\'s subscription'),
        );
      }
    }
  }

  /** One SUBSCRIBE (QoS 1) for these filters; rejects naming every filter the broker refused. */
  private async sendSubscriptions(filters: readonly string[]): Promise<void> {
    const client = this.client;
    if (client === null || filters.length === 0) return;
    const packet = await this.withAckTimeout(
      new Promise<{ granted: number[] } | undefined>((resolve, reject) =>
        client.subscribe(Object.fromEntries(filters.map((f) => [f, { qos: 1 as const }])), (err, _granted, suback) => {
          const codes = (suback as { granted?: Array<number | object> } | undefined)?.granted;
          if (err && !codes) reject(err);
          else resolve({ granted: (codes ?? []).map((c) => (typeof c === 'number' ? c : 0)) });
        }),
      ),
      'SUBSCRIBE',
    );
    const refused = filters.filter((_, i) => ((packet?.granted[i] ?? 0) & 0x80) !== 0);
    if (refused.length > 0) {
      const codes = refused.map((f) => `${f} (reason code ${packet!.granted[filters.indexOf(f)]})`);
      throw new Error(`the broker refused the server's subscription to ${codes.join(', ')}: the account LOA_MQTT_USERNAME needs to read these topics, shared subscriptions included`);
    }
  }

  private withAckTimeout<T>(pending: Promise<T>, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer from the broker to ${what} within ${this.timing.ackTimeoutMs / 1000} s`)), this.timing.ackTimeoutMs);
      pending.then(
        (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        (err: unknown) => {
          clearTimeout(timer);
          reject(err instanceof Error ? err : new Error(String(err)));
        },
      );
    });
  }
}
