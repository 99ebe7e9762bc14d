import { spawn as nodeSpawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import ffmpegInstaller from '@ffmpeg-installer/ffmpeg';
import type { AudioOutput } from './config.js';

export type SpawnFn = (command: string, args: readonly string[], options: SpawnOptions) => ChildProcess;

export type PlayResult =
  | { ok: true; playedMs: number }
  | { ok: false; stopped: true; playedMs: number }
  | { ok: false; stopped: false; playedMs: number; reason: string };

export interface Playback {
  /** Settles when the process is gone, however it ended; never rejects. */
  readonly done: Promise<PlayResult>;
  /** SIGTERM, then SIGKILL if it lingers; `done` then reports `stopped`. */
  stop(): void;
}

export interface PlayRequest {
  file: string;
  /** 0-100; omitted = unchanged */
  volume?: number;
  occurrenceId: string;
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
  const args = ['-hide_banner', '-nostdin', '-loglevel', 'error', '-re', '-i', req.file];
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

  async play(req: PlayRequest): Promise<Playback> {
    const { args, outFile } = ffmpegArgs(req, this.opts.output);
    if (outFile) await mkdir(dirname(outFile), { recursive: true });
    const startedAt = this.now();
    const child = this.spawnFn(this.ffmpegPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
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
        if (stopRequested) return settle({ ok: false, stopped: true, playedMs });
        if (code === 0) return settle({ ok: true, playedMs });
        const tail = stderr.trim().slice(-STDERR_TAIL_CHARS);
        settle({ ok: false, stopped: false, playedMs, reason: `ffmpeg exited with ${code ?? signal}${tail ? `: ${tail}` : ''}` });
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
