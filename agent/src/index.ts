// Public surface for reuse (e.g. a fleet simulator running many agents in one process).
export { Controller, type ControllerDeps } from './controller.js';
export { agentConfigSchema, loadConfig, parseAudioOutput, usage, ConfigError, SETTINGS, type AgentConfig, type AudioOutput } from './config.js';
export { Outbox, newEventId } from './outbox.js';
export { EventSender } from './event-sender.js';
export { Connection, type ConnectFn } from './connection.js';
export { Executor, type ExecutorOptions } from './executor.js';
export { MediaCache, MediaError, sha256File, type FetchFn } from './media-cache.js';
export { FfmpegPlayer, ffmpegArgs, type Player, type Playback, type PlayResult } from './player.js';
export { BoardServer, BOARD_PAGE, type BoardMessage } from './board.js';
export { BoardRunner, SpeakerRunner, CannotStartError, type SlotRunner, type RunHandle, type RunResult } from './runners.js';
export { TimelineStore, OccurrenceLedger, type OccurrenceRecord } from './timeline-store.js';
export { Telemetry } from './telemetry.js';
export { SystemClock, ManualClock, type Clock, type TimerHandle } from './clock.js';
export { Backoff } from './backoff.js';
export { EventBus, type AgentEvents } from './bus.js';
export { createLogger } from './logger.js';
export { main } from './main.js';
export { AGENT_VERSION } from './version.js';
