import { spawn as nodeSpawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createRequire } from 'node:module';
import type { AudioOutput } from '../../config.js';
import { METER_FILTER, parseMomentaryLufs } from './loudness.js';

export type SpawnFn = (command: string, args: readonly string[], options: SpawnOptions) => ChildProcess;

/**
 * `playedMs` is the wall time the process ran; `mediaMs`, when the player could tell, is how much audio it
 * really output (ffmpeg progress): the proof of play, which for a network stream may be far less than the run time.
 */
export type PlayResult = (
  | { ok: true; playedMs: number; mediaMs?: number; note?: string }
  | { ok: false; stopped: true; playedMs: number; mediaMs?: number }
  | { ok: false; stopped: false; playedMs: number; mediaMs?: number; reason: string }
) & {
  /** Loudest momentary level (LUFS) measured at the output, when the player measures it. */
  maxLevelLufs?: number;
};

export interface Playback {
  /** Settles when the process is gone, however it ended; never rejects. */
  readonly done: Promise<PlayResult>;
  /** SIGTERM, then SIGKILL if it lingers; `done` then reports `stopped`. */
  stop(): void;
  /** Changes the volume (0-100) of the running playback; false where the player cannot. */
  setVolume?(volume: number): boolean;
  /**
   * Momentary level (LUFS) at the output, when the player measures it: the latest, or the loudest over the last
   * `windowMs` (up to 10 s), so that a pause between two sentences does not read as silence.
   */
  levelLufs?(windowMs?: number): number | undefined;
}

export interface PlayRequest {
  /** A local file or an http(s) URL. */
  file: string;
  /** 0-100; omitted = unchanged */
  volume?: number;
  occurrenceId: string;
  /** Start this far into the input (resume after preemption), via an input seek. */
  offsetMs?: number;
  /**
   * Stop after this much output, e.g. at the end of the slot's window. Applied to the input (`-t` before `-i`):
   * as an output option ffmpeg would stop writing but keep reading (the meter branch keeps the graph alive), so the
   * output would be held, silent, until the input ran out.
   */
  maxMs?: number;
  /** Extra input options placed before `-i` (e.g. reconnect options for a network stream). */
  inputArgs?: readonly string[];
  /** Ask ffmpeg for progress reports so the result carries `mediaMs` (FfmpegPlayer always does). */
  progress?: boolean;
  /**
   * Issue 18, a live microphone: play what arrives as it arrives. No `-re` (the input already comes at the pace it is
   * spoken; `-re` would only keep any backlog as delay) and, to a file, every packet written at once, as a sound
   * card would take it.
   */
  lowLatency?: boolean;
}

export interface Player {
  play(req: PlayRequest): Promise<Playback>;
}

export interface FfmpegPlayerOptions {
  output: AudioOutput;
  ffmpegPath?: string;
  spawn?: SpawnFn;
  now?: () => number;
  killGraceMs?: number;
  /**
   * Measure the momentary loudness (EBU R128) of what goes to the output, on a branch of the filter graph: the
   * proof that a playback was audible. Costs an ebur128 filter per playback and info-level ffmpeg logging.
   */
  meter?: boolean;
  /** Keep ffmpeg's stdin open so the volume of a running playback can be changed (ffmpeg's `c` command). */
  liveVolume?: boolean;
}

export interface FfmpegArgsOptions {
  meter?: boolean | undefined;
  liveVolume?: boolean | undefined;
  /** Replaces `{seq}` in a file output's path: the player's playback counter. */
  seq?: number | undefined;
}

/** 0-100 → the `volume` filter's factor; two decimals unless that would lose a quiet level. */
export function gainArg(volume: number): string {
  const v = Math.max(0, volume);
  return (v / 100).toFixed(Math.abs(v - Math.round(v)) < 1e-9 ? 2 : 4);
}

/** Builds the ffmpeg argument list; `-re` makes it take real time, so its run time is the proof of play. */
export function ffmpegArgs(req: PlayRequest, output: AudioOutput, opts: FfmpegArgsOptions = {}): { args: string[]; outFile?: string } {
  const args = ['-hide_banner'];
  if (!opts.liveVolume) args.push('-nostdin');
  // Metering reads ebur128's info-level frame log; `level` tags each line so errors can still be told apart.
  if (opts.meter) args.push('-nostats', '-loglevel', 'repeat+level+info');
  else args.push('-loglevel', 'error');
  if (req.progress) args.push('-progress', 'pipe:1');
  args.push(...(req.inputArgs ?? []));
  if (req.offsetMs !== undefined && req.offsetMs > 0) args.push('-ss', (req.offsetMs / 1000).toFixed(3));
  if (req.maxMs !== undefined) args.push('-t', (Math.max(0, req.maxMs) / 1000).toFixed(3));
  if (req.lowLatency) args.push('-i', req.file);
  else args.push('-re', '-i', req.file);
  // A live-controlled playback always has a volume filter, so there is something to send the command to.
  const volume = req.volume ?? (opts.liveVolume ? 100 : undefined);
  const chain = volume === undefined ? [] : [`volume=${gainArg(volume)}`];
  if (opts.meter) chain.push(METER_FILTER);
  if (chain.length > 0) args.push('-af', chain.join(','));
  switch (output.kind) {
    case 'null':
      return { args: [...args, '-f', 'null', '-'] };
    case 'alsa':
      return { args: [...args, '-f', 'alsa', output.device] };
    case 'file': {
      const outFile = output.path.replaceAll('{occurrenceId}', req.occurrenceId).replaceAll('{seq}', String(opts.seq ?? 0));
      return { args: [...args, ...(req.lowLatency ? ['-flush_packets', '1'] : []), '-y', outFile], outFile };
    }
  }
}

/** Momentary-loudness frames (100 ms each) behind the live level: 10 s. */
const RECENT_FRAMES = 100;
const STDERR_TAIL_CHARS = 400;
/** With metering, ffmpeg logs at info level: only these lines explain a failure. */
const PROBLEM_LINE = /\[(?:error|fatal|panic|warning)\]/;

/**
 * The ffmpeg binary shipped by @ffmpeg-installer, looked up at the first play: a CommonJS package imported by an
 * ES module makes Node load its CommonJS export parser (WebAssembly, a few MB) for the rest of the process.
 */
let installedFfmpeg: string | undefined;
const installedFfmpegPath = (): string => (installedFfmpeg ??= resolveFfmpeg(() => (createRequire(import.meta.url)('@ffmpeg-installer/ffmpeg') as { path: string }).path));

/**
 * A release package (issue 20) carries no node_modules: on a board ffmpeg comes from the system (Debian's `ffmpeg`),
 * found on PATH by spawn. A configured ffmpegPath still wins over both.
 */
export function resolveFfmpeg(installed: () => string): string {
  try {
    return installed();
  } catch {
    return 'ffmpeg';
  }
}

/** Plays a file through an ffmpeg child process. */
export class FfmpegPlayer implements Player {
  private readonly spawnFn: SpawnFn;
  private readonly now: () => number;

  constructor(private readonly opts: FfmpegPlayerOptions) {
    this.spawnFn = opts.spawn ?? nodeSpawn;
    this.now = opts.now ?? Date.now;
  }

  private get ffmpegPath(): string {
    return this.opts.ffmpegPath ?? installedFfmpegPath();
  }

  private readonly madeDirs = new Set<string>();
  private seq = 0;

  async play(request: PlayRequest): Promise<Playback> {
    // Progress always: what ffmpeg output, not how long it ran, is what a report may call played.
    const req: PlayRequest = { ...request, progress: true };
    const meter = this.opts.meter === true;
    const live = this.opts.liveVolume === true;
    const { args, outFile } = ffmpegArgs(req, this.opts.output, { meter, liveVolume: live, seq: ++this.seq });
    if (outFile && !this.madeDirs.has(dirname(outFile))) {
      await mkdir(dirname(outFile), { recursive: true });
      this.madeDirs.add(dirname(outFile)); // once: a precise start should not wait for the file system
    }
    const startedAt = this.now();
    const child = this.spawnFn(this.ffmpegPath, args, { stdio: [live ? 'pipe' : 'ignore', req.progress ? 'pipe' : 'ignore', 'pipe'] });
    // ffmpeg gone while a command is written: nothing to do (and an EPIPE must not crash the agent).
    child.stdin?.on('error', () => undefined);
    let mediaUs: number | undefined;
    if (req.progress && child.stdout) {
      let buf = '';
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (d: string) => {
        buf += d;
        const lines = buf.split('\n');
        buf = lines.pop() ?? '';
        for (const line of lines) {
          const m = /^out_time_(?:us|ms)=(\d+)/.exec(line); // both are microseconds in ffmpeg
          if (m) mediaUs = Math.max(mediaUs ?? 0, Number(m[1]));
        }
      });
    }
    const media = (): { mediaMs?: number } => (mediaUs === undefined ? {} : { mediaMs: Math.round(mediaUs / 1000) });
    let stderr = '';
    // ebur128 prints a frame every 100 ms; the last 10 s of momentary levels are kept for levelLufs(windowMs).
    let recent: number[] = [];
    let maxLevel: number | undefined;
    let partial = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (d: string) => {
      if (!meter) {
        stderr = (stderr + d).slice(-4 * STDERR_TAIL_CHARS);
        return;
      }
      const lines = (partial + d).split('\n');
      partial = lines.pop() ?? '';
      if (partial.length > 4096) partial = partial.slice(-4096);
      for (const line of lines) {
        const m = parseMomentaryLufs(line);
        if (m !== undefined) {
          recent.push(m);
          if (recent.length > RECENT_FRAMES) recent = recent.slice(-RECENT_FRAMES);
          maxLevel = Math.max(maxLevel ?? m, m);
        } else if (PROBLEM_LINE.test(line)) {
          stderr = `${stderr}${line}\n`.slice(-4 * STDERR_TAIL_CHARS);
        }
      }
    });
    const measured = (): { maxLevelLufs?: number } => (maxLevel === undefined ? {} : { maxLevelLufs: maxLevel });
    let stopRequested = false;
    let killTimer: NodeJS.Timeout | undefined;
    const done = new Promise<PlayResult>((resolve) => {
      let settled = false;
      const settle = (r: PlayResult): void => {
        if (settled) return;
        settled = true;
        clearTimeout(killTimer);
        resolve(r);
      };
      child.once('error', (err) => settle({ ok: false, stopped: false, playedMs: 0, reason: `cannot start ffmpeg: ${err.message}` }));
      child.once('close', (code, signal) => {
        const playedMs = Math.max(0, this.now() - startedAt);
        recent = [];
        if (stopRequested) return settle({ ok: false, stopped: true, playedMs, ...media(), ...measured() });
        if (code === 0) return settle({ ok: true, playedMs, ...media(), ...measured() });
        const tail = stderr.trim().slice(-STDERR_TAIL_CHARS);
        settle({ ok: false, stopped: false, playedMs, ...media(), ...measured(), reason: `ffmpeg exited with ${code ?? signal}${tail ? `: ${tail}` : ''}` });
      });
    });
    return {
      done,
      stop: () => {
        if (stopRequested || child.exitCode !== null || child.signalCode !== null) return;
        stopRequested = true;
        child.kill('SIGTERM');
        killTimer = setTimeout(() => child.kill('SIGKILL'), this.opts.killGraceMs ?? 2000);
        killTimer.unref();
      },
      setVolume: (volume: number) => {
        const stdin = child.stdin;
        if (!live || !stdin || stdin.destroyed || child.exitCode !== null || child.signalCode !== null) return false;
        // ffmpeg's interactive `c`: "<target> <time> <command> <arg>", time -1 = now; sent to the (only) volume filter.
        stdin.write(`cvolume -1 volume ${gainArg(volume)}\n`);
        return true;
      },
      levelLufs: (windowMs = 0) => {
        if (recent.length === 0) return undefined;
        const frames = Math.max(1, Math.min(RECENT_FRAMES, Math.round(windowMs / 100)));
        return Math.max(...recent.slice(-frames));
      },
    };
  }
}
