import { join } from 'node:path';
import type { Logger } from 'pino';
import { errorMessage, readJsonIfExists, writeJsonAtomic } from '../../fsutil.js';
import type { Playback, Player, PlayRequest } from './player.js';

/** The device's own output setting, set remotely (setVolume) and kept across restarts. */
export interface OutputState {
  /** 0-100, multiplied with each slot's own volume. */
  volume: number;
  muted: boolean;
}

export interface OutputControlOptions {
  /** The player that really produces sound (ffmpeg). */
  player: Player;
  dataDir: string;
  logger: Logger;
}

const DEFAULT_STATE: OutputState = { volume: 100, muted: false };

const isState = (v: unknown): v is OutputState =>
  typeof v === 'object' &&
  v !== null &&
  Number.isInteger((v as OutputState).volume) &&
  (v as OutputState).volume >= 0 &&
  (v as OutputState).volume <= 100 &&
  typeof (v as OutputState).muted === 'boolean';

/**
 * The speaker's volume knob and level meter, in front of the player: every playback goes out at slot volume ×
 * device volume (nothing when muted), a change applies to what is playing at once, and the level measured at the
 * output is readable for telemetry.
 */
export class OutputControl implements Player {
  private current: OutputState = { ...DEFAULT_STATE };
  private readonly live = new Set<{ playback: Playback; slotVolume: number | undefined }>();
  private writes: Promise<unknown> = Promise.resolve();

  constructor(private readonly opts: OutputControlOptions) {}

  get file(): string {
    return join(this.opts.dataDir, 'output.json');
  }

  async load(): Promise<void> {
    const raw = await readJsonIfExists(this.file).catch((err: unknown) => {
      this.opts.logger.warn({ err: errorMessage(err) }, 'output settings unreadable; using defaults');
      return undefined;
    });
    this.current = isState(raw) ? { volume: raw.volume, muted: raw.muted } : { ...DEFAULT_STATE };
  }

  get state(): OutputState {
    return { ...this.current };
  }

  /** What a slot of this volume (0-100, default 100) plays at now, 0-100. */
  gain(slotVolume?: number): number {
    if (this.current.muted) return 0;
    return ((slotVolume ?? 100) * this.current.volume) / 100;
  }

  /** Changes the setting, stores it (atomically) and applies it to whatever is playing. */
  async set(change: { volume?: number | undefined; muted?: boolean | undefined }): Promise<OutputState> {
    const next: OutputState = { volume: change.volume ?? this.current.volume, muted: change.muted ?? this.current.muted };
    if (!isState(next)) throw new Error(`invalid output setting ${JSON.stringify(change)}`);
    const write = this.writes.then(() => writeJsonAtomic(this.file, next));
    this.writes = write.catch(() => undefined);
    await write;
    this.current = next;
    let applied = 0;
    for (const l of this.live) if (l.playback.setVolume?.(this.gain(l.slotVolume))) applied++;
    this.opts.logger.info({ ...next, appliedToPlaying: applied }, 'output volume set');
    return this.state;
  }

  async play(req: PlayRequest): Promise<Playback> {
    const gain = this.gain(req.volume);
    const playback = await this.opts.player.play({ ...req, volume: gain });
    const entry = { playback, slotVolume: req.volume };
    this.live.add(entry);
    void playback.done.finally(() => this.live.delete(entry));
    // Changed while the process was starting: catch up.
    if (this.gain(req.volume) !== gain) playback.setVolume?.(this.gain(req.volume));
    return playback;
  }

  /** Momentary level (LUFS) of the playback started last among those playing, when measured. */
  levelLufs(windowMs?: number): number | undefined {
    let level: number | undefined;
    for (const l of this.live) level = l.playback.levelLufs?.(windowMs) ?? level;
    return level;
  }
}
