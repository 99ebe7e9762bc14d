import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { verifyKeyFromBase64, type PlaybackEvent } from '@loa/shared';
import type { Logger } from 'pino';
import type { Backoff } from './backoff.js';
import { CorrectedClock, SystemClock, type Clock } from './clock.js';
import { redactConfig, type AgentConfig } from './config.js';
import { EventBus } from './core/bus.js';
import { buildFeatures, type AgentFeatures } from './feature-graph.js';
import type { BoardServer } from './features/board/board.js';
import { ClockSync, type ClockSyncOptions } from './features/clock/clock-sync.js';
import type { FetchFn } from './features/media/media-cache.js';
import type { ConnectFn } from './features/mqtt/connection.js';
import type { Player } from './features/playback/player.js';
import { agentLogRing, createLogger, type LogRing } from './logger.js';
import { MessageGuard } from './router/guard.js';
import { AGENT_BUILD, AGENT_VERSION } from './version.js';

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
 * Builds the agent's features and starts them in order: the clock and the local state first, so the stored
 * timeline plays before the network is touched; the MQTT session last. Stops them in an order of its own.
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
  private readonly features: AgentFeatures;
  private started = false;

  constructor(
    readonly config: AgentConfig,
    deps: ControllerDeps = {},
  ) {
    this.logger = (deps.logger ?? createLogger(config.logLevel)).child({ deviceId: config.deviceId });
    this.localClock = deps.clock ?? new SystemClock();
    const bus = (this.bus = deps.bus ?? new EventBus());
    this.dataDir = resolve(config.dataDir);
    const syncOpts = deps.clockSync === false ? {} : (deps.clockSync ?? {});
    this.clockSync = new ClockSync({
      intervalMs: config.clockSyncIntervalS * 1000,
      ...syncOpts,
      serverUrl: config.serverUrl,
      local: this.localClock,
      logger: this.logger.child({ feature: 'clock' }),
      dataDir: this.dataDir,
      isBusy: () => this.features.playback.playing != null,
      onStep: (deltaMs) => bus.emit('clock.stepped', { deltaMs, offsetMs: this.clockSync.offsetMs }),
      onLocalStep: (deltaMs) => bus.emit('clock.local-stepped', { deltaMs }),
    });
    this.clock = deps.clockSync === false ? this.localClock : new CorrectedClock(this.localClock, (local) => this.clockSync.offsetAt(local));
    this.guard = new MessageGuard({
      key: verifyKeyFromBase64(config.serverPublicKey),
      clock: this.clock,
      logger: this.logger.child({ feature: 'guard' }),
      // Best effort: a report lost with the connection matters less than keeping the outbox for playback reports.
      report: (report) => void this.features.mqtt.publish('security', report),
    });
    this.features = buildFeatures({
      config,
      dataDir: this.dataDir,
      logger: this.logger,
      bus,
      clock: this.clock,
      localClock: this.localClock,
      clockSync: this.clockSync,
      clockSyncEnabled: deps.clockSync !== false,
      guard: this.guard,
      initialSyncWaitMs: deps.initialSyncWaitMs ?? 3000,
      telemetryIntervalMs: deps.telemetryIntervalMs ?? config.telemetryIntervalS * 1000,
      restart: deps.restart ?? (() => process.kill(process.pid, 'SIGTERM')),
      logRing: deps.logRing ?? agentLogRing,
      ...(deps.resendAfterMs !== undefined ? { resendAfterMs: deps.resendAfterMs } : {}),
      ...(deps.reconnectBackoff ? { reconnectBackoff: deps.reconnectBackoff } : {}),
      ...(deps.fetch ? { fetch: deps.fetch } : {}),
      ...(deps.connect ? { connect: deps.connect } : {}),
      ...(deps.player ? { player: deps.player } : {}),
    });
  }

  /** The board's kiosk page, once started (board agents only). */
  get boardServer(): BoardServer | null {
    return this.features.board?.server ?? null;
  }

  get outboxEvents(): PlaybackEvent[] {
    return this.features.reports.pending;
  }

  get timelineVersion(): number | undefined {
    return this.features.timeline.version;
  }

  get isConnected(): boolean {
    return this.features.mqtt.connected;
  }

  get playing(): string | null {
    return this.features.playback.playing;
  }

  async start(): Promise<void> {
    this.logger.info({ config: redactConfig(this.config), agentVersion: AGENT_VERSION, build: AGENT_BUILD }, 'starting loa agent');
    await mkdir(this.dataDir, { recursive: true });
    for (const feature of this.features.startOrder) await feature.start();
    this.started = true;
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    this.logger.info('stopping loa agent');
    this.bus.emit('agent.stopping');
    for (const feature of this.features.stopOrder) await feature.stop();
    for (const feature of this.features.stopOrder) await feature.dispose?.();
    this.logger.info('loa agent stopped');
  }
}
