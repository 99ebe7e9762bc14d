import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  alertMessageSchema,
  areaTopic,
  deviceTopic,
  eventsAckSchema,
  timelineMessageSchema,
  verifyKeyFromBase64,
  type DeviceChannel,
  type PlaybackEvent,
  type Slot,
  type TimelineMessage,
} from '@loa/shared';
import type { Logger } from 'pino';
import type { Backoff } from './backoff.js';
import { AlertBook } from './alerts.js';
import { BoardServer } from './board.js';
import { EventBus } from './bus.js';
import { CorrectedClock, SystemClock, type Clock } from './clock.js';
import { ClockSync, type ClockSyncOptions } from './clock-sync.js';
import { parseAudioOutput, redactConfig, type AgentConfig } from './config.js';
import { Connection, type ConnectFn } from './connection.js';
import { EventSender } from './event-sender.js';
import { Executor } from './executor.js';
import { MessageGuard } from './guard.js';
import { errorMessage } from './fsutil.js';
import { agentLogRing, createLogger, type LogRing } from './logger.js';
import { deviceCommandHandlers } from './command-handlers.js';
import { Commands } from './commands.js';
import { OutputControl } from './output.js';
import { ToneTest } from './self-test.js';
import { MediaCache, type FetchFn } from './media-cache.js';
import { Outbox } from './outbox.js';
import { FfmpegPlayer, type Player } from './player.js';
import { BoardRunner, SpeakerRunner, type SlotRunner } from './runners.js';
import { Telemetry } from './telemetry.js';
import { OccurrenceLedger, TimelineStore } from './timeline-store.js';
import { AGENT_VERSION } from './version.js';

/** Telemetry reports the loudest level of the last 10 s: one quiet 400 ms window is a pause, not a dead output. */
const TELEMETRY_LEVEL_WINDOW_MS = 10_000;

/** Every side effect the controller reaches, overridable for tests and for a fleet simulator. */
export interface ControllerDeps {
  logger?: Logger;
  /** The device's own clock (default: the system clock); the agent runs on it corrected by ClockSync. */
  clock?: Clock;
  /** Clock-sync tuning (tests, benchmarks); false disables it (the agent then runs on its own clock). */
  clockSync?: false | Partial<Omit<ClockSyncOptions, 'serverUrl' | 'local' | 'logger' | 'dataDir' | 'isBusy' | 'onStep' | 'onLocalStep'>>;
  fetch?: FetchFn;
  connect?: ConnectFn;
  player?: Player;
  bus?: EventBus;
  /** Reconnect back-off (default: full jitter, 1 s base, 60 s cap). */
  reconnectBackoff?: Backoff;
  /** Event resend timeout (default 10 s). */
  resendAfterMs?: number;
  telemetryIntervalMs?: number;
  /**
   * With no clock offset at all (first start), wait this long for the first measurement before judging which
   * slots are due, so a badly set device clock does not expire a fresh timeline (default 3000 ms).
   */
  initialSyncWaitMs?: number;
  /** What a remote `restart` does once answered (default: SIGTERM to this process, whose handler stops cleanly and exits 0). */
  restart?: () => void;
  /** Where collectLogs reads the agent's recent log lines (default: the ring every createLogger logger tees into). */
  logRing?: LogRing;
}

/**
 * Owns the agent's lifecycle: opens the local state, starts the executor from the stored timeline before
 * touching the network (so playback never waits for the broker), then connects and keeps reconnecting.
 */
export class Controller {
  readonly bus: EventBus;
  readonly logger: Logger;
  /** Server time as far as the agent knows it: the local clock corrected by the clock sync. */
  readonly clock: Clock;
  /** The device's own clock. */
  readonly localClock: Clock;
  readonly clockSync: ClockSync;
  readonly dataDir: string;
  /** Verifies everything the server sends against the pinned key; reports what it refuses. */
  readonly guard: MessageGuard;
  private outbox!: Outbox;
  private store!: TimelineStore;
  private alerts!: AlertBook;
  private ledger!: OccurrenceLedger;
  private cache!: MediaCache;
  private executor?: Executor;
  private sender!: EventSender;
  private connection!: Connection;
  private telemetry!: Telemetry;
  private board: BoardServer | null = null;
  private timelineChain: Promise<void> = Promise.resolve();
  private commands: Commands | null = null;
  /** Speaker volume and output level (null on a board). */
  private output: OutputControl | null = null;
  private timelinesReceived = 0;
  private started = false;

  constructor(
    readonly config: AgentConfig,
    private readonly deps: ControllerDeps = {},
  ) {
    this.logger = (deps.logger ?? createLogger(config.logLevel)).child({ deviceId: config.deviceId });
    this.localClock = deps.clock ?? new SystemClock();
    this.bus = deps.bus ?? new EventBus();
    this.dataDir = resolve(config.dataDir);
    const syncOpts = deps.clockSync === false ? {} : (deps.clockSync ?? {});
    this.clockSync = new ClockSync({
      intervalMs: config.clockSyncIntervalS * 1000,
      ...syncOpts,
      serverUrl: config.serverUrl,
      local: this.localClock,
      logger: this.logger.child({ feature: 'clock' }),
      dataDir: this.dataDir,
      isBusy: () => this.executor?.playing != null,
      onStep: (deltaMs) => {
        this.bus.emit('clock.stepped', { deltaMs, offsetMs: this.clockSync.offsetMs });
        this.executor?.replan();
      },
      onLocalStep: (deltaMs) => this.bus.emit('clock.local-stepped', { deltaMs }),
    });
    this.clock = deps.clockSync === false ? this.localClock : new CorrectedClock(this.localClock, (local) => this.clockSync.offsetAt(local));
    this.guard = new MessageGuard({
      key: verifyKeyFromBase64(config.serverPublicKey),
      clock: this.clock,
      logger: this.logger.child({ feature: 'guard' }),
      // Best effort: a report lost with the connection matters less than keeping the outbox for playback reports.
      report: (report) => void (this.connection as Connection | undefined)?.publish('security', report),
    });
  }

  /** The board's kiosk page, once started (board agents only). */
  get boardServer(): BoardServer | null {
    return this.board;
  }

  get outboxEvents(): PlaybackEvent[] {
    return this.outbox.pending();
  }

  get timelineVersion(): number | undefined {
    return this.store.version;
  }

  get isConnected(): boolean {
    return this.connection.connected;
  }

  get playing(): string | null {
    return this.executor?.playing ?? null;
  }

  async start(): Promise<void> {
    const { config, logger, clock } = this;
    logger.info({ config: redactConfig(config), agentVersion: AGENT_VERSION }, 'starting loa agent');
    await mkdir(this.dataDir, { recursive: true });
    if (this.deps.clockSync !== false) await this.clockSync.load();
    this.outbox = await Outbox.open(this.dataDir);
    this.store = new TimelineStore(this.dataDir);
    this.ledger = new OccurrenceLedger(this.dataDir);
    await this.ledger.load();
    const stored = await this.store.load();
    this.alerts = new AlertBook(this.dataDir);
    await this.alerts.load();
    this.cache = new MediaCache({
      dir: join(this.dataDir, 'media'),
      serverUrl: config.serverUrl,
      deviceId: config.deviceId,
      secret: config.secret,
      clock,
      logger: logger.child({ feature: 'media' }),
      ...(this.deps.fetch ? { fetch: this.deps.fetch } : {}),
      reserveBytes: Math.round(config.mediaReserveMb * 1024 * 1024),
      // The server's low-disk alarm should not wait for the next periodic sample.
      onDiskShort: () => void this.telemetry?.send(),
    });

    this.connection = new Connection({
      url: config.mqttUrl,
      deviceId: config.deviceId,
      secret: config.secret,
      kind: config.kind,
      agentVersion: AGENT_VERSION,
      clock,
      logger: logger.child({ feature: 'mqtt' }),
      ...(this.deps.connect ? { connect: this.deps.connect } : {}),
      ...(this.deps.reconnectBackoff ? { backoff: this.deps.reconnectBackoff } : {}),
      timelineVersion: () => this.store.version,
      onMessage: (channel, payload) => this.onMessage(channel, payload),
      areaCodes: () => this.store.timeline?.areaCodes ?? [],
      onAreaMessage: (areaCode, payload) => {
        this.timelineChain = this.timelineChain.then(() =>
          this.onAlert(areaCode, payload).catch((err: unknown) => this.logger.error({ err: errorMessage(err) }, 'alert handling failed')),
        );
      },
      onConnected: () => {
        this.bus.emit('mqtt.connected');
        // An ack lost with the previous connection would leave the server re-sending; confirming again is idempotent.
        const held = this.store.version;
        if (held !== undefined) void this.connection.publish('timeline/ack', { v: 1, version: held });
        this.clockSync.requestSync();
        this.sender.onConnected();
      },
      onDisconnected: () => this.bus.emit('mqtt.disconnected', { reason: 'connection closed' }),
    });
    this.sender = new EventSender({
      outbox: this.outbox,
      clock,
      logger: logger.child({ feature: 'events' }),
      publish: (batch) => this.connection.publish('events', batch),
      isConnected: () => this.connection.connected,
      ...(this.deps.resendAfterMs !== undefined ? { resendAfterMs: this.deps.resendAfterMs } : {}),
    });

    let runner: SlotRunner;
    if (config.kind === 'board') {
      this.board = new BoardServer({
        host: config.boardHost,
        port: config.boardPort,
        logger: logger.child({ feature: 'board' }),
        now: () => clock.now(),
        mediaPath: (sha256) => this.cache.verifiedPath(sha256),
      });
      await this.board.start();
      runner = new BoardRunner(this.board, clock, this.cache);
    } else {
      const output = parseAudioOutput(config.audioOutput);
      if (!output) throw new Error(`invalid audio output ${config.audioOutput}`); // validated by the config schema already
      this.output = new OutputControl({ player: this.deps.player ?? new FfmpegPlayer({ output, meter: true, liveVolume: true }), dataDir: this.dataDir, logger: logger.child({ feature: 'output' }) });
      await this.output.load();
      runner = new SpeakerRunner(this.cache, this.output, clock);
    }
    const executor = new Executor({
      clock,
      localNow: () => this.localClock.now(),
      onStarted: (info) => this.bus.emit('playback.started', info),
      ledger: this.ledger,
      runner,
      logger: logger.child({ feature: 'executor' }),
      emit: async (event) => {
        await this.sender.add(event);
        this.bus.emit('playback.event', event);
      },
      onCurrent: (occurrenceId) => this.bus.emit('playback.current', occurrenceId ? { occurrenceId } : null),
    });
    this.executor = executor;
    const audioOutput = config.kind === 'speaker' ? parseAudioOutput(config.audioOutput) : null;
    this.commands = new Commands({
      deviceId: config.deviceId,
      dataDir: this.dataDir,
      clock,
      logger: logger.child({ feature: 'commands' }),
      guard: this.guard,
      publish: (result) => this.connection.publish('res', result),
      handlers: deviceCommandHandlers({
        kind: config.kind,
        clock,
        executor,
        runner,
        output: this.output,
        prepare: async (slot) => {
          if ((slot.type === 'audio' && config.kind === 'speaker') || (slot.type === 'image' && config.kind === 'board')) await this.cache.ensure(slot.media.sha256);
        },
        resync: () => this.resync(),
        restart: () => {
          logger.warn('restarting on remote command');
          (this.deps.restart ?? (() => process.kill(process.pid, 'SIGTERM')))();
        },
        logs: this.deps.logRing ?? agentLogRing,
        toneTest: audioOutput ? new ToneTest(new FfmpegPlayer({ output: audioOutput, meter: true })) : null,
      }),
    });
    await this.commands.start();
    this.telemetry = new Telemetry({
      clock,
      logger: logger.child({ feature: 'telemetry' }),
      dataDir: this.dataDir,
      intervalMs: this.deps.telemetryIntervalMs ?? config.telemetryIntervalS * 1000,
      publish: (msg) => this.connection.publish('telemetry', msg),
      sample: () => ({
        timelineVersion: this.store.version,
        playing: executor.playing,
        outboxSize: this.outbox.size,
        agentVersion: AGENT_VERSION,
        mediaBlockedBytes: this.cache.blockedBytes,
        ...(this.output ? { ...this.output.state, outputLevelLufs: this.output.levelLufs(TELEMETRY_LEVEL_WINDOW_MS) } : {}),
        ...(this.deps.clockSync !== false && this.clockSync.source !== 'local' ? { clockOffsetMs: Math.round(this.clockSync.offsetMs) } : {}),
      }),
      onTick: () => this.prefetch(),
    });

    if (this.deps.clockSync !== false && this.clockSync.source === 'local') {
      let timer: ReturnType<Clock['setTimer']> | null = null;
      const waited = new Promise<null>((r) => (timer = this.localClock.setTimer(() => r(null), this.deps.initialSyncWaitMs ?? 3000)));
      const est = await Promise.race([this.clockSync.syncNow(), waited]);
      this.localClock.clearTimer(timer);
      if (!est) logger.warn('starting on the local clock: the server clock could not be measured yet');
    }

    // Local first: the stored timeline plays whether or not the broker is reachable.
    if (stored) logger.info({ version: stored.version, slots: stored.slots.length }, 'running stored timeline');
    executor.start(this.plan());
    this.prefetch();
    if (this.deps.clockSync !== false) this.clockSync.start();
    this.sender.start();
    this.telemetry.start();
    this.connection.start();
    this.started = true;
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    this.logger.info('stopping loa agent');
    await this.commands?.stop();
    this.telemetry.stop();
    this.clockSync.stop();
    this.cache.stop();
    await this.timelineChain;
    await this.executor?.stop();
    // Give the final reports a chance to leave before saying goodbye; whatever is unacked stays in the outbox.
    await this.sender.flush();
    this.sender.stop();
    await this.connection.stop();
    await this.board?.stop();
    await this.outbox.close();
    this.logger.info('loa agent stopped');
  }

  /**
   * Remote resync: measures the clock again and subscribes to the timeline again, so the broker delivers the retained
   * copy, which is stored (if newer) or re-acked; resolves with the version then held.
   */
  private async resync(): Promise<number | null> {
    if (this.deps.clockSync !== false) void this.clockSync.syncNow().catch(() => undefined);
    const before = this.timelinesReceived;
    if (!(await this.connection.resubscribe('timeline'))) throw new Error('not connected to the broker');
    // The retained copy follows the SUBACK; without one (nothing compiled yet) the wait simply ends.
    const deadline = Date.now() + 3000; // real time: a broker round trip, whatever clock the agent runs on
    while (this.timelinesReceived === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await this.timelineChain;
    return this.store.version ?? null;
  }

  /** Downloads every upcoming audio file (speaker) or image (board) within the prefetch horizon (deduplicated by the cache). */
  private prefetch(): void {
    const t = this.store.timeline;
    if (!t) return;
    const wanted = this.config.kind === 'speaker' ? 'audio' : 'image';
    const now = this.clock.now();
    const horizon = now + this.config.prefetchLeadS * 1000;
    const seen = new Set<string>();
    for (const s of t.slots) {
      if ((s.type !== 'audio' && s.type !== 'image') || s.type !== wanted || s.startAt + s.durationMs <= now || s.startAt > horizon || seen.has(s.media.sha256)) continue;
      seen.add(s.media.sha256);
      this.cache.prefetch(s.media.sha256, (path) => this.bus.emit('media.ready', { sha256: s.media.sha256, path }));
    }
  }

  private onMessage(channel: DeviceChannel, payload: Buffer): void {
    switch (channel) {
      case 'req':
        this.commands?.receive(payload);
        return;
      case 'timeline':
        this.timelinesReceived++;
        this.timelineChain = this.timelineChain.then(() =>
          this.onTimeline(payload).catch((err: unknown) => this.logger.error({ err: errorMessage(err) }, 'timeline handling failed')),
        );
        return;
      case 'events/ack': {
        const topic = deviceTopic(this.config.deviceId, channel);
        const ack = this.guard.open(eventsAckSchema, topic, payload);
        if (!ack) return;
        if (ack.deviceId !== this.config.deviceId) {
          this.guard.reject(topic, 'wrong-device', `events/ack addressed to ${ack.deviceId}`);
          return;
        }
        void this.sender.onAck(ack.ids).catch((err: unknown) => this.logger.error({ err: errorMessage(err) }, 'events/ack handling failed'));
        return;
      }
      default:
        this.logger.warn({ channel }, 'ignoring message on an unhandled channel');
    }
  }

  private async onTimeline(payload: Buffer): Promise<void> {
    const topic = deviceTopic(this.config.deviceId, 'timeline');
    const t: TimelineMessage | null = this.guard.open(timelineMessageSchema, topic, payload);
    if (!t) return;
    if (t.deviceId !== this.config.deviceId) {
      this.guard.reject(topic, 'wrong-device', `timeline addressed to ${t.deviceId}`, String(t.version));
      return;
    }
    const have = this.store.version;
    if (have !== undefined && t.version <= have) {
      // The retained copy comes back on every reconnect; re-acking the current one is harmless and heals a lost ack.
      if (t.version === have) await this.connection.publish('timeline/ack', { v: 1, version: t.version });
      else this.guard.reject(topic, 'replay', `timeline version ${t.version} is older than the held ${have}`, String(t.version));
      return;
    }
    await this.store.save(t);
    this.logger.info({ version: t.version, slots: t.slots.length }, 'timeline stored');
    this.bus.emit('timeline.stored', t);
    await this.alerts.retain(t.areaCodes ?? []);
    if (this.started) {
      this.executor?.setSlots(this.plan());
      this.prefetch();
    }
    await this.connection.publish('timeline/ack', { v: 1, version: t.version });
    await this.connection.refreshAreas();
  }

  /** Everything the executor should run: the stored timeline plus the alerts in force. */
  private plan(): Slot[] {
    return [...(this.store.timeline?.slots ?? []), ...this.alerts.slots(this.config.kind, this.clock.now())];
  }

  private async onAlert(areaCode: string, payload: Buffer): Promise<void> {
    // The server leaves an empty retained payload when an alert expires; the alert's own expiry already ended it.
    if (payload.length === 0) return;
    const topic = areaTopic(areaCode, 'alert');
    const alert = this.guard.open(alertMessageSchema, topic, payload);
    if (!alert) return;
    if (alert.areaCode !== areaCode) {
      this.guard.reject(topic, 'wrong-area', `alert for ${alert.areaCode} arrived on ${areaCode}'s channel`, alert.id);
      return;
    }
    const change = await this.alerts.apply(alert);
    if (change.kind === 'stale') {
      this.guard.reject(topic, 'replay', change.reason, alert.id);
      return;
    }
    if (change.kind === 'ignored') {
      this.logger.debug({ areaCode, reason: change.reason }, 'alert message ignored');
      return;
    }
    this.logger.warn({ areaCode, alertId: alert.id, msgType: alert.msgType }, 'area alert received');
    if (alert.media && this.config.kind === 'speaker') this.cache.prefetch(alert.media.sha256, () => undefined);
    if (this.config.kind === 'speaker' && !alert.media && alert.msgType !== 'cancel') {
      this.logger.error({ alertId: alert.id }, 'alert has no audio: a speaker cannot play it');
    }
    this.bus.emit('alert.changed', { areaCode });
    if (this.started) this.executor?.setSlots(this.plan());
  }
}
