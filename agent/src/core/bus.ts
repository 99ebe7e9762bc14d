import { EventEmitter } from 'node:events';
import type { AlertMessage, PlaybackEvent, TimelineMessage } from '@loa/shared';

/** When a slot really started, on every clock there is (payload of `playback.started`). */
export interface StartInfo {
  occurrenceId: string;
  /** The slot's start time (server time). */
  targetAt: number;
  /** When the output really started, on the corrected clock. */
  startedAt: number;
  /** The same instant on the device's own clock. */
  localStartedAt: number;
  /** The same instant on the host's system clock (Date.now): the common reference when a bench runs many agents in one process. */
  wallAt: number;
}

/** Everything features tell each other; one typed map keeps producers and consumers honest. */
export interface AgentEvents {
  /** The device's own channels are subscribed and its online status published. */
  'mqtt.connected': [];
  'mqtt.disconnected': [{ reason: string }];
  /** A newer timeline was stored (and the alerts of areas it no longer names dropped): what to play changed. */
  'timeline.updated': [TimelineMessage];
  /** An area alert was set, updated or cancelled: what to play changed. */
  'alert.changed': [{ areaCode: string; alert: AlertMessage }];
  /** A playback report is safe in the outbox and on its way to the server. */
  'playback.reported': [PlaybackEvent];
  'playback.current': [{ occurrenceId: string } | null];
  /** A slot really started (first time): target vs actual start, for synchronised-start measurements. */
  'playback.started': [StartInfo];
  /** The offset to the server was stepped (a measurement disagreed by more than a slew can fix, or nothing played). */
  'clock.stepped': [{ deltaMs: number; offsetMs: number }];
  /** The device's own clock was set (a step against the monotonic clock); the offset absorbed it. */
  'clock.local-stepped': [{ deltaMs: number }];
  'media.ready': [{ sha256: string; path: string }];
  /** A download was refused for lack of disk: the server's low-disk alarm should not wait for the next sample. */
  'media.disk-short': [];
  /** The periodic telemetry tick: other periodic sweeps (media prefetch) ride on it. */
  'telemetry.tick': [];
  /** The agent began to stop: features stop reacting to new plans before they are stopped one by one. */
  'agent.stopping': [];
}

export class EventBus {
  private readonly emitter = new EventEmitter();

  constructor() {
    // Many features listen to the same few events; a fleet simulator runs many buses, not many listeners.
    this.emitter.setMaxListeners(50);
  }

  emit<K extends keyof AgentEvents>(event: K, ...args: AgentEvents[K]): void {
    this.emitter.emit(event, ...args);
  }

  on<K extends keyof AgentEvents>(event: K, listener: (...args: AgentEvents[K]) => void): () => void {
    const l = listener as (...a: unknown[]) => void;
    this.emitter.on(event, l);
    return () => this.emitter.off(event, l);
  }

  removeAllListeners(): void {
    this.emitter.removeAllListeners();
  }
}
