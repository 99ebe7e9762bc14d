import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import type { z } from 'zod';
import mqtt, { type IClientOptions, type ISubscriptionGrant, type MqttClient } from 'mqtt';
import {
  DEVICE_CHANNELS,
  MAX_EVENTS_PER_BATCH,
  alertMessageSchema,
  areaTopic,
  decodeMessage,
  commandMessageSchema,
  type CommandResultMessage,
  openSigned,
  signedEnvelopeSchema,
  verifyKeyFromBase64,
  type DecodeResult,
  type VerifyKey,
  deviceTopic,
  encodeMessage,
  eventsAckSchema,
  MQTT_AUTH_REFUSED_CODES,
  DOWNSTREAM_DEVICE_CHANNELS,
  parseAreaTopic,
  parseDeviceTopic,
  timelineMessageSchema,
  timelineUpdateSchema,
  applyTimelinePatch,
  isTimelinePatch,
  timelineChannelsFor,
  TIMELINE_CHANNELS,
  type TimelineChannel,
  type TimelineMessage,
  type TimelinePatchMessage,
  type AlertMessage,
  type DeviceChannel,
  type DeviceKind,
  type EventsBatch,
  type PlaybackEvent,
  type PlaybackEventType,
  type StatusMessage,
  type TelemetryMessage,
  type TimelineAck,
} from '@loa/shared';
import { AGENT_VERSION, Backoff, newEventId } from '@loa/agent/dist/device-kit.js';
import { alertSlot } from '@loa/agent/dist/features/alerts/alert-book.js';
import {
  emptyStats,
  simDeviceSpecSchema,
  type FleetControl,
  type FleetOptions,
  type FleetStats,
  type InjectEventsOptions,
  type SimDeviceView,
} from './types.js';

// Credentials refused (MQTT 3.1.1 CONNACK 4/5, MQTT 5 134/135): the same rule as the real agent's Connection.
const AUTH_REFUSED = MQTT_AUTH_REFUSED_CODES;
const DOWN_SUBSCRIPTIONS = DOWNSTREAM_DEVICE_CHANNELS;
/** Command ids a simulated device remembers to answer resends without running them twice. */
const COMMANDS_REMEMBERED = 32;
const WILL_PAYLOAD = encodeMessage({ v: 1, state: 'offline', reason: 'will' } satisfies StatusMessage);
const ALERTS_REMEMBERED = 8;
const isTimelineChannel = (c: DeviceChannel): c is TimelineChannel => (TIMELINE_CHANNELS as readonly DeviceChannel[]).includes(c);

interface SlotState {
  occurrenceId: string;
  startAt: number;
  endAt: number;
  /** 0 = nothing reported yet, 1 = started reported, 2 = finished reported. */
  stage: 0 | 1 | 2;
  /** An area alert's slot (the agent's alert book keeps one per area channel): survives timeline changes. */
  alertArea?: string;
  alertId?: string;
}

const ALERT_OCCURRENCE = 'alert:';

interface Pending {
  ev: PlaybackEvent;
  /** True time of the last publish; 0 = not sent on the current connection. */
  sentAt: number;
}

/** Everything one virtual device holds: a few hundred bytes plus its mqtt.js client and its unacked reports. */
class SimDevice {
  client: MqttClient | null = null;
  state: 'idle' | 'connecting' | 'online' = 'idle';
  everConnected = false;
  authRefused = false;
  nextConnectAt = 0;
  connectedAt = 0;
  wakeAt = 0;
  nextTelemetryAt = Number.POSITIVE_INFINITY;
  timelineVersion = 0;
  ackedVersion = 0;
  markVersion = 0;
  areaCodes: string[];
  /** Alert channels granted on the current session. */
  alertTopics: string[] = [];
  alertOk = false;
  alertsSeen: string[] = [];
  /** What each followed area's alert channel holds, as the agent's alert book keeps it (to tell replays and repeats). */
  heldAlerts = new Map<string, { id: string; msgType: AlertMessage['msgType']; sentAt: number }>();
  commandsSeen: string[] = [];
  volume = 100;
  slots: SlotState[] = [];
  playing: string | null = null;
  outbox = new Map<string, Pending>();
  offsetEstimate = Number.NEGATIVE_INFINITY;
  reported: SimDeviceView['reported'] | null = null;
  /** The held timeline whole, as a patch needs it (the slot states above are what plays). */
  timeline: TimelineMessage | null = null;
  /** As the agent's timeline feature: a whole timeline of at least `awaited` is wanted (see timelineChannelsFor). */
  fullWanted = false;
  awaited = 0;
  /** Timeline channels subscribed on the current session. */
  followed = new Set<TimelineChannel>();
  /** Socket bytes of the connections already closed (the open one is read live). */
  bytesIn = 0;
  bytesOut = 0;

  constructor(
    readonly id: string,
    readonly secret: string,
    readonly kind: DeviceKind,
    areaCodes: readonly string[],
    readonly skewMs: number,
    readonly backoff: Backoff,
  ) {
    this.areaCodes = [...areaCodes];
  }
}

export interface FleetEvents {
  connected: [deviceId: string];
  disconnected: [deviceId: string];
  timeline: [deviceId: string, version: number];
  alert: [deviceId: string, alert: AlertMessage, receivedAt: number];
  event: [deviceId: string, event: PlaybackEvent];
  eventsAcked: [deviceId: string, ids: string[]];
}

/**
 * Many virtual Loa devices in one process, speaking the real protocol (topics, schemas and ACL from @loa/shared)
 * over one mqtt.js client each. Per-device state is a small object; every timer (reconnect back-off, slot times,
 * resends, telemetry, flaky links) is driven by one process-wide tick instead of per-device intervals, and every
 * client shares the same four event handlers.
 */
export class Fleet extends EventEmitter<FleetEvents> implements FleetControl {
  private readonly devices: SimDevice[] = [];
  private readonly byClient = new WeakMap<MqttClient, SimDevice>();
  private readonly counters = emptyStats();
  private readonly receipts = new Map<string, number[]>();
  /** True instants at which speakers started an alert's audio, per alert id. */
  private readonly starts = new Map<string, number[]>();
  /** Alert starts due at one true instant: one precise timer per instant, not per device. */
  private readonly dueStarts = new Map<number, { timer: NodeJS.Timeout; slots: Array<[SimDevice, SlotState]> }>();
  private expectedAlert: string | null = null;
  private tickTimer: NodeJS.Timeout | null = null;
  private connectingNow = 0;
  private stopping = false;
  private readonly now: () => number;
  private readonly verifyKey: VerifyKey | null;
  private readonly verified = new Map<string, DecodeResult<unknown>>();
  private readonly random: () => number;
  private readonly connectFn: NonNullable<FleetOptions['connect']>;
  private readonly o: Required<
    Pick<FleetOptions, 'telemetryIntervalMs' | 'resendAfterMs' | 'tickMs' | 'maxConnecting' | 'connectTimeoutMs' | 'keepaliveS' | 'flakyDisconnectPerMin' | 'clockSkewMs' | 'correctSkew' | 'subscribeAreasAtConnect' | 'reportDelivered' | 'agentVersion'>
  >;
  // The only four listeners every client gets: created once, they find their device through the client.
  private readonly onConnectShared: (this: MqttClient, connack: { sessionPresent?: boolean }) => void;
  private readonly onMessageShared: (this: MqttClient, topic: string, payload: Buffer) => void;
  private readonly onErrorShared: (this: MqttClient, err: Error) => void;
  private readonly onCloseShared: (this: MqttClient) => void;

  constructor(
    private readonly opts: FleetOptions,
    private readonly history = false,
  ) {
    super();
    this.now = opts.now ?? Date.now;
    this.random = opts.random ?? Math.random;
    this.connectFn = opts.connect ?? mqtt.connect;
    this.o = {
      telemetryIntervalMs: opts.telemetryIntervalMs ?? 60_000,
      resendAfterMs: opts.resendAfterMs ?? 10_000,
      tickMs: opts.tickMs ?? 100,
      maxConnecting: opts.maxConnecting ?? 1000,
      connectTimeoutMs: opts.connectTimeoutMs ?? 30_000,
      keepaliveS: opts.keepaliveS ?? 30,
      flakyDisconnectPerMin: opts.flakyDisconnectPerMin ?? 0,
      clockSkewMs: opts.clockSkewMs ?? 0,
      correctSkew: opts.correctSkew ?? false,
      subscribeAreasAtConnect: opts.subscribeAreasAtConnect ?? false,
      reportDelivered: opts.reportDelivered ?? true,
      agentVersion: opts.agentVersion ?? `${AGENT_VERSION}-sim`,
    };
    this.verifyKey = opts.serverPublicKey ? verifyKeyFromBase64(opts.serverPublicKey) : null;
    const backoff = opts.backoff ?? { baseMs: 1000, capMs: 60_000 };
    const seen = new Set<string>();
    for (const raw of opts.devices) {
      const spec = simDeviceSpecSchema.parse(raw);
      if (seen.has(spec.id)) throw new Error(`device ${spec.id} appears twice`);
      seen.add(spec.id);
      const skew = spec.skewMs ?? Math.round((this.random() * 2 - 1) * this.o.clockSkewMs);
      const dev = new SimDevice(spec.id, spec.secret, spec.kind, spec.areaCodes ?? [], skew, new Backoff({ ...backoff, random: this.random, now: this.now }));
      if (history) dev.reported = [];
      this.devices.push(dev);
    }
    this.counters.devices = this.devices.length;
    const fleet = this;
    this.onConnectShared = function (connack) {
      fleet.handleConnect(this, connack.sessionPresent === true);
    };
    this.onMessageShared = function (topic, payload) {
      fleet.handleMessage(this, topic, payload);
    };
    this.onErrorShared = function (err) {
      fleet.handleError(this, err);
    };
    this.onCloseShared = function () {
      fleet.handleClose(this);
    };
  }

  get size(): number {
    return this.devices.length;
  }

  async start(): Promise<void> {
    this.stopping = false;
    if (this.tickTimer) return;
    this.tickTimer = setInterval(() => this.tick(), this.o.tickMs);
    this.tick();
  }

  /**
   * Graceful: every connected device says goodbye (retained offline status) and disconnects cleanly. Otherwise the
   * sockets are dropped and the broker publishes the last wills.
   */
  async stop(opts: { graceful?: boolean } = {}): Promise<void> {
    this.stopping = true;
    if (this.tickTimer) clearInterval(this.tickTimer);
    this.tickTimer = null;
    for (const due of this.dueStarts.values()) clearTimeout(due.timer);
    this.dueStarts.clear();
    const ends: Promise<unknown>[] = [];
    for (const dev of this.devices) {
      const client = dev.client;
      if (!client) continue;
      const wasOnline = dev.state === 'online';
      this.setIdle(dev);
      if (opts.graceful && wasOnline) {
        const bye: StatusMessage = { v: 1, state: 'offline', reason: 'shutdown', at: this.deviceNow(dev, this.now()) };
        ends.push(
          new Promise<void>((resolve) => {
            const timer = setTimeout(() => {
              client.end(true);
              resolve();
            }, 5000);
            client.publish(deviceTopic(dev.id, 'status'), encodeMessage(bye), { qos: 1, retain: true }, () => {
              client.end(false, () => {
                clearTimeout(timer);
                resolve();
              });
            });
          }),
        );
      } else {
        client.end(true);
      }
    }
    await Promise.all(ends);
  }

  async stats(): Promise<FleetStats> {
    let alertSubscribed = 0;
    let ackedSinceMark = 0;
    let everConnected = 0;
    let pending = 0;
    let bytesIn = 0;
    let bytesOut = 0;
    for (const dev of this.devices) {
      if (dev.alertOk) alertSubscribed++;
      if (dev.ackedVersion > dev.markVersion) ackedSinceMark++;
      if (dev.everConnected) everConnected++;
      pending += dev.outbox.size;
      const socket = dev.client?.stream as Socket | undefined;
      bytesIn += dev.bytesIn + (socket?.bytesRead ?? 0);
      bytesOut += dev.bytesOut + (socket?.bytesWritten ?? 0);
    }
    return {
      ...this.counters,
      bytesIn,
      bytesOut,
      connecting: this.connectingNow,
      alertSubscribed,
      ackedSinceMark,
      everConnected,
      eventsPending: pending,
      rssBytes: process.memoryUsage.rss(),
    };
  }

  async markTimelines(): Promise<void> {
    for (const dev of this.devices) dev.markVersion = dev.ackedVersion;
  }

  async expectAlert(alertId: string | null): Promise<void> {
    this.expectedAlert = alertId;
    this.counters.alertsReceived = 0;
    this.counters.alertStarted = 0;
    this.counters.alertMissed = 0;
    for (const id of [...this.receipts.keys()]) if (id !== alertId) this.receipts.delete(id);
    for (const id of [...this.starts.keys()]) if (id !== alertId) this.starts.delete(id);
    if (alertId !== null) {
      this.counters.alertsReceived = this.receipts.get(alertId)?.length ?? 0;
      this.counters.alertStarted = this.starts.get(alertId)?.length ?? 0;
    }
  }

  async alertReceipts(alertId: string): Promise<number[]> {
    return [...(this.receipts.get(alertId) ?? [])];
  }

  async alertStarts(alertId: string): Promise<number[]> {
    return [...(this.starts.get(alertId) ?? [])];
  }

  async injectEvents(opts: InjectEventsOptions): Promise<number> {
    const types: PlaybackEventType[] = ['delivered', 'started', 'finished'];
    let added = 0;
    const now = this.now();
    for (const dev of this.devices) {
      const occurrenceId = opts.occurrenceId ?? dev.slots[0]?.occurrenceId ?? `sim-${dev.id}`;
      for (let i = 0; i < opts.perDevice; i++) {
        this.addEvent(dev, types[i % types.length] ?? 'started', occurrenceId, now, false);
        added++;
      }
      if (dev.state === 'online') dev.wakeAt = Math.min(dev.wakeAt, this.flush(dev, now));
    }
    return added;
  }

  async resetEventWindow(): Promise<void> {
    this.counters.firstEventSentAt = 0;
    this.counters.lastEventAckAt = 0;
  }

  /** Snapshot of one device (tests, diagnostics). */
  device(id: string): SimDeviceView | undefined {
    const dev = this.devices.find((d) => d.id === id);
    if (!dev) return undefined;
    return {
      id: dev.id,
      kind: dev.kind,
      connected: dev.state === 'online',
      skewMs: dev.skewMs,
      offsetEstimateMs: this.offsetOf(dev),
      timelineVersion: dev.timelineVersion,
      ackedVersion: dev.ackedVersion,
      volume: dev.volume,
      alertTopics: [...dev.alertTopics],
      alertsSeen: [...dev.alertsSeen],
      outbox: [...dev.outbox.values()].map((p) => p.ev),
      reported: [...(dev.reported ?? [])],
    };
  }

  /** Drops one device's socket abruptly (the broker then publishes its last will); it reconnects with back-off. */
  dropConnection(id: string): boolean {
    const dev = this.devices.find((d) => d.id === id);
    if (!dev?.client) return false;
    dev.client.stream.destroy();
    return true;
  }

  // ---- clock ---------------------------------------------------------------------------------------------------

  private deviceNow(dev: SimDevice, now: number): number {
    return Math.max(0, Math.round(now + dev.skewMs + this.offsetOf(dev)));
  }

  private offsetOf(dev: SimDevice): number {
    return this.o.correctSkew && Number.isFinite(dev.offsetEstimate) ? dev.offsetEstimate : 0;
  }

  /** True time at which the device's (corrected) clock reads `deviceTime`. */
  private trueTimeOf(dev: SimDevice, deviceTime: number): number {
    return deviceTime - dev.skewMs - this.offsetOf(dev);
  }

  // ---- the tick ------------------------------------------------------------------------------------------------

  private tick(): void {
    const now = this.now();
    let budget = this.o.maxConnecting - this.connectingNow;
    const flakyP = this.o.flakyDisconnectPerMin > 0 ? (this.o.flakyDisconnectPerMin * this.o.tickMs) / 60_000 : 0;
    for (const dev of this.devices) {
      if (dev.state === 'idle') {
        if (!this.stopping && budget > 0 && dev.nextConnectAt <= now) {
          budget--;
          this.connect(dev);
        }
      } else if (dev.state === 'online' && flakyP > 0 && this.random() < flakyP) {
        dev.client?.stream.destroy();
      }
      if (dev.wakeAt <= now) this.service(dev, now);
    }
  }

  /** Slot reports, resends and telemetry that fell due for one device; then when to look again. */
  private service(dev: SimDevice, now: number): void {
    let wake = Number.POSITIVE_INFINITY;
    for (const s of dev.slots) {
      if (s.stage === 2) continue;
      const startTrue = this.trueTimeOf(dev, s.startAt);
      const endTrue = this.trueTimeOf(dev, s.endAt);
      if (s.stage === 0) {
        if (now < startTrue) {
          wake = Math.min(wake, startTrue);
          continue;
        }
        this.startSlot(dev, s, now);
      }
      if (now < endTrue) {
        wake = Math.min(wake, endTrue);
        continue;
      }
      s.stage = 2;
      if (dev.playing === s.occurrenceId) dev.playing = null;
      this.counters.playbackFinished++;
      this.addEvent(dev, 'finished', s.occurrenceId, now, true, s.endAt - s.startAt);
    }
    if (dev.slots.length > 0 && dev.slots.every((s) => s.stage === 2)) dev.slots = [];
    // A played alert leaves the plan (the agent's book yields no slot once it is over), so it is never taken for a
    // timeline occurrence.
    else if (dev.slots.some((s) => s.alertId !== undefined && s.stage === 2)) dev.slots = dev.slots.filter((s) => s.alertId === undefined || s.stage !== 2);
    if (dev.state === 'online') {
      if (dev.outbox.size > 0) {
        const next = this.flush(dev, now);
        wake = Math.min(wake, next);
      }
      if (now >= dev.nextTelemetryAt) {
        this.sendTelemetry(dev, now);
        dev.nextTelemetryAt = now + this.o.telemetryIntervalMs;
      }
      wake = Math.min(wake, dev.nextTelemetryAt);
    }
    dev.wakeAt = wake;
  }

  // ---- connection ----------------------------------------------------------------------------------------------

  private connect(dev: SimDevice): void {
    dev.state = 'connecting';
    this.connectingNow++;
    const options: IClientOptions = {
      clientId: dev.id,
      username: dev.id,
      password: dev.secret,
      clean: false,
      keepalive: this.o.keepaliveS,
      reconnectPeriod: 0,
      connectTimeout: this.o.connectTimeoutMs,
      protocolVersion: 4,
      will: { topic: deviceTopic(dev.id, 'status'), payload: WILL_PAYLOAD, qos: 1, retain: true },
    };
    let client: MqttClient;
    try {
      client = this.connectFn(this.opts.mqttUrl, options);
    } catch {
      this.connectingNow--;
      dev.state = 'idle';
      this.counters.connectErrors++;
      dev.nextConnectAt = this.now() + dev.backoff.next();
      return;
    }
    dev.client = client;
    this.byClient.set(client, dev);
    client.on('connect', this.onConnectShared);
    client.on('message', this.onMessageShared);
    client.on('error', this.onErrorShared);
    client.on('close', this.onCloseShared);
  }

  private handleConnect(client: MqttClient, sessionPresent: boolean): void {
    const dev = this.byClient.get(client);
    if (!dev || dev.client !== client) return;
    // As the agent: without its old session nothing was queued for the device while away; the retained copy tells.
    if (!sessionPresent && dev.timelineVersion > 0 && !dev.fullWanted) {
      dev.fullWanted = true;
      dev.awaited = Math.max(dev.awaited, dev.timelineVersion);
    }
    const timelineChannels = timelineChannelsFor(dev.timelineVersion > 0, dev.fullWanted);
    const now = this.now();
    const status: StatusMessage = {
      v: 1,
      state: 'online',
      reason: 'connect',
      at: this.deviceNow(dev, now),
      kind: dev.kind,
      agentVersion: this.o.agentVersion,
      ...(dev.timelineVersion > 0 ? { timelineVersion: dev.timelineVersion } : {}),
    };
    this.send(dev, 'status', status);
    const areas = this.o.subscribeAreasAtConnect || dev.timelineVersion > 0 ? dev.areaCodes : [];
    const alertTopics = areas.map((code) => areaTopic(code, 'alert'));
    const own = DOWN_SUBSCRIPTIONS.filter((c) => !isTimelineChannel(c) || timelineChannels.includes(c));
    const topics = [...own.map((c) => deviceTopic(dev.id, c)), ...alertTopics];
    client.subscribe(topics, { qos: 1 }, (err, granted) => {
      if (dev.client !== client) return;
      if (err) {
        client.end(true);
        return;
      }
      this.grantAlerts(dev, alertTopics, granted ?? []);
      // A kept session may still hold timeline subscriptions from before: followTimeline drops the unwanted ones.
      dev.followed = new Set<TimelineChannel>(sessionPresent ? TIMELINE_CHANNELS : []);
      for (const c of own) if (isTimelineChannel(c)) dev.followed.add(c);
      this.connectingNow--;
      this.counters.connects++;
      dev.state = 'online';
      dev.everConnected = true;
      dev.connectedAt = this.now();
      this.counters.lastConnectAt = dev.connectedAt;
      dev.authRefused = false;
      dev.backoff.reset();
      this.counters.connected++;
      if (this.o.telemetryIntervalMs > 0) dev.nextTelemetryAt = dev.connectedAt + Math.round(this.random() * this.o.telemetryIntervalMs);
      // Whatever was in flight on the old connection is presumed lost.
      for (const p of dev.outbox.values()) p.sentAt = 0;
      dev.wakeAt = 0;
      // A retained timeline may have arrived (with its area chain) before the SUBACK: join those alert channels now.
      if (dev.timelineVersion > 0) this.resubscribeAlerts(dev);
      this.followTimeline(dev);
      this.emit('connected', dev.id);
    });
  }

  private grantAlerts(dev: SimDevice, asked: readonly string[], granted: readonly ISubscriptionGrant[]): void {
    if (asked.length === 0) return;
    const ok = new Set(granted.filter((g) => g.qos !== 128).map((g) => g.topic));
    dev.alertTopics = asked.filter((t) => ok.has(t));
    dev.alertOk = dev.alertTopics.length === asked.length;
  }

  private handleError(client: MqttClient, err: Error): void {
    const dev = this.byClient.get(client);
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'number' && AUTH_REFUSED.has(code)) {
      this.counters.authRefused++;
      if (dev && dev.client === client) dev.authRefused = true;
    }
  }

  private handleClose(client: MqttClient): void {
    const dev = this.byClient.get(client);
    const socket = client.stream as Socket | undefined;
    if (dev && socket) {
      dev.bytesIn += socket.bytesRead ?? 0;
      dev.bytesOut += socket.bytesWritten ?? 0;
      this.byClient.delete(client);
    }
    client.end(true);
    if (!dev || dev.client !== client) return;
    if (dev.state === 'connecting') this.counters.connectErrors++;
    else if (dev.state === 'online') this.emit('disconnected', dev.id);
    this.setIdle(dev);
    if (this.stopping) return;
    dev.nextConnectAt = this.now() + (dev.authRefused ? dev.backoff.atCap() : dev.backoff.next());
  }

  private setIdle(dev: SimDevice): void {
    if (dev.state === 'connecting') this.connectingNow--;
    if (dev.state === 'online') {
      this.counters.connected--;
      this.counters.disconnects++;
    }
    dev.state = 'idle';
    dev.client = null;
    dev.alertOk = false;
    dev.alertTopics = [];
    dev.nextTelemetryAt = Number.POSITIVE_INFINITY;
  }

  /** Publishes on one of the device's own upstream channels with the QoS and retain flag the contract gives it. */
  private send(dev: SimDevice, channel: DeviceChannel, value: unknown, cb?: (err?: Error) => void): void {
    const client = dev.client;
    if (!client) return;
    const spec = DEVICE_CHANNELS[channel];
    const payload = encodeMessage(value);
    const go = () => {
      if (dev.client !== client) return;
      if (cb) client.publish(deviceTopic(dev.id, channel), payload, { qos: spec.qos, retain: spec.retain }, cb);
      else client.publish(deviceTopic(dev.id, channel), payload, { qos: spec.qos, retain: spec.retain });
    };
    const delay = this.latency();
    if (delay > 0) setTimeout(go, delay);
    else go();
  }

  private latency(): number {
    const l = this.opts.latencyMs;
    if (!l) return 0;
    return Math.round(l[0] + this.random() * Math.max(0, l[1] - l[0]));
  }

  // ---- downstream ----------------------------------------------------------------------------------------------

  private handleMessage(client: MqttClient, topic: string, payload: Buffer): void {
    const dev = this.byClient.get(client);
    if (!dev || dev.client !== client) return;
    const delay = this.latency();
    if (delay > 0) setTimeout(() => this.route(dev, topic, payload), delay);
    else this.route(dev, topic, payload);
  }

  private route(dev: SimDevice, topic: string, payload: Buffer): void {
    const parsed = parseDeviceTopic(topic);
    if (parsed && parsed.deviceId === dev.id) {
      if (parsed.channel === 'timeline') return this.onTimeline(dev, payload);
      if (parsed.channel === 'timeline/patch') return this.onTimelineUpdate(dev, payload);
      if (parsed.channel === 'events/ack') return this.onEventsAck(dev, payload);
      if (parsed.channel === 'req') return this.onCommand(dev, payload);
    } else {
      const area = parseAreaTopic(topic);
      if (area) return this.onAlert(dev, payload, area.areaCode);
    }
    this.counters.messagesRefused++;
  }

  /**
   * What a real agent's MessageGuard does: verify against the pinned key (or just unwrap, for baselines).
   * `shared` marks messages every device of the process receives byte for byte (area alerts): each real device
   * verifies its copy on its own CPU, in parallel; here thousands share one CPU, so the verdict on identical bytes is
   * remembered rather than recomputed thousands of times in a row, which would measure the simulator's queue.
   */
  private open<S extends z.ZodType>(schema: S, payload: Buffer, shared = false): DecodeResult<z.infer<S>> {
    if (this.verifyKey) {
      const key = shared ? payload.toString('latin1') : null;
      const memo = key === null ? undefined : this.verified.get(key);
      if (memo) return memo as DecodeResult<z.infer<S>>;
      const r = openSigned(schema, payload, this.verifyKey);
      if (!r.ok) this.counters.signatureRefused++;
      const out: DecodeResult<z.infer<S>> = r.ok ? r : { ok: false, error: r.error };
      if (key !== null) {
        if (this.verified.size >= 16) this.verified.clear();
        this.verified.set(key, out);
      }
      return out;
    }
    const env = decodeMessage(signedEnvelopeSchema, payload);
    return decodeMessage(schema, env.ok ? env.value.payload : payload);
  }

  private onTimeline(dev: SimDevice, payload: Buffer): void {
    const r = this.open(timelineMessageSchema, payload);
    if (!r.ok || r.value.deviceId !== dev.id) {
      this.counters.messagesRefused++;
      return;
    }
    this.acceptFull(dev, r.value);
  }

  /** `timeline/patch`: a patch of the held version, or a whole timeline. */
  private onTimelineUpdate(dev: SimDevice, payload: Buffer): void {
    const r = this.open(timelineUpdateSchema, payload);
    if (!r.ok || r.value.deviceId !== dev.id) {
      this.counters.messagesRefused++;
      return;
    }
    if (isTimelinePatch(r.value)) this.applyPatch(dev, r.value);
    else this.acceptFull(dev, r.value);
  }

  private acceptFull(dev: SimDevice, t: TimelineMessage): void {
    this.counters.timelinesReceived++;
    if (t.version <= dev.timelineVersion) {
      // The retained copy comes back on every reconnect; re-acking the current one heals a lost ack.
      if (t.version === dev.timelineVersion) this.send(dev, 'timeline/ack', { v: 1, version: t.version } satisfies TimelineAck);
    } else {
      this.install(dev, t);
    }
    if (dev.fullWanted && dev.timelineVersion >= dev.awaited) dev.fullWanted = false;
    this.followTimeline(dev);
  }

  /** The agent's rule: a patch applies to exactly the held version and must match its digest, else fetch the whole. */
  private applyPatch(dev: SimDevice, p: TimelinePatchMessage): void {
    this.counters.timelinesReceived++;
    if (p.version <= dev.timelineVersion) {
      if (p.version === dev.timelineVersion) this.send(dev, 'timeline/ack', { v: 1, version: p.version } satisfies TimelineAck);
      return;
    }
    const r = applyTimelinePatch(dev.timeline, p);
    if (r.ok) {
      this.counters.timelinePatchesApplied++;
      this.install(dev, r.timeline);
      return;
    }
    this.counters.timelinePatchesRefused++;
    dev.awaited = Math.max(dev.awaited, p.version);
    if (!dev.fullWanted) {
      dev.fullWanted = true;
      this.followTimeline(dev);
    }
  }

  /** Subscribes and unsubscribes the timeline channels to match timelineChannelsFor; new ones first. */
  private followTimeline(dev: SimDevice): void {
    const client = dev.client;
    if (!client || dev.state !== 'online') return;
    const wanted = timelineChannelsFor(dev.timelineVersion > 0, dev.fullWanted);
    const add = wanted.filter((c) => !dev.followed.has(c));
    const drop = TIMELINE_CHANNELS.filter((c) => dev.followed.has(c) && !wanted.includes(c));
    if (add.length === 0 && drop.length === 0) return;
    for (const c of add) dev.followed.add(c);
    for (const c of drop) dev.followed.delete(c);
    const unsubscribe = () => {
      if (drop.length > 0 && dev.client === client) client.unsubscribe(drop.map((c) => deviceTopic(dev.id, c)));
    };
    if (add.length > 0) client.subscribe(add.map((c) => deviceTopic(dev.id, c)), { qos: 1 }, unsubscribe);
    else unsubscribe();
  }

  private install(dev: SimDevice, t: TimelineMessage): void {
    const now = this.now();
    dev.timeline = t;
    // generatedAt ≤ the true receipt time, so (generatedAt − device clock) bounds the offset from below; the
    // largest bound seen so far is the best estimate.
    const candidate = t.generatedAt - (now + dev.skewMs);
    if (candidate > dev.offsetEstimate) dev.offsetEstimate = candidate;
    const deviceNow = this.deviceNow(dev, now);
    const previous = new Map(dev.slots.map((s) => [s.occurrenceId, s.stage]));
    const slots: SlotState[] = [];
    for (const s of t.slots) {
      const endAt = s.startAt + s.durationMs;
      const stage = previous.get(s.occurrenceId);
      if (stage === undefined && endAt <= deviceNow) continue; // already over on arrival: nothing to play
      if (stage === undefined && this.o.reportDelivered) this.addEvent(dev, 'delivered', s.occurrenceId, now, true);
      slots.push({ occurrenceId: s.occurrenceId, startAt: s.startAt, endAt, stage: stage ?? 0 });
    }
    // The plan is the timeline plus the alerts in force, as the agent's playback feature merges them.
    dev.slots = [...slots, ...dev.slots.filter((s) => s.alertId !== undefined)].sort((a, b) => a.startAt - b.startAt);
    dev.timelineVersion = t.version;
    if (t.areaCodes && t.areaCodes.join('/') !== dev.areaCodes.join('/')) dev.areaCodes = [...t.areaCodes];
    this.resubscribeAlerts(dev);
    const version = t.version;
    this.send(dev, 'timeline/ack', { v: 1, version } satisfies TimelineAck, (err) => {
      if (err) return;
      this.counters.timelineAcks++;
      this.counters.lastTimelineAckAt = this.now();
      if (version > dev.ackedVersion) dev.ackedVersion = version;
      this.emit('timeline', dev.id, version);
    });
    dev.wakeAt = 0;
  }

  /** Subscribes to the alert channels of the device's areas that this session does not have yet. */
  private resubscribeAlerts(dev: SimDevice): void {
    const client = dev.client;
    if (!client || dev.state !== 'online') return;
    const wanted = dev.areaCodes.map((c) => areaTopic(c, 'alert'));
    const stale = dev.alertTopics.filter((t) => !wanted.includes(t));
    if (stale.length > 0) client.unsubscribe(stale);
    if (wanted.length === 0 || (dev.alertOk && stale.length === 0 && wanted.every((t) => dev.alertTopics.includes(t)))) return;
    client.subscribe(wanted, { qos: 1 }, (err, granted) => {
      if (err || dev.client !== client) return;
      this.grantAlerts(dev, wanted, granted ?? []);
    });
  }

  private onAlert(dev: SimDevice, payload: Buffer, areaCode: string): void {
    if (payload.length === 0) return; // an emptied retained alert: nothing in force
    const receivedAt = this.now();
    const r = this.open(alertMessageSchema, payload, true);
    if (!r.ok || r.value.areaCode !== areaCode) {
      this.counters.messagesRefused++;
      return;
    }
    const alert = r.value;
    this.planAlert(dev, alert, receivedAt);
    if (dev.alertsSeen.includes(alert.id)) return; // the retained copy again, after a reconnect
    dev.alertsSeen.push(alert.id);
    if (dev.alertsSeen.length > ALERTS_REMEMBERED) dev.alertsSeen.shift();
    if (this.expectedAlert === null || this.expectedAlert === alert.id) {
      this.counters.alertsReceived++;
      const list = this.receipts.get(alert.id);
      if (list) list.push(receivedAt);
      else this.receipts.set(alert.id, [receivedAt]);
    }
    this.emit('alert', dev.id, alert, receivedAt);
  }

  /**
   * What the agent's alert book and executor make of an area alert: the area's channel holds one alert (a newer one
   * or a cancellation replaces it, an older one is a replay), the alert becomes a slot through the agent's own
   * `alertSlot`, and the executor starts a slot at its start time on the device's clock, or at once when that time
   * has already passed on arrival (a late receiver does not wait: it starts late). Starts are timed with a precise
   * timer per start instant, not the fleet's 100 ms tick, as the executor's precise timer does.
   */
  private planAlert(dev: SimDevice, alert: AlertMessage, now: number): void {
    const held = dev.slots.find((s) => s.alertArea === alert.areaCode);
    const heldAlert = dev.heldAlerts.get(alert.areaCode);
    if (heldAlert && heldAlert.id === alert.id && heldAlert.msgType === alert.msgType) return; // already held
    if (heldAlert && alert.sentAt < heldAlert.sentAt) return; // a replay of a superseded alert
    dev.heldAlerts.set(alert.areaCode, { id: alert.id, msgType: alert.msgType, sentAt: alert.sentAt });
    if (held) {
      dev.slots = dev.slots.filter((s) => s !== held);
      if (held.stage === 1) {
        if (dev.playing === held.occurrenceId) dev.playing = null;
        this.addEvent(dev, 'skipped', held.occurrenceId, now, true);
      }
    }
    const slot = alertSlot(alert, dev.kind, this.deviceNow(dev, now));
    if (!slot || slot.type === 'relay') return;
    const s: SlotState = { occurrenceId: slot.occurrenceId, startAt: slot.startAt, endAt: slot.startAt + slot.durationMs, stage: 0, alertArea: alert.areaCode, alertId: alert.id };
    if (s.endAt <= this.deviceNow(dev, now)) {
      // Over on arrival: the executor reports it expired, and nothing plays.
      if (dev.kind === 'speaker' && (this.expectedAlert === null || this.expectedAlert === alert.id)) this.counters.alertMissed++;
      if (this.o.reportDelivered) this.addEvent(dev, 'expired', s.occurrenceId, now, true);
      return;
    }
    dev.slots = [...dev.slots, s].sort((a, b) => a.startAt - b.startAt);
    if (this.o.reportDelivered) this.addEvent(dev, 'delivered', s.occurrenceId, now, true);
    const startTrue = Math.round(this.trueTimeOf(dev, s.startAt));
    if (startTrue <= now) {
      this.startSlot(dev, s, now);
      return;
    }
    const due = this.dueStarts.get(startTrue);
    if (due) {
      due.slots.push([dev, s]);
      return;
    }
    const timer = setTimeout(() => this.fireStarts(startTrue), startTrue - now);
    this.dueStarts.set(startTrue, { timer, slots: [[dev, s]] });
  }

  /**
   * Every slot due at this instant. Each start instant is read first, for all of them, and the reports are made after:
   * thousands of devices share this process's one CPU, where each real device would start on its own.
   */
  private fireStarts(at: number): void {
    const due = this.dueStarts.get(at);
    this.dueStarts.delete(at);
    if (!due) return;
    const started: Array<[SimDevice, SlotState, number]> = [];
    for (const [dev, s] of due.slots) if (s.stage === 0 && dev.slots.includes(s)) started.push([dev, s, this.now()]);
    for (const [dev, s, now] of started) this.startSlot(dev, s, now);
  }

  /** The executor's start: the slot owns the output and `started` is reported; an alert's start is recorded. */
  private startSlot(dev: SimDevice, s: SlotState, now: number): void {
    if (s.stage !== 0) return;
    s.stage = 1;
    dev.playing = s.occurrenceId;
    this.counters.playbackStarted++;
    this.addEvent(dev, 'started', s.occurrenceId, now, true);
    if (s.alertId === undefined || dev.kind !== 'speaker') return;
    const list = this.starts.get(s.alertId);
    if (list) list.push(now);
    else this.starts.set(s.alertId, [now]);
    if (this.expectedAlert === null || this.expectedAlert === s.alertId) this.counters.alertStarted++;
  }

  /** A simulated device runs every command instantly and answers it, as a real agent's Commands feature would. */
  private onCommand(dev: SimDevice, payload: Buffer): void {
    const r = this.open(commandMessageSchema, payload);
    if (!r.ok || r.value.deviceId !== dev.id) {
      this.counters.messagesRefused++;
      return;
    }
    const cmd = r.value;
    this.counters.commandsReceived++;
    const expired = cmd.expiresAt <= this.deviceNow(dev, this.now());
    if (!expired && !dev.commandsSeen.includes(cmd.id)) {
      dev.commandsSeen.push(cmd.id);
      if (dev.commandsSeen.length > COMMANDS_REMEMBERED) dev.commandsSeen.shift();
      if (cmd.command.type === 'setVolume' && cmd.command.volume !== undefined) dev.volume = cmd.command.volume;
    }
    const result: CommandResultMessage = expired
      ? { v: 1, id: cmd.id, at: this.now(), status: 'rejected', message: 'expired' }
      : { v: 1, id: cmd.id, at: this.now(), status: 'ok' };
    this.send(dev, 'res', result, (err) => {
      if (!err) this.counters.commandsAnswered++;
    });
  }

  private onEventsAck(dev: SimDevice, payload: Buffer): void {
    const r = this.open(eventsAckSchema, payload);
    if (!r.ok || r.value.deviceId !== dev.id) {
      this.counters.messagesRefused++;
      return;
    }
    let removed = 0;
    for (const id of r.value.ids) if (dev.outbox.delete(id)) removed++;
    if (removed > 0) {
      this.counters.eventsAcked += removed;
      this.counters.lastEventAckAt = this.now();
    }
    this.emit('eventsAcked', dev.id, r.value.ids);
  }

  // ---- upstream reports ----------------------------------------------------------------------------------------

  private addEvent(dev: SimDevice, type: PlaybackEventType, occurrenceId: string, now: number, wake: boolean, playedMs?: number): void {
    const at = this.deviceNow(dev, now);
    const ev: PlaybackEvent = { id: newEventId(at), occurrenceId, type, at, ...(playedMs !== undefined ? { playedMs } : {}) };
    dev.outbox.set(ev.id, { ev, sentAt: 0 });
    this.counters.eventsCreated++;
    dev.reported?.push({ occurrenceId, type, at, trueAt: now });
    if (wake) dev.wakeAt = 0;
    if (this.listenerCount('event') > 0) this.emit('event', dev.id, ev);
  }

  /** Sends every report not sent on this connection or sent too long ago; returns when to resend next. */
  private flush(dev: SimDevice, now: number): number {
    let batch: PlaybackEvent[] = [];
    let next = Number.POSITIVE_INFINITY;
    const resendAfter = this.o.resendAfterMs;
    for (const p of dev.outbox.values()) {
      if (p.sentAt !== 0 && now - p.sentAt < resendAfter) {
        next = Math.min(next, p.sentAt + resendAfter);
        continue;
      }
      if (p.sentAt !== 0) this.counters.eventsResent++;
      p.sentAt = now;
      batch.push(p.ev);
      if (batch.length === MAX_EVENTS_PER_BATCH) {
        this.sendBatch(dev, batch, now);
        batch = [];
      }
    }
    if (batch.length > 0) this.sendBatch(dev, batch, now);
    return Math.min(next, dev.outbox.size > 0 ? now + resendAfter : Number.POSITIVE_INFINITY);
  }

  private sendBatch(dev: SimDevice, events: PlaybackEvent[], now: number): void {
    this.send(dev, 'events', { v: 1, events } satisfies EventsBatch);
    this.counters.eventsSent += events.length;
    if (this.counters.firstEventSentAt === 0) this.counters.firstEventSentAt = now;
  }

  private sendTelemetry(dev: SimDevice, now: number): void {
    const msg: TelemetryMessage = {
      v: 1,
      at: this.deviceNow(dev, now),
      uptimeS: Math.max(0, Math.round((now - dev.connectedAt) / 1000)),
      ...(dev.timelineVersion > 0 ? { timelineVersion: dev.timelineVersion } : {}),
      ...(dev.playing !== null ? { playing: dev.playing } : {}),
      volume: 80,
      outboxSize: dev.outbox.size,
      ...(this.o.correctSkew && Number.isFinite(dev.offsetEstimate) ? { clockOffsetMs: Math.round(dev.offsetEstimate) } : {}),
    };
    this.send(dev, 'telemetry', msg);
    this.counters.telemetrySent++;
  }
}
