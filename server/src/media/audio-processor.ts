import { Injectable } from '@nestjs/common';
import { ACCEPTED_DEMUXERS } from './media-formats.js';
import { MediaTools } from './media-tools.js';
import { encoderArgs, filterChain, trimWindow, type AudioProfile, type Loudness, type LoudnessMeasurement, type RenderResult } from './audio-profile.js';

/** ffmpeg ran but could not do the work (exit code ≠ 0, error lines): the message is fit for an operator. */
export class AudioProcessingError extends Error {}

/** The work was stopped through its AbortSignal (server shutting down): not the file's fault. */
export class AudioProcessingAborted extends Error {}

export type ProgressFn = (fraction: number) => void;

interface RunOptions {
  /** Expected duration of the output, for progress (out_time / duration). */
  durationMs: number;
  onProgress?: ProgressFn;
  signal?: AbortSignal;
  timeoutMs: number;
}

interface RunOutput {
  stderr: string;
  outMs: number;
  /** Error lines ffmpeg printed although it finished (a damaged frame, …), fit to show an operator; '' if none. */
  errors: string;
}

const MAX_STDERR = 256 * 1024;
/** Every pass gets this much plus MS_PER_AUDIO_MS per millisecond of audio; loudnorm works at 192 kHz. */
const BASE_TIMEOUT_MS = 30_000;
const MS_PER_AUDIO_MS = 1 / 2;

/**
 * The two ffmpeg passes of EBU R128 normalisation (loudnorm): `measure` (pass 1, also finds leading and trailing
 * silence when trimming) and `render` (pass 2: trim, downmix, apply the measured gain, resample, encode). Both
 * report progress from `-progress pipe:1` and stop when their AbortSignal fires.
 */
@Injectable()
export class AudioProcessor {
  constructor(private readonly tools: MediaTools) {}

  /**
   * Pass 1, which also serves as the full decode check: every sample is decoded, `decodedMs` is how much audio
   * that gave and `errors` what went wrong on the way (a damaged file decodes with errors or not at all).
   */
  async measure(input: string, profile: AudioProfile, durationMs: number, onProgress?: ProgressFn, signal?: AbortSignal): Promise<LoudnessMeasurement & { decodedMs: number; errors: string }> {
    const filters = filterChain(profile, { detectSilence: profile.trimSilence });
    const run = await this.run(['-i', input, '-map', '0:a:0', '-af', filters, '-f', 'null', '-'], input, this.options(durationMs, onProgress, signal));
    const json = loudnormJson(run.stderr) ?? {};
    const raw = {
      input_i: json.input_i ?? '-inf',
      input_tp: json.input_tp ?? '-inf',
      input_lra: json.input_lra ?? '0',
      input_thresh: json.input_thresh ?? '-70',
      target_offset: json.target_offset ?? '0',
    };
    return {
      integratedLufs: finite(raw.input_i),
      truePeakDbtp: finite(raw.input_tp),
      lraLu: finite(raw.input_lra),
      raw,
      silence: profile.trimSilence ? silenceEdges(run.stderr, run.outMs / 1000) : null,
      decodedMs: run.outMs,
      errors: run.errors,
    };
  }

  /** Writes the delivered file to `output` (which must not exist yet). */
  async render(input: string, output: string, profile: AudioProfile, measured: LoudnessMeasurement, durationMs: number, onProgress?: ProgressFn, signal?: AbortSignal): Promise<RenderResult & { durationMs: number }> {
    const trim = trimWindow(measured.silence, durationMs / 1000);
    const filters = filterChain(profile, { measured, trim });
    const expectedMs = trim ? Math.round((trim.endS - trim.startS) * 1000) : durationMs;
    const run = await this.run(
      ['-i', input, '-map', '0:a:0', '-af', filters, ...encoderArgs(profile), output],
      input,
      this.options(expectedMs, onProgress, signal),
    );
    const json = loudnormJson(run.stderr);
    const output_: Loudness = { integratedLufs: finite(json?.output_i), truePeakDbtp: finite(json?.output_tp), lraLu: finite(json?.output_lra) };
    return { output: output_, normalization: json?.normalization_type === 'linear' ? 'linear' : 'dynamic', durationMs: run.outMs || expectedMs };
  }

  private options(durationMs: number, onProgress: ProgressFn | undefined, signal: AbortSignal | undefined): RunOptions {
    return {
      durationMs,
      timeoutMs: Math.round(BASE_TIMEOUT_MS + durationMs * MS_PER_AUDIO_MS),
      ...(onProgress ? { onProgress } : {}),
      ...(signal ? { signal } : {}),
    };
  }

  private async run(args: string[], input: string, opts: RunOptions): Promise<RunOutput> {
    const full = ['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'level+info', '-format_whitelist', ACCEPTED_DEMUXERS.join(','), '-progress', 'pipe:1', ...args];
    let outMs = 0;
    const run = await this.tools.ffmpeg(full, {
      timeoutMs: opts.timeoutMs,
      signal: opts.signal,
      maxStderr: MAX_STDERR,
      onStdoutLine: (line) => {
        const ms = outTimeMs(line);
        if (ms === null) return;
        outMs = ms;
        if (opts.onProgress && opts.durationMs > 0) opts.onProgress(Math.min(1, ms / opts.durationMs));
      },
    });
    if (run.aborted) throw new AudioProcessingAborted('aborted');
    if (run.timedOut) throw new AudioProcessingError(`processing did not finish within ${Math.round(opts.timeoutMs / 1000)} s`);
    const errors = errorLines(run.stderr, input);
    if (run.exitCode !== 0) throw new AudioProcessingError(errors || `ffmpeg exited with code ${run.exitCode}`);
    return { stderr: run.stderr, outMs, errors };
  }
}

/** `out_time=00:01:02.500000` → 62500; null for other lines (and the negative times of the first report). */
export function outTimeMs(line: string): number | null {
  const m = /^out_time=(-?)(\d+):(\d+):(\d+(?:\.\d+)?)\s*$/.exec(line);
  if (!m || m[1] === '-') return null;
  return Math.round((Number(m[2]) * 3600 + Number(m[3]) * 60 + Number(m[4])) * 1000);
}

/** The last JSON object loudnorm printed (print_format=json), values as strings. */
export function loudnormJson(stderr: string): Record<string, string> | null {
  const at = stderr.lastIndexOf('"input_i"');
  if (at < 0) return null;
  const start = stderr.lastIndexOf('{', at);
  const end = stderr.indexOf('}', at);
  if (start < 0 || end < 0) return null;
  try {
    const parsed = JSON.parse(stderr.slice(start, end + 1)) as Record<string, unknown>;
    return Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, String(v)]));
  } catch {
    return null;
  }
}

/** Leading silence (end of a silence that starts at 0) and trailing silence (start of one that runs to the end). */
export function silenceEdges(stderr: string, durationS: number): { leadS: number; trailStartS: number | null } {
  const events: Array<{ kind: 'start' | 'end'; t: number }> = [];
  for (const m of stderr.matchAll(/silence_(start|end):\s*(-?\d+(?:\.\d+)?)/g)) events.push({ kind: m[1] as 'start' | 'end', t: Number(m[2]) });
  let leadS = 0;
  let trailStartS: number | null = null;
  let open: number | null = null;
  for (const e of events) {
    if (e.kind === 'start') open = e.t;
    else {
      if (open !== null && open <= 0.01) leadS = e.t;
      if (open !== null && e.t >= durationS - 0.05 && open > 0.01) trailStartS = open;
      open = null;
    }
  }
  // A silence still open at the end of the stream (older ffmpeg never prints its end).
  if (open !== null) {
    if (open <= 0.01) leadS = durationS; // all silence
    else trailStartS = open;
  }
  return { leadS, trailStartS };
}

/** `[error]`/`[fatal]` lines of a `-loglevel level+info` stderr, fit to show an operator. */
function errorLines(stderr: string, input: string, max = 3): string {
  return stderr
    .replaceAll(input, 'input')
    .split('\n')
    .filter((l) => /\[(error|fatal|panic)\]/.test(l))
    .map((l) => l.replace(/^\[[^\]]*@ 0x[0-9a-f]+\]\s*/i, '').replace(/\[(error|fatal|panic)\]\s*/, '').trim())
    .filter((l) => l !== '')
    .slice(0, max)
    .join('; ')
    .slice(0, 300);
}

function finite(v: string | undefined): number | null {
  if (v === undefined) return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}
