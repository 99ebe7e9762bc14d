import { EventEmitter } from 'node:events';
import type { PlaybackEvent, TimelineMessage } from '@loa/shared';
import type { StartInfo } from './executor.js';

/** Everything features tell each other; one typed map keeps producers and consumers honest. */
export interface AgentEvents {
  'mqtt.connected': [];
  'mqtt.disconnected': [{ reason: string }];
  'timeline.stored': [TimelineMessage];
  'playback.event': [PlaybackEvent];
  'playback.current': [{ occurrenceId: string } | null];
  /** A slot really started (first time): target vs actual start, for synchronised-start measurements. */
  'playback.started': [StartInfo];
  /** The offset to the server was stepped (a measurement disagreed by more than a slew can fix, or nothing played). */
  'clock.stepped': [{ deltaMs: number; offsetMs: number }];
  /** The device's own clock was set (a step against the monotonic clock); the offset absorbed it. */
  'clock.local-stepped': [{ deltaMs: number }];
  'media.ready': [{ sha256: string; path: string }];
  'media.failed': [{ sha256: string; error: string }];
  'alert.changed': [{ areaCode: string }];
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
