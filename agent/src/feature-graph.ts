import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Backoff } from './backoff.js';
import type { Clock } from './clock.js';
import { parseAudioOutput, type AgentConfig } from './config.js';
import type { EventBus } from './core/bus.js';
import type { Feature } from './core/feature.js';
import { SerialQueue } from './core/serial-queue.js';
import { AlertsFeature } from './features/alerts/alerts.feature.js';
import { BoardFeature } from './features/board/board.feature.js';
import { ClockFeature } from './features/clock/clock.feature.js';
import type { ClockSync } from './features/clock/clock-sync.js';
import { CommandsFeature } from './features/commands/commands.feature.js';
import { ToneTest } from './features/commands/self-test.js';
import type { FetchFn } from './features/media/media-cache.js';
import { MediaFeature } from './features/media/media.feature.js';
import type { ConnectFn } from './features/mqtt/connection.js';
import { MqttFeature } from './features/mqtt/mqtt.feature.js';
import { OtaFeature } from './features/ota/ota.feature.js';
import { FfmpegPlayer, type Player } from './features/playback/player.js';
import { PlaybackFeature } from './features/playback/playback.feature.js';
import { ReportsFeature } from './features/reports/reports.feature.js';
import { TelemetryFeature } from './features/telemetry/telemetry.feature.js';
import { LocationSource, parseLocationSetting } from './features/telemetry/location.js';
import { TimelineFeature } from './features/timeline/timeline.feature.js';
import type { LogRing } from './logger.js';
import type { MessageGuard } from './router/guard.js';
import { MessageRouter } from './router/message-router.js';
import { AGENT_VERSION } from './version.js';
import { defaultHttpFetch } from './http.js';

/** Telemetry reports the loudest level of the last 10 s: one quiet 400 ms window is a pause, not a dead output. */
const TELEMETRY_LEVEL_WINDOW_MS = 10_000;

/** What the controller hands over to build the features: the shared pieces and every overridable side effect. */
export interface FeatureContext {
  config: AgentConfig;
  dataDir: string;
  logger: Logger;
  bus: EventBus;
  clock: Clock;
  localClock: Clock;
  clockSync: ClockSync;
  clockSyncEnabled: boolean;
  guard: MessageGuard;
  initialSyncWaitMs: number;
  telemetryIntervalMs: number;
  resendAfterMs?: number;
  reconnectBackoff?: Backoff;
  fetch?: FetchFn;
  connect?: ConnectFn;
  player?: Player;
  restart: () => void;
  logRing: LogRing;
}

export interface AgentFeatures {
  clock: ClockFeature;
  timeline: TimelineFeature;
  alerts: AlertsFeature;
  reports: ReportsFeature;
  media: MediaFeature;
  board: BoardFeature | null;
  playback: PlaybackFeature;
  commands: CommandsFeature;
  /** Issue 20: updates over the air (inactive outside an install directory). */
  ota: OtaFeature;
  telemetry: TelemetryFeature;
  mqtt: MqttFeature;
  /** Start order: the clock before anything judges time, local state before playback, the network last. */
  startOrder: Feature[];
  /** Stop order: stop taking work, drain what plays, send the last reports, then say goodbye. */
  stopOrder: Feature[];
}

/** Builds every feature of one agent and how they reach each other; nothing starts here. */
export function buildFeatures(ctx: FeatureContext): AgentFeatures {
  const { config, dataDir, logger, bus, clock, guard } = ctx;
  const log = (feature: string) => logger.child({ feature });
  const router = new MessageRouter({ deviceId: config.deviceId, guard, logger: log('mqtt') });
  // Timeline and alert messages are handled one at a time between them, in arrival order.
  const inbox = new SerialQueue(logger);
  const audioOutput = config.kind === 'speaker' ? parseAudioOutput(config.audioOutput) : null;

  const mqtt: MqttFeature = new MqttFeature({
    url: config.mqttUrl,
    deviceId: config.deviceId,
    secret: config.secret,
    kind: config.kind,
    agentVersion: AGENT_VERSION,
    clock,
    logger: log('mqtt'),
    bus,
    router,
    // Read at connect time, when the timeline feature (built below) has long been started.
    timeline: {
      get version(): number | undefined {
        return timeline.version;
      },
      get areaCodes(): readonly string[] {
        return timeline.areaCodes;
      },
    },
    ...(ctx.connect ? { connect: ctx.connect } : {}),
    ...(ctx.reconnectBackoff ? { backoff: ctx.reconnectBackoff } : {}),
  });
  const clockFeature = new ClockFeature({ sync: ctx.clockSync, enabled: ctx.clockSyncEnabled, local: ctx.localClock, bus, logger, initialSyncWaitMs: ctx.initialSyncWaitMs });
  const alerts = new AlertsFeature({ kind: config.kind, dataDir, logger, bus, guard, router, queue: inbox });
  const timeline: TimelineFeature = new TimelineFeature({ deviceId: config.deviceId, dataDir, logger, bus, uplink: mqtt, guard, router, queue: inbox, alerts });
  const reports = new ReportsFeature({
    deviceId: config.deviceId,
    dataDir,
    clock,
    logger: log('events'),
    bus,
    uplink: mqtt,
    guard,
    router,
    ...(ctx.resendAfterMs !== undefined ? { resendAfterMs: ctx.resendAfterMs } : {}),
  });
  const media = new MediaFeature({
    kind: config.kind,
    dir: join(dataDir, 'media'),
    serverUrl: config.serverUrl,
    deviceId: config.deviceId,
    secret: config.secret,
    reserveBytes: Math.round(config.mediaReserveMb * 1024 * 1024),
    prefetchLeadMs: config.prefetchLeadS * 1000,
    clock,
    logger: log('media'),
    bus,
    timeline,
    ...(ctx.fetch ? { fetch: ctx.fetch } : {}),
  });
  const board =
    config.kind === 'board'
      ? new BoardFeature({ host: config.boardHost, port: config.boardPort, clock, logger: log('board'), mediaPath: (sha256) => media.cache.verifiedPath(sha256) })
      : null;
  const playback = new PlaybackFeature({
    kind: config.kind,
    dataDir,
    clock,
    localClock: ctx.localClock,
    loggerFor: log,
    bus,
    timeline,
    alerts,
    reports,
    media: () => media.cache,
    player: () => {
      if (ctx.player) return ctx.player;
      if (!audioOutput) throw new Error(`invalid audio output ${config.audioOutput}`); // validated by the config schema already
      return new FfmpegPlayer({ output: audioOutput, meter: true, liveVolume: true });
    },
    board: () => board?.server ?? null,
  });
  const commands = new CommandsFeature({
    deviceId: config.deviceId,
    kind: config.kind,
    dataDir,
    clock,
    logger: log('commands'),
    uplink: mqtt,
    guard,
    router,
    playback,
    prepare: (slot) => media.prepare(slot),
    resync: () => {
      clockFeature.measureNow();
      return timeline.resync();
    },
    restart: () => {
      logger.warn('restarting on remote command');
      ctx.restart();
    },
    logs: ctx.logRing,
    toneTest: () => (audioOutput ? new ToneTest(new FfmpegPlayer({ output: audioOutput, meter: true })) : null),
    update: () => ota.updateHandler,
  });
  const ota: OtaFeature = new OtaFeature({
    installDir: config.installDir,
    releaseKeys: config.releaseKeys ?? [],
    runningVersion: AGENT_VERSION,
    serverUrl: config.serverUrl,
    deviceId: config.deviceId,
    secret: config.secret,
    clock,
    localClock: ctx.localClock,
    logger: log('ota'),
    bus,
    uplink: mqtt,
    playing: () => playback.playing,
    slots: () => timeline.slots,
    reserveBytes: Math.round(config.mediaReserveMb * 1024 * 1024),
    restart: () => {
      logger.warn('restarting into another release');
      ctx.restart();
    },
    ...(ctx.fetch ? { fetch: ctx.fetch } : {}),
    probes: {
      connected: () =>
        mqtt.connected
          ? Promise.resolve()
          : new Promise<void>((resolve) => {
              const off = bus.on('mqtt.connected', () => {
                off();
                resolve();
              });
            }),
      timeline: async () => {
        await timeline.resync();
      },
      canPlay: async () => {
        if (config.kind === 'board') {
          const url = board?.server?.url;
          if (!url) throw new Error('the board page is not served');
          const res = await (ctx.fetch ?? defaultHttpFetch)(url, { headers: {} });
          const page = await res.text();
          if (res.status !== 200 || !/<html/i.test(page)) throw new Error(`the board page answers HTTP ${res.status}`);
          return;
        }
        if (!audioOutput) throw new Error(`invalid audio output ${config.audioOutput}`);
        if (playback.playing) throw new Error(`output busy: ${playback.playing} is playing`);
        await new ToneTest(new FfmpegPlayer({ output: audioOutput, meter: true })).run({ durationMs: 500 });
      },
    },
  });
  const fixedLocation = config.location ? (parseLocationSetting(config.location) ?? undefined) : undefined;
  const telemetry = new TelemetryFeature({
    dataDir,
    location: fixedLocation || config.locationFile ? new LocationSource({ fixed: fixedLocation, file: config.locationFile }) : null,
    intervalMs: ctx.telemetryIntervalMs,
    clock,
    logger: log('telemetry'),
    bus,
    uplink: mqtt,
    sample: () => {
      const output = playback.output;
      const clockOffsetMs = clockFeature.reportedOffsetMs;
      return {
        timelineVersion: timeline.version,
        playing: playback.playing,
        outboxSize: reports.size,
        agentVersion: AGENT_VERSION,
        mediaBlockedBytes: media.blockedBytes,
        ...(output ? { ...output.state, outputLevelLufs: output.levelLufs(TELEMETRY_LEVEL_WINDOW_MS) } : {}),
        ...(clockOffsetMs !== undefined ? { clockOffsetMs } : {}),
      };
    },
  });
  const present = (list: (Feature | null)[]): Feature[] => list.filter((f): f is Feature => f !== null);
  return {
    clock: clockFeature,
    timeline,
    alerts,
    reports,
    media,
    board,
    playback,
    commands,
    ota,
    telemetry,
    mqtt,
    startOrder: present([clockFeature, timeline, alerts, reports, media, board, playback, ota, commands, telemetry, mqtt]),
    stopOrder: present([commands, ota, telemetry, clockFeature, media, timeline, alerts, playback, reports, mqtt, board]),
  };
}
