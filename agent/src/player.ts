import { spawn as nodeSpawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import ffmpegInstaller from '@ffmpeg-installer/ffmpeg';
import type { AudioOutput } from './config.js';

export type SpawnFn = (command: string, args: readonly string[], options: SpawnOptions) => ChildProcess;

/**
 * `playedMs` is the wall time the process ran; `mediaMs`, when the player could tell, is how much audio it
 * really output (ffmpeg progress), which for a network stream may be far less.
 */
export type PlayResult =
  | { ok: true; playedMs: number; mediaMs?: number; note?: string }
  | { ok: false; stopped: true; playedMs: number; mediaMs?: number }
  | { ok: false; stopped: false; playedMs: number; mediaMs?: number; reason: string };

export interface Playback {
  /** Settles when the process is gone, however it ended; never rejects. */
  readonly done: Promise<PlayResult>;
  /** SIGTERM, then SIGKILL if it lingers; `done` then reports `stopped`. */
  stop(): void;
}

export interface PlayRequest {
  /** A local file or an http(s) URL. */
  file: string;
  /** 0-100; omitted = unchanged */
  volume?: number;
  occurrenceId: string;
  /** Start this far into the input (resume after preemption), via an input seek. */
  offsetMs?: number;
  /** Stop after this much output (`-t`), e.g. at the end of the slot's window. */
  maxMs?: number;
  /** Extra input options placed before `-i` (e.g. reconnect options for a network stream). */
  inputArgs?: readonly string[];
  /** Ask ffmpeg for progress reports so the result carries `mediaMs`. */
  progress?: boolean;
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
}

/** Builds the ffmpeg argument list; `-re` makes it take real time, so its run time is the proof of play. */
export function ffmpegArgs(req: PlayRequest, output: AudioOutput): { args: string[]; outFile?: string } {
  const args = ['-hide_banner', '-nostdin', '-loglevel', 'error'];
  if (req.progress) args.push('-progress', 'pipe:1');
  args.push(...(req.inputArgs ?? []));
  if (req.offsetMs !== undefined && req.offsetMs > 0) args.push('-ss', (req.offsetMs / 1000).toFixed(3));
  args.push('-re', '-i', req.file);
  if (req.maxMs !== undefined) args.push('-t', (Math.max(0, req.maxMs) / 1000).toFixed(3));
  if (req.volume !== undefined) args.push('-af', `volume=${(req.volume / 100).toFixed(2)}`);
  switch (output.kind) {
    case 'null':
      return { args: [...args, '-f', 'null', '-'] };
    case 'alsa':
      return { args: [...args, '-f', 'alsa', output.device] };
    case 'file': {
      const outFile = output.path.replaceAll('{occurrenceId}', req.occurrenceId);
      return { args: [...args, '-y', outFile], outFile };
    }
  }
}

const STDERR_TAIL_CHARS = 400;

/** Plays a file through an ffmpeg child process. */
export class FfmpegPlayer implements Player {
  private readonly ffmpegPath: string;
  private readonly spawnFn: SpawnFn;
  private readonly now: () => number;

  constructor(private readonly opts: FfmpegPlayerOptions) {
    this.ffmpegPath = opts.ffmpegPath ?? ffmpegInstaller.path;
    this.spawnFn = opts.spawn ?? nodeSpawn;
    this.now = opts.now ?? Date.now;
  }

  private readonly madeDirs = new Set<string>();

  async play(req: PlayRequest): Promise<Playback> {
    const { args, outFile } = ffmpegArgs(req, this.opts.output);
    if (outFile && !this.madeDirs.has(dirname(outFile))) {
      await mkdir(dirname(outFile), { recursive: true });
      this.madeDirs.add(dirname(outFile)); // once: a precise start should not wait for the file system
    }
    const startedAt = this.now();
    const child = this.spawnFn(this.ffmpegPath, args, { stdio: ['ignore', req.progress ? 'pipe' : 'ignore', 'pipe'] });
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
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (d: string) => {
      stderr = (stderr + d).slice(-4 * STDERR_TAIL_CHARS);
    });
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
        if (stopRequested) return settle({ ok: false, stopped: true, playedMs, ...media() });
        if (code === 0) return settle({ ok: true, playedMs, ...media() });
        const tail = stderr.trim().slice(-STDERR_TAIL_CHARS);
        settle({ ok: false, stopped: false, playedMs, ...media(), reason: `ffmpeg exited with ${code ?? signal}${tail ? `: ${tail}` : ''}` });
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
    };
  }
}
