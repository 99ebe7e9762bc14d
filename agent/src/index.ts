// Public surface of the agent package (benchmarks drive real controllers through it). The fleet simulator
// (test/sim) takes only ./device-kit.js, so it never loads the agent's features.
export { Controller, type ControllerDeps } from './controller.js';
export { agentConfigSchema, loadConfig, parseAudioOutput, usage, ConfigError, SETTINGS, type AgentConfig, type AudioOutput } from './config.js';
export { Outbox, newEventId } from './features/reports/outbox.js';
export { EventSender } from './features/reports/event-sender.js';
export { Connection, type ConnectFn } from './features/mqtt/connection.js';
export { Executor, preemptPolicyOf, startSpread, type ExecutorOptions, type StartInfo } from './features/playback/executor.js';
export { MediaCache, MediaError, sha256File, type FetchFn } from './features/media/media-cache.js';
export { FfmpegPlayer, ffmpegArgs, type Player, type Playback, type PlayResult, type PlayRequest } from './features/playback/player.js';
export { BoardServer, BOARD_PAGE, type BoardMessage } from './features/board/board.js';
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
} from './features/playback/runners.js';
export { TimelineStore } from './features/timeline/timeline-store.js';
export { OccurrenceLedger, type OccurrenceRecord } from './features/playback/occurrence-ledger.js';
export { Telemetry } from './features/telemetry/telemetry.js';
export { AlertBook, alertSlot, type AlertChange } from './features/alerts/alert-book.js';
export { SystemClock, ManualClock, SkewedClock, CorrectedClock, PRECISE_LEAD_MS, type Clock, type TimerHandle } from './clock.js';
export { ClockSync, estimateOffset, sampleOf, type ClockSyncOptions, type ClockEstimate, type ClockSample } from './features/clock/clock-sync.js';
export { Backoff } from './backoff.js';
export { EventBus, type AgentEvents } from './core/bus.js';
export type { Feature } from './core/feature.js';
export { MessageRouter } from './router/message-router.js';
export { createLogger } from './logger.js';
export { main } from './main.js';
export { AGENT_VERSION } from './version.js';
