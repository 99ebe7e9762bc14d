import type { DeviceKind, Slot, UpdateCommand } from '@loa/shared';

type JsonValue = string | number | boolean | null | JsonValue[] | { [k: string]: JsonValue };
import type { Clock, TimerHandle } from '../../clock.js';
import { CommandRejectedError, type CommandHandlers } from './commands.js';
import type { Executor } from '../playback/executor.js';
import type { LogRing } from '../../logger.js';
import type { OutputControl } from '../playback/output.js';
import type { SlotRunner } from '../playback/runners.js';
import type { ToneTest } from './self-test.js';

/** Lines collectLogs returns when the operator does not say. */
export const DEFAULT_LOG_LINES = 200;
/** Room for collected lines in one answer (the result must fit MAX_PAYLOAD_BYTES with its envelope). */
export const MAX_LOG_BYTES = 192 * 1024;
/** How long playNow waits for its media to be downloaded before answering `error`. */
export const PLAY_NOW_MEDIA_WAIT_MS = 60_000;

/** The parts of the agent the commands act on; each overridable, so handlers are tested without a device. */
export interface DeviceCommandDeps {
  kind: DeviceKind;
  clock: Clock;
  executor: Pick<Executor, 'runNow' | 'stopPlaying' | 'playing'>;
  runner: Pick<SlotRunner, 'unsupported'>;
  /** Speaker output (volume, mute); null on a board. */
  output: Pick<OutputControl, 'set' | 'state'> | null;
  /** Makes the slot playable (downloads and verifies its media). */
  prepare: (slot: Slot) => Promise<void>;
  /** Has the retained timeline delivered again (and re-acked) and the clock measured; resolves with the version held. */
  resync: () => Promise<number | null>;
  /** Stops the agent cleanly and exits the process (code 0) so the service manager starts it again. */
  restart: () => void | Promise<void>;
  logs: Pick<LogRing, 'tail'>;
  /** Speaker only. */
  toneTest: Pick<ToneTest, 'run'> | null;
  /** Takes an offered release (OTA); null when the agent was not started from an install directory it may update. */
  update?: ((c: UpdateCommand) => Promise<Record<string, JsonValue>>) | null;
}

/** The handlers of every command on a real agent. */
export function deviceCommandHandlers(d: DeviceCommandDeps): CommandHandlers {
  return {
    setVolume: async (c) => {
      if (!d.output) throw new CommandRejectedError(`a ${d.kind} has no audio output`);
      const state = await d.output.set({ volume: c.volume, muted: c.muted });
      return { data: { volume: state.volume, muted: state.muted } };
    },

    stop: async () => ({ data: { stopped: await d.executor.stopPlaying() } }),

    playNow: async (c) => {
      const unsupported = d.runner.unsupported?.(c.slot) ?? null;
      if (unsupported) throw new CommandRejectedError(unsupported);
      await withTimeout(d.clock, d.prepare(c.slot), PLAY_NOW_MEDIA_WAIT_MS, 'media not ready in time');
      // "Now" is when the device gets it: a command that waited for an offline device still plays in full.
      const slot: Slot = { ...c.slot, startAt: d.clock.now() };
      d.executor.runNow(slot);
      return { data: { occurrenceId: slot.occurrenceId, startAt: slot.startAt } };
    },

    resync: async () => ({ data: { timelineVersion: await d.resync() } }),

    restart: async () => ({ data: { restarting: true }, after: d.restart }),

    collectLogs: async (c) => {
      const { lines, truncated } = d.logs.tail(c.lines ?? DEFAULT_LOG_LINES, MAX_LOG_BYTES);
      return { data: { lines, ...(truncated ? { truncated } : {}) } };
    },

    update: async (c) => {
      if (!d.update) throw new CommandRejectedError('this agent does not run from an install directory it can update (not-installable)');
      return { data: await d.update(c) };
    },

    selfTest: async (c) => {
      if (d.kind === 'board' || !d.toneTest) return { data: { board: 'ok' } };
      const playing = d.executor.playing;
      if (playing) throw new Error(`output busy: ${playing} is playing; try again when it ends`);
      const r = await d.toneTest.run({ durationMs: c.durationMs, frequencyHz: c.frequencyHz });
      const volume = d.output?.state;
      return { data: { levelLufs: r.levelLufs, durationMs: r.durationMs, frequencyHz: r.frequencyHz, toneDbfs: r.toneDbfs, ...(volume ? { deviceVolume: volume.volume, muted: volume.muted } : {}) } };
    },
  };
}

function withTimeout<T>(clock: Clock, p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: TimerHandle | null = null;
  const timeout = new Promise<never>((_, reject) => (timer = clock.setTimer(() => reject(new Error(`${what} (${Math.round(ms / 1000)} s)`)), ms)));
  return Promise.race([p, timeout]).finally(() => clock.clearTimer(timer));
}
