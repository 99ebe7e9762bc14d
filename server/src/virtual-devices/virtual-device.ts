import type { IClientOptions, MqttClient } from 'mqtt';
import type { z } from 'zod';
import {
  DEVICE_CHANNELS,
  DOWNSTREAM_DEVICE_CHANNELS,
  MAX_EVENTS_PER_BATCH,
  MQTT_AUTH_REFUSED_CODES,
  TIMELINE_CHANNELS,
  alertMessageSchema,
  applyTimelinePatch,
  areaTopic,
  commandMessageSchema,
  decodeMessage,
  deviceTopic,
  encodeMessage,
  eventsAckSchema,
  isTimelinePatch,
  parseAreaTopic,
  parseDeviceTopic,
  priorityRank,
  signedEnvelopeSchema,
  timelineChannelsFor,
  timelineMessageSchema,
  timelineUpdateSchema,
  type AlertMessage,
  type Command,
  type CommandMessage,
  type CommandResultMessage,
  type DecodeResult,
  type DeviceChannel,
  type DeviceKind,
  type PlaybackEvent,
  type PlaybackEventType,
  type Slot,
  type StatusMessage,
  type TelemetryMessage,
  type TimelineChannel,
  type TimelineMessage,
  type TimelinePatchMessage,
} from '@loa/shared';
import { VIRTUAL_PLAYBACKS_KEPT, type VirtualDeviceFault, type VirtualDeviceView, type VirtualPlaybackView } from '@loa/shared/rest';
import type { TimerHandle, VirtualTimers } from './virtual-timers.js';
import {
  PROGRAMME_LUFS,
  SELF_TEST_TONE_DBFS,
  SELF_TEST_TONE_LUFS,
  SILENCE_LUFS,
  alertSlot,
  itemMsOf,
  mediaMissing,
  mediaOf,
  newEventId,
  runEnd,
  unsupportedReason,
} from './virtual-device-rules.js';

/** What the fleet gives each virtual device. */
export interface VirtualDeviceDeps {
  timers: VirtualTimers;
  /** The broker's URL, or null while it does not listen yet (the device tries again shortly). */
  brokerUrl: () => string | null;
  connect: (url: string, options: IClientOptions) => MqttClient;
  /** A fresh secret when the broker refused the current one (rotated by someone); null: stay away (revoked, removed). */
  renewSecret: (deviceId: string) => Promise<string | null>;
  telemetryIntervalMs: number;
  agentVersion: string;
  log: (deviceId: string, msg: string, extra?: Record<string, unknown>) => void;
}

export interface VirtualDeviceSpec {
  id: string;
  kind: DeviceKind;
  areaCode: string;
  secret: string;
}

interface Pending {
  ev: PlaybackEvent;
  /** Instant of the last send on the current connection; 0: not sent on it. */
  sentAt: number;
}

interface Planned {
  slot: Slot;
  /** An area alert's slot: kept across timeline changes (the agent's alert book holds it). */
  alertArea?: string;
  /** A playNow command's slot: not part of the timeline, so a new timeline does not drop it. */
  oneOff?: boolean;
  /** What held it back when it became due (for the `skipped` reason if its window closes meanwhile). */
  blockedBy?: string;
}

interface Current {
  slot: Slot;
  startedAt: number;
  endsAt: number;
  silent: boolean;
  oneOff: boolean;
  alertArea: string | null;
  record: VirtualPlaybackView;
}

/** Command results kept to answer the server's resends without running a command twice. */
const COMMANDS_REMEMBERED = 64;
/** Terminal outcomes kept so a slot seen again in a later timeline is not played twice. */
const LEDGER_KEPT = 2000;
const RESEND_AFTER_MS = 10_000;
const BACKOFF_BASE_MS = 500;
const BACKOFF_CAP_MS = 30_000;
const LOG_LINES = 200;
const NOT_INSTALLABLE = 'this agent does not run from an install directory it can update (not-installable)';
const isTimelineChannel = (c: DeviceChannel): c is TimelineChannel => (TIMELINE_CHANNELS as readonly DeviceChannel[]).includes(c);
const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * One virtual speaker or board: an mqtt.js client of the instance's own broker, logged in with the device's
 * credentials, behaving on the protocol as the real agent does. It holds its timeline (retained copy and patches) and
 * acks it, follows its areas' alert channels, "plays" each slot from its start time for its length, reports
 * delivered/started/finished (or the failure its fault dictates) from an outbox that is resent until acknowledged,
 * answers commands and sends telemetry. Messages from the server are only unwrapped, not verified (same process), and
 * validated with their zod schema as the agent's router does. Playing is one item at a time; a higher priority
 * preempts, others wait while their window is open.
 */
export class VirtualDevice {
  private client: MqttClient | null = null;
  private state: 'idle' | 'connecting' | 'online' = 'idle';
  private stopped = false;
  private faultNow: VirtualDeviceFault = 'none';
  private attempts = 0;
  private connectTimer: TimerHandle | null = null;
  private wakeTimer: TimerHandle | null = null;
  private resendTimer: TimerHandle | null = null;
  private telemetryTimer: TimerHandle | null = null;
  private connectedAt = 0;
  private readonly bornAt: number;

  private timeline: TimelineMessage | null = null;
  private fullWanted = false;
  private awaited = 0;
  private followed = new Set<TimelineChannel>();
  private areaCodes: string[] = [];
  private alertTopics: string[] = [];
  private readonly heldAlerts = new Map<string, { id: string; msgType: AlertMessage['msgType']; sentAt: number }>();

  private planned = new Map<string, Planned>();
  private readonly ledger = new Map<string, PlaybackEventType>();
  private current: Current | null = null;
  private readonly outbox = new Map<string, Pending>();
  private readonly commands = new Map<string, { sentAt: number; result: CommandResultMessage | null }>();
  private commandChain: Promise<void> = Promise.resolve();
  private volume = 80;
  private muted = false;
  private readonly recent: VirtualPlaybackView[] = [];
  private readonly logLines: string[] = [];

  constructor(
    readonly spec: VirtualDeviceSpec,
    private readonly deps: VirtualDeviceDeps,
  ) {
    this.bornAt = deps.timers.now();
  }

  get id(): string {
    return this.spec.id;
  }

  get fault(): VirtualDeviceFault {
    return this.faultNow;
  }

  start(): void {
    this.stopped = false;
    this.note('agent started');
    this.scheduleConnect(0);
  }

  /** Ends everything at once (the server is stopping or the device was removed): no goodbye, no reconnect. */
  stop(): void {
    this.stopped = true;
    for (const t of [this.connectTimer, this.wakeTimer, this.resendTimer, this.telemetryTimer]) this.deps.timers.clear(t);
    this.connectTimer = this.wakeTimer = this.resendTimer = this.telemetryTimer = null;
    const client = this.client;
    this.setIdle();
    client?.end(true);
  }

  setFault(fault: VirtualDeviceFault): void {
    if (fault === this.faultNow) return;
    const was = this.faultNow;
    this.faultNow = fault;
    this.note(`fault ${was} → ${fault}`);
    if (fault === 'offline') {
      // The link is cut, not closed: the broker publishes the last will, as for a speaker whose power or modem died.
      const client = this.client;
      this.setIdle();
      this.deps.timers.clear(this.connectTimer);
      this.connectTimer = null;
      client?.stream.destroy();
      client?.end(true);
    } else if (was === 'offline' && !this.stopped) {
      this.attempts = 0;
      this.scheduleConnect(0);
    }
  }

  view(): Omit<VirtualDeviceView, 'areaCode'> {
    return {
      deviceId: this.id,
      kind: this.spec.kind,
      connected: this.state === 'online',
      fault: this.faultNow,
      timelineVersion: this.timeline?.version ?? 0,
      volume: this.volume,
      muted: this.muted,
      playing: this.current?.slot.occurrenceId ?? null,
      pendingReports: this.outbox.size,
      recent: this.recent.map((r) => ({ ...r })),
    };
  }

  // ---- connection ------------------------------------------------------------------------------------------------

  private scheduleConnect(delayMs: number): void {
    if (this.stopped || this.faultNow === 'offline') return;
    this.deps.timers.clear(this.connectTimer);
    this.connectTimer = this.deps.timers.set(() => {
      this.connectTimer = null;
      this.connect();
    }, delayMs);
  }

  private backoffMs(): number {
    this.attempts++;
    const cap = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.min(10, this.attempts - 1));
    return Math.round(cap / 2 + (Math.random() * cap) / 2);
  }

  private connect(): void {
    if (this.stopped || this.faultNow === 'offline' || this.state !== 'idle') return;
    const url = this.deps.brokerUrl();
    if (url === null) {
      this.scheduleConnect(200);
      return;
    }
    const will: StatusMessage = { v: 1, state: 'offline', reason: 'will' };
    let client: MqttClient;
    try {
      client = this.deps.connect(url, {
        clientId: this.id,
        username: this.id,
        password: this.spec.secret,
        clean: true,
        keepalive: 30,
        reconnectPeriod: 0,
        connectTimeout: 10_000,
        protocolVersion: 4,
        rejectUnauthorized: false,
        will: { topic: deviceTopic(this.id, 'status'), payload: encodeMessage(will), qos: 1, retain: true },
      });
    } catch (err) {
      this.note(`connect failed: ${(err as Error).message}`);
      this.scheduleConnect(this.backoffMs());
      return;
    }
    this.client = client;
    this.state = 'connecting';
    let refused = false;
    client.on('connect', () => {
      if (this.client === client) this.onConnected(client);
    });
    client.on('message', (topic, payload) => {
      if (this.client === client) this.route(topic, payload);
    });
    client.on('error', (err) => {
      const code = (err as { code?: unknown }).code;
      if (typeof code === 'number' && MQTT_AUTH_REFUSED_CODES.has(code)) refused = true;
    });
    client.on('close', () => {
      client.end(true);
      if (this.client !== client) return;
      const wasOnline = this.state === 'online';
      this.setIdle();
      if (wasOnline) this.note('disconnected');
      if (this.stopped || this.faultNow === 'offline') return;
      if (refused) void this.renewAndRetry();
      else this.scheduleConnect(this.backoffMs());
    });
  }

  /** The broker refused the secret (someone rotated it in practice): ask for a fresh one, unless revoked or removed. */
  private async renewAndRetry(): Promise<void> {
    this.note('login refused');
    const secret = await this.deps.renewSecret(this.id).catch(() => null);
    if (this.stopped) return;
    if (secret === null) {
      this.scheduleConnect(BACKOFF_CAP_MS);
      return;
    }
    this.spec.secret = secret;
    this.scheduleConnect(this.backoffMs());
  }

  private setIdle(): void {
    this.state = 'idle';
    this.client = null;
    this.alertTopics = [];
    this.followed.clear();
    this.deps.timers.clear(this.telemetryTimer);
    this.telemetryTimer = null;
    this.deps.timers.clear(this.resendTimer);
    this.resendTimer = null;
  }

  private onConnected(client: MqttClient): void {
    const now = this.deps.timers.now();
    // A clean session: nothing was queued while away, so a device holding a timeline takes the retained copy again.
    if (this.timeline) {
      this.fullWanted = true;
      this.awaited = Math.max(this.awaited, this.timeline.version);
    }
    const status: StatusMessage = {
      v: 1,
      state: 'online',
      reason: 'connect',
      at: now,
      kind: this.spec.kind,
      agentVersion: this.deps.agentVersion,
      ...(this.timeline ? { timelineVersion: this.timeline.version } : {}),
    };
    this.send('status', status);
    const wanted = timelineChannelsFor(this.timeline !== null, this.fullWanted);
    const own = DOWNSTREAM_DEVICE_CHANNELS.filter((c) => !isTimelineChannel(c) || wanted.includes(c));
    client.subscribe(
      own.map((c) => deviceTopic(this.id, c)),
      { qos: 1 },
      (err) => {
        if (this.client !== client) return;
        if (err) {
          client.end(true);
          return;
        }
        this.state = 'online';
        this.attempts = 0;
        this.connectedAt = this.deps.timers.now();
        this.followed = new Set(own.filter(isTimelineChannel));
        this.note('connected');
        for (const p of this.outbox.values()) p.sentAt = 0;
        this.flush();
        // A retained timeline may have arrived before the SUBACK: follow the channels it calls for now.
        this.followTimeline();
        this.followAlerts();
        this.scheduleTelemetry(Math.min(this.deps.telemetryIntervalMs, 2000));
      },
    );
  }

  /** Publishes on one of its own upstream channels with the QoS and retain flag the contract gives it. */
  private send(channel: DeviceChannel, value: unknown, cb?: (err?: Error) => void): boolean {
    const client = this.client;
    if (!client) return false;
    const spec = DEVICE_CHANNELS[channel];
    client.publish(deviceTopic(this.id, channel), encodeMessage(value), { qos: spec.qos, retain: spec.retain }, (err) => cb?.(err ?? undefined));
    return true;
  }

  // ---- downstream ------------------------------------------------------------------------------------------------

  private route(topic: string, payload: Buffer): void {
    const parsed = parseDeviceTopic(topic);
    if (parsed && parsed.deviceId === this.id) {
      if (parsed.channel === 'timeline') return this.onTimeline(payload);
      if (parsed.channel === 'timeline/patch') return this.onTimelineUpdate(payload);
      if (parsed.channel === 'events/ack') return this.onEventsAck(payload);
      if (parsed.channel === 'req') return this.onCommand(payload);
      return;
    }
    const area = parseAreaTopic(topic);
    if (area) this.onAlert(payload, area.areaCode);
  }

  /** Unwraps the signed envelope without verifying it (the signer is this very process) and validates the payload. */
  private open<S extends z.ZodType>(schema: S, payload: Buffer): DecodeResult<z.infer<S>> {
    const env = decodeMessage(signedEnvelopeSchema, payload);
    const r = decodeMessage(schema, env.ok ? env.value.payload : payload);
    if (!r.ok) this.note(`message refused: ${r.error}`);
    return r;
  }

  private onTimeline(payload: Buffer): void {
    const r = this.open(timelineMessageSchema, payload);
    if (r.ok && r.value.deviceId === this.id) this.acceptFull(r.value);
  }

  private onTimelineUpdate(payload: Buffer): void {
    const r = this.open(timelineUpdateSchema, payload);
    if (!r.ok || r.value.deviceId !== this.id) return;
    if (isTimelinePatch(r.value)) this.applyPatch(r.value);
    else this.acceptFull(r.value);
  }

  private acceptFull(t: TimelineMessage): void {
    const held = this.timeline?.version ?? 0;
    if (this.timeline !== null && t.version <= held) {
      // The retained copy comes again on every connection; re-acking the held version heals a lost ack.
      if (t.version === held) this.send('timeline/ack', { v: 1, version: t.version });
    } else {
      this.install(t);
    }
    if (this.fullWanted && (this.timeline?.version ?? 0) >= this.awaited) this.fullWanted = false;
    this.followTimeline();
  }

  /** The agent's rule: a patch applies to exactly the held version and must match its digest, else fetch the whole. */
  private applyPatch(p: TimelinePatchMessage): void {
    const held = this.timeline?.version ?? 0;
    if (p.version <= held) {
      if (p.version === held) this.send('timeline/ack', { v: 1, version: p.version });
      return;
    }
    const r = applyTimelinePatch(this.timeline, p);
    if (r.ok) {
      this.install(r.timeline);
      return;
    }
    this.note(`patch to v${p.version} refused (${r.error}); fetching the whole timeline`);
    this.awaited = Math.max(this.awaited, p.version);
    if (!this.fullWanted) {
      this.fullWanted = true;
      this.followTimeline();
    }
  }

  /** Subscribes and unsubscribes the timeline channels to match timelineChannelsFor; new ones first. */
  private followTimeline(): void {
    const client = this.client;
    if (!client || this.state !== 'online') return;
    const wanted = timelineChannelsFor(this.timeline !== null, this.fullWanted);
    const add = wanted.filter((c) => !this.followed.has(c));
    const drop = TIMELINE_CHANNELS.filter((c) => this.followed.has(c) && !wanted.includes(c));
    if (add.length === 0 && drop.length === 0) return;
    for (const c of add) this.followed.add(c);
    for (const c of drop) this.followed.delete(c);
    const unsubscribe = () => {
      if (drop.length > 0 && this.client === client) client.unsubscribe(drop.map((c) => deviceTopic(this.id, c)));
    };
    if (add.length > 0) client.subscribe(add.map((c) => deviceTopic(this.id, c)), { qos: 1 }, unsubscribe);
    else unsubscribe();
  }

  private install(t: TimelineMessage): void {
    this.timeline = t;
    this.note(`timeline v${t.version} (${t.slots.length} slots)`);
    if (t.areaCodes && t.areaCodes.join('/') !== this.areaCodes.join('/')) this.areaCodes = [...t.areaCodes];
    this.replan();
    this.send('timeline/ack', { v: 1, version: t.version });
    this.followAlerts();
  }

  /** The plan is the timeline plus the alerts in force, as the agent's playback merges them. */
  private replan(): void {
    const next = new Map<string, Planned>();
    for (const slot of this.timeline?.slots ?? []) {
      const blockedBy = this.planned.get(slot.occurrenceId)?.blockedBy;
      next.set(slot.occurrenceId, { slot, ...(blockedBy ? { blockedBy } : {}) });
    }
    for (const [id, p] of this.planned) if (p.alertArea !== undefined || p.oneOff) next.set(id, p);
    const cur = this.current;
    const keeps = cur !== null && (cur.alertArea !== null || cur.oneOff || (this.timeline?.slots ?? []).some((s) => s.occurrenceId === cur.slot.occurrenceId));
    if (cur && !keeps) this.endCurrent('skipped', 'removed from the timeline while playing');
    this.planned = next;
    for (const p of next.values()) if (!this.ledger.has(p.slot.occurrenceId)) this.report('delivered', p.slot);
    this.tick();
  }

  private followAlerts(): void {
    const client = this.client;
    if (!client || this.state !== 'online') return;
    const wanted = this.areaCodes.map((c) => areaTopic(c, 'alert'));
    const stale = this.alertTopics.filter((t) => !wanted.includes(t));
    if (stale.length > 0) client.unsubscribe(stale);
    const add = wanted.filter((t) => !this.alertTopics.includes(t));
    this.alertTopics = wanted;
    if (add.length > 0) client.subscribe(add, { qos: 1 });
  }

  private onAlert(payload: Buffer, areaCode: string): void {
    if (payload.length === 0) return; // an emptied retained alert: nothing in force
    const r = this.open(alertMessageSchema, payload);
    if (!r.ok || r.value.areaCode !== areaCode) return;
    const alert = r.value;
    const held = this.heldAlerts.get(areaCode);
    if (held && held.id === alert.id && held.msgType === alert.msgType) return;
    if (held && alert.sentAt < held.sentAt) return; // a replay of a superseded alert
    this.heldAlerts.set(areaCode, { id: alert.id, msgType: alert.msgType, sentAt: alert.sentAt });
    this.note(`alert ${alert.id} (${alert.msgType}) on ${areaCode}`);
    for (const [id, p] of this.planned) if (p.alertArea === areaCode) this.planned.delete(id);
    // The agent's alert book: an update or a cancellation replaces what the area's channel held, even while it plays.
    if (this.current?.alertArea === areaCode) this.endCurrent('skipped', `replaced by alert ${alert.id} (${alert.msgType})`);
    const now = this.deps.timers.now();
    const slot = alertSlot(alert, this.spec.kind, now);
    if (slot) {
      this.planned.set(slot.occurrenceId, { slot, alertArea: areaCode });
      if (!this.ledger.has(slot.occurrenceId)) this.report('delivered', slot);
    }
    this.tick();
  }

  private onEventsAck(payload: Buffer): void {
    const r = this.open(eventsAckSchema, payload);
    if (!r.ok || r.value.deviceId !== this.id) return;
    for (const id of r.value.ids) this.outbox.delete(id);
  }

  // ---- playing ---------------------------------------------------------------------------------------------------

  /** Whatever fell due: the end of the current item, windows that closed, the next item to start; then sleeps. */
  private tick(): void {
    if (this.stopped) return;
    const now = this.deps.timers.now();
    const cur = this.current;
    if (cur && now >= cur.endsAt) this.finishCurrent(now);
    for (const [id, p] of this.planned) {
      if (this.ledger.has(id) && this.ledger.get(id) !== 'delivered') {
        this.planned.delete(id);
        continue;
      }
      if (p.slot.startAt + p.slot.durationMs > now) continue;
      this.planned.delete(id);
      if (p.blockedBy) this.report('skipped', p.slot, { reason: `window closed while ${p.blockedBy} was playing` });
      else this.report('expired', p.slot, { reason: 'window passed before it could start' });
      this.remember(p.slot, p.blockedBy ? 'skipped' : 'expired', null, now, p.blockedBy ? `window closed while ${p.blockedBy} was playing` : 'window passed before it could start');
    }
    const due = [...this.planned.values()]
      .filter((p) => p.slot.startAt <= now && this.current?.slot.occurrenceId !== p.slot.occurrenceId)
      .sort((a, b) => priorityRank(b.slot.priority) - priorityRank(a.slot.priority) || a.slot.startAt - b.slot.startAt);
    for (const p of due) {
      const playing = this.current;
      if (playing && priorityRank(p.slot.priority) <= priorityRank(playing.slot.priority)) {
        p.blockedBy = playing.slot.title;
        continue;
      }
      if (playing) this.endCurrent('preempted', `preempted by ${p.slot.title}`);
      this.startSlot(p, now);
    }
    this.sleep(now);
  }

  private sleep(now: number): void {
    let next = this.current ? this.current.endsAt : Number.POSITIVE_INFINITY;
    for (const p of this.planned.values()) {
      const at = p.slot.startAt <= now ? p.slot.startAt + p.slot.durationMs : p.slot.startAt;
      if (at < next) next = at;
    }
    this.deps.timers.clear(this.wakeTimer);
    this.wakeTimer = null;
    if (Number.isFinite(next)) this.wakeTimer = this.deps.timers.set(() => this.tick(), Math.max(0, next - now));
  }

  private startSlot(p: Planned, now: number): void {
    const slot = p.slot;
    this.planned.delete(slot.occurrenceId);
    const unsupported = unsupportedReason(this.spec.kind, slot);
    if (unsupported) {
      this.report('skipped', slot, { reason: unsupported });
      this.remember(slot, 'skipped', null, now, unsupported);
      return;
    }
    const sha = mediaOf(slot);
    if (sha !== null && this.faultNow === 'no-media') {
      // As the agent's runner: the start fails before anything is output, so no `started` precedes it.
      const reason = mediaMissing(sha);
      this.report('failed', slot, { reason });
      this.remember(slot, 'failed', null, now, reason);
      this.note(`slot ${slot.occurrenceId} could not start: ${reason}`);
      return;
    }
    const record = this.remember(slot, 'playing', now, null, null);
    this.current = { slot, startedAt: now, endsAt: runEnd(slot, now), silent: this.isSilent(), oneOff: p.oneOff === true, alertArea: p.alertArea ?? null, record };
    this.report('started', slot);
    this.note(`playing ${slot.occurrenceId} "${slot.title}"`);
  }

  /** A speaker's output measures silence with the fault, or when muted or at volume 0 (measured after the volume). */
  private isSilent(): boolean {
    return this.faultNow === 'silence' || this.muted || this.volume === 0;
  }

  private outputLevel(cur: Current): number | undefined {
    if (this.spec.kind !== 'speaker') return undefined;
    return cur.silent || this.isSilent() ? SILENCE_LUFS : PROGRAMME_LUFS;
  }

  private proof(cur: Current, endedAt: number): { playedMs: number; heardMs: number; itemMs: number; outputLevelLufs?: number } {
    const playedMs = Math.max(0, endedAt - cur.startedAt);
    const level = this.outputLevel(cur);
    return { playedMs, heardMs: Math.min(itemMsOf(cur.slot), playedMs), itemMs: itemMsOf(cur.slot), ...(level === undefined ? {} : { outputLevelLufs: level }) };
  }

  private finishCurrent(now: number): void {
    const cur = this.current;
    if (!cur) return;
    this.current = null;
    const proof = this.proof(cur, Math.min(now, cur.endsAt));
    const cut = cur.slot.type === 'audio' && cur.endsAt === cur.slot.startAt + cur.slot.durationMs && proof.heardMs < proof.itemMs;
    const reason = cut ? 'cut at the end of its window' : undefined;
    this.report('finished', cur.slot, { ...proof, ...(reason ? { reason } : {}) });
    Object.assign(cur.record, { outcome: 'finished', endedAt: iso(now), reason: reason ?? null, outputLevelLufs: proof.outputLevelLufs ?? null });
  }

  /** Ends the item on the output before its time (a stop command, a preemption, a removal). */
  private endCurrent(type: 'preempted' | 'skipped' | 'failed', reason: string): string | null {
    const cur = this.current;
    if (!cur) return null;
    const now = this.deps.timers.now();
    this.current = null;
    const proof = this.proof(cur, now);
    this.report(type, cur.slot, { ...proof, reason });
    Object.assign(cur.record, { outcome: type, endedAt: iso(now), reason, outputLevelLufs: proof.outputLevelLufs ?? null });
    return cur.slot.occurrenceId;
  }

  /** Keeps the item for listening back (latest first). */
  private remember(slot: Slot, outcome: VirtualPlaybackView['outcome'], startedAt: number | null, endedAt: number | null, reason: string | null): VirtualPlaybackView {
    const record: VirtualPlaybackView = {
      occurrenceId: slot.occurrenceId,
      scheduleId: slot.scheduleId,
      contentId: slot.contentId,
      title: slot.title,
      type: slot.type,
      mediaSha256: mediaOf(slot),
      text: slot.type === 'text' ? slot.text : null,
      startedAt: startedAt === null ? null : iso(startedAt),
      endedAt: endedAt === null ? null : iso(endedAt),
      outcome,
      reason,
      outputLevelLufs: null,
    };
    this.recent.unshift(record);
    if (this.recent.length > VIRTUAL_PLAYBACKS_KEPT) this.recent.length = VIRTUAL_PLAYBACKS_KEPT;
    return record;
  }

  // ---- reports ---------------------------------------------------------------------------------------------------

  private report(type: PlaybackEventType, slot: Slot, extra: { playedMs?: number; heardMs?: number; itemMs?: number; reason?: string; outputLevelLufs?: number } = {}): void {
    const at = this.deps.timers.now();
    const ev: PlaybackEvent = {
      id: newEventId(at),
      occurrenceId: slot.occurrenceId,
      type,
      at,
      ...(extra.playedMs !== undefined ? { playedMs: Math.round(extra.playedMs) } : {}),
      ...(extra.heardMs !== undefined ? { heardMs: Math.round(extra.heardMs) } : {}),
      ...(extra.itemMs !== undefined ? { itemMs: Math.max(1, Math.round(extra.itemMs)) } : {}),
      ...(extra.reason !== undefined ? { reason: extra.reason.slice(0, 500) } : {}),
      ...(extra.outputLevelLufs !== undefined ? { outputLevelLufs: extra.outputLevelLufs } : {}),
    };
    this.ledger.set(slot.occurrenceId, type);
    if (this.ledger.size > LEDGER_KEPT) this.ledger.delete(this.ledger.keys().next().value as string);
    this.outbox.set(ev.id, { ev, sentAt: 0 });
    this.flush();
  }

  /** Sends every report not sent on this connection or sent too long ago; resends until the server acks. */
  private flush(): void {
    if (this.state !== 'online') return;
    const now = this.deps.timers.now();
    let batch: PlaybackEvent[] = [];
    for (const p of this.outbox.values()) {
      if (p.sentAt !== 0 && now - p.sentAt < RESEND_AFTER_MS) continue;
      p.sentAt = now;
      batch.push(p.ev);
      if (batch.length === MAX_EVENTS_PER_BATCH) {
        this.send('events', { v: 1, events: batch });
        batch = [];
      }
    }
    if (batch.length > 0) this.send('events', { v: 1, events: batch });
    if (this.outbox.size > 0 && this.resendTimer === null) {
      this.resendTimer = this.deps.timers.set(() => {
        this.resendTimer = null;
        this.flush();
      }, RESEND_AFTER_MS);
    }
  }

  // ---- telemetry -------------------------------------------------------------------------------------------------

  private scheduleTelemetry(delayMs: number): void {
    this.deps.timers.clear(this.telemetryTimer);
    this.telemetryTimer = this.deps.timers.set(() => {
      this.telemetryTimer = null;
      if (this.state !== 'online') return;
      this.sendTelemetry();
      this.scheduleTelemetry(this.deps.telemetryIntervalMs);
    }, delayMs);
  }

  private sendTelemetry(): void {
    const now = this.deps.timers.now();
    const cur = this.current;
    const level = cur ? this.outputLevel(cur) : undefined;
    const msg: TelemetryMessage = {
      v: 1,
      at: now,
      uptimeS: Math.max(0, Math.round((now - this.bornAt) / 1000)),
      ...(this.timeline ? { timelineVersion: this.timeline.version } : {}),
      playing: cur?.slot.occurrenceId ?? null,
      ...(this.spec.kind === 'speaker' ? { volume: this.volume, muted: this.muted } : {}),
      freeDiskBytes: 6_000_000_000,
      rssBytes: 48_000_000,
      outboxSize: this.outbox.size,
      agentVersion: this.deps.agentVersion,
      ...(level !== undefined ? { outputLevelLufs: level } : {}),
    };
    this.send('telemetry', msg);
  }

  // ---- commands --------------------------------------------------------------------------------------------------

  private onCommand(payload: Buffer): void {
    const r = this.open(commandMessageSchema, payload);
    if (!r.ok) return;
    const msg = r.value;
    this.commandChain = this.commandChain.then(() => this.handleCommand(msg)).catch((err: unknown) => this.note(`command failed: ${(err as Error).message}`));
  }

  /** The agent's Commands: wrong device, replay and expiry are refused; a resend gets the stored answer; run once. */
  private async handleCommand(msg: CommandMessage): Promise<void> {
    const now = this.deps.timers.now();
    const answer = (status: CommandResultMessage['status'], message?: string, data?: Record<string, unknown>): CommandResultMessage => ({
      v: 1,
      id: msg.id,
      at: this.deps.timers.now(),
      status,
      ...(message ? { message: message.slice(0, 1000) } : {}),
      ...(data ? { data: data as CommandResultMessage['data'] } : {}),
    });
    if (msg.deviceId !== this.id) {
      this.send('res', answer('rejected', `wrong-device: addressed to ${msg.deviceId}`, { reason: 'wrong-device' }));
      return;
    }
    const known = this.commands.get(msg.id);
    if (known) {
      if (msg.sentAt <= known.sentAt) {
        this.send('res', answer('rejected', `replay: already received with sentAt ${known.sentAt} (this copy: ${msg.sentAt})`, { reason: 'replay' }));
        return;
      }
      known.sentAt = msg.sentAt;
      if (known.result) this.send('res', known.result);
      return;
    }
    if (msg.expiresAt <= now) {
      this.send('res', answer('rejected', `expired: expired at ${iso(msg.expiresAt)}`, { reason: 'expired' }));
      return;
    }
    const entry: { sentAt: number; result: CommandResultMessage | null } = { sentAt: msg.sentAt, result: null };
    this.commands.set(msg.id, entry);
    if (this.commands.size > COMMANDS_REMEMBERED) this.commands.delete(this.commands.keys().next().value as string);
    this.note(`command ${msg.command.type} (${msg.id})`);
    let after: (() => void) | undefined;
    try {
      const out = await this.run(msg.command);
      entry.result = answer('ok', undefined, out.data);
      after = out.after;
    } catch (err) {
      entry.result = answer(err instanceof Rejected ? 'rejected' : 'error', (err as Error).message || 'failed');
    }
    this.send('res', entry.result);
    if (after) this.deps.timers.set(after, 50);
  }

  private async run(c: Command): Promise<{ data?: Record<string, unknown>; after?: () => void }> {
    const speaker = this.spec.kind === 'speaker';
    switch (c.type) {
      case 'setVolume':
        if (!speaker) throw new Rejected('a board has no audio output');
        if (c.volume !== undefined) this.volume = c.volume;
        if (c.muted !== undefined) this.muted = c.muted;
        return { data: { volume: this.volume, muted: this.muted } };
      case 'stop':
        return { data: { stopped: this.endCurrent('preempted', 'stopped by remote command') } };
      case 'playNow': {
        const unsupported = unsupportedReason(this.spec.kind, c.slot);
        if (unsupported) throw new Rejected(unsupported);
        const sha = mediaOf(c.slot);
        if (sha !== null && this.faultNow === 'no-media') throw new Error(mediaMissing(sha));
        // "Now" is when the device gets it, as on the agent.
        const slot: Slot = { ...c.slot, startAt: this.deps.timers.now() };
        this.planned.set(slot.occurrenceId, { slot, oneOff: true });
        if (!this.ledger.has(slot.occurrenceId)) this.report('delivered', slot);
        this.tick();
        return { data: { occurrenceId: slot.occurrenceId, startAt: slot.startAt } };
      }
      case 'resync':
        this.fullWanted = true;
        this.awaited = Math.max(this.awaited, this.timeline?.version ?? 0);
        this.followed.delete('timeline');
        this.followTimeline();
        return { data: { timelineVersion: this.timeline?.version ?? null } };
      case 'restart':
        return { data: { restarting: true }, after: () => this.restart() };
      case 'collectLogs': {
        const lines = this.logLines.slice(-(c.lines ?? LOG_LINES));
        return { data: { lines } };
      }
      case 'selfTest': {
        if (!speaker) return { data: { board: 'ok' } };
        if (this.current) throw new Error(`output busy: ${this.current.slot.occurrenceId} is playing; try again when it ends`);
        const durationMs = c.durationMs ?? 2000;
        const frequencyHz = c.frequencyHz ?? 1000;
        await new Promise<void>((resolve) => this.deps.timers.set(resolve, durationMs));
        const levelLufs = this.faultNow === 'silence' ? SILENCE_LUFS : SELF_TEST_TONE_LUFS;
        return { data: { levelLufs, durationMs, frequencyHz, toneDbfs: SELF_TEST_TONE_DBFS, deviceVolume: this.volume, muted: this.muted } };
      }
      case 'update':
        throw new Rejected(NOT_INSTALLABLE);
    }
  }

  /** A restart: a clean goodbye (retained offline, reason shutdown), then a new connection as a restarted agent makes. */
  private restart(): void {
    const client = this.client;
    if (!client || this.stopped) return;
    this.endCurrent('failed', 'agent stopped during playback');
    this.note('restarting');
    const bye: StatusMessage = { v: 1, state: 'offline', reason: 'shutdown', at: this.deps.timers.now() };
    client.publish(deviceTopic(this.id, 'status'), encodeMessage(bye), { qos: 1, retain: true }, () => {
      // The close handler reconnects (with back-off from zero attempts: at once-ish).
      this.attempts = 0;
      client.end(false);
    });
  }

  private note(msg: string, extra?: Record<string, unknown>): void {
    const line = `${iso(this.deps.timers.now())} ${msg}`;
    this.logLines.push(line);
    if (this.logLines.length > LOG_LINES) this.logLines.shift();
    this.deps.log(this.id, msg, extra);
  }
}

/** A command refused before it ran (answered `rejected`, as the agent's CommandRejectedError). */
class Rejected extends Error {
  override name = 'Rejected';
}
