// Public surface for reuse (e.g. a fleet simulator running many agents in one process).
export { Controller, type ControllerDeps } from './controller.js';
export { agentConfigSchema, loadConfig, parseAudioOutput, usage, ConfigError, SETTINGS, type AgentConfig, type AudioOutput } from './config.js';
export { Outbox, newEventId } from './outbox.js';
export { EventSender } from './event-sender.js';
export { Connection, type ConnectFn } from './connection.js';
export { Executor, preemptPolicyOf, startSpread, type ExecutorOptions, type StartInfo } from './executor.js';
export { MediaCache, MediaError, sha256File, type FetchFn } from './media-cache.js';
export { FfmpegPlayer, ffmpegArgs, type Player, type Playback, type PlayResult, type PlayRequest } from './player.js';
export { BoardServer, BOARD_PAGE, type BoardMessage } from './board.js';
export {
  BoardRunner,
  SpeakerRunner,
  RelayRunner,
  RELAY_INPUT_ARGS,
  CannotStartError,
  type SlotRunner,
  type RunHandle,
  type RunResult,
  type RunOptions,
} from './runners.js';
export { TimelineStore, OccurrenceLedger, type OccurrenceRecord } from './timeline-store.js';
export { Telemetry } from './telemetry.js';
export { AlertBook, alertSlot, type AlertChange } from './alerts.js';
export { SystemClock, ManualClock, SkewedClock, CorrectedClock, PRECISE_LEAD_MS, type Clock, type TimerHandle } from './clock.js';
export { ClockSync, estimateOffset, sampleOf, type ClockSyncOptions, type ClockEstimate, type ClockSample } from './clock-sync.js';
export { Backoff } from './backoff.js';
export { EventBus, type AgentEvents } from './bus.js';
export { createLogger } from './logger.js';
export { main } from './main.js';
export { AGENT_VERSION } from './version.js';
