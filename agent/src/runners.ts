import type { Slot } from '@loa/shared';
import type { BoardServer } from './board.js';
import type { Clock } from './clock.js';
import { errorMessage } from './fsutil.js';
import { MediaError, type MediaCache } from './media-cache.js';
import type { Playback, PlayResult, Player } from './player.js';

export type RunResult = PlayResult;
export type RunHandle = Playback;

/** Turns a due slot into something happening on the device; rejects (with a reason) if it cannot start. */
export interface SlotRunner {
  run(slot: Slot): Promise<RunHandle>;
}

export class CannotStartError extends Error {
  override name = 'CannotStartError';
}

/** Speaker: verify the cached file, then play it through the Player. */
export class SpeakerRunner implements SlotRunner {
  constructor(
    private readonly cache: MediaCache,
    private readonly player: Player,
    private readonly clock: Clock,
    /** How long to wait at slot time for a download that is still under way before giving up. */
    private readonly awaitMediaMs = 5000,
  ) {}

  async run(slot: Slot): Promise<RunHandle> {
    if (slot.type !== 'audio') throw new CannotStartError(`slot type ${slot.type} cannot play on a speaker`);
    const sha = slot.media.sha256;
    if (!(await this.cache.has(sha))) await this.waitForDownload(sha);
    let file: string;
    try {
      file = await this.cache.verifiedPath(sha);
    } catch (err) {
      throw new CannotStartError(err instanceof MediaError ? err.message : `media check failed: ${errorMessage(err)}`);
    }
    return this.player.play({ file, occurrenceId: slot.occurrenceId, ...(slot.volume !== undefined ? { volume: slot.volume } : {}) });
  }

  private async waitForDownload(sha: string): Promise<void> {
    let timer: ReturnType<Clock['setTimer']> | null = null;
    const timeout = new Promise<void>((resolve) => {
      timer = this.clock.setTimer(resolve, this.awaitMediaMs);
    });
    await Promise.race([this.cache.ensure(sha).then(() => undefined, () => undefined), timeout]);
    this.clock.clearTimer(timer);
  }
}

/** Board: show the text on the kiosk page for the slot's duration. */
export class BoardRunner implements SlotRunner {
  constructor(
    private readonly board: BoardServer,
    private readonly clock: Clock,
  ) {}

  async run(slot: Slot): Promise<RunHandle> {
    if (slot.type !== 'text') throw new CannotStartError(`slot type ${slot.type} cannot be shown on a board`);
    const startedAt = this.clock.now();
    this.board.show({ occurrenceId: slot.occurrenceId, text: slot.text, title: slot.title, since: startedAt });
    let settle!: (r: RunResult) => void;
    const done = new Promise<RunResult>((resolve) => (settle = resolve));
    let finished = false;
    const end = (r: RunResult): void => {
      if (finished) return;
      finished = true;
      this.clock.clearTimer(timer);
      this.board.clear(slot.occurrenceId);
      settle(r);
    };
    const timer = this.clock.setTimer(() => end({ ok: true, playedMs: slot.durationMs }), slot.durationMs);
    return {
      done,
      stop: () => end({ ok: false, stopped: true, playedMs: Math.max(0, this.clock.now() - startedAt) }),
    };
  }
}
