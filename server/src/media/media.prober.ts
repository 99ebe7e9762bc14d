import { Inject, Injectable, Optional } from '@nestjs/common';
import ffmpegInstaller from '@ffmpeg-installer/ffmpeg';
import ffprobeInstaller from '@ffprobe-installer/ffprobe';
import { execFile } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { ACCEPTED_DEMUXERS } from './media-formats.js';

export interface MediaToolsOptions {
  ffprobePath?: string;
  ffmpegPath?: string;
  /** ffprobe reads headers only; a file that takes longer is pathological. */
  probeTimeoutMs?: number;
  /** Decoding gets this much plus `decodeMsPerAudioMs` per millisecond of announced audio. */
  decodeBaseTimeoutMs?: number;
  decodeMsPerAudioMs?: number;
  /** Full decodes are CPU-bound: at most this many at once, the rest wait their turn. */
  maxConcurrentDecodes?: number;
}

export const MEDIA_TOOLS_OPTIONS = Symbol('MEDIA_TOOLS_OPTIONS');

export interface ProbedStream {
  codecType: string | null;
  codecName: string | null;
  durationMs: number | null;
}

export type ProbeResult =
  | {
      ok: true;
      formatName: string;
      /** From the container (or the first audio stream); null when neither says. */
      durationMs: number | null;
      /** ffmpeg guessed the duration from the bit rate (e.g. MP3 without a Xing header): not a promise. */
      durationEstimated: boolean;
      streams: ProbedStream[];
    }
  | { ok: false; detail: string };


/** The tool did not run at all (missing binary, cannot spawn): a server fault, not a bad upload. */
export class MediaToolError extends Error {}

const probeOutputSchema = z.object({
  format: z
    .object({ format_name: z.string().optional(), duration: z.string().optional() })
    .loose()
    .optional(),
  streams: z
    .array(z.object({ codec_type: z.string().optional(), codec_name: z.string().optional(), duration: z.string().optional() }).loose())
    .optional(),
});

interface RunResult {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/**
 * ffprobe and ffmpeg behind one injectable class. Inputs are local temp files named by the server, never by the
 * client; demuxers are restricted to audio formats (see ACCEPTED_DEMUXERS).
 */
@Injectable()
export class MediaProber {
  private readonly ffprobe: string;
  private readonly ffmpeg: string;
  private readonly probeTimeoutMs: number;
  private readonly maxDecodes: number;
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(@Optional() @Inject(MEDIA_TOOLS_OPTIONS) options?: MediaToolsOptions) {
    this.ffprobe = options?.ffprobePath ?? ffprobeInstaller.path;
    this.ffmpeg = options?.ffmpegPath ?? ffmpegInstaller.path;
    this.probeTimeoutMs = options?.probeTimeoutMs ?? 30_000;
    this.maxDecodes = options?.maxConcurrentDecodes ?? Math.max(1, Math.floor(availableParallelism() / 2));
  }

  async probe(file: string): Promise<ProbeResult> {
    // -v warning rather than error: the "Estimating duration from bitrate" warning tells whether the duration
    // can be trusted to detect truncation. The JSON is on stdout either way.
    const run = await this.run(
      this.ffprobe,
      ['-v', 'warning', '-format_whitelist', ACCEPTED_DEMUXERS.join(','), '-print_format', 'json', '-show_format', '-show_streams', file],
      this.probeTimeoutMs,
    );
    if (run.timedOut) return { ok: false, detail: `ffprobe did not finish within ${this.probeTimeoutMs / 1000} s` };
    if (run.exitCode !== 0) return { ok: false, detail: firstLines(run.stderr, file) || `ffprobe exited with code ${run.exitCode}` };
    let parsed: z.infer<typeof probeOutputSchema>;
    try {
      parsed = probeOutputSchema.parse(JSON.parse(run.stdout));
    } catch {
      return { ok: false, detail: 'ffprobe output could not be read' };
    }
    const streams = (parsed.streams ?? []).map((s) => ({
      codecType: s.codec_type ?? null,
      codecName: s.codec_name ?? null,
      durationMs: secondsToMs(s.duration),
    }));
    const firstAudio = streams.find((s) => s.codecType === 'audio');
    return {
      ok: true,
      formatName: parsed.format?.format_name ?? 'unknown',
      durationMs: secondsToMs(parsed.format?.duration) ?? firstAudio?.durationMs ?? null,
      durationEstimated: /estimating duration from bit ?rate/i.test(run.stderr),
      streams,
    };
  }

  private run(bin: string, args: string[], timeoutMs: number): Promise<RunResult> {
    return new Promise((resolve, reject) => {
      execFile(bin, args, { timeout: timeoutMs, maxBuffer: 8 * 1024 * 1024, windowsHide: true }, (err, stdout, stderr) => {
        if (err && typeof err.code === 'string' && err.code !== 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER') {
          reject(new MediaToolError(`cannot run ${bin}: ${err.message}`));
          return;
        }
        resolve({
          exitCode: err ? (typeof err.code === 'number' ? err.code : null) : 0,
          stdout: String(stdout),
          stderr: String(stderr),
          timedOut: err?.killed === true && err.signal === 'SIGTERM',
        });
      });
    });
  }

  private async acquire(): Promise<void> {
    if (this.running < this.maxDecodes) {
      this.running++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.running--;
  }
}

function secondsToMs(value: string | undefined): number | null {
  if (value === undefined) return null;
  const s = Number(value);
  return Number.isFinite(s) && s >= 0 ? Math.round(s * 1000) : null;
}

/** The last `out_time=HH:MM:SS.micro` of ffmpeg's -progress output (out_time_ms is microseconds in old builds). */
function lastOutTimeMs(progress: string): number {
  let ms = 0;
  for (const m of progress.matchAll(/^out_time=(-?)(\d+):(\d+):(\d+(?:\.\d+)?)\s*$/gm)) {
    if (m[1] === '-') continue;
    ms = Math.round((Number(m[2]) * 3600 + Number(m[3]) * 60 + Number(m[4])) * 1000);
  }
  return ms;
}

/**
 * The first few lines of a tool's stderr, fit to show an operator: without ffmpeg's "[mp3 @ 0x55d…]" prefixes
 * and without the server's temp path.
 */
function firstLines(stderr: string, file: string, max = 3): string {
  return stderr
    .replaceAll(file, 'input')
    .split('\n')
    .map((l) => l.replace(/^\[[^\]]*@ 0x[0-9a-f]+\]\s*/i, '').trim())
    .filter((l) => l !== '')
    .slice(0, max)
    .join('; ')
    .slice(0, 300);
}
