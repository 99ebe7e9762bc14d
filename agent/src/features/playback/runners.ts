import type { RelaySlot, Slot } from '@loa/shared';
import type { BoardServer } from '../board/board.js';
import type { Clock, TimerHandle } from '../../clock.js';
import { errorMessage } from '../../fsutil.js';
import { MediaError, type MediaCache } from '../media/media-cache.js';
import type { Playback, PlayResult, Player } from './player.js';

export type RunResult = PlayResult;
export type RunHandle = Playback;

export interface RunOptions {
  /** Start this far into the media (resume after preemption); ignored where it means nothing (text, live relay). */
  offsetMs?: number;
  /** Run at most this long (the rest of the slot's window). */
  maxMs?: number;
}

/** Turns a due slot into something happening on the device; rejects (with a reason) if it cannot start. */
export interface SlotRunner {
  /** A reason when this device cannot render this kind of slot at all (reported `skipped`), else null. */
  unsupported?(slot: Slot): string | null;
  /** Everything that can be checked ahead of the start (media present and verified), so the start is quick. */
  prepare?(slot: Slot): Promise<void>;
  run(slot: Slot, opts?: RunOptions): Promise<RunHandle>;
}

export class CannotStartError extends Error {
  override name = 'CannotStartError';
}

const sleep = (clock: Clock, ms: number, onTimer: (t: TimerHandle) => void): Promise<void> =>
  new Promise((resolve) => onTimer(clock.setTimer(resolve, ms)));

/** Speaker: audio slots from the verified cache through the Player; relay slots from their URL. */
export class SpeakerRunner implements SlotRunner {
  /** sha256 → local time it was last verified (by prepare), so the start itself does not re-hash. */
  private readonly verified = new Map<string, number>();
  /** Why the last check ahead of a start failed, so the report at slot time can say it. */
  private readonly problems = new Map<string, string>();
  private readonly relay: RelayRunner;

  constructor(
    private readonly cache: MediaCache,
    private readonly player: Player,
    private readonly clock: Clock,
    /** How long to wait at slot time for a download that is still under way before giving up. */
    private readonly awaitMediaMs = 5000,
    relayOptions: Omit<RelayRunnerOptions, 'player' | 'clock'> = {},
  ) {
    this.relay = new RelayRunner({ player, clock, ...relayOptions });
  }

  unsupported(slot: Slot): string | null {
    return slot.type === 'text' || slot.type === 'image' ? `a speaker cannot show ${slot.type === 'text' ? 'text' : 'images'}` : null;
  }

  async prepare(slot: Slot): Promise<void> {
    if (slot.type !== 'audio') return;
    await this.verify(slot.media.sha256, true);
  }

  async run(slot: Slot, opts: RunOptions = {}): Promise<RunHandle> {
    if (slot.type === 'relay') return this.relay.run(slot, opts);
    if (slot.type !== 'audio') throw new CannotStartError(`slot type ${slot.type} cannot play on a speaker`);
    const file = await this.verify(slot.media.sha256, false);
    return this.player.play({
      file,
      occurrenceId: slot.occurrenceId,
      ...(slot.volume !== undefined ? { volume: slot.volume } : {}),
      ...(opts.offsetMs ? { offsetMs: opts.offsetMs } : {}),
      ...(opts.maxMs !== undefined ? { maxMs: opts.maxMs } : {}),
    });
  }

  private async verify(sha: string, ahead: boolean): Promise<string> {
    const at = this.verified.get(sha);
    // Verified moments ago by prepare(): trust it, the start must not wait for a re-hash.
    if (!ahead && at !== undefined && Math.abs(this.clock.now() - at) < 60_000) return this.cache.pathFor(sha);
    // A file that failed verification was deleted: fetching it again may heal it before the start.
    if (!(await this.cache.has(sha))) await this.waitForDownload(sha);
    try {
      const file = await this.cache.verifiedPath(sha);
      this.verified.set(sha, this.clock.now());
      this.problems.delete(sha);
      return file;
    } catch (err) {
      this.verified.delete(sha);
      const message = err instanceof MediaError ? err.message : `media check failed: ${errorMessage(err)}`;
      const earlier = this.problems.get(sha);
      if (ahead) this.problems.set(sha, message);
      throw new CannotStartError(earlier && earlier !== message ? `${message} (earlier: ${earlier})` : message);
    }
  }

  private async waitForDownload(sha: string): Promise<void> {
    let timer: TimerHandle | null = null;
    const timeout = sleep(this.clock, this.awaitMediaMs, (t) => (timer = t));
    await Promise.race([this.cache.ensure(sha).then(() => undefined, () => undefined), timeout]);
    this.clock.clearTimer(timer);
  }
}

export interface RelayRunnerOptions {
  player: Player;
  clock: Clock;
  /** First retry delay after the stream dropped (default 500 ms), doubling up to retryCapMs (default 5 s). */
  retryBaseMs?: number;
  retryCapMs?: number;
  /** At most this many ffmpeg runs per slot (default 30). */
  maxAttempts?: number;
  /** Ending this close to the window end counts as having played to the end (default 1500 ms). */
  endToleranceMs?: number;
}

/** ffmpeg input options for a live network stream: reconnect by itself, and give up on a stalled socket. */
export const RELAY_INPUT_ARGS = ['-reconnect', '1', '-reconnect_streamed', '1', '-reconnect_delay_max', '5', '-rw_timeout', '10000000'] as const;

/**
 * Issue 18: input options for the server's live microphone stream (MP3 frames from the live edge, never a
 * backlog): no input buffering and no probing beyond the first frame, so the first words play at once.
 */
export const LIVE_INPUT_ARGS = ['-fflags', 'nobuffer', '-flags', 'low_delay', '-probesize', '32', '-analyzeduration', '0', '-f', 'mp3', ...RELAY_INPUT_ARGS] as const;

/**
 * A live microphone session's stream: the relay slot says so (`live`, from the alert's `stream.live`). A server from
 * before that flag is recognised by its stream path, `/api/v1/live/<id>/stream`. Every other relay keeps the
 * scheduled settings.
 */
export function isLiveMic(slot: Pick<RelaySlot, 'url' | 'live'>): boolean {
  if (slot.live !== undefined) return slot.live;
  try {
    return /^\/api\/v1\/live\/[^/]+\/stream$/.test(new URL(slot.url).pathname);
  } catch {
    return false;
  }
}

/**
 * Live relay of an upstream stream for the rest of the slot's window. ffmpeg reconnects by itself on short
 * drops; when it gives up (stream ended, server gone, HTTP error) the relay is retried with back-off until
 * the window closes. Played time is what ffmpeg really output (its progress), not how long it waited.
 */
export class RelayRunner implements SlotRunner {
  constructor(private readonly opts: RelayRunnerOptions) {}

  unsupported(): string | null {
    return null;
  }

  async run(slot: Slot, opts: RunOptions = {}): Promise<RunHandle> {
    if (slot.type !== 'relay') throw new CannotStartError(`slot type ${slot.type} is not a relay`);
    const { clock } = this.opts;
    const deadline = clock.now() + (opts.maxMs ?? slot.startAt + slot.durationMs - clock.now());
    const attempt = (): Promise<Playback> => this.attempt(slot, deadline - clock.now());
    let current = await attempt();
    let stopped = false;
    let wake: (() => void) | null = null;
    let timer: TimerHandle | null = null;

    const loop = async (): Promise<PlayResult> => {
      const base = this.opts.retryBaseMs ?? 500;
      const cap = this.opts.retryCapMs ?? 5000;
      const maxAttempts = this.opts.maxAttempts ?? 30;
      const tolerance = this.opts.endToleranceMs ?? 1500;
      let playedMs = 0;
      let wallMs = 0;
      let maxLevel: number | undefined;
      const level = (): { maxLevelLufs?: number } => (maxLevel === undefined ? {} : { maxLevelLufs: maxLevel });
      let attempts = 1;
      let drops = 0;
      let lastProblem = '';
      for (;;) {
        const r = await current.done;
        playedMs += r.mediaMs ?? 0;
        wallMs += r.playedMs;
        if (r.maxLevelLufs !== undefined) maxLevel = Math.max(maxLevel ?? r.maxLevelLufs, r.maxLevelLufs);
        if (stopped || (!r.ok && r.stopped)) return { ok: false, stopped: true, playedMs, mediaMs: playedMs, ...level() };
        const left = deadline - clock.now();
        if (r.ok && left <= tolerance) break; // ran to the end of the window
        lastProblem = r.ok ? 'stream ended early' : r.reason;
        if ((r.mediaMs ?? 0) > 0) drops++;
        if (left <= tolerance || attempts >= maxAttempts) break;
        const delay = Math.min(cap, base * 2 ** Math.min(attempts - 1, 10), Math.max(0, left - tolerance));
        await new Promise<void>((resolve) => {
          wake = resolve;
          timer = clock.setTimer(resolve, delay);
        });
        wake = null;
        if (stopped) return { ok: false, stopped: true, playedMs, mediaMs: playedMs, ...level() };
        attempts++;
        try {
          current = await attempt();
        } catch (err) {
          lastProblem = errorMessage(err);
          break;
        }
      }
      if (playedMs <= 0) {
        return { ok: false, stopped: false, playedMs: 0, mediaMs: 0, ...level(), reason: `relay never played (${attempts} attempts): ${lastProblem}`.slice(0, 500) };
      }
      const note =
        attempts > 1 || lastProblem
          ? `relay interrupted (${attempts} attempts, ${drops} drops, ${Math.round(wallMs - playedMs)} ms without audio; last: ${lastProblem || 'none'})`
          : undefined;
      return { ok: true, playedMs, mediaMs: playedMs, ...level(), ...(note ? { note: note.slice(0, 400) } : {}) };
    };

    return {
      done: loop(),
      levelLufs: (windowMs?: number) => current.levelLufs?.(windowMs),
      stop: () => {
        if (stopped) return;
        stopped = true;
        clock.clearTimer(timer);
        current.stop();
        (wake as (() => void) | null)?.();
      },
    };
  }

  private attempt(slot: RelaySlot, maxMs: number): Promise<Playback> {
    const live = isLiveMic(slot);
    return this.opts.player.play({
      file: slot.url,
      occurrenceId: slot.occurrenceId,
      inputArgs: live ? LIVE_INPUT_ARGS : RELAY_INPUT_ARGS,
      ...(live ? { lowLatency: true } : {}),
      progress: true,
      maxMs: Math.max(0, maxMs),
      ...(slot.volume !== undefined ? { volume: slot.volume } : {}),
    });
  }
}

/** Board: show the text (styled) or image on the kiosk page for the rest of the slot's window. */
export class BoardRunner implements SlotRunner {
  constructor(
    private readonly board: BoardServer,
    private readonly clock: Clock,
    /** Images come through the verified media cache; without one, image slots cannot start. */
    private readonly cache: MediaCache | null = null,
  ) {}

  unsupported(slot: Slot): string | null {
    if (slot.type === 'relay') return 'board cannot relay audio';
    if (slot.type === 'audio') return 'board cannot play audio';
    return null;
  }

  async prepare(slot: Slot): Promise<void> {
    if (slot.type === 'image' && this.cache) await this.cache.ensure(slot.media.sha256);
  }

  async run(slot: Slot, opts: RunOptions = {}): Promise<RunHandle> {
    if (slot.type !== 'text' && slot.type !== 'image') throw new CannotStartError(`slot type ${slot.type} cannot be shown on a board`);
    if (slot.type === 'image') {
      if (!this.cache) throw new CannotStartError('this board has no media cache for images');
      try {
        await this.cache.verifiedPath(slot.media.sha256);
      } catch (err) {
        throw new CannotStartError(err instanceof MediaError ? err.message : errorMessage(err));
      }
    }
    const startedAt = this.clock.now();
    const showMs = Math.max(0, Math.min(slot.durationMs, opts.maxMs ?? slot.durationMs));
    if (slot.type === 'image') {
      this.board.show({ occurrenceId: slot.occurrenceId, title: slot.title, image: slot.media, fit: slot.fit, background: slot.background, since: startedAt });
    } else {
      this.board.show({ occurrenceId: slot.occurrenceId, text: slot.text, title: slot.title, style: slot.style, since: startedAt });
    }
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
    const timer = this.clock.setTimer(() => end({ ok: true, playedMs: showMs }), showMs);
    return {
      done,
      stop: () => end({ ok: false, stopped: true, playedMs: Math.max(0, this.clock.now() - startedAt) }),
    };
  }
}
